package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-containers/berth/engine/oci"
	"github.com/berth-containers/berth/engine/spec"
)

// prepareBundle mounts the container's root file system and writes its bundle: the
// runtime spec (config.json) and the /etc files berth makes for it. It runs at every
// start, as podman generates the spec at init: the run root (and the mount) do not
// survive a reboot, and --sdnotify=container depends on the notify socket of the
// process that starts the container.
func (r *Runtime) prepareBundle(ctx context.Context, c *Container, notifySocket string) error {
	var imgConfig *imgspec.ImageConfig // none with --rootfs
	if c.ImageID != "" {
		img, err := r.LookupImage(c.ImageID)
		if err != nil {
			return fmt.Errorf("container %s: its image %s: %w", shortID(c.ID), shortID(c.ImageID), err)
		}
		data, err := img.Inspect(ctx, nil)
		if err != nil {
			return fmt.Errorf("container %s: reading image %s: %w", shortID(c.ID), shortID(c.ImageID), err)
		}
		imgConfig = data.Config
	}
	if err := os.MkdirAll(c.Bundle, 0o700); err != nil {
		return err
	}
	rootfs, err := r.mountRootfs(c)
	if err != nil {
		return err
	}
	so, err := r.specOptions(c, rootfs, notifySocket)
	if err != nil {
		return err
	}
	if err := r.userNSSpec(c, so); err != nil {
		return err
	}
	if err := r.podSpec(c, so); err != nil {
		return err
	}
	cmd := spec.Command{Cmd: c.Config.Command}
	if c.Config.Entrypoint != nil {
		cmd.Entrypoint, cmd.EntrypointSet = *c.Config.Entrypoint, true
	}
	if err := spec.MergeImage(so, imgConfig, cmd); err != nil {
		return err
	}
	if imgConfig != nil {
		r.imageVolumes(c, so, imgConfig.Volumes)
	}
	s, err := spec.Generate(*so)
	if err != nil {
		return err
	}
	out, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(c.Bundle, "config.json"), out, 0o600)
}

// specOptions turns the record into spec options, and writes the /etc files.
func (r *Runtime) specOptions(c *Container, rootfs, notifySocket string) (*spec.Options, error) {
	cfg := c.Config
	st, err := cfg.specSettings()
	if err != nil {
		return nil, err
	}
	so := &spec.Options{
		Rootfs:      rootfs,
		Env:         append([]string{"container=podman"}, cfg.Env...),
		WorkDir:     cfg.WorkDir,
		User:        cfg.User,
		Hostname:    cfg.Hostname,
		Terminal:    cfg.Terminal,
		Labels:      cfg.Labels,
		Annotations: cfg.Annotations,
		StopSignal:  c.StopSignal,
		NoCgroups:   c.Runtime.NoCgroups,
		Rootless:    Rootless(),
		CgroupsPath: c.CgroupsPath,
		DefaultCaps: r.cfg.Containers.DefaultCapabilities.Get(),
		InitPath:    r.cfg.Containers.InitPath,
		Log:         r.log,
	}
	st.apply(&cfg, so)
	// The network namespace: a bridge container's is made and set up here, before
	// the spec that names it is written (container_netns.go).
	if err := r.networkSpec(c, so); err != nil {
		return nil, err
	}
	if so.Namespaces.UTS != spec.NSHost && so.Hostname == "" {
		so.Hostname = shortID(c.ID)
	}
	if err := r.etcFiles(c, so, st); err != nil {
		return nil, err
	}
	r.shareEtcFiles(c, so)
	if err := r.secretSpec(c, so); err != nil {
		return nil, err
	}
	if cfg.SdNotify == SdNotifyContainer || cfg.SdNotify == "" {
		if notifySocket != "" {
			// conmon binds notify.sock in this folder and relays what the container
			// sends there to systemd.
			dir := oci.NotifyHostDir(c.Bundle)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			so.Mounts = append(so.Mounts, spec.Mount{Type: "bind", Source: dir, Destination: oci.NotifyContainerDir,
				Options: []string{"bind", "rprivate"}})
			so.Env = append(so.Env, oci.NotifySocketEnv)
		}
	}
	return so, nil
}

// imageVolumes handles the image's VOLUME folders as --image-volume says: tmpfs mounts
// a tmpfs on each; ignore leaves them in the container's layer; bind (the default)
// would make anonymous volumes, which berth does not have yet: they stay in the
// container's layer too (lost with the container, as an anonymous volume with rm -v),
// and a warning says so.
func (r *Runtime) imageVolumes(c *Container, so *spec.Options, vols map[string]struct{}) {
	if len(vols) == 0 {
		return
	}
	for v := range vols {
		switch c.Config.ImageVolume {
		case "tmpfs":
			so.Mounts = append(so.Mounts, spec.Mount{Type: "tmpfs", Destination: v})
		case "ignore":
		default:
			r.log.Warn("the image's volumes are not supported yet: the folder stays in the container's layer",
				"container", shortID(c.ID), "volume", v)
		}
	}
}

// etcFiles writes the container's /etc/hostname, /etc/hosts and /etc/resolv.conf in
// its bundle. With the host's network, /etc/hosts and /etc/resolv.conf are copies of
// the host's; otherwise /etc/hosts names localhost and the container itself (its
// addresses on a network, and host.containers.internal), and /etc/resolv.conf points
// at aardvark-dns on networks that resolve names.
func (r *Runtime) etcFiles(c *Container, so *spec.Options, st *specSettings) error {
	hostname := so.Hostname
	if hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return err
		}
		hostname = h
	}
	files := map[string]string{"hostname": hostname + "\n"}
	var hosts strings.Builder
	if c.Config.Network == NetworkHost {
		if data, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts.Write(data)
			if len(data) > 0 && data[len(data)-1] != '\n' {
				hosts.WriteByte('\n')
			}
		}
	} else {
		hosts.WriteString("127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n")
		hosts.WriteString("::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n")
	}
	hosts.WriteString(c.ownHostsLines(hostname))
	for _, h := range st.hosts {
		if name, ok := strings.CutPrefix(h, hostGateway+"\t"); ok {
			ip, err := r.hostGatewayIP(c)
			if err != nil {
				return fmt.Errorf("container %s: --add-host %s:%s: %w", shortID(c.ID), name, hostGateway, err)
			}
			h = ip + "\t" + name
		}
		hosts.WriteString(h + "\n")
	}
	files["hosts"] = hosts.String()
	if !st.noResolvConf {
		st = c.withNetworkDNS(st) // aardvark-dns, on networks that resolve names
		data, err := os.ReadFile("/etc/resolv.conf")
		switch {
		case len(st.dns)+len(st.dnsSearch)+len(st.dnsOpt) > 0:
			files["resolv.conf"] = st.resolvConf(string(data))
		case err == nil:
			files["resolv.conf"] = string(data)
		}
	}
	for name, content := range files {
		if err := writeFileAtomic(filepath.Join(c.Bundle, name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing /etc/%s of container %s: %w", name, shortID(c.ID), err)
		}
	}
	so.HostnameFile = filepath.Join(c.Bundle, "hostname")
	so.HostsFile = filepath.Join(c.Bundle, "hosts")
	if _, ok := files["resolv.conf"]; ok {
		so.ResolvConfFile = filepath.Join(c.Bundle, "resolv.conf")
	}
	return nil
}
