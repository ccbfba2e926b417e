package engine

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"go.podman.io/common/libimage"
	"go.podman.io/common/libnetwork/types"

	"github.com/berth-containers/berth/engine/network"
)

// A container's network, from its flags to its record: ContainerConfig keeps the
// flags (Network, Networks, IP, IP6, MACAddress, NetworkAliases, Publish, PublishAll,
// Expose); networkRequest parses them; planNetwork resolves them at create into the
// record's NetworkPlan (network names, interface names, host ports); at each start
// the namespace is made and set up (container_netns.go).

// Network modes of a NetworkPlan.
const (
	NetworkBridge    = "bridge"    // a namespace of its own on networks (the default)
	NetworkContainer = "container" // another container's namespace
	NetworkNS        = "ns"        // a namespace file (ns:PATH)
)

// PortMapping is a published port (-p): HostPort on the host's HostIP (all
// addresses when empty) forwards to ContainerPort, Range ports from there.
type PortMapping = types.PortMapping

// NetworkPlan is the network a container gets, decided at create.
type NetworkPlan struct {
	Mode string `json:"mode,omitempty"` // bridge, none, host, container, ns
	// Join is the container's ID (container) or the namespace's path (ns).
	Join string `json:"join,omitempty"`
	// Networks are the networks of a bridge container, in order, with their
	// interface names and per-network options.
	Networks []types.NamedPerNetworkOptions `json:"networks,omitempty"`
	Ports    []PortMapping                  `json:"ports,omitempty"`   // host ports chosen
	Exposed  []PortMapping                  `json:"exposed,omitempty"` // --expose and the image's, not published
}

// NetworkState is the network a running container has: the namespace berth made
// for it (bridge) and what netavark gave it on each network.
type NetworkState struct {
	NSPath string                       `json:"nsPath,omitempty"`
	Status map[string]types.StatusBlock `json:"status,omitempty"`
}

// netRequest is the network flags of a ContainerConfig, parsed.
type netRequest struct {
	mode     string
	join     string                         // the container reference, or the namespace path
	networks []types.NamedPerNetworkOptions // "" is the default network
	ports    []PortMapping
	exposed  []PortMapping
	all      bool // -P
}

// networkRequest parses the network flags; it needs no runtime.
func (c *ContainerConfig) networkRequest() (*netRequest, error) {
	values := slices.Clone(c.Networks)
	if c.Network != "" {
		values = append([]string{c.Network}, values...)
	}
	req := &netRequest{mode: NetworkBridge}
	for _, v := range values {
		name, opts, hasOpts := strings.Cut(v, ":")
		switch name {
		case NetworkNone, NetworkHost, NetworkContainer, NetworkNS:
			if len(values) > 1 {
				return nil, fmt.Errorf("--network %s cannot be combined with other networks", v)
			}
			req.mode, req.join = name, opts
			if (name == NetworkNone || name == NetworkHost) && hasOpts {
				return nil, fmt.Errorf("--network %s takes no options", v)
			}
			if (name == NetworkContainer || name == NetworkNS) && opts == "" {
				return nil, fmt.Errorf("--network %s: want %s:%s", v, name, map[string]string{NetworkContainer: "ID|NAME", NetworkNS: "PATH"}[name])
			}
			if name == NetworkNS && !strings.HasPrefix(opts, "/") {
				return nil, fmt.Errorf("--network %s: the namespace path must be absolute", v)
			}
			continue
		case "slirp4netns", "pasta":
			return nil, unsupported("--network=%s (rootless networking)", v)
		case "", NetworkBridge, "private":
			name = "" // the default network
		}
		n := types.NamedPerNetworkOptions{Name: name}
		if hasOpts {
			if err := parseNetworkOptions(v, opts, &n.PerNetworkOptions); err != nil {
				return nil, err
			}
		}
		if slices.ContainsFunc(req.networks, func(o types.NamedPerNetworkOptions) bool { return o.Name == name }) {
			return nil, fmt.Errorf("--network %s is given twice", v)
		}
		req.networks = append(req.networks, n)
	}
	if err := c.applyNetworkFlags(req); err != nil {
		return nil, err
	}
	if req.mode == NetworkContainer && len(c.AddHosts)+len(c.DNS)+len(c.DNSSearch)+len(c.DNSOptions) > 0 {
		// As podman: the files are the other container's.
		return nil, fmt.Errorf("--add-host and --dns* cannot be set with --network container: the container uses the other's /etc/hosts and /etc/resolv.conf")
	}
	for _, p := range c.Publish {
		list, err := network.ParsePublish(p)
		if err != nil {
			return nil, err
		}
		req.ports = append(req.ports, list...)
	}
	if err := network.CheckPorts(req.ports); err != nil {
		return nil, err
	}
	req.all = c.PublishAll
	for _, e := range c.Expose {
		list, err := network.ParseExpose(e)
		if err != nil {
			return nil, err
		}
		req.exposed = append(req.exposed, list...)
	}
	return req, nil
}

// parseNetworkOptions reads --network NAME:OPTIONS: ip=, ip6=, mac=, alias= (each
// repeatable but mac) and interface_name=, separated by commas.
func parseNetworkOptions(flag, opts string, o *types.PerNetworkOptions) error {
	for _, kv := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(kv, "=")
		if v == "" {
			return fmt.Errorf("--network %s: option %q has no value", flag, kv)
		}
		switch k {
		case "ip", "ip6":
			ip := net.ParseIP(v)
			if ip == nil || (k == "ip") != (ip.To4() != nil) {
				return fmt.Errorf("--network %s: %s=%s is not an IPv%s address", flag, k, v, map[string]string{"ip": "4", "ip6": "6"}[k])
			}
			o.StaticIPs = append(o.StaticIPs, ip)
		case "mac":
			mac, err := net.ParseMAC(v)
			if err != nil {
				return fmt.Errorf("--network %s: mac=%s: %v", flag, v, err)
			}
			o.StaticMAC = types.HardwareAddr(mac)
		case "alias":
			o.Aliases = append(o.Aliases, v)
		case "interface_name":
			o.InterfaceName = v
		default:
			return fmt.Errorf("--network %s: unknown option %q (use ip, ip6, mac, alias, interface_name)", flag, k)
		}
	}
	return nil
}

// applyNetworkFlags adds --ip, --ip6 and --mac-address (for the only network) and
// --network-alias (for every network) to a bridge request; other modes take none.
func (c *ContainerConfig) applyNetworkFlags(req *netRequest) error {
	given := map[string]bool{"--ip": c.IP != "", "--ip6": c.IP6 != "", "--mac-address": c.MACAddress != "",
		"--network-alias": len(c.NetworkAliases) > 0}
	for _, flag := range []string{"--ip", "--ip6", "--mac-address", "--network-alias"} {
		if given[flag] && req.mode != NetworkBridge {
			return fmt.Errorf("%s needs a bridge network, not --network %s", flag, req.mode)
		}
		if given[flag] && flag != "--network-alias" && len(req.networks) > 1 {
			return fmt.Errorf("%s is for a container on one network; with several, use --network NAME:ip=,ip6=,mac=", flag)
		}
	}
	if req.mode != NetworkBridge {
		return nil
	}
	if len(req.networks) == 0 {
		req.networks = []types.NamedPerNetworkOptions{{}}
	}
	one := &req.networks[0].PerNetworkOptions
	for flag, v := range map[string]string{"--ip": c.IP, "--ip6": c.IP6} {
		if v == "" {
			continue
		}
		ip := net.ParseIP(v)
		if ip == nil || (flag == "--ip") != (ip.To4() != nil) {
			return fmt.Errorf("%s %q: not an IPv%s address", flag, v, map[string]string{"--ip": "4", "--ip6": "6"}[flag])
		}
		one.StaticIPs = append(one.StaticIPs, ip)
	}
	if c.MACAddress != "" {
		mac, err := net.ParseMAC(c.MACAddress)
		if err != nil {
			return fmt.Errorf("--mac-address %q: %v", c.MACAddress, err)
		}
		one.StaticMAC = types.HardwareAddr(mac)
	}
	for i := range req.networks {
		req.networks[i].Aliases = append(req.networks[i].Aliases, c.NetworkAliases...)
	}
	return nil
}

// planNetwork decides the network of a new container: the networks (which must
// exist) with interface names, the joined container, the host ports.
func (r *Runtime) planNetwork(c *Container, img *libimage.ImageData) error {
	req, err := c.Config.networkRequest()
	if err != nil {
		return err
	}
	if req.mode == NetworkBridge && Rootless() && c.Config.Network == "" && len(c.Config.Networks) == 0 &&
		len(req.ports) == 0 && !req.all && c.Config.IP+c.Config.IP6+c.Config.MACAddress == "" && len(c.Config.NetworkAliases) == 0 {
		// Bridges need root; rootless podman's default (pasta, slirp4netns) is not
		// there yet. Say what the container gets rather than let a service wonder.
		r.log.Warn("rootless networking is not supported yet: the container gets only a loopback interface "+
			"(--network=host shares the host's network; --network=none silences this)", "container", shortID(c.ID))
		req.mode = NetworkNone
	}
	plan := NetworkPlan{Mode: req.mode, Join: req.join, Exposed: req.exposed}
	if img != nil && img.Config != nil {
		// As podman: the image's EXPOSE ports show in inspect, and -P publishes them.
		for _, p := range slices.Sorted(maps.Keys(img.Config.ExposedPorts)) {
			if list, err := network.ParseExpose(p); err == nil {
				plan.Exposed = append(plan.Exposed, list...)
			}
		}
	}
	switch req.mode {
	case NetworkContainer:
		other, err := r.LookupContainer(req.join)
		if err != nil {
			return fmt.Errorf("--network container:%s: %w", req.join, err)
		}
		plan.Join = other.ID
	case NetworkBridge:
		if err := r.planBridge(c, req, &plan); err != nil {
			return err
		}
	}
	if req.mode != NetworkBridge && (len(req.ports) > 0 || req.all) {
		// As podman: ports mean nothing without a network of the container's own.
		r.log.Warn("port mappings are dropped: the container has no network of its own", "network", req.mode)
	}
	c.Net = plan
	return nil
}

// planBridge resolves the networks of a bridge container and chooses its host ports.
func (r *Runtime) planBridge(c *Container, req *netRequest, plan *NetworkPlan) error {
	if Rootless() {
		return unsupported("bridge networks for rootless containers (pasta, slirp4netns)")
	}
	m, err := r.networks()
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, n := range req.networks {
		if used[n.InterfaceName] {
			return fmt.Errorf("--network %s: interface_name=%s is given twice", n.Name, n.InterfaceName)
		}
		if n.InterfaceName != "" {
			used[n.InterfaceName] = true
		}
	}
	next := 0
	for _, want := range req.networks {
		ref := want.Name
		if ref == "" {
			ref = m.DefaultName()
		}
		info, err := m.Inspect(ref)
		if err != nil {
			return fmt.Errorf("--network %s: %w", ref, wrapNetworkError(err))
		}
		for _, ip := range want.StaticIPs {
			if !slices.ContainsFunc(info.Subnets, func(s types.Subnet) bool { return s.Subnet.Contains(ip) }) {
				return fmt.Errorf("--network %s: address %s is not in a subnet of the network", info.Name, ip)
			}
		}
		if len(want.Aliases) > 0 && !info.DNSEnabled {
			r.log.Warn("network aliases need DNS, which the network does not have", "network", info.Name)
		}
		o := want.PerNetworkOptions
		if info.DNSEnabled {
			// As podman: the short ID resolves too.
			o.Aliases = append(slices.Clone(o.Aliases), shortID(c.ID))
		}
		for o.InterfaceName == "" {
			name := "eth" + strconv.Itoa(next)
			next++
			if !used[name] {
				o.InterfaceName, used[name] = name, true
			}
		}
		if slices.ContainsFunc(plan.Networks, func(p types.NamedPerNetworkOptions) bool { return p.Name == info.Name }) {
			return fmt.Errorf("--network %s is given twice", info.Name)
		}
		plan.Networks = append(plan.Networks, types.NamedPerNetworkOptions{Name: info.Name, PerNetworkOptions: o})
	}
	ports := slices.Clone(req.ports)
	if req.all {
		for _, e := range plan.Exposed {
			if !slices.ContainsFunc(ports, func(p PortMapping) bool {
				return p.ContainerPort == e.ContainerPort && p.Protocol == e.Protocol
			}) {
				ports = append(ports, e)
			}
		}
	}
	if err := network.AssignHostPorts(ports); err != nil {
		return err
	}
	plan.Ports = ports
	return nil
}
