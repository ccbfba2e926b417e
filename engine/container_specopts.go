package engine

import (
	"cmp"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	units "github.com/docker/go-units"

	"github.com/berth-containers/berth/engine/spec"
)

// specSettings are the spec-level flags of a ContainerConfig, parsed and checked.
type specSettings struct {
	mounts                 []spec.Mount
	devices                []spec.Device
	ulimits                []spec.Ulimit
	sysctls                map[string]string
	memory, shmSize        int64
	noNewPrivs             bool
	seccomp                string
	mask, unmask           []string
	logPath, logTag        string
	logSizeMax             int64
	hosts                  []string // extra /etc/hosts lines
	dns, dnsSearch, dnsOpt []string
	noResolvConf           bool // --dns none
}

// unsupported is the error for a flag value berth does not implement yet.
func unsupported(format string, args ...any) error {
	return fmt.Errorf(format+" is not supported yet: %w", append(args, ErrUnsupported)...)
}

// specSettings parses the flags that end up in the runtime spec or the /etc files.
// Each error names its flag.
func (c *ContainerConfig) specSettings() (*specSettings, error) {
	st := &specSettings{sysctls: map[string]string{}}
	steps := []func(*specSettings) error{
		c.parseVolumes, c.parseMounts, c.parseTmpfs, c.parseSecurityOpts, c.parseLimits,
		c.parseLogOpts, c.parseHostsAndDNS, c.parseMisc,
	}
	for _, step := range steps {
		if err := step(st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// parseVolumes reads -v HOST-PATH:DEST[:OPTIONS], -v NAME:DEST[:OPTIONS] (a named
// volume) and -v DEST[:OPTIONS] (an anonymous one); volumes are checked here and made
// bind mounts by CreateContainer (volume_mount.go).
func (c *ContainerConfig) parseVolumes(st *specSettings) error {
	for _, v := range c.Volumes {
		parts := strings.Split(v, ":")
		if isAnonymousVolume(parts) {
			if !strings.HasPrefix(parts[0], "/") {
				return fmt.Errorf("-v %q: an anonymous volume needs an absolute destination", v)
			}
			var opts []string
			if len(parts) == 2 {
				opts = strings.Split(parts[1], ",")
			}
			if err := checkVolumeOptions("-v "+v, opts); err != nil {
				return err
			}
			continue
		}
		if len(parts) > 3 {
			return fmt.Errorf("-v %q: want HOST-PATH:DEST[:OPTIONS]", v)
		}
		src, dst := parts[0], parts[1]
		if isVolumeName(src) {
			if !strings.HasPrefix(dst, "/") {
				return fmt.Errorf("-v %q: the destination must be an absolute path", v)
			}
			var opts []string
			if len(parts) == 3 {
				opts = strings.Split(parts[2], ",")
			}
			if err := checkVolumeRef("-v "+v, src, opts); err != nil {
				return err
			}
			continue
		}
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("-v %s: %w", v, err)
		}
		m := spec.Mount{Type: "bind", Source: filepath.Clean(src), Destination: dst}
		if len(parts) == 3 && parts[2] != "" {
			m.Options = strings.Split(parts[2], ",")
		}
		st.mounts = append(st.mounts, m)
	}
	return nil
}

// parseMounts reads --mount type=bind|tmpfs,... as podman does; other types are not
// there yet.
func (c *ContainerConfig) parseMounts(st *specSettings) error {
	for _, ms := range c.Mounts {
		m, err := parseMount(ms)
		if err != nil {
			return err
		}
		if m.Type == "volume" {
			continue // made a bind mount by CreateContainer (volume_mount.go)
		}
		st.mounts = append(st.mounts, m)
	}
	return nil
}

func parseMount(s string) (spec.Mount, error) {
	m := spec.Mount{}
	kind := ""
	ro, nonRecursive := false, false
	for _, field := range strings.Split(s, ",") {
		k, v, hasValue := strings.Cut(field, "=")
		switch strings.ToLower(k) {
		case "type":
			kind = v
		case "source", "src":
			m.Source = v
		case "target", "destination", "dst":
			m.Destination = v
		case "ro", "readonly":
			b, err := strconv.ParseBool(v)
			ro = !hasValue || (err == nil && b)
			if hasValue && err != nil {
				return m, fmt.Errorf("--mount %s: %s=%q is not a boolean", s, k, v)
			}
		case "rw":
			ro = hasValue && v == "false"
		case "bind-propagation":
			m.Options = append(m.Options, v)
		case "bind-nonrecursive":
			nonRecursive = !hasValue || v == "true"
		case "relabel", "z", "Z":
			// SELinux relabelling; there is no SELinux here to label for.
		case "tmpfs-size":
			m.Options = append(m.Options, "size="+v)
		case "tmpfs-mode":
			m.Options = append(m.Options, "mode="+v)
		case "notmpcopyup", "tmpcopyup", "nosuid", "suid", "nodev", "dev", "noexec", "exec":
			m.Options = append(m.Options, k)
		case "volume-nocopy":
			// Read by CreateContainer for type=volume.
		default:
			return m, unsupported("--mount %s: option %q", s, k)
		}
	}
	switch kind {
	case "bind":
		m.Type = "bind"
		if !strings.HasPrefix(m.Source, "/") {
			return m, fmt.Errorf("--mount %s: a bind mount needs an absolute source", s)
		}
		if _, err := os.Stat(m.Source); err != nil {
			return m, fmt.Errorf("--mount %s: %w", s, err)
		}
		if nonRecursive {
			m.Options = append(m.Options, "bind")
		}
	case "tmpfs":
		m.Type = "tmpfs"
	case "volume":
		m.Type = "volume"
		// No source: an anonymous volume.
		if m.Source != "" {
			if err := checkVolumeRef("--mount "+s, m.Source, nil); err != nil {
				return m, err
			}
		}
	case "":
		return m, fmt.Errorf("--mount %s: no type= (bind, volume or tmpfs)", s)
	default:
		return m, unsupported("--mount type=%s", kind)
	}
	if m.Destination == "" {
		return m, fmt.Errorf("--mount %s: no target=", s)
	}
	if ro {
		m.Options = append(m.Options, "ro")
	}
	return m, nil
}

// parseTmpfs reads --tmpfs DEST[:OPTIONS].
func (c *ContainerConfig) parseTmpfs(st *specSettings) error {
	for _, t := range c.Tmpfs {
		dst, opts, _ := strings.Cut(t, ":")
		m := spec.Mount{Type: "tmpfs", Destination: dst}
		if opts != "" {
			m.Options = strings.Split(opts, ",")
		}
		st.mounts = append(st.mounts, m)
	}
	return nil
}

// parseSecurityOpts reads --security-opt: no-new-privileges, seccomp=, mask=,
// unmask=; label=disable and apparmor=unconfined ask for what berth does anyway
// (it sets neither SELinux labels nor AppArmor profiles); other labels and profiles
// are not there yet.
func (c *ContainerConfig) parseSecurityOpts(st *specSettings) error {
	for _, o := range c.SecurityOpts {
		k, v, hasValue := strings.Cut(o, "=")
		switch k {
		case "no-new-privileges":
			b := true
			if hasValue {
				var err error
				if b, err = strconv.ParseBool(v); err != nil {
					return fmt.Errorf("--security-opt %s: not a boolean", o)
				}
			}
			st.noNewPrivs = b
		case "seccomp":
			st.seccomp = v
		case "mask":
			st.mask = append(st.mask, splitPaths(v)...)
		case "unmask":
			st.unmask = append(st.unmask, splitPaths(v)...)
		case "label":
			if v != "disable" {
				return unsupported("--security-opt %s (SELinux labels)", o)
			}
		case "apparmor":
			if v != "unconfined" {
				return unsupported("--security-opt %s (AppArmor profiles)", o)
			}
		default:
			return unsupported("--security-opt %s", o)
		}
	}
	return nil
}

func splitPaths(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ":") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseLimits reads --memory, --shm-size, --ulimit, --sysctl and --device.
func (c *ContainerConfig) parseLimits(st *specSettings) error {
	var err error
	if c.Memory != "" {
		if st.memory, err = units.RAMInBytes(c.Memory); err != nil || st.memory < 0 {
			return fmt.Errorf("--memory %q: not a size such as 512m", c.Memory)
		}
	}
	if c.ShmSize != "" {
		if st.shmSize, err = units.RAMInBytes(c.ShmSize); err != nil || st.shmSize <= 0 {
			return fmt.Errorf("--shm-size %q: not a size such as 64m", c.ShmSize)
		}
	}
	if c.PidsLimit != nil && *c.PidsLimit < -1 {
		return fmt.Errorf("--pids-limit %d: use -1 for no limit", *c.PidsLimit)
	}
	for _, u := range c.Ulimits {
		ul, err := spec.ParseUlimit(u)
		if err != nil {
			return fmt.Errorf("--ulimit: %w", err)
		}
		st.ulimits = append(st.ulimits, ul)
	}
	for _, s := range c.Sysctls {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("--sysctl %q: want NAME=VALUE", s)
		}
		st.sysctls[k] = v
	}
	for _, d := range c.Devices {
		dev, err := spec.ParseDevice(d)
		if err != nil {
			return fmt.Errorf("--device: %w", err)
		}
		st.devices = append(st.devices, dev)
	}
	return nil
}

// parseLogOpts reads --log-opt path= and max-size= (k8s-file) and tag= (journald).
func (c *ContainerConfig) parseLogOpts(st *specSettings) error {
	for _, o := range c.LogOpts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "path":
			if c.LogDriver != "" && c.LogDriver != "k8s-file" {
				return fmt.Errorf("--log-opt %s: only the k8s-file log driver writes a file", o)
			}
			if !filepath.IsAbs(v) {
				return fmt.Errorf("--log-opt %s: the path must be absolute", o)
			}
			st.logPath = v
		case "max-size":
			n, err := units.RAMInBytes(v)
			if err != nil {
				return fmt.Errorf("--log-opt %s: not a size such as 10mb", o)
			}
			st.logSizeMax = n
		case "tag":
			if c.LogDriver != "journald" {
				return unsupported("--log-opt %s with the %s log driver (journald only)", o, cmp.Or(c.LogDriver, "k8s-file"))
			}
			st.logTag = v
		default:
			return unsupported("--log-opt %s", o)
		}
	}
	return nil
}

// parseHostsAndDNS reads --add-host, --dns, --dns-search and --dns-option.
func (c *ContainerConfig) parseHostsAndDNS(st *specSettings) error {
	for _, h := range c.AddHosts {
		name, ip, ok := strings.Cut(h, ":")
		if ok && name != "" && ip == hostGateway {
			// The address is known at start, from the container's network.
			st.hosts = append(st.hosts, hostGateway+"\t"+name)
			continue
		}
		if !ok || name == "" || net.ParseIP(ip) == nil {
			return fmt.Errorf("--add-host %q: want NAME:IP", h)
		}
		st.hosts = append(st.hosts, ip+"\t"+name)
	}
	for _, d := range c.DNS {
		if d == "none" {
			st.noResolvConf = true
			continue
		}
		if net.ParseIP(d) == nil {
			return fmt.Errorf("--dns %q: not an IP address", d)
		}
		st.dns = append(st.dns, d)
	}
	st.dnsSearch, st.dnsOpt = c.DNSSearch, c.DNSOptions
	return nil
}

var exposeRule = regexp.MustCompile(`^[0-9]+(-[0-9]+)?(/(tcp|udp|sctp))?$`)

// parseMisc checks --expose and --image-volume.
func (c *ContainerConfig) parseMisc(*specSettings) error {
	for _, e := range c.Expose {
		if !exposeRule.MatchString(e) {
			return fmt.Errorf("--expose %q: want PORT[-PORT][/PROTOCOL]", e)
		}
	}
	switch c.ImageVolume {
	case "", "bind", "tmpfs", "ignore":
	default:
		return fmt.Errorf("--image-volume %q: use bind, tmpfs or ignore", c.ImageVolume)
	}
	return nil
}

// apply puts the settings into spec options.
func (st *specSettings) apply(c *ContainerConfig, so *spec.Options) {
	so.ReadOnly, so.ReadOnlyTmpfs = c.ReadOnly, c.ReadOnlyTmpfs
	so.Mounts = append(so.Mounts, st.mounts...)
	so.CapAdd, so.CapDrop, so.GroupAdd = c.CapAdd, c.CapDrop, c.GroupAdd
	so.NoNewPrivs, so.Seccomp, so.Mask, so.Unmask = st.noNewPrivs, st.seccomp, st.mask, st.unmask
	so.Devices, so.Ulimits, so.Sysctls = st.devices, st.ulimits, st.sysctls
	so.Init, so.Timezone, so.Privileged = c.Init, c.Timezone, c.Privileged
	so.Memory, so.ShmSize = st.memory, st.shmSize
	if c.PidsLimit != nil {
		so.PidsLimit = *c.PidsLimit
	}
}

// resolvConf builds the container's /etc/resolv.conf from the host's, with the
// --dns, --dns-search and --dns-option given replacing the host's of each kind.
func (st *specSettings) resolvConf(host string) string {
	var ns, search, opts []string
	for _, line := range strings.Split(host, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			ns = append(ns, f[1])
		case "search":
			search = append(search, f[1:]...)
		case "options":
			opts = append(opts, f[1:]...)
		}
	}
	if len(st.dns) > 0 {
		ns = st.dns
	}
	if len(st.dnsSearch) > 0 {
		search = st.dnsSearch
	}
	if len(st.dnsOpt) > 0 {
		opts = st.dnsOpt
	}
	var b strings.Builder
	if len(search) > 0 && !(len(search) == 1 && search[0] == ".") {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	for _, n := range ns {
		b.WriteString("nameserver " + n + "\n")
	}
	if len(opts) > 0 {
		b.WriteString("options " + strings.Join(opts, " ") + "\n")
	}
	return b.String()
}
