package engine_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
	"github.com/berth-containers/berth/engine/network"
)

// The tests here change the host's firewall and bridges: each uses its own network
// names, bridge names and 10.89.24x.0/24 subnets, and removes what it made.

// networkRuntime is ContainerRuntime gated on netavark and iptables.
func networkRuntime(t *testing.T) *engine.Runtime {
	t.Helper()
	enginetest.RequireRoot(t)
	enginetest.RequireFile(t, "/usr/lib/podman/netavark")
	enginetest.RequireFile(t, "/usr/lib/podman/aardvark-dns")
	enginetest.RequireBinary(t, "iptables")
	return enginetest.ContainerRuntime(t)
}

// testNetwork creates a network that goes when the test ends.
func testNetwork(t *testing.T, rt *engine.Runtime, o engine.NetworkCreateOptions) *engine.Network {
	t.Helper()
	n, err := rt.CreateNetwork(o)
	if err != nil {
		t.Fatalf("network create %s: %v", o.Name, err)
	}
	t.Cleanup(func() {
		err := rt.RemoveNetwork(context.Background(), n.Name, engine.RemoveNetworkOptions{Force: true, Timeout: new(uint)})
		if err != nil && !errors.Is(err, engine.ErrNoSuchNetwork) {
			t.Errorf("removing network %s: %v", n.Name, err)
		}
	})
	return n
}

// firewall is the host's iptables rules, filter and nat tables.
func firewall(t *testing.T) string {
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

// httpServer starts a busybox httpd serving "hello from NAME" on port 80.
func httpServer(t *testing.T, rt *engine.Runtime, o engine.CreateOptions) *engine.Container {
	t.Helper()
	c := create(t, rt, o, "sh", "-c",
		`mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www`)
	if _, err := rt.StartContainer(context.Background(), c.ID, engine.StartOptions{}); err != nil {
		t.Fatalf("starting %s: %v", o.Name, err)
	}
	return c
}

// httpGet fetches / from addr with a plain HTTP/1.0 request, retrying while the
// server starts.
func httpGet(addr string) (string, error) {
	var last error
	for range 50 {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
			fmt.Fprintf(conn, "GET / HTTP/1.0\r\n\r\n")
			var b strings.Builder
			_, err = bufio.NewReader(conn).WriteTo(&b)
			conn.Close()
			if err == nil && strings.Contains(b.String(), "200 OK") {
				return b.String(), nil
			}
			last = fmt.Errorf("answer %q: %v", b.String(), err)
		} else {
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", last
}

func TestNetworkContainersResolveEachOtherAndPublish(t *testing.T) {
	rt := networkRuntime(t)
	const subnet = "10.89.242.0/24"
	n := testNetwork(t, rt, engine.NetworkCreateOptions{Name: "berth-t-web", Subnets: []string{subnet}, Interface: "berthtw0"})
	srv := httpServer(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{
		Name: "berth-t-srv", Hostname: "srv", Network: n.Name, NetworkAliases: []string{"api"},
		Publish: []string{"127.0.0.1:18080:80"}, Expose: []string{"9000/udp"}}})

	// The other container reaches it by name and by alias, through aardvark-dns.
	client := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: n.Name, Name: "berth-t-client"}}
	code, out, err := runOut(t, rt, client, "sh", "-c", `
		for name in berth-t-srv api; do
			for i in 1 2 3 4 5 6 7 8 9 10; do
				printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $name 80 | grep hello && break
				sleep 0.3
			done
		done
		grep -E 'berth-t-client|host.containers.internal' /etc/hosts
		cat /etc/resolv.conf`)
	if err != nil || code != 0 || strings.Count(out, "hello from srv") != 2 {
		t.Fatalf("the client did not reach the server by name and alias: exit %d, %v:\n%s", code, err, out)
	}
	if !strings.Contains(out, "10.89.242.1\thost.containers.internal") || !strings.Contains(out, "nameserver 10.89.242.1") ||
		!strings.Contains(out, "search dns.podman") {
		t.Errorf("/etc/hosts and /etc/resolv.conf of the client:\n%s", out)
	}

	// The published port answers on the host.
	got, err := httpGet("127.0.0.1:18080")
	if err != nil || !strings.Contains(got, "hello from srv") {
		t.Errorf("GET http://127.0.0.1:18080/: %v %q", err, got)
	}

	d, err := rt.InspectContainer(context.Background(), srv.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	ns := d.NetworkSettings
	on := ns.Networks[n.Name]
	if on == nil || !strings.HasPrefix(on.IPAddress, "10.89.242.") || on.Gateway != "10.89.242.1" || on.IPPrefixLen != 24 ||
		on.MacAddress == "" || !contains(on.Aliases, "api") {
		t.Errorf("NetworkSettings.Networks = %+v", ns.Networks)
	}
	if ns.IPAddress != "" {
		t.Errorf("top-level IPAddress %q on a user network (podman fills it for the default network only)", ns.IPAddress)
	}
	if p := ns.Ports["80/tcp"]; len(p) != 1 || p[0].HostIP != "127.0.0.1" || p[0].HostPort != "18080" {
		t.Errorf("Ports = %+v", ns.Ports)
	}
	if p, ok := ns.Ports["9000/udp"]; !ok || p != nil {
		t.Errorf("the exposed port is not shown as unpublished: %+v", ns.Ports)
	}
	if d.HostConfig.NetworkMode != "bridge" || len(d.HostConfig.PortBindings["80/tcp"]) != 1 {
		t.Errorf("HostConfig: mode %q, bindings %+v", d.HostConfig.NetworkMode, d.HostConfig.PortBindings)
	}
	list, err := rt.ContainerList(context.Background(), engine.ContainerListOptions{Filters: []string{"name=berth-t-srv"}})
	if err != nil || len(list) != 1 || strings.Join(list[0].Networks, ",") != n.Name ||
		engine.FormatPorts(list[0].Ports) != "127.0.0.1:18080->80/tcp" {
		t.Errorf("ps: %+v %v", list, err)
	}

	// The network is in use: rm refuses it, and the firewall holds its rules.
	err = rt.RemoveNetwork(context.Background(), n.Name, engine.RemoveNetworkOptions{})
	if !errors.Is(err, engine.ErrNetworkInUse) || !strings.Contains(err.Error(), srv.ID[:12]) {
		t.Errorf("rm of a network in use: %v", err)
	}
	if rules := firewall(t); !strings.Contains(rules, subnet) || !strings.Contains(rules, "18080") {
		t.Errorf("no rules for the network or the port while the container runs:\n%s", rules)
	}
	// Its last container gone, its rules are gone.
	if err := rt.RemoveContainer(context.Background(), srv.ID, engine.RemoveContainerOptions{Force: true, Timeout: new(uint)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"berth-t-client"} {
		if err := rt.RemoveContainer(context.Background(), c, engine.RemoveContainerOptions{Force: true, Ignore: true}); err != nil {
			t.Fatal(err)
		}
	}
	if rules := firewall(t); strings.Contains(rules, subnet) || strings.Contains(rules, "18080") {
		t.Errorf("rules left after the network's containers went:\n%s", rules)
	}
	if err := exec.Command("ip", "link", "show", "berthtw0").Run(); err == nil {
		t.Error("the bridge is left after the network's containers went")
	}
	if err := rt.RemoveNetwork(context.Background(), n.Name, engine.RemoveNetworkOptions{}); err != nil {
		t.Errorf("rm of the unused network: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestNetworkDefaultBridge(t *testing.T) {
	rt := networkRuntime(t)
	c := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Name: "berth-t-default"}},
		"sh", "-c", "ip -4 -o addr show eth0; cat /proc/sys/net/ipv4/ping_group_range; echo END; sleep 30")
	if _, err := rt.StartContainer(context.Background(), c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	d, err := rt.InspectContainer(context.Background(), c.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	ns := d.NetworkSettings
	if !strings.HasPrefix(ns.IPAddress, "10.88.") || ns.Gateway != "10.88.0.1" || ns.Networks["podman"] == nil ||
		d.HostConfig.NetworkMode != "bridge" || !strings.HasPrefix(ns.SandboxKey, rt.RunDir()) {
		t.Errorf("on the default network: %+v", ns)
	}
	out := containerLog(t, rt, c, "END")
	if !strings.Contains(out, ns.IPAddress+"/16") {
		t.Errorf("eth0 in the container: %q, want %s", out, ns.IPAddress)
	}
	// containers.conf's default sysctl, which this host can write.
	if !strings.Contains(out, "0\t0") {
		t.Errorf("net.ipv4.ping_group_range in the container: %q, want podman's default 0 0", out)
	}
}

// containerLog waits until the container's log has want, and returns it.
func containerLog(t *testing.T, rt *engine.Runtime, c *engine.Container, want string) string {
	t.Helper()
	var data []byte
	for range 100 {
		data, _ = os.ReadFile(c.LogPath)
		if strings.Contains(string(data), want) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return string(data)
}

func TestNetworkModes(t *testing.T) {
	rt := networkRuntime(t)
	o := func(netw string) engine.CreateOptions {
		return engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: netw}}
	}
	interfaces := `sed -n 's/^ *\([a-z0-9@]*\):.*/\1/p' /proc/net/dev | sort | tr '\n' ' '`
	// none: loopback only.
	if code, out, err := runOut(t, rt, o("none"), "sh", "-c", interfaces); err != nil || code != 0 || out != "lo " {
		t.Errorf("--network none: %d %v %q", code, err, out)
	}
	// host: the host's interfaces.
	host, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if code, out, err := runOut(t, rt, o("host"), "sh", "-c", interfaces); err != nil || code != 0 || !strings.Contains(out, host[len(host)-1].Name+" ") {
		t.Errorf("--network host: %d %v %q, want the host's %s", code, err, out, host[len(host)-1].Name)
	}
	// container:NAME: the other's namespace, its address, its /etc/hosts.
	srv := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Name: "berth-t-owner"}}, "sleep", "60")
	if _, err := rt.StartContainer(context.Background(), srv.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	d, err := rt.InspectContainer(context.Background(), srv.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	code, out, err := runOut(t, rt, o("container:berth-t-owner"), "sh", "-c", "ip -4 -o addr show eth0; grep berth-t-owner /etc/hosts")
	if err != nil || code != 0 || strings.Count(out, d.NetworkSettings.IPAddress) != 2 {
		t.Errorf("--network container:: %d %v %q, want %s in its eth0 and /etc/hosts", code, err, out, d.NetworkSettings.IPAddress)
	}
	// ns:PATH: a namespace file.
	nsPath := filepath.Join(t.TempDir(), "netns", "x")
	t.Cleanup(func() { _ = syscall.Unmount(filepath.Dir(nsPath), syscall.MNT_DETACH) })
	if err := network.NewNamespace(nsPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = network.RemoveNamespace(nsPath) })
	if code, out, err := runOut(t, rt, o("ns:"+nsPath), "sh", "-c", interfaces); err != nil || code != 0 || out != "lo " {
		t.Errorf("--network ns:: %d %v %q", code, err, out)
	}
	// The flags that need a bridge network, refused elsewhere.
	for _, bad := range []engine.ContainerConfig{
		{Network: "none", IP: "10.88.0.9"}, {Network: "host", NetworkAliases: []string{"x"}},
		{Network: "container:berth-t-owner", DNS: []string{"1.1.1.1"}}, {Network: "slirp4netns"},
		{Network: "no-such-network"}, {Network: "podman", Networks: []string{"podman"}},
	} {
		_, err := rt.CreateContainer(context.Background(), engine.CreateOptions{Image: enginetest.BusyboxRef(), ContainerConfig: bad})
		if err == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
}

func TestNetworkCleanupAfterKill(t *testing.T) {
	rt := networkRuntime(t)
	const subnet = "10.89.243.0/24"
	n := testNetwork(t, rt, engine.NetworkCreateOptions{Name: "berth-t-kill", Subnets: []string{subnet}, Interface: "berthtk0"})
	c := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: n.Name,
		Publish: []string{"127.0.0.1:18081:80"}}}, "sleep", "60")
	c, err := rt.StartContainer(context.Background(), c.ID, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns := c.State.Net.NSPath
	if !network.IsNamespace(ns) {
		t.Fatalf("no namespace at %q", ns)
	}
	// conmon and the container die without any cleanup.
	_ = syscall.Kill(c.State.ConmonPid, syscall.SIGKILL)
	_ = syscall.Kill(c.State.Pid, syscall.SIGKILL)
	time.Sleep(200 * time.Millisecond)
	if err := rt.RemoveContainer(context.Background(), c.ID, engine.RemoveContainerOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if rules := firewall(t); strings.Contains(rules, subnet) || strings.Contains(rules, "18081") {
		t.Errorf("rules left after removing a killed container:\n%s", rules)
	}
	if _, err := os.Lstat(ns); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("its namespace file is left: %v", err)
	}
	// The address is free again: a static request for it works.
	c2 := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: n.Name, IP: "10.89.243.2"}}, "true")
	if _, err := rt.StartContainer(context.Background(), c2.ID, engine.StartOptions{}); err != nil {
		t.Errorf("the killed container's address is still taken: %v", err)
	}
}

func TestNetworkCreateOverlapAndInUse(t *testing.T) {
	rt := networkRuntime(t)
	a := testNetwork(t, rt, engine.NetworkCreateOptions{Name: "berth-t-a", Subnets: []string{"10.89.244.0/24"}, Interface: "berthta0"})
	_, err := rt.CreateNetwork(engine.NetworkCreateOptions{Name: "berth-t-b", Subnets: []string{"10.89.244.0/25"}})
	if err == nil || !strings.Contains(err.Error(), "overlaps 10.89.244.0/24 of network berth-t-a") {
		t.Errorf("overlapping subnet: %v", err)
	}
	if ok, _ := rt.NetworkExists("berth-t-b"); ok {
		t.Error("the overlapping network was created")
	}
	c := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: a.Name}}, "true")
	err = rt.RemoveNetwork(context.Background(), a.Name, engine.RemoveNetworkOptions{})
	if !errors.Is(err, engine.ErrNetworkInUse) {
		t.Errorf("rm of a network a created container uses: %v", err)
	}
	// -f removes the container with it.
	if err := rt.RemoveNetwork(context.Background(), a.Name, engine.RemoveNetworkOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := rt.ContainerExists(c.ID); ok {
		t.Error("rm -f left the container that used the network")
	}
	if err := rt.RemoveNetwork(context.Background(), "podman", engine.RemoveNetworkOptions{}); err == nil {
		t.Error("the default network was removed")
	}
}

// --add-host NAME:host-gateway names the host as the container reaches it: the
// gateway of its network (what host.containers.internal names), 127.0.0.1 with the
// host's network; without a network that reaches the host, the start fails clearly.
func TestAddHostGateway(t *testing.T) {
	rt := networkRuntime(t)
	o := func(netw string) engine.CreateOptions {
		return engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: netw,
			AddHosts: []string{"gw.example:host-gateway"}}}
	}
	const lookup = "grep -w gw.example /etc/hosts; grep -w host.containers.internal /etc/hosts || true"
	code, out, err := runOut(t, rt, o(""), "sh", "-c", lookup)
	if err != nil || code != 0 || !strings.HasPrefix(out, "10.88.0.1\tgw.example\n") ||
		!strings.Contains(out, "10.88.0.1\thost.containers.internal") {
		t.Errorf("default bridge: %d %v %q, want gw.example and host.containers.internal at 10.88.0.1", code, err, out)
	}
	if code, out, err := runOut(t, rt, o("host"), "sh", "-c", lookup); err != nil || code != 0 ||
		!strings.Contains(out, "127.0.0.1\tgw.example\n") {
		t.Errorf("host network: %d %v %q, want gw.example at 127.0.0.1", code, err, out)
	}
	c := create(t, rt, o("none"), "true")
	_, err = rt.StartContainer(context.Background(), c.ID, engine.StartOptions{})
	if err == nil || !strings.Contains(err.Error(), "--add-host gw.example:host-gateway: no address reaches the host") {
		t.Errorf("network none: %v, want a clear error", err)
	}
}
