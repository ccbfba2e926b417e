package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
	"github.com/berth-containers/berth/engine/state"
)

// ctrEnv is a storage with the busybox image for berth processes that run
// containers; every container left is removed when the test ends.
type ctrEnv struct {
	*imageEnv
	ref string
}

func newCtrEnv(t *testing.T) *ctrEnv {
	t.Helper()
	enginetest.RequireBinary(t, "conmon")
	e := &ctrEnv{imageEnv: newImageEnv(t), ref: enginetest.BusyboxRef()}
	e.ok(t, "pull", "-q", e.ref)
	t.Cleanup(func() {
		if r := e.run(t, "rm", "-a", "-f", "-t", "0"); r.code != 0 {
			t.Errorf("rm -a -f: exit %d: %s", r.code, r.stderr)
		}
		e.waitExitCommands(t)
	})
	return e
}

// waitExitCommands waits until no process uses the test's storage any more: conmon's
// exit commands (berth container cleanup) run on after the containers are gone, and
// would write in the roots while they are removed.
func (e *ctrEnv) waitExitCommands(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		busy := ""
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			data, err := os.ReadFile(p)
			if err == nil && strings.Contains(string(data), e.opts.Root+"\x00") {
				busy = strings.ReplaceAll(string(data), "\x00", " ")
				break
			}
		}
		if busy == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("still using the test storage: %s", busy)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// engine opens the test's storage in this process, to look at records.
func (e *ctrEnv) engine(t *testing.T) *engine.Runtime {
	t.Helper()
	rt, err := engine.New(context.Background(), engine.Options{Root: e.opts.Root, RunRoot: e.opts.RunRoot, StorageDriver: e.opts.StorageDriver})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Shutdown(false) })
	return rt
}

func (e *ctrEnv) containers(t *testing.T) []*engine.Container {
	t.Helper()
	list, err := e.engine(t).ListContainers()
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// checkState verifies the state store's indexes and that every record has its
// storage container and the other way round.
func (e *ctrEnv) checkState(t *testing.T) {
	t.Helper()
	s, err := state.Open(filepath.Join(e.opts.Root, "berth", "state.db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("state store: %v", err)
	}
	rt := e.engine(t)
	list, err := rt.ListContainers()
	if err != nil {
		t.Fatal(err)
	}
	stored, err := rt.Store().Containers()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range stored {
		ids[c.ID] = true
	}
	for _, c := range list {
		if !ids[c.ID] {
			t.Errorf("container %s (%s) has no storage container", c.ID[:12], c.Name)
		}
		delete(ids, c.ID)
	}
	for id := range ids {
		t.Errorf("storage container %s has no record", id[:12])
	}
}

func TestRunForeground(t *testing.T) {
	e := newCtrEnv(t)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"true"}, 0},
		{[]string{"sh", "-c", "exit 3"}, 3},
		{[]string{"/etc/passwd"}, 126},
		{[]string{"no-such-command"}, 127},
	} {
		r := e.run(t, append([]string{"run", "--rm", "--network=none", e.ref}, tc.args...)...)
		if r.code != tc.code {
			t.Errorf("run %v: exit %d, want %d (stderr %q)", tc.args, r.code, tc.code, r.stderr)
		}
	}
	r := e.run(t, "container", "run", "--rm", "--network=none", e.ref, "sh", "-c", "echo out; echo err >&2; exit 2")
	if r.code != 2 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Errorf("streams: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	cmd := berthCommand(t, append(e.args, "run", "--rm", "-i", e.ref, "sh", "-c", "read x; echo got $x")...)
	cmd.Stdin = strings.NewReader("hello\n")
	if out, err := cmd.Output(); err != nil || string(out) != "got hello\n" {
		t.Errorf("run -i: %q, %v", out, err)
	}
	if n := len(e.containers(t)); n != 0 {
		t.Errorf("%d containers left after run --rm", n)
	}
}

func TestRunDetachedLifecycle(t *testing.T) {
	e := newCtrEnv(t)
	id := strings.TrimSpace(e.ok(t, "run", "-d", "--name", "web", e.ref, "sleep", "1000"))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q", id)
	}
	if r := e.run(t, "container", "exists", "web"); r.code != 0 {
		t.Errorf("exists web: %d", r.code)
	}
	if r := e.run(t, "container", "exists", "nope"); r.code != 1 || r.stderr != "" {
		t.Errorf("exists nope: %d %q", r.code, r.stderr)
	}
	r := e.run(t, "run", "-d", "--name", "web", e.ref, "true")
	oneLineError(t, r, 125, "already in use")
	if r := e.run(t, "rm", "web"); r.code != 2 {
		t.Errorf("rm of a running container: exit %d, want 2 (%s)", r.code, r.stderr)
	}
	if out := e.ok(t, "kill", "web"); out != "web\n" {
		t.Errorf("kill printed %q", out)
	}
	if out := e.ok(t, "wait", "web"); out != "137\n" {
		t.Errorf("wait after kill: %q", out)
	}
	e.ok(t, "start", "web")
	start := time.Now()
	if out := e.ok(t, "stop", "-t", "1", "web"); out != "web\n" {
		t.Errorf("stop printed %q", out)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("stop -t 1 of a container ignoring SIGTERM took %v", d)
	}
	if out := e.ok(t, "container", "wait", id[:12]); out != "137\n" {
		t.Errorf("wait after stop: %q", out)
	}
	if out := e.ok(t, "restart", "web"); strings.TrimSpace(out) != id {
		t.Errorf("restart printed %q", out)
	}
	if c := e.containers(t); len(c) != 1 || c[0].State.Status != engine.StatusRunning {
		t.Errorf("after restart: %+v", c)
	}
	if out := e.ok(t, "rm", "-f", "-t", "0", "web"); out != "web\n" {
		t.Errorf("rm -f printed %q", out)
	}
	oneLineError(t, e.run(t, "rm", "web"), 1, "no such container")
	if r := e.run(t, "rm", "-i", "web"); r.code != 0 || r.stdout != "" {
		t.Errorf("rm -i of a missing container: %d %q %q", r.code, r.stdout, r.stderr)
	}
	oneLineError(t, e.run(t, "stop", "web"), 125, "no such container")
	e.checkState(t)
}

func TestRunRemoveAndCIDFile(t *testing.T) {
	e := newCtrEnv(t)
	dir := t.TempDir()
	cid := filepath.Join(dir, "ctr.cid")
	id := strings.TrimSpace(e.ok(t, "run", "-d", "--rm", "--cidfile", cid, e.ref, "sh", "-c", "sleep 0.3; exit 4"))
	if data, err := os.ReadFile(cid); err != nil || string(data) != id {
		t.Fatalf("cidfile: %q, %v; want %s", data, err, id)
	}
	// The exit command (berth container cleanup --rm) removes it after it exits.
	deadline := time.Now().Add(10 * time.Second)
	for e.run(t, "container", "exists", id).code == 0 {
		if time.Now().After(deadline) {
			t.Fatal("--rm container still there 10 s after it exited")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(cid); !os.IsNotExist(err) {
		t.Errorf("cidfile left: %v", err)
	}
	if out := e.ok(t, "wait", "--ignore", id); out != "4\n" {
		t.Errorf("wait of a removed --rm container: %q, want its code 4", out)
	}
	// A cidfile naming a live container is refused, before anything is made.
	other := strings.TrimSpace(e.ok(t, "create", "--cidfile", cid, e.ref, "true"))
	oneLineError(t, e.run(t, "create", "--cidfile", cid, e.ref, "true"), 125, "ID file")
	e.ok(t, "rm", other)
	if _, err := os.Stat(cid); !os.IsNotExist(err) {
		t.Errorf("cidfile left after rm: %v", err)
	}
	e.ok(t, "run", "--rm", "--cidfile", cid, e.ref, "true")
	if _, err := os.Stat(cid); !os.IsNotExist(err) {
		t.Errorf("cidfile left after run --rm: %v", err)
	}
	if n := len(e.containers(t)); n != 0 {
		t.Errorf("%d containers left", n)
	}
}

func TestRunReplace(t *testing.T) {
	e := newCtrEnv(t)
	loop := []string{"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"}
	old := strings.TrimSpace(e.ok(t, append([]string{"run", "-d", "--name", "svc", e.ref}, loop...)...))
	time.Sleep(200 * time.Millisecond) // the trap is set
	id := strings.TrimSpace(e.ok(t, append([]string{"run", "-d", "--replace", "--name", "svc", e.ref}, loop...)...))
	if id == old || len(id) != 64 {
		t.Fatalf("replaced %s with %q", old, id)
	}
	list := e.containers(t)
	if len(list) != 1 || list[0].ID != id || list[0].Name != "svc" || list[0].State.Status != engine.StatusRunning {
		t.Errorf("after --replace: %+v", list)
	}
	oneLineError(t, e.run(t, "run", "-d", "--replace", e.ref, "true"), 125, "--replace needs --name")
	e.checkState(t)
}

func TestRunSettingsInside(t *testing.T) {
	e := newCtrEnv(t)
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("# comment\nFROMFILE=file value\nOVER=file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BERTH_HOST_VAR", "from host")
	script := `echo "$FROMFILE|$OVER|$BERTH_HOST_VAR|$(id -u):$(id -g)|$(pwd)|$(hostname)|$(cat /etc/hostname)"`
	r := e.run(t, "run", "--name", "inside", "--env-file", envFile, "-e", "OVER=flag", "-e", "BERTH_HOST_VAR",
		"-u", "65534:0", "-w", "/tmp", "--hostname", "boxy", "--label", "app=web", "--annotation", "team=ops",
		"--entrypoint", "sh", e.ref, "-c", script)
	if r.code != 0 || r.stdout != "file value|flag|from host|65534:0|/tmp|boxy|boxy\n" {
		t.Errorf("inside: exit %d, %q (stderr %q)", r.code, r.stdout, r.stderr)
	}
	rt := e.engine(t)
	c, err := rt.LookupContainer("inside")
	if err != nil {
		t.Fatal(err)
	}
	if c.Labels["app"] != "web" || c.Labels["org.opencontainers.image.title"] != "busybox" || c.State.ExitCode != 0 {
		t.Errorf("record: labels %v, state %+v", c.Labels, c.State)
	}
	data, err := os.ReadFile(filepath.Join(c.Bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Annotations map[string]string }
	if err := json.Unmarshal(data, &s); err != nil || s.Annotations["team"] != "ops" {
		t.Errorf("spec annotations %v, %v", s.Annotations, err)
	}
	// --entrypoint as a JSON array, and the host network's name.
	host, _ := os.Hostname()
	r = e.run(t, "run", "--rm", "--network", "host", "--entrypoint", `["sh","-c"]`, e.ref, "hostname")
	if r.code != 0 || r.stdout != host+"\n" {
		t.Errorf("--network host: exit %d, %q, want %q (%s)", r.code, r.stdout, host, r.stderr)
	}
}

// Flags the generator emits but berth does not implement are refused by name, and
// invalid values fail before anything is created.
func TestRunRejects(t *testing.T) {
	e := newCtrEnv(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--health-startup-cmd", "true"}, "--health-startup-cmd needs a regular healthcheck"},
		{[]string{"--pod", "mypod"}, `no pod with name or ID "mypod"`},
		{[]string{"--secret", "s"}, "--secret: secret s: no such secret"},
		{[]string{"--secret", "s,type=env,mode=0400"}, "mode is only for type=mount"},
		{[]string{"--ip", "10.0.0.2"}, "address 10.0.0.2 is not in a subnet of the network"},
		{[]string{"--publish", "80/icmp"}, "protocol icmp"},
		{[]string{"-v", "data:/data:O"}, `option "O" is not supported yet`},
		{[]string{"--mount", "type=volume,target=/v,volume-opt=x"}, `option "volume-opt" is not supported yet`},
		{[]string{"--security-opt", "label=level:s0"}, "SELinux"},
		{[]string{"--network", "bridge:colour=red"}, `unknown option "colour"`},
		{[]string{"--network", "slirp4netns"}, "--network=slirp4netns (rootless networking) is not supported yet"},
		{[]string{"--sdnotify=healthy"}, "--sdnotify=healthy needs a healthcheck"},
		{[]string{"--sdnotify=bogus"}, "--sdnotify"},
		{[]string{"--cgroups=bogus"}, "--cgroups"},
		{[]string{"--log-driver=syslog"}, "--log-driver"},
		{[]string{"--pull=sometimes"}, "--pull"},
		{[]string{"--stop-signal=SIGNOPE"}, "invalid signal"},
		{[]string{"--name", "bad name"}, "invalid container name"},
	} {
		r := e.run(t, append(append([]string{"run", "-d"}, tc.args...), e.ref, "true")...)
		oneLineError(t, r, 125, tc.msg)
	}
	oneLineError(t, e.run(t, "run", "--pull=never", "127.0.0.1:5000/nope:latest", "true"), 125, "nope")
	oneLineError(t, e.run(t, "run", enginetest.RegistryAddr()+"/nope:latest", "true"), 125, "nope")
	if n := len(e.containers(t)); n != 0 {
		t.Errorf("%d containers created by rejected runs", n)
	}
}

// rm -f of one container from two processes at once: one removes it, the other
// finds nothing (exit 1) or, with -i, succeeds too.
func TestRemoveFromTwoProcesses(t *testing.T) {
	e := newCtrEnv(t)
	for round, ignore := range []bool{false, false, true} {
		name := fmt.Sprintf("twice%d", round)
		e.ok(t, "run", "-d", "--name", name, e.ref, "sleep", "1000")
		args := []string{"rm", "-f", "-t", "0"}
		if ignore {
			args = append(args, "-i")
		}
		results := make([]result, 2)
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = e.run(t, append(args, name)...)
			}()
		}
		wg.Wait()
		codes := map[int]int{}
		for _, r := range results {
			codes[r.code]++
			if r.code == 1 && !strings.Contains(r.stderr, "no such container") {
				t.Errorf("loser's error: %q", r.stderr)
			}
		}
		want := map[int]int{0: 1, 1: 1}
		if ignore {
			want = map[int]int{0: 2}
		}
		if fmt.Sprint(codes) != fmt.Sprint(want) {
			t.Errorf("round %d (ignore %v): exit codes %v, want %v: %+v", round, ignore, codes, want, results)
		}
	}
	if n := len(e.containers(t)); n != 0 {
		t.Errorf("%d containers left", n)
	}
	e.checkState(t)
}

// 20 berth run -d at once, as many units at boot: 20 running containers and a
// consistent store.
func TestConcurrentRunDetached(t *testing.T) {
	e := newCtrEnv(t)
	const n = 20
	results := make([]result, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.run(t, "run", "-d", "--name", fmt.Sprintf("c%02d", i), "--cgroups=split", e.ref, "sleep", "1000")
		}()
	}
	wg.Wait()
	t.Logf("%d concurrent run -d took %v", n, time.Since(start))
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("run c%02d: exit %d: %s", i, r.code, r.stderr)
		}
	}
	list := e.containers(t)
	if len(list) != n {
		t.Fatalf("%d containers, want %d", len(list), n)
	}
	for _, c := range list {
		alive := false
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c.State.ConmonPid)); err == nil {
			alive = strings.TrimSpace(string(comm)) == "conmon"
		}
		if c.State.Status != engine.StatusRunning || !alive {
			t.Errorf("%s: status %s, conmon %d alive %v", c.Name, c.State.Status, c.State.ConmonPid, alive)
		}
	}
	e.checkState(t)
	e.ok(t, "rm", "-a", "-f", "-t", "0")
	if n := len(e.containers(t)); n != 0 {
		t.Errorf("%d containers left after rm -a", n)
	}
	e.checkState(t)
}

func TestRunCgroupsModes(t *testing.T) {
	e := newCtrEnv(t)
	for _, mode := range []string{"enabled", "split", "no-conmon"} {
		if r := e.run(t, "run", "--rm", "--cgroups="+mode, e.ref, "true"); r.code != 0 {
			t.Errorf("--cgroups=%s: exit %d: %s", mode, r.code, r.stderr)
		}
	}
	// Without a runtime that can run without cgroups (crun works here only in the
	// systemd sandbox), --cgroups=disabled must say so.
	r := e.run(t, "run", "--rm", "--cgroups=disabled", e.ref, "true")
	if r.code != 0 && !strings.Contains(r.stderr, "--cgroups=disabled") {
		t.Errorf("--cgroups=disabled: exit %d: %s", r.code, r.stderr)
	}
}

// rmi --force removes the image's containers, running or not, through the engine's
// container removal.
func TestRmiForceRemovesContainers(t *testing.T) {
	e := newCtrEnv(t)
	e.ok(t, "run", "-d", "--stop-timeout", "0", e.ref, "sleep", "1000")
	e.ok(t, "create", e.ref, "true")
	if r := e.run(t, "rmi", e.ref); r.code == 0 {
		t.Fatal("rmi of an image that containers use worked")
	}
	e.ok(t, "rmi", "-f", e.ref)
	if n := len(e.containers(t)); n != 0 {
		t.Errorf("%d containers left after rmi -f", n)
	}
	e.checkState(t)
}

// The spec-level flags reach the container (the engine's tests check each in depth).
func TestRunSpecFlags(t *testing.T) {
	e := newCtrEnv(t)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "f"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("http_proxy", "http://proxy.example:3128")
	t.Setenv("BERTH_ONLY_WITH_ENV_HOST", "yes")
	script := `touch /x 2>/dev/null || echo ro; cat /data/f; grep -c " /scratch tmpfs" /proc/mounts; ` +
		`grep NoNewPrivs /proc/self/status | tr -s '\t' ' '; grep -w "db$" /etc/hosts; cat /proc/1/comm; ` +
		`echo "$http_proxy|$BERTH_ONLY_WITH_ENV_HOST"`
	r := e.run(t, "run", "--rm", "--read-only", "-v", host+":/data:ro", "--tmpfs", "/scratch:size=1m",
		"--security-opt", "no-new-privileges", "--add-host", "db:10.0.0.5", "--init", "--memory", "32m",
		"--pids-limit", "50", "--cap-drop", "all", "--ulimit", "nofile=500", "--tz", "UTC", e.ref, "sh", "-c", script)
	want := "ro\nfrom host\n1\nNoNewPrivs: 1\n10.0.0.5\tdb\npodman-init\nhttp://proxy.example:3128|\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, %q, want %q (%s)", r.code, r.stdout, want, r.stderr)
	}
	r = e.run(t, "run", "--rm", "--env-host", "--http-proxy=false", e.ref, "sh", "-c", `echo "$BERTH_ONLY_WITH_ENV_HOST"`)
	if r.code != 0 || r.stdout != "yes\n" {
		t.Errorf("--env-host: exit %d, %q (%s)", r.code, r.stdout, r.stderr)
	}
	r = e.run(t, "run", "--rm", "--http-proxy=false", e.ref, "sh", "-c", `echo "[$http_proxy]"`)
	if r.code != 0 || r.stdout != "[]\n" {
		t.Errorf("--http-proxy=false: exit %d, %q (%s)", r.code, r.stdout, r.stderr)
	}
}

// rm, stop and kill take the container from a --cidfile, as the units podman's
// generators wrote do; with --ignore a missing file is nothing to do.
func TestCIDFileCommands(t *testing.T) {
	e := newCtrEnv(t)
	cid := filepath.Join(t.TempDir(), "ctr.cid")
	r := e.run(t, "run", "-d", "--cidfile", cid, "--name", "cidf", e.ref, "sleep", "1000")
	if r.code != 0 {
		t.Fatalf("run: exit %d (%s)", r.code, r.stderr)
	}
	if r = e.run(t, "kill", "--cidfile", cid, "--signal", "KILL"); r.code != 0 {
		t.Errorf("kill --cidfile: exit %d (%s)", r.code, r.stderr)
	}
	if r = e.run(t, "stop", "--cidfile", cid); r.code != 0 {
		t.Errorf("stop --cidfile: exit %d (%s)", r.code, r.stderr)
	}
	if r = e.run(t, "rm", "-f", "--cidfile", cid); r.code != 0 {
		t.Errorf("rm --cidfile: exit %d (%s)", r.code, r.stderr)
	}
	if r = e.run(t, "container", "exists", "cidf"); r.code != 1 {
		t.Errorf("container still exists after rm --cidfile (exit %d)", r.code)
	}
	if _, err := os.Stat(cid); !os.IsNotExist(err) {
		t.Errorf("cidfile left behind: %v", err)
	}
	if r = e.run(t, "rm", "-f", "-i", "--cidfile", cid); r.code != 0 {
		t.Errorf("rm -i with a missing cidfile: exit %d (%s)", r.code, r.stderr)
	}
	if r = e.run(t, "rm", "-f", "--cidfile", cid); r.code == 0 || !strings.Contains(r.stderr, "--cidfile") {
		t.Errorf("rm without -i and a missing cidfile: exit %d (%s)", r.code, r.stderr)
	}
}
