package network

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"go.podman.io/common/libnetwork/types"
)

func TestParsePublish(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"80", "[:0->80 x1 tcp]"},
		{"8080:80", "[:8080->80 x1 tcp]"},
		{"127.0.0.1:18080:80", "[127.0.0.1:18080->80 x1 tcp]"},
		{"127.0.0.1::80/udp", "[127.0.0.1:0->80 x1 udp]"},
		{"0.0.0.0:53:53/tcp,udp", "[:53->53 x1 tcp :53->53 x1 udp]"},
		{"[::1]:8080:80", "[::1:8080->80 x1 tcp]"},
		{"8000-8002:80-82", "[:8000->80 x3 tcp]"},
		{"9000:80-82/sctp", "[:9000->80 x3 sctp]"},
		{"5000-5001", "[:0->5000 x2 tcp]"},
	} {
		got, err := ParsePublish(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, fmt.Sprintf("%s:%d->%d x%d %s", p.HostIP, p.HostPort, p.ContainerPort, p.Range, p.Protocol))
		}
		if "["+strings.Join(s, " ")+"]" != tc.want {
			t.Errorf("%s: got %v, want %s", tc.in, s, tc.want)
		}
	}
	for _, bad := range []string{"", "0", "70000", "a:80", "1.2.3:80:80", "80/icmp", "8000-8001:80-82", "90-80", "[::1:80", "1:2:3:4", "65535:80-81"} {
		if _, err := ParsePublish(bad); err == nil {
			t.Errorf("-p %q accepted", bad)
		}
	}
}

func TestCheckAndAssignPorts(t *testing.T) {
	dup := []types.PortMapping{{HostPort: 8080, ContainerPort: 80, Range: 1, Protocol: "tcp"},
		{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 81, Range: 1, Protocol: "tcp"}}
	if err := CheckPorts(dup); err == nil {
		t.Error("the same host port twice was accepted")
	}
	ok := []types.PortMapping{{HostPort: 8080, ContainerPort: 80, Range: 1, Protocol: "tcp"},
		{HostPort: 8080, ContainerPort: 80, Range: 1, Protocol: "udp"}, {HostPort: 8081, ContainerPort: 80, Range: 1, Protocol: "tcp"}}
	if err := CheckPorts(ok); err != nil {
		t.Error(err)
	}
	list := []types.PortMapping{{HostIP: "127.0.0.1", ContainerPort: 80, Range: 3, Protocol: "tcp"}}
	if err := AssignHostPorts(list); err != nil {
		t.Fatal(err)
	}
	p := list[0].HostPort
	if p < 10000 {
		t.Fatalf("host port %d", p)
	}
	for i := range 3 {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", int(p)+i))
		if err != nil {
			t.Errorf("assigned port %d is not free: %v", int(p)+i, err)
			continue
		}
		l.Close()
	}
}

func TestParseExpose(t *testing.T) {
	got, err := ParseExpose("9000-9001/udp")
	if err != nil || len(got) != 1 || got[0].ContainerPort != 9000 || got[0].Range != 2 || got[0].Protocol != "udp" {
		t.Errorf("got %+v %v", got, err)
	}
	if _, err := ParseExpose("90/icmp"); err == nil {
		t.Error("icmp accepted")
	}
}
