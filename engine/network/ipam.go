package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"

	"go.podman.io/common/libnetwork/types"
)

// ipam is the host-local address allocation: which container has which address on
// which network. It lives in the run folder (the containers that hold addresses do
// not survive a reboot either) and is read and written under the Manager's lock.
type ipam struct{ path string }

// ipamFile is the file's content: per network, address to container ID, and the
// last address given in each subnet, so that a freed address is not reused at once.
type ipamFile struct {
	Networks map[string]*ipamNetwork `json:"networks"`
}

type ipamNetwork struct {
	Leases map[string]string `json:"leases"`
	Last   map[string]string `json:"last,omitempty"` // subnet → last address given
}

func (m *Manager) ipam() *ipam { return &ipam{path: filepath.Join(m.cfg.RunDir, "ipam.json")} }

func (p *ipam) read() (*ipamFile, error) {
	f := &ipamFile{Networks: map[string]*ipamNetwork{}}
	data, err := os.ReadFile(p.path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading address allocations: %w", err)
	}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("reading address allocations %s: %w", p.path, err)
	}
	if f.Networks == nil {
		f.Networks = map[string]*ipamNetwork{}
	}
	return f, nil
}

func (p *ipam) write(f *ipamFile) error {
	if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
		return err
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return writeFileAtomic(p.path, data, 0o600)
}

func (f *ipamFile) network(name string) *ipamNetwork {
	n := f.Networks[name]
	if n == nil {
		n = &ipamNetwork{Leases: map[string]string{}, Last: map[string]string{}}
		f.Networks[name] = n
	}
	if n.Last == nil {
		n.Last = map[string]string{}
	}
	return n
}

// dropNetwork forgets a removed network's allocations.
func (p *ipam) dropNetwork(name string) error {
	f, err := p.read()
	if err != nil {
		return err
	}
	if _, ok := f.Networks[name]; !ok {
		return nil
	}
	delete(f.Networks, name)
	return p.write(f)
}

// release frees every address the container has on the network; it returns them.
func (n *ipamNetwork) release(id string) []net.IP {
	var ips []net.IP
	for ip, owner := range n.Leases {
		if owner == id {
			ips = append(ips, net.ParseIP(ip))
			delete(n.Leases, ip)
		}
	}
	return ips
}

// held returns the addresses the container has on the network.
func (n *ipamNetwork) held(id string) []net.IP {
	var ips []net.IP
	for ip, owner := range n.Leases {
		if owner == id {
			ips = append(ips, normalize(net.ParseIP(ip)))
		}
	}
	return ips
}

// allocate gives the container one address in each subnet of the network: the
// static ones asked for (which must be free and in a subnet), then the next free
// address of each other subnet (in its range, never its network address, gateway or
// broadcast address).
func (n *ipamNetwork) allocate(nw *types.Network, id string, static []net.IP) ([]net.IP, error) {
	done := make([]bool, len(nw.Subnets))
	var out []net.IP
	for _, ip := range static {
		ip = normalize(ip)
		i := subnetOf(nw, ip)
		if i < 0 {
			return nil, fmt.Errorf("address %s is not in a subnet of network %s: %w", ip, nw.Name, ErrInvalid)
		}
		if done[i] {
			return nil, fmt.Errorf("two addresses asked for in subnet %s of network %s: %w", &nw.Subnets[i].Subnet, nw.Name, ErrInvalid)
		}
		if owner, ok := n.Leases[ip.String()]; ok && owner != id {
			return nil, fmt.Errorf("address %s of network %s is already in use by container %.12s: %w", ip, nw.Name, owner, ErrInvalid)
		}
		n.Leases[ip.String()] = id
		done[i] = true
		out = append(out, ip)
	}
	for i := range nw.Subnets {
		if done[i] {
			continue
		}
		ip, err := n.next(&nw.Subnets[i])
		if err != nil {
			return nil, fmt.Errorf("network %s: %w", nw.Name, err)
		}
		n.Leases[ip.String()] = id
		out = append(out, ip)
	}
	return out, nil
}

// next finds the first free address after the last one given in the subnet,
// wrapping around once.
func (n *ipamNetwork) next(s *types.Subnet) (net.IP, error) {
	ipn := &s.Subnet.IPNet
	first, last := firstIP(ipn), lastIP(ipn)
	if lr := s.LeaseRange; lr != nil {
		if lr.StartIP != nil {
			first = normalize(lr.StartIP)
		}
		if lr.EndIP != nil {
			last = normalize(lr.EndIP)
		}
	}
	key := ipn.String()
	start := first
	if prev := net.ParseIP(n.Last[key]); prev != nil {
		prev = normalize(prev)
		if cmpIP(prev, first) >= 0 && cmpIP(prev, last) < 0 {
			start = nextIP(prev)
		}
	}
	// The subnet's last IPv4 address is its broadcast address.
	broadcast := lastIP(ipn)
	if ipn.IP.To4() == nil {
		broadcast = nil
	}
	size := new(big.Int).Sub(ipInt(last), ipInt(first))
	ip := start
	for i := int64(0); size.Cmp(big.NewInt(i)) >= 0; i++ {
		_, taken := n.Leases[ip.String()]
		if !taken && !ip.Equal(s.Gateway) && !ip.Equal(broadcast) && !ip.Equal(ipn.IP) && ipn.Contains(ip) {
			n.Last[key] = ip.String()
			return ip, nil
		}
		if ip.Equal(last) {
			ip = first
		} else {
			ip = nextIP(ip)
		}
	}
	return nil, fmt.Errorf("no free address left in subnet %s: %w", ipn, ErrInvalid)
}

func subnetOf(nw *types.Network, ip net.IP) int {
	for i := range nw.Subnets {
		if nw.Subnets[i].Subnet.Contains(ip) {
			return i
		}
	}
	return -1
}
