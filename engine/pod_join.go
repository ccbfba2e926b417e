package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"go.podman.io/storage/pkg/idtools"

	"github.com/berth-containers/berth/engine/lock"
	"github.com/berth-containers/berth/engine/spec"
)

// How a container joins a pod: at create, its settings are checked against what the
// pod shares and completed from the pod (resolvePod); its record is added while it
// holds the pod's lock shared, so that a pod rm cannot miss it (lockPodForMember); at
// each start, the infra starts first (startPodInfra) and the container's spec joins the
// infra's namespaces (podSpec).

// podJoin is CreateContainer's state about the pod of the container it makes.
type podJoin struct {
	infra   bool     // the container is the infra of the pod that CreatePod makes
	created string   // the ID of the pod that --pod new:NAME created
	held    *heldPod // the pod's lock while the container's record is added
}

// newPodPrefix is --pod new:NAME, which creates the pod.
const newPodPrefix = "new:"

// resolvePod checks a new container's settings against its pod (--pod), creating it
// for new:NAME, and completes them: the pod's ID, its volumes, the network of its
// infra, the user namespace mappings.
func (r *Runtime) resolvePod(ctx context.Context, o *CreateOptions) error {
	c := &o.ContainerConfig
	if o.pod.infra {
		return nil
	}
	if c.PodInfra {
		return fmt.Errorf("container %q: PodInfra is set only by CreatePod", c.Name)
	}
	if c.Pod == "" {
		return nil
	}
	if name, ok := strings.CutPrefix(c.Pod, newPodPrefix); ok {
		// As podman: the container's network settings go to the new pod's infra.
		infra := ContainerConfig{ExitCommand: c.ExitCommand, CgroupsMode: c.CgroupsMode}
		moveNetwork(&infra, c)
		p, err := r.CreatePod(ctx, PodOptions{PodConfig: PodConfig{Name: name, Infra: infra}})
		if err != nil {
			return fmt.Errorf("--pod %s: %w", c.Pod, err)
		}
		o.pod.created = p.ID
		c.Pod = p.ID
	}
	p, err := r.LookupPod(c.Pod)
	if err != nil {
		return err
	}
	if err := checkMember(p, c); err != nil {
		return err
	}
	c.Pod = p.ID
	if len(p.Config.Volumes) > 0 {
		c.Volumes = append(append([]string(nil), p.Config.Volumes...), c.Volumes...)
	}
	if p.shares(shareNet) {
		// The member has no network of its own: it joins the infra's.
		c.Network = containerNetworkPrefix + p.InfraID
	}
	if p.sharesUserNS() {
		// The same mappings as the infra's, so that the member's files belong to the
		// user namespace it joins.
		sc, err := r.store.Container(p.InfraID)
		if err != nil {
			return fmt.Errorf("pod %s: its infra container: %w", p.Name, err)
		}
		c.UIDMap, c.GIDMap = formatIDMaps(sc.UIDMap), formatIDMaps(sc.GIDMap)
	}
	return nil
}

// moveNetwork moves a container's network settings to the infra of the pod that
// --pod new:NAME makes for it, as podman does.
func moveNetwork(infra, c *ContainerConfig) {
	infra.Network, infra.Networks, infra.Publish, infra.PublishAll = c.Network, c.Networks, c.Publish, c.PublishAll
	infra.IP, infra.IP6, infra.MACAddress, infra.NetworkAliases = c.IP, c.IP6, c.MACAddress, c.NetworkAliases
	infra.AddHosts, infra.DNS, infra.DNSSearch, infra.DNSOptions = c.AddHosts, c.DNS, c.DNSSearch, c.DNSOptions
	c.Network, c.Networks, c.Publish, c.PublishAll = "", nil, nil, false
	c.IP, c.IP6, c.MACAddress, c.NetworkAliases = "", "", "", nil
	c.AddHosts, c.DNS, c.DNSSearch, c.DNSOptions = nil, nil, nil, nil
}

// containerNetworkPrefix is --network container:ID.
const containerNetworkPrefix = "container:"

// checkMember refuses the settings a member cannot have because it shares them with
// the pod, with podman's reasons.
func checkMember(p *Pod, c *ContainerConfig) error {
	refuse := func(what, where string) error {
		return fmt.Errorf("%s cannot be set for a container in pod %s, which shares its %s: set it on the pod",
			what, p.Name, where)
	}
	if p.shares(shareNet) {
		switch {
		case c.Network != "" || len(c.Networks) > 0:
			return refuse("--network", "network")
		case len(c.Publish) > 0 || c.PublishAll:
			return refuse("--publish", "network")
		case c.IP != "" || c.IP6 != "" || c.MACAddress != "" || len(c.NetworkAliases) > 0:
			return refuse("--ip, --ip6, --mac-address and --network-alias", "network")
		case len(c.AddHosts) > 0:
			return refuse("--add-host", "network")
		case len(c.DNS)+len(c.DNSSearch)+len(c.DNSOptions) > 0:
			return refuse("--dns, --dns-search and --dns-option", "network")
		}
	}
	if p.shares(shareUTS) && c.Hostname != "" {
		return refuse("--hostname", "UTS namespace")
	}
	if p.sharesUserNS() && (c.UserNS != "" || len(c.UIDMap)+len(c.GIDMap) > 0 || c.SubUIDName != "" || c.SubGIDName != "") {
		return refuse("the user namespace (--userns, --uidmap, --gidmap, --subuidname, --subgidname)", "user namespace")
	}
	return nil
}

// formatIDMaps writes mappings as --uidmap and --gidmap take them.
func formatIDMaps(maps []idtools.IDMap) []string {
	out := make([]string, 0, len(maps))
	for _, m := range maps {
		out = append(out, fmt.Sprintf("%d:%d:%d", m.ContainerID, m.HostID, m.Size))
	}
	return out
}

// lockPodForMember takes the pod's lock shared for the rest of the create: a pod rm
// (which takes it exclusively) then either comes first, and the create fails here,
// or after, and finds the new container among the pod's.
func (r *Runtime) lockPodForMember(ctx context.Context, o *CreateOptions) error {
	if o.Pod == "" || o.pod.infra {
		return nil
	}
	coll, err := r.pods()
	if err != nil {
		return err
	}
	h, err := r.lockPodID(ctx, coll, o.Pod, lock.Shared)
	if err != nil {
		return err
	}
	if h.p == nil {
		h.release()
		return fmt.Errorf("pod %s was removed while the container was created: %w", shortID(o.Pod), ErrNoSuchPod)
	}
	o.pod.held = h
	return nil
}

// podCreateDone ends CreateContainer's hold on the pod; a pod that --pod new:NAME made
// goes again when the container was not created.
func (r *Runtime) podCreateDone(ctx context.Context, o *CreateOptions) {
	o.pod.held.release()
	if o.pod.created == "" {
		return
	}
	members, err := r.podMembers(o.pod.created)
	if err != nil {
		return
	}
	for _, m := range members {
		if !m.Config.PodInfra {
			return
		}
	}
	if err := r.RemovePod(context.WithoutCancel(ctx), o.pod.created, RemovePodOptions{Force: true, Ignore: true}); err != nil {
		r.log.Warn("removing the pod made for a container that was not created", "pod", shortID(o.pod.created), "error", err)
	}
}

// startPodInfra starts the infra of the pod of c (a member) before c starts.
func (r *Runtime) startPodInfra(ctx context.Context, c *Container) error {
	if c.Config.Pod == "" || c.Config.PodInfra {
		return nil
	}
	p, err := r.podOf(c)
	if err != nil {
		return err
	}
	_, err = r.startInfra(ctx, p)
	return err
}

// podOf is the record of a member's pod.
func (r *Runtime) podOf(c *Container) (*Pod, error) {
	p, err := r.LookupPod(c.Config.Pod)
	if errors.Is(err, ErrNoSuchPod) {
		return nil, fmt.Errorf("container %s belongs to pod %s, which does not exist any more; remove the container: %w",
			shortID(c.ID), shortID(c.Config.Pod), err)
	}
	return p, err
}

// podSpec makes a member's spec join its pod's infra's namespaces (through
// /proc/PID/ns of the infra's process, which runs: startPodInfra started it) and
// share its /etc files; the infra and the members share the pod's /dev/shm
// (pod_shm.go).
func (r *Runtime) podSpec(c *Container, so *spec.Options) error {
	if c.Config.Pod == "" {
		return nil
	}
	p, err := r.podOf(c)
	if err != nil || p.InfraID == "" {
		return err
	}
	if p.shares(shareIPC) {
		// POSIX shared memory lives in /dev/shm: the pod's, for the infra and all.
		shm, err := r.mountPodShm(p)
		if err != nil {
			return err
		}
		so.Mounts = append(so.Mounts, spec.Mount{Type: "bind", Source: shm, Destination: "/dev/shm",
			Options: []string{"rbind", "nosuid", "noexec", "nodev"}})
	}
	if c.Config.PodInfra {
		return nil
	}
	infra, err := r.ObservedContainer(p.InfraID)
	if err != nil {
		return fmt.Errorf("pod %s: its infra container: %w", p.Name, err)
	}
	if !infra.Running() || infra.State.Pid == 0 {
		return fmt.Errorf("pod %s: its infra container %s does not run: %w", p.Name, infra.Name, ErrInvalidState)
	}
	ns := func(kind string) string { return fmt.Sprintf("/proc/%d/ns/%s", infra.State.Pid, kind) }
	file := func(name string) string {
		if path := filepath.Join(infra.Bundle, name); fileExists(path) {
			return path
		}
		return ""
	}
	if p.shares(shareNet) {
		so.Namespaces.Network = ns("net")
		so.HostsFile, so.ResolvConfFile = file("hosts"), file("resolv.conf")
	}
	if p.shares(shareUTS) {
		so.Namespaces.UTS = ns("uts")
		so.Hostname, so.HostnameFile = "", file("hostname")
	}
	if p.shares(shareIPC) {
		so.Namespaces.IPC = ns("ipc")
	}
	if p.shares(sharePID) {
		so.Namespaces.PID = ns("pid")
	}
	if p.shares(shareCgroup) {
		so.Namespaces.Cgroup = ns("cgroup")
	}
	if p.sharesUserNS() {
		so.Namespaces.User = ns("user")
	}
	return nil
}
