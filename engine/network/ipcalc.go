package network

import (
	"math/big"
	"net"
)

// Address arithmetic (libnetwork/util has the same, but its package pulls in
// file-watching dependencies this module does not carry).

// normalize gives IPv4 addresses their 4-byte form, so that they print and compare
// the same however they were parsed.
func normalize(ip net.IP) net.IP {
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

func ipInt(ip net.IP) *big.Int { return new(big.Int).SetBytes(normalize(ip)) }

// intIP turns n back into an address of size bytes.
func intIP(n *big.Int, size int) net.IP {
	b := n.Bytes()
	if len(b) > size {
		b = b[len(b)-size:]
	}
	ip := make(net.IP, size)
	copy(ip[size-len(b):], b)
	return ip
}

func nextIP(ip net.IP) net.IP {
	ip = normalize(ip)
	return intIP(new(big.Int).Add(ipInt(ip), big.NewInt(1)), len(ip))
}

func cmpIP(a, b net.IP) int { return ipInt(a).Cmp(ipInt(b)) }

// firstIP is the subnet's first address after its network address.
func firstIP(s *net.IPNet) net.IP {
	return nextIP(normalize(s.IP.Mask(s.Mask)))
}

// lastIP is the subnet's last address (for IPv4, its broadcast address).
func lastIP(s *net.IPNet) net.IP {
	ip := normalize(s.IP.Mask(s.Mask))
	mask := s.Mask
	if len(mask) == 16 && len(ip) == 4 {
		mask = mask[12:]
	}
	out := make(net.IP, len(ip))
	for i := range ip {
		out[i] = ip[i] | ^mask[i]
	}
	return out
}
