package network

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.podman.io/common/libnetwork/types"
)

// testManager opens a Manager on temporary folders, with a host that has eth0 on
// 192.168.1.0/24 (or the given host).
func testManager(t *testing.T, host ...hostState) *Manager {
	t.Helper()
	dir := t.TempDir()
	h := hostState{interfaces: []string{"lo", "eth0"}, subnets: []owned{{mustNet(t, "192.168.1.0/24"), "interface eth0 on the host"}}}
	if len(host) > 0 {
		h = host[0]
	}
	m, err := New(Config{ConfigDir: filepath.Join(dir, "networks"), RunDir: filepath.Join(dir, "run"),
		LockPath: filepath.Join(dir, "lock"), host: func() (hostState, error) { return h, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustNet(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateFillsInAsPodman(t *testing.T) {
	m := testManager(t)
	n, err := m.Create(CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The first free name and bridge, the first subnet of the default pools.
	if n.Name != "podman1" || n.NetworkInterface != "podman1" {
		t.Errorf("name %q bridge %q, want podman1 for both", n.Name, n.NetworkInterface)
	}
	if len(n.Subnets) != 1 || n.Subnets[0].Subnet.String() != "10.89.0.0/24" || n.Subnets[0].Gateway.String() != "10.89.0.1" {
		t.Errorf("subnets %+v, want 10.89.0.0/24 via 10.89.0.1", n.Subnets)
	}
	if !n.DNSEnabled || n.Driver != "bridge" || n.IPAMOptions["driver"] != "host-local" || len(n.ID) != 64 {
		t.Errorf("got %+v, want DNS on, bridge, host-local and a 64-digit ID", n)
	}
	// The file is podman's format, readable as libnetwork's type.
	data, err := os.ReadFile(filepath.Join(m.cfg.ConfigDir, "podman1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back types.Network
	if err := json.Unmarshal(data, &back); err != nil || back.ID != n.ID || !strings.Contains(string(data), `"dns_enabled": true`) {
		t.Errorf("file %s does not hold the network (%v)", data, err)
	}
	// A second network gets the next subnet.
	n2, err := m.Create(CreateOptions{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if n2.Subnets[0].Subnet.String() != "10.89.1.0/24" || n2.NetworkInterface != "podman2" {
		t.Errorf("second network %+v: want 10.89.1.0/24 on bridge podman2", n2)
	}
	list, err := m.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Name)
	}
	if strings.Join(names, ",") != "podman,podman1,web" {
		t.Errorf("list %v, want the default network and both", names)
	}
	def, err := m.Inspect("podman")
	if err != nil || def.NetworkInterface != "podman0" || def.Subnets[0].Subnet.String() != "10.88.0.0/16" || def.DNSEnabled {
		t.Errorf("default network %+v (%v): want podman0 on 10.88.0.0/16 without DNS", def, err)
	}
	if got, err := m.Inspect(n2.ID[:10]); err != nil || got.Name != "web" {
		t.Errorf("inspect by ID prefix: %v %v", got.Name, err)
	}
}

func TestCreateRefusesOverlapsAndCreatesNothing(t *testing.T) {
	m := testManager(t)
	if _, err := m.Create(CreateOptions{Name: "a", Subnets: []string{"10.89.210.0/24"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, subnet, want string }{
		{"b", "10.89.210.128/25", "overlaps 10.89.210.0/24 of network a"},
		{"c", "10.89.0.0/16", "overlaps 10.89.210.0/24 of network a"},
		{"d", "10.88.5.0/24", "of network podman"},
		{"e", "192.168.1.0/28", "of interface eth0 on the host"},
	} {
		_, err := m.Create(CreateOptions{Name: tc.name, Subnets: []string{tc.subnet}})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s on %s: got %v, want an error with %q", tc.name, tc.subnet, err, tc.want)
		}
		if _, err := os.Stat(filepath.Join(m.cfg.ConfigDir, tc.name+".json")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a file was written despite the error", tc.name)
		}
	}
}

func TestCreateChecksFlags(t *testing.T) {
	m := testManager(t)
	for _, tc := range []struct {
		o    CreateOptions
		want string
		is   error
	}{
		{CreateOptions{Name: "bad name"}, "names must match", ErrInvalid},
		{CreateOptions{Name: "host"}, "is a --network mode", ErrInvalid},
		{CreateOptions{Name: "x", Driver: "weave"}, "plugins are not supported", ErrUnsupported},
		{CreateOptions{Name: "x", Subnets: []string{"10.89.211.0/24"}, Gateways: []string{"10.89.212.1"}}, "not in subnet", ErrInvalid},
		{CreateOptions{Name: "x", Gateways: []string{"10.89.212.1"}}, "more gateways than subnets", ErrInvalid},
		{CreateOptions{Name: "x", Subnets: []string{"10.89.211.0/24"}, IPRanges: []string{"10.89.219.0/25"}}, "not in subnet", ErrInvalid},
		{CreateOptions{Name: "x", Subnets: []string{"nonsense"}}, "CIDR", ErrInvalid},
		{CreateOptions{Name: "x", IPAMDriver: "dhcp"}, "DHCP", ErrUnsupported},
		{CreateOptions{Name: "x", Options: map[string]string{"vlan": "5"}}, `option "vlan"`, ErrUnsupported},
		{CreateOptions{Name: "x", Options: map[string]string{"mtu": "big"}}, "mtu=big", ErrInvalid},
		{CreateOptions{Name: "x", Driver: "macvlan", Options: map[string]string{"parent": "eth9"}, Subnets: []string{"10.89.213.0/24"}}, "eth9 does not exist", ErrInvalid},
		{CreateOptions{Name: "x", Driver: "macvlan", Interface: "eth0"}, "needs --subnet", ErrUnsupported},
		{CreateOptions{Name: "x", Driver: "macvlan", Options: map[string]string{"mode": "l2"}}, "mode=l2", ErrInvalid},
		{CreateOptions{Name: "x", DisableDNS: true, DNS: []string{"9.9.9.9"}}, "--dns needs DNS", ErrInvalid},
		{CreateOptions{Name: "x", DNS: []string{"nine"}}, "not an IP", ErrInvalid},
		{CreateOptions{Name: "x", IPAMDriver: "none", Subnets: []string{"10.89.214.0/24"}}, "takes no subnets", ErrInvalid},
	} {
		_, err := m.Create(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) {
			t.Errorf("%+v: got %v, want %q (%v)", tc.o, err, tc.want, tc.is)
		}
	}
	if list, _ := m.List(); len(list) != 1 {
		t.Errorf("failed creates left %d networks, want only the default", len(list))
	}
}

func TestCreateOptionsAndRanges(t *testing.T) {
	m := testManager(t)
	n, err := m.Create(CreateOptions{Name: "full", Subnets: []string{"10.89.215.7/24"}, Gateways: []string{"10.89.215.254"},
		IPRanges: []string{"10.89.215.128/25"}, Internal: true, DNS: []string{"9.9.9.9"}, Interface: "berthbr9",
		Labels: map[string]string{"app": "web"}, Options: map[string]string{"isolate": "1", "mtu": "1400"}})
	if err != nil {
		t.Fatal(err)
	}
	s := n.Subnets[0]
	if s.Subnet.String() != "10.89.215.0/24" || s.Gateway.String() != "10.89.215.254" ||
		s.LeaseRange.StartIP.String() != "10.89.215.129" || s.LeaseRange.EndIP.String() != "10.89.215.255" {
		t.Errorf("subnet %+v range %+v", s, s.LeaseRange)
	}
	if !n.Internal || n.NetworkInterface != "berthbr9" || n.Options["isolate"] != "true" || n.Labels["app"] != "web" ||
		len(n.NetworkDNSServers) != 1 {
		t.Errorf("network %+v", n)
	}
	// Dual stack: --ipv6 adds a unique local /64 next to the given IPv4 subnet.
	d, err := m.Create(CreateOptions{Name: "dual", IPv6: true, Subnets: []string{"10.89.216.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Subnets) != 2 || !d.IPv6Enabled || !strings.HasPrefix(d.Subnets[1].Subnet.String(), "fd") ||
		!strings.HasSuffix(d.Subnets[1].Subnet.String(), "/64") {
		t.Errorf("dual stack subnets %+v", d.Subnets)
	}
	// A bridge name in use is refused; --ignore returns the existing network as it is.
	if _, err := m.Create(CreateOptions{Name: "other", Interface: "berthbr9"}); err == nil || !strings.Contains(err.Error(), "already used by network full") {
		t.Errorf("same bridge name: %v", err)
	}
	if _, err := m.Create(CreateOptions{Name: "full"}); !errors.Is(err, ErrExists) {
		t.Errorf("existing name: %v, want ErrExists", err)
	}
	same, err := m.Create(CreateOptions{Name: "full", Subnets: []string{"10.89.217.0/24"}, Ignore: true})
	if err != nil || same.ID != n.ID || same.Subnets[0].Subnet.String() != "10.89.215.0/24" {
		t.Errorf("--ignore: %v %+v", err, same)
	}
	// An internal network without DNS gets no gateway.
	in, err := m.Create(CreateOptions{Name: "closed", Internal: true, DisableDNS: true, Subnets: []string{"10.89.218.0/24"}})
	if err != nil || in.Subnets[0].Gateway != nil {
		t.Errorf("internal network without DNS: %v %+v", err, in.Subnets)
	}
	// A macvlan network on an existing parent has no DNS.
	mv, err := m.Create(CreateOptions{Name: "mv", Driver: "macvlan", Options: map[string]string{"parent": "eth0", "mode": "bridge"},
		Subnets: []string{"10.89.219.0/24"}})
	if err != nil || mv.DNSEnabled || mv.NetworkInterface != "eth0" || mv.Options["parent"] != "" {
		t.Errorf("macvlan: %v %+v", err, mv)
	}
}

func TestRemove(t *testing.T) {
	m := testManager(t)
	if _, err := m.Create(CreateOptions{Name: "gone", Subnets: []string{"10.89.220.0/24"}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Inspect("gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("inspect after remove: %v", err)
	}
	if err := m.Remove("gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove again: %v", err)
	}
	if err := m.Remove("podman"); err == nil || !strings.Contains(err.Error(), "default network") {
		t.Errorf("removing the default network: %v", err)
	}
}

func TestFilters(t *testing.T) {
	m := testManager(t)
	for _, o := range []CreateOptions{
		{Name: "web", Labels: map[string]string{"app": "web", "tier": "front"}},
		{Name: "db", Labels: map[string]string{"app": "db"}, Internal: true},
	} {
		if _, err := m.Create(o); err != nil {
			t.Fatal(err)
		}
	}
	used := func(name string) bool { return name == "web" }
	for _, tc := range []struct {
		filters []string
		want    string
	}{
		{[]string{"name=^w"}, "web"},
		{[]string{"name=web", "name=db"}, "db,web"},
		{[]string{"label=app"}, "db,web"},
		{[]string{"label=app=web", "label=tier"}, "web"},
		{[]string{"label!=tier"}, "db,podman"},
		{[]string{"driver=bridge", "dangling=true"}, "db,podman"},
		{[]string{"dangling=false"}, "web"},
		{[]string{"until=1h"}, ""},
	} {
		fl, err := Filters(tc.filters, used)
		if err != nil {
			t.Fatal(err)
		}
		list, err := m.List(fl...)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, n := range list {
			names = append(names, n.Name)
		}
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.filters, got, tc.want)
		}
	}
	for _, bad := range []string{"nokey", "colour=red", "dangling=maybe", "until=someday", "name=("} {
		if _, err := Filters([]string{bad}, used); err == nil {
			t.Errorf("filter %q accepted", bad)
		}
	}
}
