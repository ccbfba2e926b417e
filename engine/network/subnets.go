package network

import (
	"crypto/rand"
	"fmt"
	"net"

	"go.podman.io/common/libnetwork/types"
	"go.podman.io/common/pkg/config"
)

// Subnets of new networks: which are in use (by networks and on the host), the free
// ones of the pools, and the checks of those given.

// owned is a subnet in use and who uses it, for the overlap error.
type owned struct {
	subnet *net.IPNet
	owner  string
}

func usedSubnets(nets map[string]*types.Network, host hostState) []owned {
	var used []owned
	for _, o := range nets {
		for i := range o.Subnets {
			used = append(used, owned{&o.Subnets[i].Subnet.IPNet, "network " + o.Name})
		}
	}
	return append(used, host.subnets...)
}

func overlap(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

// addFreeSubnets gives a network without subnets an IPv4 one from the pools, and a
// dual-stack (--ipv6) one the family it lacks.
func (m *Manager) addFreeSubnets(n *types.Network, used []owned) error {
	has4, has6 := false, false
	for _, s := range n.Subnets {
		if s.Subnet.IP.To4() != nil {
			has4 = true
		} else {
			has6 = true
		}
	}
	if !has4 && (len(n.Subnets) == 0 || n.IPv6Enabled) {
		pools := m.conf.Network.DefaultSubnetPools
		if len(pools) == 0 {
			pools = config.DefaultSubnetPools
		}
		s, err := freeSubnet4(pools, used)
		if err != nil {
			return err
		}
		n.Subnets = append(n.Subnets, types.Subnet{Subnet: types.IPNet{IPNet: *s}})
	}
	if n.IPv6Enabled && !has6 {
		s, err := freeSubnet6(used)
		if err != nil {
			return err
		}
		n.Subnets = append(n.Subnets, types.Subnet{Subnet: types.IPNet{IPNet: *s}})
	}
	return nil
}

// freeSubnet4 is the first subnet of the pools that overlaps nothing in use.
func freeSubnet4(pools []config.SubnetPool, used []owned) (*net.IPNet, error) {
	for _, p := range pools {
		if p.Base == nil || p.Base.IP.To4() == nil {
			continue
		}
		mask := net.CIDRMask(p.Size, 32)
		ones, _ := p.Base.Mask.Size()
		step := uint32(1) << (32 - p.Size)
		base := ipToUint(p.Base.IP.To4().Mask(p.Base.Mask))
		count := uint64(1) << (p.Size - ones)
		for i := uint64(0); i < count; i++ {
			cand := &net.IPNet{IP: uintToIP(base + uint32(i)*step), Mask: mask}
			if !overlapsAny(cand, used) {
				return cand, nil
			}
		}
	}
	return nil, fmt.Errorf("no free subnet left in the subnet pools (containers.conf default_subnet_pools): %w", ErrInvalid)
}

// freeSubnet6 draws a unique local /64 (fdXX:XXXX:XXXX:XXXX::/64), as podman does.
func freeSubnet6(used []owned) (*net.IPNet, error) {
	for range 100 {
		ip := make(net.IP, 16)
		_, _ = rand.Read(ip[1:8])
		ip[0] = 0xfd
		cand := &net.IPNet{IP: ip, Mask: net.CIDRMask(64, 128)}
		if !overlapsAny(cand, used) {
			return cand, nil
		}
	}
	return nil, fmt.Errorf("no free IPv6 subnet found: %w", ErrInvalid)
}

func overlapsAny(s *net.IPNet, used []owned) bool {
	for _, u := range used {
		if overlap(s, u.subnet) {
			return true
		}
	}
	return false
}

// checkSubnets checks each subnet (normalized to its network address) against the
// others of the network and those in use, and its gateway and range; a subnet without
// a gateway gets its first address unless the network is internal without DNS.
func checkSubnets(n *types.Network, used []owned) error {
	addGateway := !n.Internal || n.DNSEnabled
	for i := range n.Subnets {
		s := &n.Subnets[i]
		ipn := &s.Subnet.IPNet
		ipn.IP = ipn.IP.Mask(ipn.Mask)
		for j := range i {
			if overlap(ipn, &n.Subnets[j].Subnet.IPNet) {
				return fmt.Errorf("subnets %s and %s overlap: %w", ipn, &n.Subnets[j].Subnet.IPNet, ErrInvalid)
			}
		}
		for _, u := range used {
			if overlap(ipn, u.subnet) {
				return fmt.Errorf("subnet %s overlaps %s of %s: %w", ipn, u.subnet, u.owner, ErrInvalid)
			}
		}
		if s.Gateway != nil {
			if !ipn.Contains(s.Gateway) {
				return fmt.Errorf("gateway %s is not in subnet %s: %w", s.Gateway, ipn, ErrInvalid)
			}
			s.Gateway = normalize(s.Gateway)
		} else if addGateway {
			s.Gateway = firstIP(ipn)
		}
		if lr := s.LeaseRange; lr != nil {
			for _, ip := range []*net.IP{&lr.StartIP, &lr.EndIP} {
				if *ip == nil {
					continue
				}
				if !ipn.Contains(*ip) {
					return fmt.Errorf("IP range address %s is not in subnet %s: %w", *ip, ipn, ErrInvalid)
				}
				*ip = normalize(*ip)
			}
		}
		if s.Subnet.IP.To4() == nil {
			n.IPv6Enabled = true
		}
	}
	return nil
}

func ipToUint(ip net.IP) uint32 {
	return uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
}

func uintToIP(v uint32) net.IP { return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)).To4() }

// hostState is what network create checks against on the host: its interface names,
// and the subnets of its addresses.
type hostState struct {
	interfaces []string
	subnets    []owned
}

func liveHost() (hostState, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return hostState{}, fmt.Errorf("listing the host's interfaces: %w", err)
	}
	var h hostState
	for _, i := range ifs {
		h.interfaces = append(h.interfaces, i.Name)
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				_, s, _ := net.ParseCIDR(ipn.String())
				h.subnets = append(h.subnets, owned{s, "interface " + i.Name + " on the host"})
			}
		}
	}
	return h, nil
}
