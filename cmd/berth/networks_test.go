package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine/enginetest"
	"github.com/berth-containers/berth/quadlet"
	"github.com/berth-containers/berth/units"
)

// The tests here change the host's firewall and bridges: each uses its own names,
// bridges and 10.89.24x.0/24 subnets, and removes what it made.

// newNetEnv is newCtrEnv gated on netavark; the networks it lists go at the end.
func newNetEnv(t *testing.T, networks ...string) *ctrEnv {
	t.Helper()
	enginetest.RequireRoot(t)
	enginetest.RequireFile(t, "/usr/lib/podman/netavark")
	enginetest.RequireFile(t, "/usr/lib/podman/aardvark-dns")
	e := newCtrEnv(t)
	t.Cleanup(func() {
		for _, n := range networks {
			e.run(t, "network", "rm", "-f", "-t", "0", n)
		}
	})
	return e
}

func TestNetworkCommands(t *testing.T) {
	e := newNetEnv(t, "berth-c-web", "berth-c-db")
	create := []string{"network", "create", "--ignore", "--dns", "9.9.9.9", "--subnet", "10.89.245.0/24", "--gateway", "10.89.245.1",
		"--ip-range", "10.89.245.128/25", "--opt", "isolate=true", "--label", "app=web", "--interface-name", "berthcw0", "berth-c-web"}
	for range 2 { // --ignore: the second is no error
		if out := e.ok(t, create...); out != "berth-c-web\n" {
			t.Errorf("network create printed %q", out)
		}
	}
	oneLineError(t, e.run(t, "network", "create", "--subnet", "10.89.246.0/24", "berth-c-web"), 125, "already exists")
	oneLineError(t, e.run(t, "network", "create", "--subnet", "10.89.245.0/25", "berth-c-b"), 125,
		"subnet 10.89.245.0/25 overlaps 10.89.245.0/24 of network berth-c-web")
	oneLineError(t, e.run(t, "network", "create", "--ipam-driver", "dhcp", "-d", "macvlan", "berth-c-b"), 125, "not supported")
	if r := e.run(t, "network", "exists", "berth-c-b"); r.code != 1 {
		t.Errorf("a failed create left the network: exists exit %d", r.code)
	}
	e.ok(t, "network", "create", "--internal", "--disable-dns", "--subnet", "10.89.247.0/24", "--label", "tier=db", "berth-c-db")

	out := e.ok(t, "network", "ls")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NETWORK ID") || !strings.Contains(lines[0], "NAME") ||
		!strings.Contains(out, "2f259bab93aa  podman") || !strings.Contains(out, "berth-c-db") {
		t.Errorf("network ls:\n%s", out)
	}
	if out := e.ok(t, "network", "ls", "-q", "--filter", "label=app=web"); out != "berth-c-web\n" {
		t.Errorf("ls -q --filter = %q", out)
	}
	if out := e.ok(t, "network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Label \"tier\"}}", "--filter", "name=^berth-c-d"); out != "berth-c-db bridge db\n" {
		t.Errorf("ls --format = %q", out)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(e.ok(t, "network", "ls", "--format", "json")), &list); err != nil || len(list) != 3 {
		t.Errorf("ls --format json: %v %v", err, list)
	}
	var inspect []map[string]any
	if err := json.Unmarshal([]byte(e.ok(t, "network", "inspect", "berth-c-web")), &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	for _, k := range []string{"name", "id", "driver", "network_interface", "created", "subnets", "ipv6_enabled",
		"internal", "dns_enabled", "network_dns_servers", "labels", "options", "ipam_options"} {
		if _, ok := inspect[0][k]; !ok {
			t.Errorf("inspect has no %s: %v", k, inspect[0])
		}
	}
	if out := e.ok(t, "network", "inspect", "--format", "{{.NetworkInterface}} {{(index .Subnets 0).Gateway}} {{.DNSEnabled}}", "berth-c-web"); out != "berthcw0 10.89.245.1 true\n" {
		t.Errorf("inspect --format = %q", out)
	}
	if r := e.run(t, "network", "exists", "berth-c-web"); r.code != 0 {
		t.Errorf("exists: exit %d", r.code)
	}
	oneLineError(t, e.run(t, "network", "rm", "nope"), 1, "nope")
	oneLineError(t, e.run(t, "network", "rm", "podman"), 125, "default network")

	// In use: refused (exit 2), then removed with its container by -f.
	id := strings.TrimSpace(e.ok(t, "create", "--network", "berth-c-db", e.ref, "true"))
	oneLineError(t, e.run(t, "network", "rm", "berth-c-db"), 2, "being used by container(s) "+id[:12])
	if out := e.ok(t, "network", "prune", "-f"); out != "berth-c-web\n" {
		t.Errorf("prune removed %q, want only the unused network", out)
	}
	if out := e.ok(t, "network", "rm", "-f", "berth-c-db"); out != "berth-c-db\n" {
		t.Errorf("rm -f printed %q", out)
	}
	if r := e.run(t, "container", "exists", id); r.code != 1 {
		t.Errorf("rm -f left its container: exists exit %d", r.code)
	}
}

// quadletServices converts Quadlet units (file name to text) together, as the
// generator does, and returns their services by file name.
func quadletServices(t *testing.T, files map[string]string) map[string]*units.File {
	t.Helper()
	var srcs []*quadlet.Source
	for name, text := range files {
		f, err := units.Parse("/etc/containers/systemd/"+name, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, &quadlet.Source{Name: name, File: f})
	}
	out := map[string]*units.File{}
	for _, res := range quadlet.Convert(srcs, quadlet.Options{Engine: "/usr/bin/berth"}) {
		if res.Failed() {
			t.Fatalf("converting %s: %v", res.Source.Name, res.Diags)
		}
		out[res.Source.Name] = res.Service
	}
	return out
}

// execArgs are the arguments of a service's Exec lines for key, without the engine's
// path, with %N (the unit's name) replaced.
func execArgs(t *testing.T, svc *units.File, unit, key string) [][]string {
	t.Helper()
	var out [][]string
	for _, line := range svc.All("Service", key) {
		words, err := units.SplitWords(strings.TrimPrefix(line, "-"))
		if err != nil || words[0] != "/usr/bin/berth" {
			t.Fatalf("%s=%s: %v", key, line, err)
		}
		for i := range words {
			words[i] = strings.ReplaceAll(words[i], "%N", unit)
		}
		out = append(out, words[1:])
	}
	return out
}

// TestNetworkQuadletCommands runs what the generator emits for a .network unit with
// NetworkDeleteOnStop= and a .container unit on it, as systemd would.
func TestNetworkQuadletCommands(t *testing.T) {
	e := newNetEnv(t, "systemd-berthq")
	svcs := quadletServices(t, map[string]string{
		"berthq.network": "[Network]\nSubnet=10.89.248.0/24\nGateway=10.89.248.1\nIPRange=10.89.248.128/25\nLabel=app=web\n" +
			"Options=isolate=true\nDNS=9.9.9.9\nInterfaceName=berthq0\nNetworkDeleteOnStop=true\n",
		"berthq-app.container": "[Container]\nImage=" + e.ref + "\nNetwork=berthq.network\nIP=10.89.248.200\nNetworkAlias=api\n" +
			"PublishPort=127.0.0.1:18082:80\nExposeHostPort=9000\n" +
			"Exec=sh -c 'mkdir /www; echo quadlet > /www/index.html; httpd -f -p 80 -h /www & trap \"exit 0\" TERM; wait'\n",
	})
	net, app := svcs["berthq.network"], svcs["berthq-app.container"]
	start := execArgs(t, net, "berthq", "ExecStart")
	stopPost := execArgs(t, net, "berthq", "ExecStopPost")
	if len(start) != 1 || len(stopPost) != 1 {
		t.Fatalf("ExecStart %v, ExecStopPost %v", start, stopPost)
	}
	for range 2 { // a restart of the oneshot unit
		if out := e.ok(t, start[0]...); out != "systemd-berthq\n" {
			t.Errorf("%v printed %q", start[0], out)
		}
	}
	run := execArgs(t, app, "berthq-app", "ExecStart")
	// The unit's notify socket is systemd's; here the container runs detached without.
	args := without(run[0], "--sdnotify=conmon")
	e.ok(t, args...)
	got, err := httpGetHost("127.0.0.1:18082")
	if err != nil || !strings.Contains(got, "quadlet") {
		t.Errorf("the published port: %v %q", err, got)
	}
	ps := e.ok(t, "ps", "--format", "{{.Names}} {{.Ports}} {{.Networks}}")
	if ps != "systemd-berthq-app 127.0.0.1:18082->80/tcp systemd-berthq\n" {
		t.Errorf("ps: %q", ps)
	}
	if out := e.ok(t, "inspect", "--format", "{{(index .NetworkSettings.Networks \"systemd-berthq\").IPAddress}}", "systemd-berthq-app"); out != "10.89.248.200\n" {
		t.Errorf("inspect: address %q", out)
	}
	// The unit stops: the container goes (ExecStop), then the network (ExecStopPost).
	for _, stop := range execArgs(t, app, "berthq-app", "ExecStop") {
		e.ok(t, stop...)
	}
	if out := e.ok(t, stopPost[0]...); out != "systemd-berthq\n" {
		t.Errorf("%v printed %q", stopPost[0], out)
	}
	rules, _ := exec.Command("iptables-save").CombinedOutput()
	if strings.Contains(string(rules), "10.89.248.") || strings.Contains(string(rules), "18082") {
		t.Errorf("firewall rules left after the units stopped:\n%s", rules)
	}
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// httpGetHost fetches / from addr on the host, retrying while the server starts.
func httpGetHost(addr string) (string, error) {
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

// TestRunNetworkFlags checks the create and run flags against what the container
// gets.
func TestRunNetworkFlags(t *testing.T) {
	e := newNetEnv(t, "berth-c-flags")
	e.ok(t, "network", "create", "--subnet", "10.89.249.0/24", "--interface-name", "berthcf0", "berth-c-flags")
	out := e.ok(t, "run", "--rm", "--network", "berth-c-flags:ip=10.89.249.9,alias=one", "--mac-address", "92:d0:c6:0a:29:33",
		"--hostname", "flagged", e.ref, "sh", "-c", "ip -o addr show eth0; ip -o link show eth0; grep flagged /etc/hosts")
	for _, want := range []string{"10.89.249.9/24", "92:d0:c6:0a:29:33", "10.89.249.9\tflagged"} {
		if !strings.Contains(out, want) {
			t.Errorf("run on the network: no %q in\n%s", want, out)
		}
	}
	oneLineError(t, e.run(t, "run", "--rm", "--network", "none", "-p", "8080:80", "--ip", "10.89.249.5", e.ref, "true"), 125, "--ip needs a bridge network")
	oneLineError(t, e.run(t, "run", "--rm", "-p", "80/icmp", e.ref, "true"), 125, "icmp")
	oneLineError(t, e.run(t, "run", "--rm", "--network", "pasta", e.ref, "true"), 125, "not supported")
	oneLineError(t, e.run(t, "run", "--rm", "--network", "berth-c-nope", e.ref, "true"), 125, "berth-c-nope")
	// -P publishes --expose on a random host port, which ps shows.
	e.ok(t, "run", "-d", "--name", "pub", "-P", "--expose", "7000", e.ref, "sleep", "60")
	if out := e.ok(t, "ps", "--format", "{{.Ports}}"); !strings.HasPrefix(out, "0.0.0.0:") || !strings.HasSuffix(out, "->7000/tcp\n") {
		t.Errorf("ps of -P: %q", out)
	}
}

// TestNetworkRunKilled kills berth run -d of containers on a network, with a
// published port, at random points; after each, rm -f -i must remove what was left,
// and at the end nothing of the network may be left on the host: firewall rules,
// namespaces, addresses, the bridge.
func TestNetworkRunKilled(t *testing.T) {
	rng := killRand(t, 3)
	e := newNetEnv(t, "berth-c-kill")
	const subnet = "10.89.250.0/24"
	e.ok(t, "network", "create", "--subnet", subnet, "--interface-name", "berthck0", "berth-c-kill")
	killed := 0
	for i := range 12 {
		name := fmt.Sprintf("nk%02d", i)
		// A run -d on a network takes ~250 ms here.
		if e.killAfter(t, time.Duration(rng.Int64N(int64(350*time.Millisecond))),
			"run", "-d", "--name", name, "--network", "berth-c-kill", "-p", "127.0.0.1:18083:80", e.ref, "sleep", "1000") {
			killed++
		}
		if r := e.run(t, "rm", "-f", "-i", "-t", "0", name); r.code != 0 {
			t.Fatalf("kill %d: rm -f -i %s: exit %d: %s", i, name, r.code, r.stderr)
		}
	}
	t.Logf("%d of 12 runs killed", killed)
	// Still usable: a run gets the network and the port.
	e.ok(t, "run", "--rm", "--network", "berth-c-kill", "-p", "127.0.0.1:18083:80", e.ref, "true")
	e.waitExitCommands(t)
	rules, _ := exec.Command("iptables-save").CombinedOutput()
	if strings.Contains(string(rules), "10.89.250.") || strings.Contains(string(rules), "18083") {
		t.Errorf("firewall rules left:\n%s", rules)
	}
	if ns, _ := filepath.Glob(filepath.Join(e.opts.RunRoot, "berth", "netns", "*")); len(ns) != 0 {
		t.Errorf("network namespaces left: %v", ns)
	}
	var ipam struct {
		Networks map[string]struct{ Leases map[string]string }
	}
	if data, err := os.ReadFile(filepath.Join(e.opts.RunRoot, "networks", "ipam.json")); err != nil || json.Unmarshal(data, &ipam) != nil {
		t.Errorf("reading the address allocations: %v", err)
	} else if l := ipam.Networks["berth-c-kill"].Leases; len(l) != 0 {
		t.Errorf("addresses left: %v", l)
	}
	if err := exec.Command("ip", "link", "show", "berthck0").Run(); err == nil {
		t.Error("the bridge is left")
	}
}
