package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.podman.io/common/libnetwork/types"
	"golang.org/x/sys/unix"

	"github.com/berth-containers/berth/engine/network"
	"github.com/berth-containers/berth/engine/spec"
)

// networks opens the engine's networks as podman keeps them: config files in
// <graphroot>/networks, allocations and aardvark-dns's files in <runroot>/networks.
func (r *Runtime) networks() (*network.Manager, error) {
	return network.New(network.Config{
		ConfigDir:  filepath.Join(r.store.GraphRoot(), "networks"),
		RunDir:     filepath.Join(r.store.RunRoot(), "networks"),
		Containers: r.cfg, Log: r.log,
	})
}

// netnsPath is where berth keeps the network namespace it makes for a container.
func (r *Runtime) netnsPath(c *Container) string { return filepath.Join(r.RunDir(), "netns", c.ID) }

// netPlan is the record's network plan. Records made before berth had networks have
// none: their "" meant a namespace with loopback only.
func (c *Container) netPlan() NetworkPlan {
	if c.Net.Mode != "" {
		return c.Net
	}
	if c.Config.Network == NetworkHost {
		return NetworkPlan{Mode: NetworkHost}
	}
	return NetworkPlan{Mode: NetworkNone}
}

// networkSpec puts the container's network namespace in the spec. A bridge
// container's namespace is made and set up here, at each start, before the spec that
// names it is written; cleanupLocked undoes it.
func (r *Runtime) networkSpec(c *Container, so *spec.Options) error {
	plan := c.netPlan()
	switch plan.Mode {
	case NetworkHost:
		so.Namespaces.Network = spec.NSHost
		if so.Hostname == "" {
			// As podman: the host's network brings the host's name.
			so.Namespaces.UTS = spec.NSHost
		}
	case NetworkNone:
		so.Namespaces.Network = spec.NSNone
	case NetworkNS:
		so.Namespaces.Network = plan.Join
	case NetworkContainer:
		path, err := r.NetworkNamespacePath(plan.Join)
		if err != nil {
			return fmt.Errorf("container %s joins the network of container %s: %w", shortID(c.ID), shortID(plan.Join), err)
		}
		so.Namespaces.Network = path
	case NetworkBridge:
		path, err := r.setupNetwork(c, plan)
		if err != nil {
			return err
		}
		so.Namespaces.Network = path
	}
	r.defaultSysctls(so, plan.Mode)
	return nil
}

// setupNetwork makes the container's namespace and has netavark connect it.
func (r *Runtime) setupNetwork(c *Container, plan NetworkPlan) (string, error) {
	m, err := r.networks()
	if err != nil {
		return "", err
	}
	path := r.netnsPath(c)
	if err := network.NewNamespace(path); err != nil {
		return "", fmt.Errorf("container %s: %w", shortID(c.ID), err)
	}
	c.State.Net.NSPath = path
	status, err := m.Setup(path, r.networkOptions(c, plan))
	if err != nil {
		return "", fmt.Errorf("container %s: setting up its network: %w", shortID(c.ID), wrapNetworkError(err))
	}
	c.State.Net.Status = status
	return path, nil
}

// networkOptions is what netavark is told about the container.
func (r *Runtime) networkOptions(c *Container, plan NetworkPlan) types.NetworkOptions {
	var dns []string
	for _, d := range c.Config.DNS {
		if d != "none" {
			dns = append(dns, d)
		}
	}
	return types.NetworkOptions{ContainerID: c.ID, ContainerName: c.Name, PortMappings: plan.Ports,
		Networks: plan.Networks, DNSServers: dns, ContainerHostname: c.Config.Hostname}
}

// releaseNetwork undoes setupNetwork: netavark's teardown (firewall and port rules,
// interfaces, addresses, DNS entries) and the namespace. It works from the namespace
// file on disk, not only from the record, so that it also cleans up after a berth
// killed in the middle of a start; doing it again does nothing. A failed teardown is
// logged, not returned: the container must stay removable.
func (r *Runtime) releaseNetwork(c *Container) error {
	path := c.State.Net.NSPath
	if path == "" {
		path = r.netnsPath(c)
		if _, err := os.Lstat(path); err != nil {
			return nil
		}
	}
	if plan := c.netPlan(); plan.Mode == NetworkBridge && len(plan.Networks) > 0 {
		m, err := r.networks()
		if err == nil {
			err = m.Teardown(path, r.networkOptions(c, plan))
		}
		if err != nil {
			r.log.Warn("tearing down the network of a container failed", "container", shortID(c.ID), "error", err)
		}
	}
	if err := network.RemoveNamespace(path); err != nil {
		return fmt.Errorf("container %s: %w", shortID(c.ID), err)
	}
	c.State.Net = NetworkState{}
	return nil
}

// NetworkNamespacePath is the network namespace of a running container, for another
// to join (--network container:ID, a pod's members): the namespace berth made for it,
// else its process's; spec.NSHost ("host") when it uses the host's network.
func (r *Runtime) NetworkNamespacePath(ref string) (string, error) {
	c, err := r.ObservedContainer(ref)
	if err != nil {
		return "", err
	}
	if c.netPlan().Mode == NetworkHost {
		return spec.NSHost, nil
	}
	if !c.Running() || c.State.Pid == 0 {
		return "", fmt.Errorf("container %s does not run: its network namespace exists only while it runs: %w",
			c.Name, ErrInvalidState)
	}
	if p := c.State.Net.NSPath; p != "" {
		return p, nil
	}
	return fmt.Sprintf("/proc/%d/ns/net", c.State.Pid), nil
}

// defaultSysctls adds containers.conf's default_sysctls of the network namespace
// (podman's net.ipv4.ping_group_range) to a container with a namespace of its own;
// one the user set with --sysctl is the user's. A default that this machine cannot
// write (a read-only /proc/sys, as in a systemd-nspawn container) is skipped with a
// warning: the runtime would fail the whole container for it. The user's own
// --sysctl is never skipped.
func (r *Runtime) defaultSysctls(so *spec.Options, mode string) {
	if mode != NetworkBridge && mode != NetworkNone {
		return // the host's or another container's namespace: not this container's to change
	}
	for _, kv := range r.cfg.Sysctls() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "net.") {
			continue
		}
		if _, set := so.Sysctls[k]; set {
			continue
		}
		if !sysctlWritable(k) {
			r.log.Warn("skipping a default sysctl of containers.conf: /proc/sys is read-only here", "sysctl", kv)
			continue
		}
		if so.Sysctls == nil {
			so.Sysctls = map[string]string{}
		}
		so.Sysctls[k] = v
	}
}

// sysctlWritable reports whether this process could write the sysctl, as the
// runtime will have to.
var sysctlWritable = func(key string) bool {
	err := unix.Access(filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/")), unix.W_OK)
	return !errors.Is(err, unix.EROFS)
}

// hostGateway is --add-host's special address: the host, as the container reaches it.
const hostGateway = "host-gateway"

// hostGatewayIP is the address --add-host NAME:host-gateway stands for: containers.conf's
// host_containers_internal_ip when set, else the gateway of the container's first
// network (what host.containers.internal names), 127.0.0.1 with the host's network.
func (r *Runtime) hostGatewayIP(c *Container) (string, error) {
	if ip := r.cfg.Containers.HostContainersInternalIP; ip != "" && ip != "none" {
		return ip, nil
	}
	plan := c.netPlan()
	switch {
	case plan.Mode == NetworkHost:
		return "127.0.0.1", nil
	case plan.Mode == NetworkBridge && len(plan.Networks) > 0:
		v4, v6, _ := network.FirstAddresses(c.State.Net.Status[plan.Networks[0].Name])
		if v4.Gateway != nil {
			return v4.Gateway.String(), nil
		}
		if v6.Gateway != nil {
			return v6.Gateway.String(), nil
		}
	}
	return "", fmt.Errorf("no address reaches the host from network mode %q (give one in containers.conf's host_containers_internal_ip)", plan.Mode)
}

// ownHostsLines are the /etc/hosts lines that name the container itself: its
// addresses on its first network, and host.containers.internal (the host, through
// the network's gateway); without a network, 127.0.1.1.
func (c *Container) ownHostsLines(hostname string) string {
	names := hostname
	if c.Name != hostname {
		names += " " + c.Name
	}
	plan := c.netPlan()
	if plan.Mode != NetworkBridge || len(plan.Networks) == 0 {
		return fmt.Sprintf("127.0.1.1\t%s\n", names)
	}
	first := plan.Networks[0].Name
	for _, a := range c.Config.NetworkAliases {
		if !slices.Contains(strings.Fields(names), a) {
			names += " " + a
		}
	}
	v4, v6, _ := network.FirstAddresses(c.State.Net.Status[first])
	var b strings.Builder
	if gw := v4.Gateway; gw != nil {
		fmt.Fprintf(&b, "%s\thost.containers.internal host.docker.internal\n", gw)
	}
	for _, a := range []types.NetAddress{v4, v6} {
		if a.IPNet.IP != nil {
			fmt.Fprintf(&b, "%s\t%s\n", a.IPNet.IP, names)
		}
	}
	if b.Len() == 0 {
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", names)
	}
	return b.String()
}

// withNetworkDNS points /etc/resolv.conf at aardvark-dns when a network of the
// container resolves names (and the user gave no --dns): its servers, and the
// dns.podman search domain before the others.
func (c *Container) withNetworkDNS(st *specSettings) *specSettings {
	if len(st.dns) > 0 || st.noResolvConf {
		return st
	}
	var servers, search []string
	for _, n := range c.netPlan().Networks {
		sb := c.State.Net.Status[n.Name]
		for _, ip := range sb.DNSServerIPs {
			if !slices.Contains(servers, ip.String()) {
				servers = append(servers, ip.String())
			}
		}
		for _, d := range sb.DNSSearchDomains {
			if !slices.Contains(search, d) {
				search = append(search, d)
			}
		}
	}
	if len(servers) == 0 {
		return st
	}
	out := *st
	out.dns = servers
	if len(st.dnsSearch) > 0 || len(search) > 0 {
		out.dnsSearch = append(search, st.dnsSearch...)
		if len(st.dnsSearch) == 0 {
			out.dnsSearch = append(out.dnsSearch, hostSearchDomains()...)
		}
	}
	return &out
}

// hostSearchDomains are the search domains of the host's /etc/resolv.conf.
func hostSearchDomains() []string {
	data, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "search" {
			out = append(out, f[1:]...)
		}
	}
	return out
}

// shareEtcFiles gives a container that joins another's network namespace that
// container's /etc/hosts and /etc/resolv.conf, as podman does.
func (r *Runtime) shareEtcFiles(c *Container, so *spec.Options) {
	plan := c.netPlan()
	if plan.Mode != NetworkContainer {
		return
	}
	other, err := r.LookupContainer(plan.Join)
	if err != nil {
		return
	}
	for name, field := range map[string]*string{"hosts": &so.HostsFile, "resolv.conf": &so.ResolvConfFile} {
		if path := filepath.Join(other.Bundle, name); fileExists(path) {
			*field = path
		}
	}
}
