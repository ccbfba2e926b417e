package quadlet

import (
	"strings"
	"testing"
)

func TestNetworkDefaults(t *testing.T) {
	svc := rsrcOK(t, "net.network", map[string]string{"net.network": "[Network]\n"})
	rsrcWant(t, rsrcExec(t, svc, "ExecStart"), []string{"network", "create", "--ignore", "systemd-net"})
	for key, want := range map[string]string{"Type": "oneshot", "RemainAfterExit": "yes", "SyslogIdentifier": "%N"} {
		if v, _ := svc.Lookup("Service", key); v != want {
			t.Errorf("%s=%q, want %q", key, v, want)
		}
	}
	if _, ok := svc.Lookup("Service", "ExecStopPost"); ok {
		t.Errorf("ExecStopPost without NetworkDeleteOnStop")
	}
}

func TestNetworkKeys(t *testing.T) {
	svc := rsrcOK(t, "n.network", map[string]string{"n.network": `[Network]
NetworkName=test-network
NetworkDeleteOnStop=true
ContainersConfModule=/etc/c.conf
DisableDNS=yes
Internal=no
IPv6=true
Driver=macvlan
IPAMDriver=dhcp
InterfaceName=enp1
DNS=8.8.8.8
Subnet=192.168.0.0/24
Subnet=192.168.1.0/24
Gateway=192.168.0.1
IPRange=192.168.0.0/28
IPRange=192.168.1.0/28
Options=mtu=1504 isolate=true
Label=a=1 "b=2 3"
Label=a=4
PodmanArgs=--foo
`})
	rsrcWant(t, rsrcExec(t, svc, "ExecStart"), []string{"--module=/etc/c.conf", "network", "create", "--ignore",
		"--disable-dns", "--ipv6", "--driver", "macvlan", "--ipam-driver", "dhcp", "--interface-name", "enp1",
		"--dns", "8.8.8.8",
		"--subnet", "192.168.0.0/24", "--gateway", "192.168.0.1", "--ip-range", "192.168.0.0/28",
		"--subnet", "192.168.1.0/24", "--ip-range", "192.168.1.0/28",
		"--opt", "mtu=1504", "--opt", "isolate=true", "--label", "a=4", "--label", "b=2 3",
		"--foo", "test-network"})
	rsrcWant(t, rsrcExec(t, svc, "ExecStopPost"), []string{"--module=/etc/c.conf", "network", "rm", "test-network"})
}

func TestNetworkErrors(t *testing.T) {
	for name, c := range map[string]struct{ src, msg string }{
		"gateway":   {"Gateway=10.0.0.1\n", "n.network:2: converting \"n.network\": cannot set gateway or range without subnet"},
		"range":     {"IPRange=10.0.0.0/30\n", "cannot set gateway or range without subnet"},
		"gateways":  {"Subnet=10.0.0.0/24\nGateway=10.0.0.1\nGateway=10.0.1.1\n", "n.network:4: converting \"n.network\": cannot set more gateways than subnets"},
		"ranges":    {"Subnet=10.0.0.0/24\nIPRange=10.0.0.0/30\nIPRange=10.0.0.4/30\n", "cannot set more ranges than subnets"},
		"reset":     {"Subnet=10.0.0.0/24\nSubnet=\nGateway=10.0.0.1\n", "cannot set gateway or range without subnet"},
		"bool":      {"Internal=sometimes\n", "Internal=sometimes: not a boolean"},
		"unknown":   {"Subnets=10.0.0.0/24\n", "did you mean 'Subnet'?"},
		"notmyname": {"PodName=x\n", "unsupported key 'PodName'"},
	} {
		t.Run(name, func(t *testing.T) {
			msg := rsrcFail(t, "n.network", map[string]string{"n.network": "[Network]\n" + c.src})
			if !strings.Contains(msg, c.msg) {
				t.Errorf("%q lacks %q", msg, c.msg)
			}
		})
	}
}
