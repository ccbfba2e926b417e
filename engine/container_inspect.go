package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/common/libimage"
	"go.podman.io/common/pkg/capabilities"

	"github.com/berth-containers/berth/engine/oci"
	"github.com/berth-containers/berth/engine/spec"
)

// InspectContainer returns podman's inspect document of a container, its state as it
// is now (see ObservedContainer). size adds SizeRw and SizeRootFs (slower: it walks
// the container's layer).
func (r *Runtime) InspectContainer(ctx context.Context, ref string, size bool) (*InspectContainerData, error) {
	c, err := r.ObservedContainer(ref)
	if err != nil {
		return nil, err
	}
	images := imageConfigs{r: r}
	p := r.processOf(ctx, c, &images, true)
	d := &InspectContainerData{
		ID: c.ID, Created: c.Created, Image: c.ImageID, ImageName: c.ImageName, Name: c.Name,
		State: inspectState(c), Driver: r.store.GraphDriverName(), Pod: c.Config.Pod, IsInfra: c.Config.PodInfra,
		OCIRuntime: c.Runtime.Name, OCIConfigPath: filepath.Join(c.Bundle, "config.json"),
		ConmonPidFile: filepath.Join(c.Bundle, "conmon.pid"), PidFile: filepath.Join(c.Bundle, "pidfile"),
		EffectiveCaps: []string{}, BoundingCaps: []string{}, ExecIDs: []string{}, Dependencies: []string{},
		Mounts: []InspectMount{}, NetworkSettings: &InspectNetworkSettings{Ports: map[string][]InspectHostPort{}},
		Config: r.inspectConfig(c, p), HostConfig: r.inspectHostConfig(c, p.spec),
	}
	if len(p.Args) > 0 {
		d.Path, d.Args = p.Args[0], p.Args[1:]
	}
	if data, err := images.get(ctx, c.ImageID); err == nil {
		d.ImageDigest = data.Digest.String()
	}
	if dir, err := r.store.ContainerDirectory(c.ID); err == nil {
		d.StaticDir = dir
	}
	for name, field := range map[string]*string{"resolv.conf": &d.ResolvConfPath, "hostname": &d.HostnamePath, "hosts": &d.HostsPath} {
		if path := filepath.Join(c.Bundle, name); fileExists(path) {
			*field = path
		}
	}
	d.GraphDriver = r.containerDriverData(c)
	if st, err := c.Config.specSettings(); err == nil {
		inspectMounts(d, st)
	}
	if s := p.spec; s != nil {
		r.inspectFromSpec(d, s)
	}
	if size {
		r.inspectSize(ctx, d, c)
	}
	r.inspectNetwork(c, d)
	return d, nil
}

func inspectState(c *Container) *InspectContainerState {
	st := c.State
	return &InspectContainerState{
		OciVersion: specs.Version, Status: st.Status, Running: c.Running(),
		Pid: st.Pid, ConmonPid: st.ConmonPid, ExitCode: st.ExitCode,
		StartedAt: st.StartedAt, FinishedAt: st.FinishedAt, CgroupPath: c.CgroupsPath,
		Health: inspectHealth(st.Health),
	}
}

func (r *Runtime) inspectConfig(c *Container, p *containerProcess) *InspectContainerConfig {
	cfg := c.Config
	stopTimeout := r.cfg.Engine.StopTimeout
	if cfg.StopTimeout != nil {
		stopTimeout = *cfg.StopTimeout
	}
	sdNotify := cfg.SdNotify
	if sdNotify == "" {
		sdNotify = SdNotifyContainer
	}
	ic := &InspectContainerConfig{
		Hostname: p.Hostname, User: p.User, Tty: cfg.Terminal, OpenStdin: cfg.Interactive,
		AttachStdin: cfg.Interactive, Env: p.Env, Cmd: p.Cmd, Image: c.ImageName,
		WorkingDir: p.WorkDir, Entrypoint: p.Entrypoint, Labels: orEmpty(c.Labels),
		Annotations: orEmpty(cfg.Annotations), StopSignal: c.StopSignal, Umask: "0022",
		StopTimeout: stopTimeout, SdNotifyMode: sdNotify, Volumes: map[string]struct{}{}, Timezone: cfg.Timezone,
	}
	inspectHealthConfig(ic, c.Healthcheck)
	if p.spec != nil {
		ic.Annotations = orEmpty(p.spec.Annotations)
		if u := p.spec.Process.User.Umask; u != nil {
			ic.Umask = fmt.Sprintf("%04o", *u)
		}
	}
	return ic
}

func (r *Runtime) inspectHostConfig(c *Container, s *specs.Spec) *InspectContainerHostConfig {
	cfg := c.Config
	hc := &InspectContainerHostConfig{
		Binds: []string{}, ContainerIDFile: cfg.CIDFile, AutoRemove: cfg.AutoRemove,
		PortBindings: map[string][]InspectHostPort{}, RestartPolicy: &InspectRestartPolicy{Name: "no"},
		VolumesFrom: []string{}, CapAdd: []string{}, CapDrop: []string{}, DNS: []string{},
		DNSOptions: []string{}, DNSSearch: []string{}, ExtraHosts: []string{}, GroupAdd: []string{},
		Links: []string{}, SecurityOpt: []string{}, Tmpfs: map[string]string{}, Ulimits: []InspectUlimit{},
		Devices: []InspectDevice{}, Sysctls: map[string]string{},
		Runtime: "oci", CgroupManager: "cgroupfs", Cgroups: "default",
		// Without networks, the default is a namespace with only loopback: podman's none.
		NetworkMode: "none", IpcMode: "shareable", PidMode: "private", UTSMode: "private", CgroupMode: "host",
	}
	if c.Runtime.SystemdCgroup {
		hc.CgroupManager = "systemd"
	}
	switch cfg.CgroupsMode {
	case CgroupsDisabled, CgroupsSplit, CgroupsNoConmon:
		hc.Cgroups = cfg.CgroupsMode
	}
	if c.CgroupsPath != "" {
		hc.CgroupParent = filepath.Dir(c.CgroupsPath)
		if c.Runtime.SystemdCgroup {
			hc.CgroupParent, _, _ = strings.Cut(c.CgroupsPath, ":")
		}
	}
	logType := cfg.LogDriver
	if logType == "" {
		logType = oci.LogK8sFile
	}
	hc.LogConfig = &InspectLogConfig{Type: logType, Path: c.LogPath, Size: "0B"}
	if max := r.cfg.Containers.LogSizeMax; max > 0 {
		hc.LogConfig.Size = fmt.Sprintf("%dB", max)
	}
	st, err := cfg.specSettings()
	if err != nil {
		r.log.Debug("inspect: the container's settings do not parse", "id", shortID(c.ID), "error", err)
		st = nil
	}
	hostConfigFromRecord(hc, &cfg, st)
	if s != nil {
		r.hostConfigFromSpec(hc, s)
	}
	return hc
}

// hostConfigFromSpec reads what the runtime spec says: namespaces, limits, caps
// compared with the defaults, read-only root, the user's tmpfs mounts.
func (r *Runtime) hostConfigFromSpec(hc *InspectContainerHostConfig, s *specs.Spec) {
	if s.Root != nil {
		hc.ReadonlyRootfs = s.Root.Readonly
	}
	if l := s.Linux; l != nil {
		modes := map[specs.LinuxNamespaceType]*string{
			specs.NetworkNamespace: &hc.NetworkMode, specs.IPCNamespace: &hc.IpcMode, specs.PIDNamespace: &hc.PidMode,
			specs.UTSNamespace: &hc.UTSMode, specs.CgroupNamespace: &hc.CgroupMode, specs.UserNamespace: &hc.UsernsMode,
		}
		private := map[specs.LinuxNamespaceType]bool{}
		for _, ns := range l.Namespaces {
			private[ns.Type] = true
		}
		for t, field := range modes {
			switch {
			case !private[t] && t == specs.UserNamespace:
				*field = ""
			case !private[t]:
				*field = "host"
			case t == specs.CgroupNamespace || t == specs.UserNamespace:
				*field = "private"
			}
		}
		if res := l.Resources; res != nil && res.Memory != nil {
			hc.MemorySwap = deref(res.Memory.Swap)
		}
	}
	if p := s.Process; p != nil {
		if p.Capabilities != nil {
			hc.CapAdd, hc.CapDrop = []string{}, []string{}
			defaults, _ := capabilities.NormalizeCapabilities(r.cfg.Containers.DefaultCapabilities.Get())
			for _, cp := range p.Capabilities.Bounding {
				if !slices.Contains(defaults, cp) {
					hc.CapAdd = append(hc.CapAdd, cp)
				}
			}
			for _, cp := range defaults {
				if !slices.Contains(p.Capabilities.Bounding, cp) {
					hc.CapDrop = append(hc.CapDrop, cp)
				}
			}
		}
		if p.OOMScoreAdj != nil {
			hc.OomScoreAdj = *p.OOMScoreAdj
		}
	}
	for _, m := range s.Mounts {
		if m.Destination == "/dev/shm" {
			hc.ShmSize = shmSize(m.Options)
		}
	}
}

// inspectFromSpec fills what only the generated spec knows: capabilities.
func (r *Runtime) inspectFromSpec(d *InspectContainerData, s *specs.Spec) {
	if p := s.Process; p != nil && p.Capabilities != nil {
		d.EffectiveCaps = orEmptySlice(p.Capabilities.Effective)
		d.BoundingCaps = orEmptySlice(p.Capabilities.Bounding)
	}
}

// inspectMounts lists the user's mounts (-v, --mount; --tmpfs ones go in
// HostConfig.Tmpfs), as the record has them.
func inspectMounts(d *InspectContainerData, st *specSettings) {
	for _, m := range st.mounts {
		if m.Type == "tmpfs" {
			d.HostConfig.Tmpfs[m.Destination] = strings.Join(m.Options, ",")
			continue
		}
		im := InspectMount{Type: m.Type, Source: m.Source, Destination: m.Destination, Options: []string{}, RW: true,
			Propagation: "rprivate"}
		for _, o := range m.Options {
			switch o {
			case "ro":
				im.RW = false
			case "rw":
			case "z", "Z":
				im.Mode = o
			case "rprivate", "private", "rshared", "shared", "rslave", "slave":
				im.Propagation = o
			default:
				im.Options = append(im.Options, o)
			}
		}
		if m.Type == "bind" {
			im.Options = append([]string{"rbind"}, im.Options...)
			bind := m.Source + ":" + m.Destination
			if len(m.Options) > 0 {
				bind += ":" + strings.Join(m.Options, ",")
			}
			d.HostConfig.Binds = append(d.HostConfig.Binds, bind)
		}
		d.Mounts = append(d.Mounts, im)
	}
}

// hostConfigFromRecord fills what the user's flags said, as the record keeps them.
func hostConfigFromRecord(hc *InspectContainerHostConfig, cfg *ContainerConfig, st *specSettings) {
	hc.ReadonlyRootfs = cfg.ReadOnly
	hc.CapAdd, hc.CapDrop = append(hc.CapAdd, cfg.CapAdd...), append(hc.CapDrop, cfg.CapDrop...)
	hc.SecurityOpt = append(hc.SecurityOpt, cfg.SecurityOpts...)
	hc.GroupAdd = append(hc.GroupAdd, cfg.GroupAdd...)
	hc.ExtraHosts = append(hc.ExtraHosts, cfg.AddHosts...)
	hc.Init = cfg.Init
	if st == nil {
		return
	}
	hc.DNS = append(hc.DNS, st.dns...)
	hc.DNSSearch = append(hc.DNSSearch, st.dnsSearch...)
	hc.DNSOptions = append(hc.DNSOptions, st.dnsOpt...)
	hc.Memory, hc.ShmSize = st.memory, st.shmSize
	if cfg.PidsLimit != nil {
		hc.PidsLimit = *cfg.PidsLimit
	}
	for _, u := range st.ulimits {
		hc.Ulimits = append(hc.Ulimits, InspectUlimit{Name: "RLIMIT_" + strings.ToUpper(u.Name), Soft: rlimit(u.Soft), Hard: rlimit(u.Hard)})
	}
	for _, dev := range st.devices {
		in := dev.ContainerPath
		if in == "" {
			in = dev.HostPath
		}
		perms := dev.Permissions
		if perms == "" {
			perms = "rwm"
		}
		hc.Devices = append(hc.Devices, InspectDevice{PathOnHost: dev.HostPath, PathInContainer: in, CgroupPermissions: perms})
	}
	for k, v := range st.sysctls {
		hc.Sysctls[k] = v
	}
	if st.logTag != "" {
		hc.LogConfig.Tag = st.logTag
	}
	if st.logSizeMax > 0 {
		hc.LogConfig.Size = fmt.Sprintf("%dB", st.logSizeMax)
	}
}

// rlimit is an --ulimit value as the spec takes it: -1 is unlimited.
func rlimit(v int64) uint64 {
	if v < 0 {
		return ^uint64(0)
	}
	return uint64(v)
}

// userMountDestinations are where the user's bind mounts and volumes go, for ps.
func userMountDestinations(cfg *ContainerConfig) []string {
	out := []string{}
	st, err := cfg.specSettings()
	if err != nil {
		return out
	}
	for _, m := range st.mounts {
		if m.Type != "tmpfs" {
			out = append(out, m.Destination)
		}
	}
	return out
}

func shmSize(opts []string) int64 {
	for _, o := range opts {
		if v, ok := strings.CutPrefix(o, "size="); ok {
			var n int64
			if _, err := fmt.Sscan(v, &n); err == nil {
				return n
			}
		}
	}
	return 0
}

// containerDriverData is the storage driver's view of the container's layer.
func (r *Runtime) containerDriverData(c *Container) *libimage.DriverData {
	dd := &libimage.DriverData{Name: r.store.GraphDriverName(), Data: map[string]string{}}
	sc, err := r.store.Container(c.ID)
	if err != nil {
		return dd
	}
	driver, err := r.store.GraphDriver()
	if err != nil {
		return dd
	}
	if meta, err := driver.Metadata(sc.LayerID); err == nil {
		dd.Data = meta
	}
	if n, err := r.store.Mounted(sc.LayerID); err != nil || n == 0 {
		delete(dd.Data, "MergedDir")
	}
	return dd
}

func (r *Runtime) inspectSize(ctx context.Context, d *InspectContainerData, c *Container) {
	rw, err := r.store.ContainerSize(c.ID)
	if err != nil {
		r.log.Debug("inspect: container size", "id", shortID(c.ID), "error", err)
		return
	}
	d.SizeRw, d.SizeRootFs = &rw, rw
	if img, err := r.LookupImage(c.ImageID); err == nil {
		if n, err := img.Size(); err == nil {
			d.SizeRootFs += n
		}
	}
}

// containerProcess is what a container runs and how it is configured, the image's
// settings filled in: from its bundle's config.json once it has started, else
// computed from the record and the image as start will do it.
type containerProcess struct {
	// Command is the entrypoint and command, as ps shows them; Args is what runs
	// (with --init, the init in front).
	Command, Args, Env, Entrypoint, Cmd []string
	User, WorkDir, Hostname             string
	spec                                *specs.Spec // nil before the first start
}

// processOf computes the container's process; withSpec also reads its config.json.
func (r *Runtime) processOf(ctx context.Context, c *Container, images *imageConfigs, withSpec bool) *containerProcess {
	cfg := c.Config
	p := &containerProcess{Hostname: cfg.Hostname, User: cfg.User}
	ic := &imgspec.ImageConfig{}
	if data, err := images.get(ctx, c.ImageID); err == nil && data.Config != nil {
		ic = data.Config
	} else if err != nil {
		// Still show what the record and the spec know.
		r.log.Debug("container's image unreadable", "id", shortID(c.ID), "error", err)
	}
	p.Entrypoint, p.Cmd = ic.Entrypoint, ic.Cmd
	if cfg.Entrypoint != nil {
		p.Entrypoint, p.Cmd = *cfg.Entrypoint, nil
	}
	if len(cfg.Command) > 0 {
		p.Cmd = cfg.Command
	}
	so := &spec.Options{Env: append([]string{"container=podman"}, cfg.Env...), WorkDir: cfg.WorkDir, User: cfg.User}
	// No command at all fails at start; inspect still shows the rest.
	_ = spec.MergeImage(so, ic, spec.Command{Cmd: cfg.Command, Entrypoint: deref(cfg.Entrypoint), EntrypointSet: cfg.Entrypoint != nil})
	p.Command, p.Args, p.Env, p.WorkDir, p.User = so.Args, so.Args, so.Env, so.WorkDir, so.User
	if p.WorkDir == "" {
		p.WorkDir = "/"
	}
	if withSpec {
		if s, err := readBundleSpec(c); err == nil && s.Process != nil {
			p.spec = s
			p.Args, p.Env, p.WorkDir, p.Hostname = s.Process.Args, s.Process.Env, s.Process.Cwd, s.Hostname
			p.Env = withoutSecretEnv(p.Env, &cfg)
		}
	}
	if p.Hostname == "" && cfg.Network != NetworkHost {
		p.Hostname = shortID(c.ID)
	}
	return p
}

// readBundleSpec reads the runtime spec start wrote in the container's bundle.
func readBundleSpec(c *Container) (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(c.Bundle, "config.json"))
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("container %s: reading its config.json: %w", shortID(c.ID), err)
	}
	return &s, nil
}

// imageConfigs caches image inspect data by image ID for the length of one call.
type imageConfigs struct {
	r *Runtime
	m map[string]*ImageData
}

func (ic *imageConfigs) get(ctx context.Context, id string) (*ImageData, error) {
	if d, ok := ic.m[id]; ok {
		return d, nil
	}
	img, err := ic.r.LookupImage(id)
	if err != nil {
		return nil, fmt.Errorf("its image %s: %w", shortID(id), err)
	}
	d, err := img.Inspect(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", shortID(id), err)
	}
	if ic.m == nil {
		ic.m = map[string]*ImageData{}
	}
	ic.m[id] = d
	return d, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptySlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
