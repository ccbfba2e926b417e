package oci_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine/oci"
	"github.com/berth-containers/berth/engine/spec"
)

// conmon runs the exit command (berth's cleanup) with its arguments once the container
// has exited, after writing the exit file, and also writes the persist dir's exit file.
func TestExitCommandAndPersistDir(t *testing.T) {
	h := newHarness(t)
	marker := filepath.Join(h.dir, "cleanup-ran")
	persist := filepath.Join(h.dir, "persist")
	if err := os.Mkdir(persist, 0o700); err != nil {
		t.Fatal(err)
	}
	code, id := h.run(baseOptions("", "sh", "-c", "exit 7"), oci.CreateOptions{
		PersistDir:      persist,
		ExitCommand:     "/bin/sh",
		ExitCommandArgs: []string{"-c", `echo "$0 $1" > ` + marker, "cleanup", "arg2"},
	})
	if code != 7 {
		t.Fatalf("exit code %d, want 7", code)
	}
	if data, err := os.ReadFile(filepath.Join(persist, "exit")); err != nil || string(data) != "7" {
		t.Errorf("persist dir exit file: %q, %v", data, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := os.ReadFile(marker)
		if err == nil && string(data) == "cleanup arg2\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exit command of %s did not run: %q, %v", id[:12], data, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// With the passthrough driver the container writes to conmon's own stdio, as under a
// unit whose stdout is the journal.
func TestPassthroughLog(t *testing.T) {
	h := newHarness(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	code, _ := h.run(baseOptions("", "sh", "-c", "echo straight; echo through >&2"),
		oci.CreateOptions{LogDriver: oci.LogPassthrough, Stdio: [3]*os.File{nil, w, w}})
	w.Close()
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	select {
	case out := <-done:
		if !strings.Contains(out, "straight\n") || !strings.Contains(out, "through\n") {
			t.Errorf("passthrough output %q", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("conmon kept the passthrough stdout open")
	}
}

// --sdnotify=container: conmon relays the container's READY=1 to the host's socket.
// busybox has no sd_notify client, but its logger sends a datagram to /dev/log, and
// conmon passes on any message that contains READY=1.
func TestSdNotifyContainer(t *testing.T) {
	h := newHarness(t)
	hostSock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: hostSock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := newID(t)
	bundle := filepath.Join(h.dir, id[:12])
	so := baseOptions(id, "sh", "-c", "logger READY=1; sleep 0.2")
	so.Env = []string{oci.NotifySocketEnv}
	so.Mounts = []spec.Mount{
		{Type: "bind", Source: oci.NotifyHostDir(bundle), Destination: oci.NotifyContainerDir},
		{Type: "bind", Source: filepath.Join(oci.NotifyHostDir(bundle), "notify.sock"), Destination: "/dev/log"},
	}
	p, err := h.create(id, so, oci.CreateOptions{SdNotifySocket: hostSock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Errorf("host socket got %q, %v; want READY=1", buf[:n], err)
	}
	if code, err := oci.WaitExit(ctx, h.exitDir, id, p); err != nil || code != 0 {
		t.Errorf("exit %d, %v", code, err)
	}
}

// --sdnotify=conmon: berth itself sends MAINPID=<conmon> and READY=1.
func TestNotifyReady(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	sent, err := oci.NotifyReady(4242)
	if err != nil || !sent {
		t.Fatalf("NotifyReady: %v, %v", sent, err)
	}
	buf := make([]byte, 512)
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "MAINPID=4242\nREADY=1" {
		t.Errorf("got %q, %v", buf[:n], err)
	}
}

func TestStateAndDelete(t *testing.T) {
	h := newHarness(t)
	id := newID(t)
	if _, err := h.create(id, baseOptions(id, "true"), oci.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := h.rt.State(ctx, id)
	if err != nil || st.Status != "created" || st.Pid <= 0 {
		t.Fatalf("state %+v, %v; want created with a pid", st, err)
	}
	if err := h.rt.Delete(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.rt.State(ctx, id); err == nil || !strings.Contains(err.Error(), "state") {
		t.Errorf("state after delete: %v, want an error", err)
	} else if !isNotExist(err) {
		t.Errorf("state after delete: %v, want ErrNotExist", err)
	}
}
