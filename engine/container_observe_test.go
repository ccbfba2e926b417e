package engine_test

import (
	"context"
	"errors"
	"math/bits"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

// obsContainer creates (and, with start, starts) a busybox container running args.
// Its exit command is /bin/true: this test binary is not berth, so records learn of
// an exit only by looking (which is what ps, inspect and logs must do).
func obsContainer(t *testing.T, rt *engine.Runtime, cfg engine.ContainerConfig, start bool, args ...string) *engine.Container {
	t.Helper()
	ctx := context.Background()
	cfg.Command = args
	cfg.ExitCommand = []string{"/bin/true"}
	c, err := rt.CreateContainer(ctx, engine.CreateOptions{ContainerConfig: cfg, Image: enginetest.BusyboxRef()})
	if err != nil {
		t.Fatalf("create %v: %v", args, err)
	}
	t.Cleanup(func() {
		if err := rt.RemoveContainer(ctx, c.ID, engine.RemoveContainerOptions{Force: true, Ignore: true, Timeout: new(uint)}); err != nil {
			t.Errorf("removing container %s: %v", c.ID[:12], err)
		}
	})
	if start {
		if c, err = rt.StartContainer(ctx, c.ID, engine.StartOptions{}); err != nil {
			t.Fatalf("start %v: %v", args, err)
		}
	}
	return c
}

func waitExit(t *testing.T, rt *engine.Runtime, id string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, err := rt.WaitContainer(ctx, id)
	if err != nil {
		t.Fatalf("waiting for %s: %v", id[:12], err)
	}
	return code
}

func names(list []engine.ContainerSummary) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Name)
	}
	return out
}

func TestContainerListAndInspect(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	data := t.TempDir()
	running := obsContainer(t, rt, engine.ContainerConfig{Name: "obs-run", Labels: map[string]string{"tier": "web"},
		Env: []string{"FROM=user"}, WorkDir: "/tmp", Volumes: []string{data + ":/data:ro"}, Tmpfs: []string{"/scratch"},
		CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"CHOWN"}}, true, "sleep", "1000")
	exited := obsContainer(t, rt, engine.ContainerConfig{Name: "obs-exit"}, true, "sh", "-c", "exit 3")
	waitExit(t, rt, exited.ID)
	created := obsContainer(t, rt, engine.ContainerConfig{Name: "obs-created"}, false, "echo", "hi")

	list := func(o engine.ContainerListOptions) []string {
		t.Helper()
		l, err := rt.ContainerList(ctx, o)
		if err != nil {
			t.Fatalf("list %+v: %v", o, err)
		}
		return names(l)
	}
	for _, tc := range []struct {
		o    engine.ContainerListOptions
		want []string
	}{
		{engine.ContainerListOptions{}, []string{"obs-run"}},
		{engine.ContainerListOptions{All: true}, []string{"obs-created", "obs-exit", "obs-run"}},
		{engine.ContainerListOptions{Last: 2}, []string{"obs-created", "obs-exit"}},
		{engine.ContainerListOptions{Latest: true}, []string{"obs-created"}},
		{engine.ContainerListOptions{Filters: []string{"status=exited"}}, []string{"obs-exit"}},
		{engine.ContainerListOptions{Filters: []string{"status=created", "status=running"}}, []string{"obs-created", "obs-run"}},
		{engine.ContainerListOptions{All: true, Filters: []string{"exited=3"}}, []string{"obs-exit"}},
		{engine.ContainerListOptions{All: true, Filters: []string{"exited=0"}}, nil},
		{engine.ContainerListOptions{All: true, Filters: []string{"label=tier=web"}}, []string{"obs-run"}},
		{engine.ContainerListOptions{All: true, Filters: []string{"label=tier", "label=org.opencontainers.image.title=busybox"}}, []string{"obs-run"}},
		{engine.ContainerListOptions{All: true, Filters: []string{"name=^obs-(run|exit)$"}}, []string{"obs-exit", "obs-run"}},
		{engine.ContainerListOptions{All: true, Filters: []string{"id=" + created.ID[:8]}}, []string{"obs-created"}},
		{engine.ContainerListOptions{All: true, Filters: []string{"ancestor=" + enginetest.BusyboxRef()}}, []string{"obs-created", "obs-exit", "obs-run"}},
		{engine.ContainerListOptions{All: true, Filters: []string{"ancestor=" + running.ImageID[:12]}}, []string{"obs-created", "obs-exit", "obs-run"}},
		{engine.ContainerListOptions{All: true, Filters: []string{"ancestor=nope:v1"}}, nil},
		{engine.ContainerListOptions{All: true, Filters: []string{"before=obs-created"}}, []string{"obs-exit", "obs-run"}},
		{engine.ContainerListOptions{All: true, Filters: []string{"since=obs-run"}}, []string{"obs-created", "obs-exit"}},
	} {
		if got := list(tc.o); !slices.Equal(got, tc.want) {
			t.Errorf("list %+v = %v, want %v", tc.o, got, tc.want)
		}
	}
	for _, bad := range []string{"status=sleeping", "exited=x", "color=red", "novalue", "name=("} {
		if _, err := rt.ContainerList(ctx, engine.ContainerListOptions{Filters: []string{bad}}); err == nil {
			t.Errorf("filter %q accepted", bad)
		}
	}

	// The exit was recorded by no cleanup (the exit command is /bin/true): ps sees it
	// from conmon's exit file.
	l, err := rt.ContainerList(ctx, engine.ContainerListOptions{Filters: []string{"name=obs-exit"}, All: true})
	if err != nil || len(l) != 1 {
		t.Fatalf("list obs-exit: %v %v", err, l)
	}
	if l, err := rt.ContainerList(ctx, engine.ContainerListOptions{}); err != nil || len(l) != 1 || !slices.Equal(l[0].Mounts, []string{"/data"}) {
		t.Errorf("ps Mounts: %v, %+v", err, l)
	}
	if s := l[0]; s.State != engine.StatusExited || s.ExitCode != 3 || !s.Exited() || s.FinishedAt.IsZero() ||
		!slices.Equal(s.Command, []string{"sh", "-c", "exit 3"}) || s.Image != enginetest.BusyboxRef() {
		t.Errorf("summary of obs-exit: %+v", s)
	}

	d, err := rt.InspectContainer(ctx, "obs-run", true)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != running.ID || d.Name != "obs-run" || d.Path != "sleep" || !slices.Equal(d.Args, []string{"1000"}) ||
		!d.State.Running || d.State.Status != "running" || d.State.Pid <= 0 || d.State.ConmonPid <= 0 ||
		d.Image != running.ImageID || d.ImageName != enginetest.BusyboxRef() || !strings.HasPrefix(d.ImageDigest, "sha256:") {
		t.Errorf("inspect obs-run: %+v, state %+v", d, d.State)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(d.State.Pid)); err != nil {
		t.Errorf("inspect's pid %d: %v", d.State.Pid, err)
	}
	cfg := d.Config
	if cfg.Labels["tier"] != "web" || cfg.WorkingDir != "/tmp" || !slices.Contains(cfg.Env, "FROM=user") ||
		!slices.Contains(cfg.Env, "container=podman") || !slices.Equal(cfg.Cmd, []string{"sleep", "1000"}) ||
		cfg.StopSignal != "SIGTERM" || cfg.Hostname != running.ID[:12] || cfg.Image != enginetest.BusyboxRef() {
		t.Errorf("inspect obs-run Config: %+v", cfg)
	}
	hc := d.HostConfig
	if hc.NetworkMode != "bridge" || hc.LogConfig.Type != "k8s-file" || hc.LogConfig.Path == "" || hc.RestartPolicy.Name != "no" ||
		!slices.Contains(d.BoundingCaps, "CAP_NET_ADMIN") || slices.Contains(d.BoundingCaps, "CAP_CHOWN") ||
		!slices.Equal(hc.CapAdd, []string{"CAP_NET_ADMIN"}) || !slices.Equal(hc.CapDrop, []string{"CAP_CHOWN"}) {
		t.Errorf("inspect obs-run HostConfig: %+v, caps %v", hc, d.BoundingCaps)
	}
	if len(d.Mounts) != 1 || d.Mounts[0].Destination != "/data" || d.Mounts[0].Source != data || d.Mounts[0].RW ||
		d.Mounts[0].Type != "bind" || !slices.Equal(hc.Binds, []string{data + ":/data:ro"}) {
		t.Errorf("inspect Mounts %+v, Binds %v", d.Mounts, hc.Binds)
	}
	if _, ok := hc.Tmpfs["/scratch"]; !ok || len(hc.Tmpfs) != 1 {
		t.Errorf("inspect HostConfig.Tmpfs %v", hc.Tmpfs)
	}
	if d.SizeRw == nil || d.SizeRootFs < 1<<20 || d.GraphDriver.Name == "" {
		t.Errorf("inspect --size: SizeRw %v, SizeRootFs %d, driver %+v", d.SizeRw, d.SizeRootFs, d.GraphDriver)
	}

	d, err = rt.InspectContainer(ctx, exited.ID[:10], false)
	if err != nil {
		t.Fatal(err)
	}
	if d.State.Status != "exited" || d.State.Running || d.State.ExitCode != 3 || d.State.FinishedAt.Before(d.State.StartedAt) {
		t.Errorf("inspect obs-exit state: %+v", d.State)
	}
	// Never started: no bundle yet, the command comes from the record and the image.
	d, err = rt.InspectContainer(ctx, "obs-created", false)
	if err != nil {
		t.Fatal(err)
	}
	if d.State.Status != "created" || d.Path != "echo" || !slices.Equal(d.Args, []string{"hi"}) || d.State.Pid != 0 {
		t.Errorf("inspect obs-created: path %q args %v state %+v", d.Path, d.Args, d.State)
	}
	if _, err := rt.InspectContainer(ctx, "nope", false); !errors.Is(err, engine.ErrNoSuchContainer) {
		t.Errorf("inspect of a missing container: %v", err)
	}
	if c, err := rt.LatestContainer(); err != nil || c.ID != created.ID {
		t.Errorf("latest: %v, %v", c, err)
	}
}

// logs collects what ContainerLogs emits.
func logs(t *testing.T, rt *engine.Runtime, o engine.LogOptions, refs ...string) []engine.LogLine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []engine.LogLine
	if err := rt.ContainerLogs(ctx, refs, o, func(l engine.LogLine) error {
		out = append(out, l)
		return nil
	}); err != nil {
		t.Fatalf("logs %v: %v", refs, err)
	}
	return out
}

func texts(lines []engine.LogLine) []string {
	var out []string
	for _, l := range lines {
		s := l.Stream + ":" + l.Text
		if l.Partial {
			s += "..."
		}
		out = append(out, s)
	}
	return out
}

func TestContainerLogs(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	// A line longer than conmon's buffer arrives in pieces (P records), joined here.
	long := strings.Repeat("x", 10000)
	c := obsContainer(t, rt, engine.ContainerConfig{Name: "talker"}, true, "sh", "-c",
		"echo one; echo two >&2; sleep 0.2; echo three; printf '%s\\n' "+long+"; printf unfinished")
	waitExit(t, rt, c.ID)

	all := logs(t, rt, engine.LogOptions{Tail: -1}, "talker")
	want := []string{"stdout:one", "stderr:two", "stdout:three", "stdout:" + long, "stdout:unfinished..."}
	if got := texts(all); !slices.Equal(got, want) {
		t.Fatalf("logs = %.200q, want %.200q", got, want)
	}
	if all[0].ContainerID != c.ID || all[0].ContainerName != "talker" || all[0].Time.IsZero() {
		t.Errorf("first line: %+v", all[0])
	}
	if got := texts(logs(t, rt, engine.LogOptions{Tail: 1}, c.ID)); !slices.Equal(got, want[3:]) {
		t.Errorf("--tail 1 = %.100q", got)
	}
	if got := texts(logs(t, rt, engine.LogOptions{Tail: 0}, c.ID)); !slices.Equal(got, want[4:]) {
		t.Errorf("--tail 0 = %.100q", got)
	}
	// Since and Until are exclusive bounds on each line's time.
	if got := texts(logs(t, rt, engine.LogOptions{Tail: -1, Since: all[1].Time}, c.ID)); !slices.Equal(got, want[2:]) {
		t.Errorf("--since the second line = %.100q", got)
	}
	if got := texts(logs(t, rt, engine.LogOptions{Tail: -1, Until: all[2].Time}, c.ID)); !slices.Equal(got, want[:2]) {
		t.Errorf("--until the third line = %.100q", got)
	}
	if got := logs(t, rt, engine.LogOptions{Tail: -1, Since: time.Now()}, c.ID); len(got) != 0 {
		t.Errorf("--since now = %q", texts(got))
	}

	quiet := obsContainer(t, rt, engine.ContainerConfig{LogDriver: "none"}, false, "true")
	err := rt.ContainerLogs(context.Background(), []string{quiet.ID}, engine.LogOptions{Tail: -1}, func(engine.LogLine) error { return nil })
	if !errors.Is(err, engine.ErrNoLogs) {
		t.Errorf("logs of a container with --log-driver=none: %v", err)
	}
}

func TestContainerLogsFollow(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	c := obsContainer(t, rt, engine.ContainerConfig{}, true, "sh", "-c", "for i in 1 2 3 4; do echo tick$i; sleep 0.3; done")
	start := time.Now()
	var got []string
	var seen []time.Duration
	err := rt.ContainerLogs(context.Background(), []string{c.ID}, engine.LogOptions{Follow: true, Tail: -1}, func(l engine.LogLine) error {
		got = append(got, l.Text)
		seen = append(seen, time.Since(start))
		return nil
	})
	took := time.Since(start)
	if err != nil || !slices.Equal(got, []string{"tick1", "tick2", "tick3", "tick4"}) {
		t.Fatalf("follow: %v, %q", err, got)
	}
	// Lines arrive as they are written, and the follow ends with the container.
	if seen[3]-seen[0] < 600*time.Millisecond || took > 5*time.Second {
		t.Errorf("follow: lines seen at %v, ended after %v", seen, took)
	}
	// Several containers are followed at once, each until it exits.
	a := obsContainer(t, rt, engine.ContainerConfig{Name: "fa"}, true, "sh", "-c", "echo a1; sleep 0.5; echo a2")
	b := obsContainer(t, rt, engine.ContainerConfig{Name: "fb"}, true, "sh", "-c", "echo b1; sleep 0.8; echo b2")
	both := texts(logs(t, rt, engine.LogOptions{Follow: true, Tail: -1}, a.ID, b.Name))
	slices.Sort(both)
	if !slices.Equal(both, []string{"stdout:a1", "stdout:a2", "stdout:b1", "stdout:b2"}) {
		t.Errorf("follow of two containers = %q", both)
	}
	// Following a container that has exited prints its log and returns.
	if got := texts(logs(t, rt, engine.LogOptions{Follow: true, Tail: 2}, c.ID)); !slices.Equal(got, []string{"stdout:tick3", "stdout:tick4"}) {
		t.Errorf("follow --tail 2 of an exited container = %q", got)
	}
}

func TestContainerLogsJournald(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	enginetest.RequireBinary(t, "journalctl")
	if _, err := os.Stat("/run/systemd/journal/socket"); err != nil {
		enginetest.HostLacks(t, "a running systemd-journald for --log-driver=journald: %v", err)
	}
	if err := exec.Command("journalctl", "--no-pager", "-n", "0").Run(); err != nil {
		enginetest.Missing(t, "a readable journal: %v", err)
	}
	c := obsContainer(t, rt, engine.ContainerConfig{LogDriver: "journald"}, true, "sh", "-c", "echo to-journal; echo err >&2")
	waitExit(t, rt, c.ID)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := texts(logs(t, rt, engine.LogOptions{Tail: -1}, c.ID))
		if slices.Equal(got, []string{"stdout:to-journal", "stderr:err"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("journald logs = %q", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestContainerExec(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	c := obsContainer(t, rt, engine.ContainerConfig{Env: []string{"FROM_CTR=1"}, WorkDir: "/root"}, true, "sleep", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(o engine.ExecOptions) (int, string, string, error) {
		t.Helper()
		var out, errb strings.Builder
		o.Stdout, o.Stderr = &out, &errb
		code, err := rt.ExecContainer(ctx, c.ID, o)
		return code, out.String(), errb.String(), err
	}
	sh := func(script string) []string { return []string{"sh", "-c", script} }

	code, out, errOut, err := run(engine.ExecOptions{Cmd: sh("echo $FROM_CTR $FOO $HOME $(id -u) $PWD; echo e >&2; exit 4"), Env: []string{"FOO=bar"}})
	if err != nil || code != 4 || out != "1 bar /root 0 /root\n" || errOut != "e\n" {
		t.Errorf("exec env: code %d, stdout %q, stderr %q, %v", code, out, errOut, err)
	}
	code, out, _, err = run(engine.ExecOptions{Cmd: sh("echo $(id -u):$(id -g) $HOME $PWD"), User: "nobody", WorkDir: "/tmp"})
	if err != nil || code != 0 || out != "65534:65534 /nonexistent /tmp\n" {
		t.Errorf("exec -u nobody -w /tmp: code %d, stdout %q, %v", code, out, err)
	}
	code, out, _, err = run(engine.ExecOptions{Cmd: sh("id -u; id -g"), User: "1234:5678"})
	if err != nil || code != 0 || out != "1234\n5678\n" {
		t.Errorf("exec -u 1234:5678: code %d, stdout %q, %v", code, out, err)
	}
	code, out, _, err = run(engine.ExecOptions{Cmd: []string{"cat"}, Stdin: strings.NewReader("piped\n")})
	if err != nil || code != 0 || out != "piped\n" {
		t.Errorf("exec -i: code %d, stdout %q, %v", code, out, err)
	}
	code, out, _, err = run(engine.ExecOptions{Cmd: []string{"tty"}, Tty: true})
	if err != nil || code != 0 || !strings.HasPrefix(out, "/dev/pts/") {
		t.Errorf("exec -t: code %d, stdout %q, %v", code, out, err)
	}
	capEff := func(o engine.ExecOptions) int {
		o.Cmd = sh("grep CapEff /proc/self/status")
		_, out, _, err := run(o)
		if err != nil {
			t.Fatalf("exec: %v", err)
		}
		n, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(out, "CapEff:")), 16, 64)
		if err != nil {
			t.Fatalf("CapEff %q: %v", out, err)
		}
		return bits.OnesCount64(n)
	}
	// podman's default set has 11 capabilities; --privileged has all this host has.
	if def, priv := capEff(engine.ExecOptions{}), capEff(engine.ExecOptions{Privileged: true}); def != 11 || priv < 30 {
		t.Errorf("exec --privileged: %d effective capabilities, without %d", priv, def)
	}
	for _, tc := range []struct {
		cmd  []string
		want int
	}{{[]string{"no-such-command"}, 127}, {[]string{"/etc/passwd"}, 126}} {
		_, _, _, err := run(engine.ExecOptions{Cmd: tc.cmd})
		if engine.ExitCode(err) != tc.want {
			t.Errorf("exec %v: %v (exit %d), want exit %d", tc.cmd, err, engine.ExitCode(err), tc.want)
		}
	}
	if _, _, _, err := run(engine.ExecOptions{Cmd: []string{"true"}, User: "nosuchuser"}); err == nil || engine.ExitCode(err) != engine.ExitEngine {
		t.Errorf("exec -u nosuchuser: %v", err)
	}
	stopped := obsContainer(t, rt, engine.ContainerConfig{}, false, "true")
	if _, err := rt.ExecContainer(ctx, stopped.ID, engine.ExecOptions{Cmd: []string{"true"}}); !errors.Is(err, engine.ErrInvalidState) {
		t.Errorf("exec in a created container: %v", err)
	}
}
