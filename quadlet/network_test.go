package quadlet

import "testing"

func TestNetworkDefaults(t *testing.T) {
	svc := convertOK(t, "net.network", map[string]string{"net.network": "[Network]\n"})
	wantList(t, execArgs(t, svc, "ExecStart"), "network", "create", "--ignore", "systemd-net")
	for key, want := range map[string]string{"Type": "oneshot", "RemainAfterExit": "yes", "SyslogIdentifier": "%N"} {
		wantKey(t, svc, "Service", key, want)
	}
	wantKey(t, svc, "Service", "ExecStopPost") // only with NetworkDeleteOnStop
}

func TestNetworkKeys(t *testing.T) {
	svc := convertOK(t, "n.network", map[string]string{"n.network": `[Network]
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
	wantList(t, execArgs(t, svc, "ExecStart"), "--module=/etc/c.conf", "network", "create", "--ignore",
		"--disable-dns", "--ipv6", "--driver", "macvlan", "--ipam-driver", "dhcp", "--interface-name", "enp1",
		"--dns", "8.8.8.8",
		"--subnet", "192.168.0.0/24", "--gateway", "192.168.0.1", "--ip-range", "192.168.0.0/28",
		"--subnet", "192.168.1.0/24", "--ip-range", "192.168.1.0/28",
		"--opt", "mtu=1504", "--opt", "isolate=true", "--label", "a=4", "--label", "b=2 3",
		"--foo", "test-network")
	wantList(t, execArgs(t, svc, "ExecStopPost"), "--module=/etc/c.conf", "network", "rm", "test-network")
}

func TestNetworkErrors(t *testing.T) {
	wantErrors(t, "n.network", "[Network]\n", map[string]string{
		"Gateway=10.0.0.1\n":    "n.network:2: converting \"n.network\": cannot set gateway or range without subnet",
		"IPRange=10.0.0.0/30\n": "cannot set gateway or range without subnet",
		"Subnet=10.0.0.0/24\nGateway=10.0.0.1\nGateway=10.0.1.1\n":       "n.network:4: converting \"n.network\": cannot set more gateways than subnets",
		"Subnet=10.0.0.0/24\nIPRange=10.0.0.0/30\nIPRange=10.0.0.4/30\n": "cannot set more ranges than subnets",
		"Subnet=10.0.0.0/24\nSubnet=\nGateway=10.0.0.1\n":                "cannot set gateway or range without subnet",
		"Internal=sometimes\n":  "Internal=sometimes: not a boolean",
		"Subnets=10.0.0.0/24\n": "did you mean 'Subnet'?",
		"PodName=x\n":           "unsupported key 'PodName'",
	})
}
