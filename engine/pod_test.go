package engine_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

// newPod creates a pod whose infra has no network but loopback (no warning) and a
// harmless exit command; it is removed when the test ends.
func newPod(t *testing.T, rt *engine.Runtime, c engine.PodConfig) *engine.Pod {
	t.Helper()
	if !c.NoInfra {
		if c.Infra.Network == "" {
			c.Infra.Network = engine.NetworkNone
		}
		c.Infra.ExitCommand = []string{"/bin/true"}
	}
	p, err := rt.CreatePod(context.Background(), engine.PodOptions{PodConfig: c})
	if err != nil {
		t.Fatalf("creating pod: %v", err)
	}
	t.Cleanup(func() {
		if err := rt.RemovePod(context.Background(), p.ID, engine.RemovePodOptions{Force: true, Ignore: true, Timeout: new(uint)}); err != nil {
			t.Errorf("removing pod %s: %v", p.Name, err)
		}
	})
	return p
}

// member creates a busybox container in the pod.
func member(t *testing.T, rt *engine.Runtime, pod string, args ...string) *engine.Container {
	t.Helper()
	return create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Pod: pod}}, args...)
}

// runIn runs a container in the pod in the foreground and returns its output.
func runIn(t *testing.T, rt *engine.Runtime, pod string, args ...string) string {
	t.Helper()
	code, out, err := runOut(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Pod: pod}}, args...)
	if err != nil || code != 0 {
		t.Fatalf("%v in pod %s: code %d, err %v, output %q", args, pod, code, err, out)
	}
	return out
}

func start(t *testing.T, rt *engine.Runtime, id string) {
	t.Helper()
	if _, err := rt.StartContainer(context.Background(), id, engine.StartOptions{}); err != nil {
		t.Fatalf("starting %s: %v", id[:12], err)
	}
}

func status(t *testing.T, rt *engine.Runtime, id string) string {
	t.Helper()
	c, err := rt.ObservedContainer(id)
	if err != nil {
		t.Fatalf("container %s: %v", id[:12], err)
	}
	return c.State.Status
}

// TestPodSharedNamespaces: two containers of a pod talk over 127.0.0.1, see the
// pod's hostname, and share /dev/shm; the first start starts the infra.
func TestPodSharedNamespaces(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	p := newPod(t, rt, engine.PodConfig{Name: "talk", Hostname: "podhost"})
	server := member(t, rt, p.Name, "sh", "-c", "echo x > /dev/shm/mark; echo pong | nc -l -p 7777; sleep 100")
	start(t, rt, server.ID)
	if got := status(t, rt, p.InfraID); got != engine.StatusRunning {
		t.Fatalf("infra is %s after a member started, want running", got)
	}
	out := runIn(t, rt, p.Name, "sh", "-c",
		"for i in $(seq 50); do nc 127.0.0.1 7777 </dev/null && break; sleep 0.1; done; hostname; cat /etc/hostname; cat /dev/shm/mark")
	if want := "pong\npodhost\npodhost\nx\n"; out != want {
		t.Errorf("client's output %q, want %q", out, want)
	}
	// Without the pod, the port is not there.
	code, out, err := runOut(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: "none"}},
		"nc", "127.0.0.1", "7777")
	if err == nil && code == 0 {
		t.Errorf("a container outside the pod reached its port: %q", out)
	}
}

// TestPodShareNone: with --share none the members have namespaces of their own.
func TestPodShareNone(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	p := newPod(t, rt, engine.PodConfig{Name: "apart", Share: "none"})
	c := member(t, rt, p.Name, "sleep", "100")
	start(t, rt, c.ID)
	if out := runIn(t, rt, p.Name, "hostname"); out == "apart\n" {
		t.Errorf("hostname %q: the member shares the pod's UTS namespace with --share none", out)
	}
	inspect, err := rt.InspectPod(p.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(inspect.SharedNamespaces) != 0 {
		t.Errorf("SharedNamespaces %v, want none", inspect.SharedNamespaces)
	}
}

// TestPodStopRemove: stop stops every container and the infra; rm refuses a pod
// with a running container unless forced, and removes its containers.
func TestPodStopRemove(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	dir := t.TempDir()
	idFile, pidFile := filepath.Join(dir, "pod.id"), filepath.Join(dir, "infra.pid")
	p := newPod(t, rt, engine.PodConfig{Name: "life", Labels: map[string]string{"app": "web"},
		PodIDFile: idFile, InfraConmonPidFile: pidFile})
	if data, _ := os.ReadFile(idFile); string(data) != p.ID {
		t.Errorf("--pod-id-file holds %q, want the pod's ID", data)
	}
	a := member(t, rt, p.Name, "sleep", "100")
	b := member(t, rt, p.Name, "sleep", "100")
	s, _ := rt.ObservedPod(p.ID)
	if got := s.State(); got != engine.PodStateCreated {
		t.Errorf("new pod is %s, want Created", got)
	}
	if _, err := rt.StartPod(ctx, p.Name); err != nil {
		t.Fatal(err)
	}
	infra, _ := rt.ObservedContainer(p.InfraID)
	if data, _ := os.ReadFile(pidFile); string(data) != strconv.Itoa(infra.State.ConmonPid) {
		t.Errorf("--infra-conmon-pidfile holds %q, want the infra's conmon PID %d", data, infra.State.ConmonPid)
	}
	d, err := rt.InspectPod(p.Name)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != engine.PodStateRunning || d.NumContainers != 3 || d.InfraContainerID != p.InfraID ||
		d.Hostname != "life" || d.Labels["app"] != "web" || strings.Join(d.SharedNamespaces, ",") != "ipc,net,uts" {
		t.Errorf("inspect: %+v", d)
	}
	if infra.Name != p.ID[:12]+"-infra" {
		t.Errorf("infra name %q, want %s-infra", infra.Name, p.ID[:12])
	}
	err = rt.RemoveContainer(ctx, p.InfraID, engine.RemoveContainerOptions{Force: true})
	if !errors.Is(err, engine.ErrInvalidState) {
		t.Errorf("removing the infra alone: %v, want ErrInvalidState", err)
	}
	err = rt.RemovePod(ctx, p.Name, engine.RemovePodOptions{})
	if !errors.Is(err, engine.ErrInvalidState) {
		t.Errorf("rm of a running pod without force: %v, want ErrInvalidState", err)
	}
	if _, err := rt.StopPod(ctx, p.Name, engine.PodStopOptions{Timeout: new(uint)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID, p.InfraID} {
		if got := status(t, rt, id); got != engine.StatusExited {
			t.Errorf("container %s is %s after pod stop, want exited", id[:12], got)
		}
	}
	s, _ = rt.ObservedPod(p.ID)
	if got := s.State(); got != engine.PodStateExited {
		t.Errorf("stopped pod is %s, want Exited", got)
	}
	// A restart brings all of them back, in the infra's new namespaces.
	if _, err := rt.RestartPod(ctx, p.Name, engine.PodStopOptions{Timeout: new(uint)}); err != nil {
		t.Fatal(err)
	}
	if got := status(t, rt, b.ID); got != engine.StatusRunning {
		t.Errorf("member is %s after pod restart", got)
	}
	if err := rt.RemovePod(ctx, p.Name, engine.RemovePodOptions{Force: true, Timeout: new(uint)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID, p.InfraID} {
		if ok, _ := rt.ContainerExists(id); ok {
			t.Errorf("container %s outlived its pod", id[:12])
		}
	}
	if ok, _ := rt.PodExists(p.ID); ok {
		t.Error("the pod still exists")
	}
	if _, err := os.Stat(idFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--pod-id-file stays after rm: %v", err)
	}
	if err := rt.RemovePod(ctx, p.Name, engine.RemovePodOptions{}); !errors.Is(err, engine.ErrNoSuchPod) {
		t.Errorf("removing it again: %v, want ErrNoSuchPod", err)
	}
}

// TestPodNames: a pod name in use (by a pod or a container) is refused and nothing
// is created; --replace replaces a pod; an infra name in use leaves no pod behind.
func TestPodNames(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	first := newPod(t, rt, engine.PodConfig{Name: "taken"})
	count := func() (int, int) {
		pods, _ := rt.ListPods()
		ctrs, _ := rt.ListContainers()
		return len(pods), len(ctrs)
	}
	pods, ctrs := count()
	opts := func(c engine.PodConfig) engine.PodOptions {
		c.Infra = engine.ContainerConfig{Network: "none", ExitCommand: []string{"/bin/true"}}
		return engine.PodOptions{PodConfig: c}
	}
	_, err := rt.CreatePod(ctx, opts(engine.PodConfig{Name: "taken"}))
	if !errors.Is(err, engine.ErrNameInUse) || !strings.Contains(err.Error(), "taken") {
		t.Errorf("second pod named taken: %v, want ErrNameInUse naming it", err)
	}
	c := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Name: "ctrname", Network: "none"}}, "true")
	_, err = rt.CreatePod(ctx, opts(engine.PodConfig{Name: "ctrname"}))
	if !errors.Is(err, engine.ErrNameInUse) {
		t.Errorf("pod named like a container: %v, want ErrNameInUse", err)
	}
	_, err = rt.CreatePod(ctx, opts(engine.PodConfig{Name: "other", InfraName: "ctrname"}))
	if !errors.Is(err, engine.ErrNameInUse) {
		t.Errorf("infra named like a container: %v, want ErrNameInUse", err)
	}
	if p2, c2 := count(); p2 != pods || c2 != ctrs+1 {
		t.Errorf("after refused creates: %d pods and %d containers, want %d and %d", p2, c2, pods, ctrs+1)
	}
	if ok, _ := rt.PodExists("other"); ok {
		t.Error("the pod whose infra name was taken exists")
	}
	o := opts(engine.PodConfig{Name: "taken"})
	o.Replace = true
	second, err := rt.CreatePod(ctx, o)
	if err != nil {
		t.Fatalf("--replace: %v", err)
	}
	t.Cleanup(func() { _ = rt.RemovePod(ctx, second.ID, engine.RemovePodOptions{Force: true, Ignore: true}) })
	if ok, _ := rt.ContainerExists(first.InfraID); ok || second.ID == first.ID {
		t.Error("--replace left the old pod's infra")
	}
	_ = c
}

// TestPodMemberRules: what a member cannot set, --pod new:NAME, a pod without infra.
func TestPodMemberRules(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	p := newPod(t, rt, engine.PodConfig{Name: "rules"})
	for _, cfg := range []engine.ContainerConfig{
		{Pod: p.Name, Network: "host"},
		{Pod: p.Name, Hostname: "mine"},
		{Pod: p.Name, DNS: []string{"1.1.1.1"}},
	} {
		o := engine.CreateOptions{ContainerConfig: cfg, Image: enginetest.BusyboxRef()}
		o.Command = []string{"true"}
		if c, err := rt.CreateContainer(ctx, o); err == nil {
			_ = rt.RemoveContainer(ctx, c.ID, engine.RemoveContainerOptions{Force: true})
			t.Errorf("member with %+v was created", cfg)
		}
	}
	o := engine.CreateOptions{Image: enginetest.BusyboxRef(), ContainerConfig: engine.ContainerConfig{Pod: "nosuchpod", Command: []string{"true"}}}
	if _, err := rt.CreateContainer(ctx, o); !errors.Is(err, engine.ErrNoSuchPod) {
		t.Errorf("--pod nosuchpod: %v, want ErrNoSuchPod", err)
	}

	// new:NAME makes the pod, with the container's network.
	o = engine.CreateOptions{Image: enginetest.BusyboxRef(), ContainerConfig: engine.ContainerConfig{
		Pod: "new:fresh", Network: "none", Command: []string{"hostname"}, ExitCommand: []string{"/bin/true"}}}
	c, err := rt.CreateContainer(ctx, o)
	if err != nil {
		t.Fatalf("--pod new:fresh: %v", err)
	}
	t.Cleanup(func() { _ = rt.RemovePod(ctx, "fresh", engine.RemovePodOptions{Force: true, Ignore: true}) })
	fresh, err := rt.LookupPod("fresh")
	if err != nil || c.Config.Pod != fresh.ID {
		t.Fatalf("new pod %v, container's pod %q", err, c.Config.Pod)
	}
	var out bytes.Buffer
	code, err := rt.RunAttached(ctx, c.ID, engine.Streams{Stdout: &out, Stderr: &out}, engine.StartOptions{})
	if err != nil || code != 0 || out.String() != "fresh\n" {
		t.Errorf("member of new:fresh: code %d, err %v, output %q (want the pod's name as hostname)", code, err, out.String())
	}
	// A failed create removes the pod it made.
	o.Pod, o.Image = "new:doomed", "127.0.0.1:5000/no/such:image"
	o.Pull.Policy = "never"
	if _, err := rt.CreateContainer(ctx, o); err == nil {
		t.Fatal("create from a missing image worked")
	}
	if ok, _ := rt.PodExists("doomed"); ok {
		t.Error("the pod made for a container that failed stays")
	}

	// Without an infra, nothing is shared, and --share is refused.
	_, err = rt.CreatePod(ctx, engine.PodOptions{PodConfig: engine.PodConfig{Name: "x", NoInfra: true, Share: "net"}})
	if err == nil || !strings.Contains(err.Error(), "--share") {
		t.Errorf("--infra=false --share net: %v", err)
	}
	bare := newPod(t, rt, engine.PodConfig{Name: "bare", NoInfra: true})
	if bare.InfraID != "" {
		t.Errorf("pod without infra has infra %s", bare.InfraID)
	}
	o = engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Pod: "bare", Network: "none"}}
	if code, out, err := runOut(t, rt, o, "hostname"); err != nil || code != 0 || out == "bare\n" {
		t.Errorf("member of a pod without infra: code %d, err %v, output %q", code, err, out)
	}
}

// TestPodExitPolicy: with "stop", the infra stops once the last member exited; with
// "continue" it keeps running. (conmon's exit command calls PodMemberExited; this
// test binary is not berth, so it calls it itself.)
func TestPodExitPolicy(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	for _, tc := range []struct {
		policy string
		want   string
	}{{engine.PodExitStop, engine.StatusExited}, {engine.PodExitContinue, engine.StatusRunning}} {
		t.Run(tc.policy, func(t *testing.T) {
			p := newPod(t, rt, engine.PodConfig{Name: "exit-" + tc.policy, ExitPolicy: tc.policy})
			long := member(t, rt, p.Name, "sleep", "100")
			start(t, rt, long.ID)
			runIn(t, rt, p.Name, "true")
			if err := rt.PodMemberExited(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			if got := status(t, rt, p.InfraID); got != engine.StatusRunning {
				t.Fatalf("infra %s while a member still runs", got)
			}
			if err := rt.StopContainer(ctx, long.ID, engine.StopOptions{Timeout: new(uint)}); err != nil {
				t.Fatal(err)
			}
			if err := rt.PodMemberExited(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			if got := status(t, rt, p.InfraID); got != tc.want {
				t.Errorf("infra %s after the last member exited, want %s", got, tc.want)
			}
		})
	}
}

// TestPodInfraGone: a pod whose infra was killed (kill -9 of catatonit and its
// conmon) starts again, and one whose infra record is gone is still removed.
func TestPodInfraGone(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	p := newPod(t, rt, engine.PodConfig{Name: "crash"})
	m := member(t, rt, p.Name, "sleep", "100")
	if _, err := rt.StartPod(ctx, p.Name); err != nil {
		t.Fatal(err)
	}
	infra, _ := rt.ObservedContainer(p.InfraID)
	for _, pid := range []int{infra.State.ConmonPid, infra.State.Pid} {
		if proc, err := os.FindProcess(pid); err == nil {
			_ = proc.Kill()
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for status(t, rt, p.InfraID) == engine.StatusRunning && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := rt.StopPod(ctx, p.Name, engine.PodStopOptions{Timeout: new(uint)}); err != nil {
		t.Fatalf("stopping a pod whose infra died: %v", err)
	}
	if _, err := rt.StartPod(ctx, p.Name); err != nil {
		t.Fatalf("starting it again: %v", err)
	}
	if got := status(t, rt, m.ID); got != engine.StatusRunning {
		t.Errorf("member %s after the restart", got)
	}
	if err := rt.RemovePod(ctx, p.Name, engine.RemovePodOptions{Force: true, Timeout: new(uint)}); err != nil {
		t.Fatal(err)
	}
}
