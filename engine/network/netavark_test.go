package network_test

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.podman.io/common/libnetwork/types"
	"golang.org/x/sys/unix"

	"github.com/berth-containers/berth/engine/enginetest"
	"github.com/berth-containers/berth/engine/network"
)

// netavarkManager gates on root and netavark and opens a Manager on temporary
// folders; the namespace folder it returns is unmounted at the end.
func netavarkManager(t *testing.T) (*network.Manager, string) {
	t.Helper()
	enginetest.RequireRoot(t)
	enginetest.RequireFile(t, "/usr/lib/podman/netavark")
	enginetest.RequireBinary(t, "iptables")
	dir := t.TempDir()
	nsDir := filepath.Join(dir, "netns")
	t.Cleanup(func() { _ = unix.Unmount(nsDir, unix.MNT_DETACH) })
	m, err := network.New(network.Config{ConfigDir: filepath.Join(dir, "networks"), RunDir: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	return m, nsDir
}

func iptablesRules(t *testing.T) string {
	t.Helper()
	var all []string
	for _, table := range []string{"filter", "nat"} {
		out, err := exec.Command("iptables", "-t", table, "-S").CombinedOutput()
		if err != nil {
			t.Fatalf("iptables -t %s -S: %v: %s", table, err, out)
		}
		all = append(all, string(out))
	}
	return strings.Join(all, "")
}

func TestSetupAndTeardownWithNetavark(t *testing.T) {
	m, nsDir := netavarkManager(t)
	const name, subnet = "berth-nt1", "10.89.240.0/24"
	if _, err := m.Create(network.CreateOptions{Name: name, Subnets: []string{subnet}, Interface: "berthnt1"}); err != nil {
		t.Fatal(err)
	}
	ns := filepath.Join(nsDir, "c1")
	if err := network.NewNamespace(ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = network.RemoveNamespace(ns) })
	opts := types.NetworkOptions{
		ContainerID: strings.Repeat("ab", 32), ContainerName: "c1",
		Networks: []types.NamedPerNetworkOptions{{Name: name,
			PerNetworkOptions: types.PerNetworkOptions{InterfaceName: "eth0", Aliases: []string{"web"}}}},
		PortMappings: []types.PortMapping{{HostIP: "127.0.0.1", HostPort: 18091, ContainerPort: 80, Range: 1, Protocol: "tcp"}},
	}
	t.Cleanup(func() { _ = m.Teardown(ns, opts) })
	start := time.Now()
	st, err := m.Setup(ns, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("netavark setup took %v", time.Since(start))
	v4, _, mac := network.FirstAddresses(st[name])
	if v4.IPNet.String() != "10.89.240.2/24" || v4.Gateway.String() != "10.89.240.1" || mac == "" {
		t.Errorf("status %+v: want 10.89.240.2/24 via 10.89.240.1 and a MAC", st)
	}
	if dns := st[name].DNSServerIPs; len(dns) != 1 || dns[0].String() != "10.89.240.1" {
		t.Errorf("DNS servers %v, want aardvark-dns on the gateway", dns)
	}
	out, err := exec.Command("nsenter", "--net="+ns, "ip", "-4", "-o", "addr", "show", "eth0").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "10.89.240.2/24") {
		t.Errorf("the namespace has no eth0 with the address: %v: %s", err, out)
	}
	if rules := iptablesRules(t); !strings.Contains(rules, subnet) || !strings.Contains(rules, "18091") {
		t.Errorf("no firewall rules for the network and the port:\n%s", rules)
	}
	start = time.Now()
	if err := m.Teardown(ns, opts); err != nil {
		t.Fatal(err)
	}
	t.Logf("netavark teardown took %v", time.Since(start))
	if rules := iptablesRules(t); strings.Contains(rules, subnet) || strings.Contains(rules, "18091") {
		t.Errorf("firewall rules left after teardown:\n%s", rules)
	}
	if err := exec.Command("ip", "link", "show", "berthnt1").Run(); err == nil {
		t.Error("the bridge is left after its last container went")
	}
	// Again: nothing to do, no error.
	if err := m.Teardown(ns, opts); err != nil {
		t.Errorf("second teardown: %v", err)
	}
}

func TestSetupFailureLeavesNothing(t *testing.T) {
	m, nsDir := netavarkManager(t)
	const name, subnet = "berth-nt2", "10.89.241.0/24"
	if _, err := m.Create(network.CreateOptions{Name: name, Subnets: []string{subnet}, Interface: "berthnt2"}); err != nil {
		t.Fatal(err)
	}
	ns := filepath.Join(nsDir, "c2")
	if err := network.NewNamespace(ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = network.RemoveNamespace(ns) })
	opts := types.NetworkOptions{ContainerID: strings.Repeat("cd", 32), ContainerName: "c2",
		Networks: []types.NamedPerNetworkOptions{{Name: name, PerNetworkOptions: types.PerNetworkOptions{
			InterfaceName: "eth0", StaticMAC: types.HardwareAddr{0x01, 0, 0, 0, 0, 1}}}}, // a multicast MAC: refused by the kernel
		PortMappings: []types.PortMapping{{HostPort: 18092, ContainerPort: 80, Range: 1, Protocol: "tcp"}}}
	if _, err := m.Setup(ns, opts); err == nil {
		_ = m.Teardown(ns, opts)
		t.Fatal("setup with a multicast MAC succeeded")
	}
	if rules := iptablesRules(t); strings.Contains(rules, subnet) || strings.Contains(rules, "18092") {
		t.Errorf("a failed setup left firewall rules:\n%s", rules)
	}
	// Its address is free again: another container can have it.
	opts.Networks[0].StaticMAC = nil
	opts.ContainerID = strings.Repeat("ef", 32)
	opts.Networks[0].StaticIPs = []net.IP{net.ParseIP("10.89.241.2")}
	st, err := m.Setup(ns, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Teardown(ns, opts)
	if v4, _, _ := network.FirstAddresses(st[name]); v4.IPNet.IP.String() != "10.89.241.2" {
		t.Errorf("after a failed setup the address is %v, want 10.89.241.2", v4.IPNet.IP)
	}
}

func TestNamespaceFiles(t *testing.T) {
	enginetest.RequireRoot(t)
	dir := t.TempDir()
	nsDir := filepath.Join(dir, "netns")
	t.Cleanup(func() { _ = unix.Unmount(nsDir, unix.MNT_DETACH) })
	ns := filepath.Join(nsDir, "x")
	if err := network.NewNamespace(ns); err != nil {
		t.Fatal(err)
	}
	if !network.IsNamespace(ns) {
		t.Error("the file is not a namespace")
	}
	if err := network.NewNamespace(ns); err == nil {
		t.Error("a second namespace at the same path was made")
	}
	for range 2 { // removing twice is no error
		if err := network.RemoveNamespace(ns); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(ns); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the namespace file is left: %v", err)
	}
}

// TestIPVLANNeedsNetavark15 checks that an ipvlan network is refused at create by a
// netavark without the driver (1.4), instead of failing each container's start.
func TestIPVLANNeedsNetavark15(t *testing.T) {
	m, _ := netavarkManager(t)
	out, err := exec.Command("/usr/lib/podman/netavark", "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Create(network.CreateOptions{Name: "berth-iv", Driver: "ipvlan", Interface: "lo", Subnets: []string{"10.89.239.0/24"}})
	if strings.Contains(string(out), `"1.4.`) {
		if !errors.Is(err, network.ErrUnsupported) || !strings.Contains(err.Error(), "netavark 1.5") {
			t.Errorf("ipvlan with netavark 1.4: %v", err)
		}
	} else if err != nil {
		t.Errorf("ipvlan with %s: %v", out, err)
	}
}
