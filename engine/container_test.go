package engine_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

// create makes a busybox container running args. Its exit command is /bin/true: this
// test binary is not berth (cmd/berth's tests run the real cleanup).
func create(t *testing.T, rt *engine.Runtime, o engine.CreateOptions, args ...string) *engine.Container {
	t.Helper()
	o.Image = enginetest.BusyboxRef()
	o.Command = args
	o.ExitCommand = []string{"/bin/true"}
	c, err := rt.CreateContainer(context.Background(), o)
	if err != nil {
		t.Fatalf("create %v: %v", args, err)
	}
	t.Cleanup(func() {
		if err := rt.RemoveContainer(context.Background(), c.ID, engine.RemoveContainerOptions{Force: true, Ignore: true, Timeout: new(uint)}); err != nil {
			t.Errorf("removing container %s: %v", c.ID[:12], err)
		}
	})
	return c
}

// runOut runs a container in the foreground and returns its exit code and output.
func runOut(t *testing.T, rt *engine.Runtime, o engine.CreateOptions, args ...string) (int, string, error) {
	t.Helper()
	c := create(t, rt, o, args...)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := rt.RunAttached(ctx, c.ID, engine.Streams{Stdout: &out, Stderr: &out}, engine.StartOptions{})
	return code, out.String(), err
}

func TestContainerExitCodes(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"true", []string{"true"}, 0},
		{"exit 3", []string{"sh", "-c", "exit 3"}, 3},
		{"not executable", []string{"/etc/passwd"}, 126},
		{"not found", []string{"no-such-command"}, 127},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, err := runOut(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: "none"}}, tc.args...)
			if got := engine.ExitCode(err); err != nil {
				code = got
			}
			if code != tc.want {
				t.Errorf("exit code %d, want %d (err %v, output %q)", code, tc.want, err, out)
			}
		})
	}
}

func TestContainerSettingsInside(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	o := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{
		Env:      []string{"GREETING=hello world"},
		User:     "nobody",
		WorkDir:  "/tmp",
		Hostname: "boxy",
		Labels:   map[string]string{"app": "web"},
	}}
	code, out, err := runOut(t, rt, o, "sh", "-c", `echo "$GREETING|$(id -u)|$(pwd)|$(hostname)|$container"`)
	if err != nil || code != 0 {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	if want := "hello world|65534|/tmp|boxy|podman\n"; out != want {
		t.Errorf("inside: %q, want %q", out, want)
	}
}

func TestContainerLabelsAndLookup(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	c := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{
		Name: "web", Labels: map[string]string{"app": "web"}}}, "true")
	got, err := rt.LookupContainer(c.ID[:8])
	if err != nil || got.ID != c.ID || got.Name != "web" || got.State.Status != engine.StatusCreated {
		t.Fatalf("lookup by prefix: %+v, %v", got, err)
	}
	// The image's label, and the user's.
	if got.Labels["app"] != "web" || got.Labels["org.opencontainers.image.title"] != "busybox" {
		t.Errorf("labels %v", got.Labels)
	}
	if ok, err := rt.ContainerExists("web"); !ok || err != nil {
		t.Errorf("exists web: %v %v", ok, err)
	}
	if ok, err := rt.ContainerExists("nope"); ok || err != nil {
		t.Errorf("exists nope: %v %v", ok, err)
	}
	_, err = rt.CreateContainer(context.Background(), engine.CreateOptions{Image: enginetest.BusyboxRef(),
		ContainerConfig: engine.ContainerConfig{Name: "web"}})
	if !errors.Is(err, engine.ErrNameInUse) || !strings.Contains(err.Error(), `"web"`) {
		t.Errorf("second create of web: %v, want name in use", err)
	}
	if _, err := rt.LookupContainer("nope"); !errors.Is(err, engine.ErrNoSuchContainer) {
		t.Errorf("lookup nope: %v", err)
	}
	for _, bad := range []string{"-x", "a b", "ä", "/x"} {
		_, err := rt.CreateContainer(context.Background(), engine.CreateOptions{Image: enginetest.BusyboxRef(),
			ContainerConfig: engine.ContainerConfig{Name: bad}})
		if !errors.Is(err, engine.ErrInvalidName) {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	list, err := rt.ListContainers()
	if err != nil || len(list) != 1 {
		t.Errorf("list: %d containers, %v", len(list), err)
	}
}

func TestContainerStopKillWait(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	// sh as pid 1 ignores SIGTERM: stop must kill it after the timeout.
	c := create(t, rt, engine.CreateOptions{}, "sleep", "1000")
	if _, err := rt.StartContainer(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ := rt.LookupContainer(c.ID)
	if got.State.Status != engine.StatusRunning || got.State.ConmonPid == 0 {
		t.Fatalf("after start: %+v", got.State)
	}
	one := uint(1)
	start := time.Now()
	if err := rt.StopContainer(ctx, c.ID, engine.StopOptions{Timeout: &one}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second || d > 5*time.Second {
		t.Errorf("stop took %v, want about the 1 s timeout", d)
	}
	got, _ = rt.LookupContainer(c.ID)
	if got.State.Status != engine.StatusExited || got.State.ExitCode != 137 || got.State.Mounted || got.State.OCICreated {
		t.Errorf("after stop: %+v", got.State)
	}
	if code, err := rt.WaitContainer(ctx, c.ID); code != 137 || err != nil {
		t.Errorf("wait: %d, %v", code, err)
	}
	// Started again, then killed with a signal the process handles by dying.
	if _, err := rt.StartContainer(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := rt.RemoveContainer(ctx, c.ID, engine.RemoveContainerOptions{}); !errors.Is(err, engine.ErrInvalidState) {
		t.Errorf("rm of a running container without force: %v", err)
	}
	if err := rt.KillContainer(ctx, c.ID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if code, err := rt.WaitContainer(wctx, c.ID); code != 137 || err != nil {
		t.Errorf("wait after kill: %d, %v", code, err)
	}
	if err := rt.KillContainer(ctx, c.ID, syscall.SIGTERM); !errors.Is(err, engine.ErrInvalidState) {
		t.Errorf("kill of an exited container: %v", err)
	}
	if err := rt.RemoveContainer(ctx, c.ID, engine.RemoveContainerOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.LookupContainer(c.ID); !errors.Is(err, engine.ErrNoSuchContainer) {
		t.Errorf("after rm: %v", err)
	}
	if n, _ := rt.Store().Containers(); len(n) != 0 {
		t.Errorf("%d storage containers left", len(n))
	}
}

// A stop signal the container handles stops it before the timeout.
func TestContainerStopSignal(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	c := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{StopSignal: "SIGUSR1"}},
		"sh", "-c", "trap 'exit 7' USR1; while true; do sleep 0.1; done")
	if _, err := rt.StartContainer(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let sh set its trap
	start := time.Now()
	if err := rt.StopContainer(ctx, c.ID, engine.StopOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ := rt.LookupContainer(c.ID)
	if got.State.ExitCode != 7 || time.Since(start) > 5*time.Second {
		t.Errorf("stop with SIGUSR1: exit %d after %v", got.State.ExitCode, time.Since(start))
	}
}

// Two removals of one running container at once: one removes it, the other finds
// it gone (or, with Ignore, succeeds).
func TestContainerConcurrentRemove(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	c := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Name: "twice"}}, "sleep", "1000")
	if _, err := rt.StartContainer(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	zero := uint(0)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = rt.RemoveContainer(ctx, "twice", engine.RemoveContainerOptions{Force: true, Timeout: &zero, Ignore: i == 2})
		}()
	}
	wg.Wait()
	ok, missing := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, engine.ErrNoSuchContainer):
			missing++
		default:
			t.Errorf("rm: %v", err)
		}
	}
	if ok < 1 || ok+missing != 3 {
		t.Errorf("%d removals succeeded, %d found nothing: %v", ok, missing, errs)
	}
	if list, _ := rt.ListContainers(); len(list) != 0 {
		t.Errorf("%d containers left", len(list))
	}
}

func TestContainerReplace(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	// The old container's own stop timeout applies when it is replaced.
	zero := uint(0)
	old := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Name: "svc", StopTimeout: &zero}}, "sleep", "1000")
	if _, err := rt.StartContainer(ctx, old.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	c := create(t, rt, engine.CreateOptions{Replace: true, ContainerConfig: engine.ContainerConfig{Name: "svc"}}, "true")
	if c.ID == old.ID {
		t.Fatal("same ID")
	}
	if _, err := rt.LookupContainer(old.ID); !errors.Is(err, engine.ErrNoSuchContainer) {
		t.Errorf("old container: %v", err)
	}
	if got, err := rt.LookupContainer("svc"); err != nil || got.ID != c.ID {
		t.Errorf("svc is %v, %v", got, err)
	}
}

// The flags that shape the runtime spec, each seen from inside one container.
func TestContainerSpecSettingsInside(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	enginetest.RequireFile(t, "/usr/bin/catatonit")
	enginetest.RequireFile(t, "/usr/share/zoneinfo/Europe/Paris")
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "f"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "ctr.log")
	pids := int64(100)
	o := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{
		User:         "nobody",
		ReadOnly:     true,
		Volumes:      []string{host + ":/data:ro"},
		Mounts:       []string{"type=tmpfs,target=/scratch,tmpfs-size=1m"},
		Tmpfs:        []string{"/t2:size=2m,mode=1777"},
		CapDrop:      []string{"all"},
		SecurityOpts: []string{"no-new-privileges", "mask=/etc/group", "label=disable"},
		GroupAdd:     []string{"root"},
		Sysctls:      []string{"net.ipv4.ip_forward=1"},
		Ulimits:      []string{"nofile=1000:2000"},
		Init:         true,
		Timezone:     "Europe/Paris",
		Memory:       "64m",
		PidsLimit:    &pids,
		ShmSize:      "16m",
		AddHosts:     []string{"db:10.0.0.5"},
		DNS:          []string{"9.9.9.9"},
		DNSSearch:    []string{"example.com"},
		DNSOptions:   []string{"ndots:2"},
		Devices:      []string{"/dev/zero:/dev/myzero"},
		LogOpts:      []string{"path=" + logPath},
	}}
	script := strings.Join([]string{
		`touch /etc/x 2>/dev/null || echo ro`,
		`touch /tmp/x && echo tmp-rw`,
		`cat /data/f`,
		`grep -E " /(scratch|t2) " /proc/mounts | cut -d" " -f2,4 | sed 's/,relatime//'`,
		`grep CapEff /proc/self/status | tr -s '\t' ' '`,
		`grep NoNewPrivs /proc/self/status | tr -s '\t' ' '`,
		`wc -c < /etc/group`,
		`id -G`,
		`cat /proc/sys/net/ipv4/ip_forward`,
		`ulimit -n`,
		`cat /proc/1/comm`,
		`date +%Z | grep -qE "^CES?T$" && echo paris`,
		`cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max`,
		`grep " /dev/shm " /proc/mounts | grep -o "size=[0-9]*k"`,
		`grep -w "db$" /etc/hosts`,
		`cat /etc/resolv.conf`,
		`test -c /dev/myzero && echo device`,
	}, "; ")
	code, out, err := runOut(t, rt, o, "sh", "-c", script)
	if err != nil || code != 0 {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	want := []string{
		"ro", "tmp-rw", "from host",
		"/scratch rw,nosuid,nodev,noexec,size=1024k", "/t2 rw,nosuid,nodev,noexec,size=2048k",
		"CapEff: 0000000000000000", "NoNewPrivs: 1", "0", "65534 0", "1", "1000", "podman-init", "paris",
		"67108864", "100", "size=16384k", "10.0.0.5\tdb",
		"search example.com", "nameserver 9.9.9.9", "options ndots:2", "device",
	}
	if got := strings.Split(strings.TrimSpace(out), "\n"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("inside:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if data, err := os.ReadFile(logPath); err != nil || !strings.Contains(string(data), "stdout F podman-init") {
		t.Errorf("--log-opt path: %v, %q", err, data)
	}
}

// Spec flags that are not there yet, or wrong, fail before anything is created.
func TestContainerSpecSettingsRejected(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	for _, tc := range []struct {
		c    engine.ContainerConfig
		want string
	}{
		{engine.ContainerConfig{Volumes: []string{"data:/data:U"}}, `option "U" is not supported yet`},
		{engine.ContainerConfig{Volumes: []string{"bad/name:/data"}}, "volume name"},
		{engine.ContainerConfig{Volumes: []string{"/data:idmap"}}, `option "idmap" is not supported yet`},
		{engine.ContainerConfig{Volumes: []string{"/no/such:/data"}}, "no such file"},
		{engine.ContainerConfig{Mounts: []string{"type=volume,target=/v,volume-opt=x"}}, `option "volume-opt" is not supported yet`},
		{engine.ContainerConfig{Mounts: []string{"type=image,source=x,target=/v"}}, "type=image is not supported yet"},
		{engine.ContainerConfig{Mounts: []string{"type=bind,target=/v"}}, "absolute source"},
		{engine.ContainerConfig{SecurityOpts: []string{"label=type:spc_t"}}, "SELinux"},
		{engine.ContainerConfig{Memory: "lots"}, "--memory"},
		{engine.ContainerConfig{Ulimits: []string{"nofile=x"}}, "--ulimit"},
		{engine.ContainerConfig{AddHosts: []string{"db"}}, "--add-host"},
		{engine.ContainerConfig{DNS: []string{"dns.example"}}, "--dns"},
		{engine.ContainerConfig{LogOpts: []string{"tag=x"}}, "journald only"},
		{engine.ContainerConfig{LogOpts: []string{"max-file=3"}}, "not supported yet"},
		{engine.ContainerConfig{Expose: []string{"http"}}, "--expose"},
		{engine.ContainerConfig{ImageVolume: "copy"}, "--image-volume"},
	} {
		_, err := rt.CreateContainer(context.Background(), engine.CreateOptions{Image: enginetest.BusyboxRef(), ContainerConfig: tc.c})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
	if list, _ := rt.ListContainers(); len(list) != 0 {
		t.Errorf("%d containers created", len(list))
	}
}
