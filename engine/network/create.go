package network

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.podman.io/common/libnetwork/types"
)

// CreateOptions are podman network create's flags.
type CreateOptions struct {
	Name      string // empty: podmanN, the first free
	Driver    string // bridge (default), macvlan, ipvlan
	Interface string // --interface-name: the bridge's name, or the parent of macvlan/ipvlan
	// Subnets are --subnet CIDRs; Gateways and IPRanges (CIDR or FIRST-LAST) pair with
	// them by rank, as podman pairs the repeated flags.
	Subnets, Gateways, IPRanges []string
	IPv6                        bool // --ipv6: dual stack (a v6 subnet is chosen if none is given)
	Internal                    bool
	DisableDNS                  bool
	DNS                         []string // --dns: servers aardvark-dns forwards to
	Labels                      map[string]string
	Options                     map[string]string // --opt (-o)
	IPAMDriver                  string            // host-local (default), none; dhcp is not supported
	// Ignore returns an existing network of the name unchanged instead of failing.
	Ignore bool
}

// reservedNames are --network modes, which a network cannot be named.
var reservedNames = []string{"bridge", "host", "none", "private", "slirp4netns", "pasta"}

// Create makes a network as podman network create does: a free subnet from
// containers.conf's pools when none is given, a free bridge name, and checks that its
// subnets overlap no other network's nor any address on the host. An existing name
// fails with ErrExists, unless Ignore.
func (m *Manager) Create(o CreateOptions) (types.Network, error) {
	n, err := o.network()
	if err != nil {
		return types.Network{}, err
	}
	var out types.Network
	err = m.locked(func() error {
		nets, err := m.load()
		if err != nil {
			return err
		}
		if old, ok := nets[n.Name]; ok && n.Name != "" {
			if o.Ignore {
				out = *old
				return nil
			}
			return fmt.Errorf("network %s: %w", n.Name, ErrExists)
		}
		if n.Driver == types.IPVLANNetworkDriver {
			if err := m.needNetavark(1, 5, "the ipvlan driver"); err != nil {
				return err
			}
		}
		host, err := m.cfg.host()
		if err != nil {
			return err
		}
		if err := m.complete(n, nets, host); err != nil {
			return err
		}
		if err := m.writeNetwork(n); err != nil {
			return fmt.Errorf("writing network %s: %w", n.Name, err)
		}
		out = *n
		return nil
	})
	return out, err
}

// network checks the flags and turns them into a partial network.
func (o *CreateOptions) network() (*types.Network, error) {
	n := &types.Network{
		Name: o.Name, Driver: o.Driver, NetworkInterface: o.Interface,
		IPv6Enabled: o.IPv6, Internal: o.Internal, DNSEnabled: !o.DisableDNS,
		Labels: maps.Clone(o.Labels), Options: maps.Clone(o.Options),
		IPAMOptions: map[string]string{},
	}
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	if n.Options == nil {
		n.Options = map[string]string{}
	}
	if n.Name != "" {
		if !types.NameRegex.MatchString(n.Name) {
			return nil, fmt.Errorf("network name %q: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: %w", n.Name, ErrInvalid)
		}
		if slices.Contains(reservedNames, n.Name) {
			return nil, fmt.Errorf("network name %q is a --network mode and cannot name a network: %w", n.Name, ErrInvalid)
		}
	}
	switch n.Driver {
	case "":
		n.Driver = types.BridgeNetworkDriver
	case types.BridgeNetworkDriver, types.MacVLANNetworkDriver, types.IPVLANNetworkDriver:
	default:
		return nil, fmt.Errorf("network driver %q (use bridge, macvlan or ipvlan; plugins are not supported): %w", n.Driver, ErrUnsupported)
	}
	switch o.IPAMDriver {
	case "", types.HostLocalIPAMDriver, types.NoneIPAMDriver:
		if o.IPAMDriver != "" {
			n.IPAMOptions[types.Driver] = o.IPAMDriver
		}
	case types.DHCPIPAMDriver:
		return nil, fmt.Errorf("IPAM driver dhcp needs netavark's DHCP proxy, which this netavark does not have: %w", ErrUnsupported)
	default:
		return nil, fmt.Errorf("IPAM driver %q (use host-local or none): %w", o.IPAMDriver, ErrInvalid)
	}
	if err := o.parseSubnets(n); err != nil {
		return nil, err
	}
	for _, d := range o.DNS {
		if net.ParseIP(d) == nil {
			return nil, fmt.Errorf("--dns %q: not an IP address: %w", d, ErrInvalid)
		}
	}
	n.NetworkDNSServers = slices.Clone(o.DNS)
	if n.Driver == types.BridgeNetworkDriver {
		return n, bridgeOptions(n)
	}
	return n, vlanOptions(n)
}

// parseSubnets reads --subnet, --gateway and --ip-range, paired by rank.
func (o *CreateOptions) parseSubnets(n *types.Network) error {
	if len(o.Gateways) > len(o.Subnets) {
		return fmt.Errorf("cannot set more gateways than subnets: %w", ErrInvalid)
	}
	if len(o.IPRanges) > len(o.Subnets) {
		return fmt.Errorf("cannot set more ranges than subnets: %w", ErrInvalid)
	}
	if len(o.Subnets) > 0 && n.IPAMOptions[types.Driver] == types.NoneIPAMDriver {
		return fmt.Errorf("the none IPAM driver takes no subnets: %w", ErrInvalid)
	}
	for i, s := range o.Subnets {
		_, ipn, err := net.ParseCIDR(s)
		if err != nil {
			return fmt.Errorf("--subnet %q: not a subnet in CIDR notation: %w", s, ErrInvalid)
		}
		if v4 := ipn.IP.To4(); v4 != nil {
			ipn.IP = v4
		}
		sub := types.Subnet{Subnet: types.IPNet{IPNet: *ipn}}
		if i < len(o.Gateways) {
			gw := net.ParseIP(o.Gateways[i])
			if gw == nil {
				return fmt.Errorf("--gateway %q: not an IP address: %w", o.Gateways[i], ErrInvalid)
			}
			sub.Gateway = gw
		}
		if i < len(o.IPRanges) {
			lr, err := parseRange(o.IPRanges[i])
			if err != nil {
				return err
			}
			sub.LeaseRange = lr
		}
		n.Subnets = append(n.Subnets, sub)
	}
	return nil
}

// parseRange reads --ip-range: a CIDR (its usable addresses) or FIRST-LAST.
func parseRange(s string) (*types.LeaseRange, error) {
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, b := net.ParseIP(first), net.ParseIP(last)
		if a == nil || b == nil || cmpIP(a, b) > 0 {
			return nil, fmt.Errorf("--ip-range %q: want a CIDR or FIRST-LAST addresses: %w", s, ErrInvalid)
		}
		return &types.LeaseRange{StartIP: a, EndIP: b}, nil
	}
	_, ipn, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("--ip-range %q: want a CIDR or FIRST-LAST addresses: %w", s, ErrInvalid)
	}
	return &types.LeaseRange{StartIP: firstIP(ipn), EndIP: lastIP(ipn)}, nil
}

// bridgeOptions checks the bridge driver's options that netavark 1.4 knows (mtu,
// isolate, metric), taking docker's names for the bridge name and the MTU.
func bridgeOptions(n *types.Network) error {
	for k, v := range n.Options {
		switch k {
		case "com.docker.network.bridge.name":
			n.NetworkInterface = v
			delete(n.Options, k)
		case "com.docker.network.driver.mtu":
			delete(n.Options, k)
			k = types.MTUOption
			n.Options[k] = v
			fallthrough
		case types.MTUOption:
			if mtu, err := strconv.Atoi(v); err != nil || mtu < 0 {
				return fmt.Errorf("-o mtu=%s: not a number: %w", v, ErrInvalid)
			}
		case types.IsolateOption:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("-o isolate=%s: use true or false: %w", v, ErrInvalid)
			}
			n.Options[k] = strconv.FormatBool(b) // netavark reads only true and false
		case types.MetricOption:
			if _, err := strconv.ParseUint(v, 10, 32); err != nil {
				return fmt.Errorf("-o metric=%s: not a number: %w", v, ErrInvalid)
			}
		default:
			return fmt.Errorf("bridge network option %q (this netavark knows mtu, isolate and metric): %w", k, ErrUnsupported)
		}
	}
	return nil
}

// vlanOptions checks the macvlan and ipvlan options (mode, mtu, metric; parent= is
// the parent interface); these drivers have no DNS.
func vlanOptions(n *types.Network) error {
	n.DNSEnabled = false
	if len(n.NetworkDNSServers) > 0 {
		return fmt.Errorf("--dns needs DNS, which the %s driver does not have: %w", n.Driver, ErrInvalid)
	}
	modes := types.ValidMacVLANModes
	if n.Driver == types.IPVLANNetworkDriver {
		modes = types.ValidIPVLANModes
	}
	for k, v := range n.Options {
		switch k {
		case "parent":
			n.NetworkInterface = v
			delete(n.Options, k)
		case types.ModeOption:
			if !slices.Contains(modes, v) {
				return fmt.Errorf("-o mode=%s: use one of %s: %w", v, strings.Join(modes, ", "), ErrInvalid)
			}
		case types.MTUOption, types.MetricOption:
			if _, err := strconv.ParseUint(v, 10, 32); err != nil {
				return fmt.Errorf("-o %s=%s: not a number: %w", k, v, ErrInvalid)
			}
		default:
			return fmt.Errorf("%s network option %q (use mode, mtu, metric or parent): %w", n.Driver, k, ErrUnsupported)
		}
	}
	if len(n.Subnets) == 0 && n.IPAMOptions[types.Driver] != types.NoneIPAMDriver {
		return fmt.Errorf("a %s network needs --subnet (its DHCP needs netavark's DHCP proxy, which this netavark does not have): %w",
			n.Driver, ErrUnsupported)
	}
	return nil
}

// complete fills in what the flags left out (name, ID, bridge name, subnets,
// gateways) and checks the network against the others and the host.
func (m *Manager) complete(n *types.Network, nets map[string]*types.Network, host hostState) error {
	taken := slices.Clone(host.interfaces)
	for _, o := range nets {
		taken = append(taken, o.Name)
		if o.Driver == types.BridgeNetworkDriver {
			taken = append(taken, o.NetworkInterface)
		}
	}
	if n.Name == "" {
		n.Name = freeName(taken)
	}
	n.ID = newID(nets)
	var used []owned
	switch n.Driver {
	case types.BridgeNetworkDriver:
		if n.NetworkInterface == "" {
			n.NetworkInterface = freeName(taken)
		} else if err := checkBridgeName(n, nets); err != nil {
			return err
		}
		used = usedSubnets(nets, host)
		if n.IPAMOptions[types.Driver] != types.NoneIPAMDriver {
			if err := m.addFreeSubnets(n, used); err != nil {
				return err
			}
		}
	default:
		if n.NetworkInterface != "" && !slices.Contains(host.interfaces, n.NetworkInterface) {
			return fmt.Errorf("network %s: parent interface %s does not exist: %w", n.Name, n.NetworkInterface, ErrInvalid)
		}
	}
	if n.IPAMOptions[types.Driver] == types.NoneIPAMDriver {
		n.DNSEnabled = false
	} else {
		n.IPAMOptions[types.Driver] = types.HostLocalIPAMDriver
	}
	if len(n.NetworkDNSServers) > 0 && !n.DNSEnabled {
		return fmt.Errorf("network %s: --dns needs DNS (drop --disable-dns): %w", n.Name, ErrInvalid)
	}
	if err := checkSubnets(n, used); err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	n.Created = time.Now()
	return nil
}

// checkBridgeName refuses a bridge name another network has, or a bad one.
func checkBridgeName(n *types.Network, nets map[string]*types.Network) error {
	if !types.NameRegex.MatchString(n.NetworkInterface) || len(n.NetworkInterface) > 15 {
		return fmt.Errorf("network %s: bridge name %q: at most 15 of [a-zA-Z0-9_.-]: %w", n.Name, n.NetworkInterface, ErrInvalid)
	}
	for _, o := range nets {
		if o.Driver == types.BridgeNetworkDriver && o.NetworkInterface == n.NetworkInterface {
			return fmt.Errorf("network %s: bridge name %s is already used by network %s: %w", n.Name, n.NetworkInterface, o.Name, ErrInvalid)
		}
	}
	return nil
}

// freeName is podman's choice of a name: podman1, podman2, ... (podman0 is the
// default network's bridge).
func freeName(taken []string) string {
	for i := 1; ; i++ {
		name := "podman" + strconv.Itoa(i)
		if !slices.Contains(taken, name) {
			return name
		}
	}
}

// newID draws a network ID (64 hex digits) that no network starts with.
func newID(nets map[string]*types.Network) string {
	for {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		clash := false
		for _, o := range nets {
			clash = clash || strings.HasPrefix(o.ID, id[:12])
		}
		if !clash {
			return id
		}
	}
}
