package network

import (
	"net"
	"strings"
	"testing"

	"go.podman.io/common/libnetwork/types"
)

func testNetwork(t *testing.T, subnet, gw string, lr *types.LeaseRange) *types.Network {
	t.Helper()
	s := types.Subnet{Subnet: types.IPNet{IPNet: *mustNet(t, subnet)}, LeaseRange: lr}
	if gw != "" {
		s.Gateway = net.ParseIP(gw)
	}
	return &types.Network{Name: "n", Subnets: []types.Subnet{s}}
}

func ips(list []net.IP) string {
	var s []string
	for _, ip := range list {
		s = append(s, ip.String())
	}
	return strings.Join(s, ",")
}

func TestAllocateSkipsGatewayAndBroadcast(t *testing.T) {
	f := &ipamFile{Networks: map[string]*ipamNetwork{}}
	l := f.network("n")
	nw := testNetwork(t, "10.89.230.0/30", "10.89.230.1", nil) // usable: .1 (gateway), .2
	got, err := l.allocate(nw, "c1", nil)
	if err != nil || ips(got) != "10.89.230.2" {
		t.Fatalf("first: %v %v, want 10.89.230.2", ips(got), err)
	}
	if _, err := l.allocate(nw, "c2", nil); err == nil || !strings.Contains(err.Error(), "no free address") {
		t.Errorf("full subnet: %v", err)
	}
	if got := l.release("c1"); ips(got) != "10.89.230.2" {
		t.Errorf("release: %v", ips(got))
	}
	if got, err := l.allocate(nw, "c2", nil); err != nil || ips(got) != "10.89.230.2" {
		t.Errorf("after release: %v %v", ips(got), err)
	}
}

func TestAllocateIsSequentialAndStatic(t *testing.T) {
	f := &ipamFile{Networks: map[string]*ipamNetwork{}}
	l := f.network("n")
	nw := testNetwork(t, "10.89.231.0/24", "10.89.231.1", nil)
	a, _ := l.allocate(nw, "a", nil)
	b, _ := l.allocate(nw, "b", nil)
	l.release("a")
	c, _ := l.allocate(nw, "c", nil) // not .2 again at once
	if ips(a) != "10.89.231.2" || ips(b) != "10.89.231.3" || ips(c) != "10.89.231.4" {
		t.Errorf("got %s %s %s, want .2 .3 .4", ips(a), ips(b), ips(c))
	}
	if got, err := l.allocate(nw, "d", []net.IP{net.ParseIP("10.89.231.50")}); err != nil || ips(got) != "10.89.231.50" {
		t.Errorf("static: %v %v", ips(got), err)
	}
	if _, err := l.allocate(nw, "e", []net.IP{net.ParseIP("10.89.231.50")}); err == nil || !strings.Contains(err.Error(), "already in use by container d") {
		t.Errorf("static taken: %v", err)
	}
	if _, err := l.allocate(nw, "e", []net.IP{net.ParseIP("10.99.0.5")}); err == nil || !strings.Contains(err.Error(), "not in a subnet") {
		t.Errorf("static outside: %v", err)
	}
	if got := l.held("d"); ips(got) != "10.89.231.50" {
		t.Errorf("held: %v", ips(got))
	}
}

func TestAllocateInRange(t *testing.T) {
	f := &ipamFile{Networks: map[string]*ipamNetwork{}}
	l := f.network("n")
	lr, err := parseRange("10.89.232.128/30")
	if err != nil {
		t.Fatal(err)
	}
	nw := testNetwork(t, "10.89.232.0/24", "10.89.232.1", lr)
	var got []string
	for _, id := range []string{"a", "b", "c"} {
		ip, err := l.allocate(nw, id, nil)
		if err != nil {
			got = append(got, "full")
			continue
		}
		got = append(got, ips(ip))
	}
	if strings.Join(got, " ") != "10.89.232.129 10.89.232.130 10.89.232.131" {
		t.Errorf("range allocations %v", got)
	}
	// v6 subnets work the same way.
	nw6 := testNetwork(t, "fd00:89::/64", "fd00:89::1", nil)
	if ip, err := l.allocate(nw6, "x", nil); err != nil || ips(ip) != "fd00:89::2" {
		t.Errorf("v6: %v %v", ips(ip), err)
	}
}
