package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// newPodEnv is newCtrEnv whose pods are removed before its containers.
func newPodEnv(t *testing.T) *ctrEnv {
	t.Helper()
	e := newCtrEnv(t)
	t.Cleanup(func() {
		if r := e.run(t, "pod", "rm", "-a", "-f", "-t", "0"); r.code != 0 {
			t.Errorf("pod rm -a -f: exit %d: %s", r.code, r.stderr)
		}
	})
	return e
}

// waitFor polls cond for up to 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *ctrEnv) podStatus(t *testing.T, pod string) string {
	t.Helper()
	return strings.TrimSpace(e.ok(t, "pod", "ps", "--filter", "name=^"+pod+"$", "--format", "{{.Status}}"))
}

// TestPodCommands runs a pod through its commands: two containers that talk over
// localhost and share the pod's hostname, inspect and ps, stop and rm rules.
func TestPodCommands(t *testing.T) {
	e := newPodEnv(t)
	dir := t.TempDir()
	idFile := filepath.Join(dir, "web.pod-id")
	id := strings.TrimSpace(e.ok(t, "pod", "create", "--name", "web", "--pod-id-file", idFile, "--label", "app=shop",
		"--hostname", "webhost", "--network", "none", "--infra-name", "web-infra"))
	if data, _ := os.ReadFile(idFile); string(data) != id || len(id) != 64 {
		t.Fatalf("pod create printed %q, --pod-id-file holds %q", id, data)
	}
	oneLineError(t, e.run(t, "pod", "create", "--name", "web", "--network", "none"), 125, `"web" is already in use`)
	if e.run(t, "pod", "exists", "web").code != 0 || e.run(t, "pod", "exists", "nope").code != 1 {
		t.Error("pod exists: wrong exit codes")
	}
	// A pod and a container cannot share a name, either way.
	oneLineError(t, e.run(t, "create", "--name", "web", "--network", "none", e.ref, "true"), 125, "already in use")

	e.ok(t, "run", "-d", "--name", "server", "--pod", "web", e.ref, "sh", "-c", "echo pong | nc -l -p 80; sleep 1000")
	out := e.ok(t, "run", "--rm", "--pod-id-file", idFile, e.ref, "sh", "-c",
		"for i in $(seq 50); do nc 127.0.0.1 80 </dev/null && break; sleep 0.1; done; hostname")
	if out != "pong\nwebhost\n" {
		t.Errorf("client in the pod printed %q, want pong and the pod's hostname", out)
	}
	oneLineError(t, e.run(t, "run", "--rm", "--pod", "web", "--network", "host", e.ref, "true"), 125, "--network cannot be set")
	oneLineError(t, e.run(t, "run", "--rm", "--pod", "nope", e.ref, "true"), 125, `no pod with name or ID "nope"`)

	if got := e.ok(t, "pod", "ps", "--format", "{{.Name}} {{.Status}} {{.NumberOfContainers}} {{.Labels}}"); got != "web Running 2 map[app:shop]\n" {
		t.Errorf("pod ps: %q", got)
	}
	if got := e.ok(t, "pod", "ps", "-q", "--no-trunc"); got != id+"\n" {
		t.Errorf("pod ps -q --no-trunc: %q", got)
	}
	for filter, want := range map[string]string{
		"ctr-names=server": id[:12] + "\n", "status=running": id[:12] + "\n", "label=app=shop": id[:12] + "\n",
		"status=exited": "", "ctr-number=3": "", "name=^we": id[:12] + "\n",
	} {
		if got := e.ok(t, "pod", "ps", "-q", "--filter", filter); got != want {
			t.Errorf("pod ps --filter %s: %q, want %q", filter, got, want)
		}
	}
	if got := e.ok(t, "ps", "--format", "{{.Names}} {{.PodName}} {{.IsInfra}}", "--sort", "names"); got != "server web false\nweb-infra web true\n" {
		t.Errorf("ps with pods: %q", got)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(e.ok(t, "pod", "inspect", "web")), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("pod inspect: %v (%d documents)", err, len(docs))
	}
	d := docs[0]
	infraID, _ := d["InfraContainerID"].(string)
	if d["Id"] != id || d["Name"] != "web" || d["State"] != "Running" || d["Hostname"] != "webhost" ||
		d["ExitPolicy"] != "continue" || d["NumContainers"] != 2.0 || len(infraID) != 64 {
		t.Errorf("pod inspect: %v", d)
	}
	if got := e.ok(t, "pod", "inspect", "--format", "{{.Name}} {{len .Containers}} {{.SharedNamespaces}}", "web"); got != "web 2 [ipc net uts]\n" {
		t.Errorf("pod inspect --format: %q", got)
	}
	if got := e.ok(t, "inspect", "--format", "{{.Name}}", infraID); got != "web-infra\n" {
		t.Errorf("infra container's name %q", got)
	}

	oneLineError(t, e.run(t, "rm", "-f", "web-infra"), 2, "infra container of pod web")
	oneLineError(t, e.run(t, "pod", "rm", "web"), 2, "running containers")
	start := time.Now()
	if got := e.ok(t, "pod", "stop", "-t", "0", "web"); got != id+"\n" {
		t.Errorf("pod stop printed %q", got)
	}
	t.Logf("pod stop -t 0 of 2 containers: %v", time.Since(start))
	if got := e.podStatus(t, "web"); got != "Exited" {
		t.Errorf("stopped pod is %q", got)
	}
	e.ok(t, "pod", "start", "web")
	if got := e.ok(t, "ps", "--format", "{{.Names}}", "--sort", "names"); got != "server\nweb-infra\n" {
		t.Errorf("running after pod start: %q", got)
	}
	if got := e.ok(t, "pod", "rm", "-f", "-t", "0", "--pod-id-file", idFile); got != id+"\n" {
		t.Errorf("pod rm printed %q", got)
	}
	if _, err := os.Stat(idFile); !os.IsNotExist(err) {
		t.Errorf("--pod-id-file is still there: %v", err)
	}
	if got := e.ok(t, "ps", "-a", "-q"); got != "" {
		t.Errorf("containers outlived their pod: %q", got)
	}
	oneLineError(t, e.run(t, "pod", "rm", "web"), 1, "no pod with name or ID")
	e.ok(t, "pod", "rm", "--ignore", "web")
	e.checkState(t)
}

// TestPodQuadletCommands runs the exact commands Quadlet generates for a .pod unit and
// a .container with Pod= (exit policy stop, --infra-conmon-pidfile): the pod stops
// when its last container is removed by its unit's ExecStop.
func TestPodQuadletCommands(t *testing.T) {
	e := newPodEnv(t)
	pidFile := filepath.Join(t.TempDir(), "web-pod.pid")
	e.ok(t, "pod", "create", "--infra-conmon-pidfile="+pidFile, "--replace", "--exit-policy", "stop",
		"--network", "none", "--infra-name", "systemd-web-infra", "--name", "systemd-web")
	// ExecStartPre again (a restart of the unit): --replace.
	e.ok(t, "pod", "create", "--infra-conmon-pidfile="+pidFile, "--replace", "--exit-policy", "stop",
		"--network", "none", "--infra-name", "systemd-web-infra", "--name", "systemd-web")
	e.ok(t, "pod", "start", "systemd-web")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	infra, err := e.engine(t).ObservedContainer("systemd-web-infra")
	if err != nil {
		t.Fatal(err)
	}
	if pid, _ := strconv.Atoi(string(data)); pid != infra.State.ConmonPid || pid == 0 {
		t.Errorf("--infra-conmon-pidfile holds %q, the infra's conmon is %d", data, infra.State.ConmonPid)
	}
	e.ok(t, "run", "--name", "systemd-app", "--replace", "--rm", "--cgroups=split", "--sdnotify=conmon", "-d",
		"--pod", "systemd-web", e.ref, "sleep", "1000")
	if got := e.podStatus(t, "systemd-web"); got != "Running" {
		t.Errorf("pod with its container: %q", got)
	}
	// The container's ExecStop: the last container goes, and with it the pod.
	e.ok(t, "rm", "-v", "-f", "-t", "0", "-i", "systemd-app")
	waitFor(t, "the pod to stop after its last container", func() bool { return e.podStatus(t, "systemd-web") == "Exited" })
	if _, err := os.FindProcess(infra.State.ConmonPid); err == nil {
		waitFor(t, "the infra's conmon to exit", func() bool {
			_, err := os.Stat(fmt.Sprintf("/proc/%d", infra.State.ConmonPid))
			return err != nil
		})
	}
	// The pod's ExecStop and ExecStopPost.
	start := time.Now()
	e.ok(t, "pod", "stop", "--ignore", "--time=10", "systemd-web")
	e.ok(t, "pod", "rm", "--ignore", "--force", "systemd-web")
	e.ok(t, "pod", "stop", "--ignore", "--time=10", "systemd-web")
	e.ok(t, "pod", "rm", "--ignore", "--force", "systemd-web")
	t.Logf("pod stop and rm, twice: %v", time.Since(start))
	// The infra stops at once on SIGTERM: a pod stop does not wait for --time.
	e.ok(t, "pod", "create", "--network", "none", "--name", "quick")
	e.ok(t, "pod", "start", "quick")
	start = time.Now()
	e.ok(t, "pod", "stop", "--time=10", "quick")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("pod stop of an idle pod took %v: the infra ignores SIGTERM", took)
	}
	e.checkState(t)
}

// TestPodRemoveKilled kills pod create, start and rm -f with SIGKILL at random points;
// pod rm -f -i must always clean up what is left, and the store must check clean.
func TestPodRemoveKilled(t *testing.T) {
	rng := killRand(t, 7)
	e := newPodEnv(t)
	const rounds = 8
	killed := 0
	for i := range rounds {
		name := fmt.Sprintf("kp%02d", i)
		if e.killAfter(t, time.Duration(rng.Int64N(int64(150*time.Millisecond))),
			"pod", "create", "--network", "none", "--name", name) {
			killed++
		}
		if e.run(t, "pod", "exists", name).code == 0 {
			e.run(t, "run", "-d", "--pod", name, e.ref, "sleep", "1000")
			if e.killAfter(t, time.Duration(rng.Int64N(int64(150*time.Millisecond))), "pod", "rm", "-f", "-t", "0", name) {
				killed++
			}
		}
		if r := e.run(t, "pod", "rm", "-f", "-i", "-t", "0", name); r.code != 0 {
			t.Fatalf("round %d: pod rm -f -i after the kill: exit %d: %s", i, r.code, r.stderr)
		}
		if r := e.run(t, "pod", "exists", name); r.code != 1 {
			t.Fatalf("round %d: pod %s still exists", i, name)
		}
		if got := e.ok(t, "ps", "-a", "--format", "{{.Names}} {{.Pod}}"); got != "" {
			t.Fatalf("round %d: containers left: %q", i, got)
		}
	}
	t.Logf("%d of %d pod creates and removals killed", killed, 2*rounds)
	e.waitExitCommands(t)
	e.checkState(t)
	checkStorageClean(t, e.engine(t).Store())
	pods, err := e.engine(t).ListPods()
	if err != nil || len(pods) != 0 {
		t.Errorf("pods left: %v %v", pods, err)
	}
}
