package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// notifyListener is a stand-in for systemd's notify socket.
type notifyListener struct {
	conn *net.UnixConn
	path string
}

func listenNotify(t *testing.T) *notifyListener {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &notifyListener{conn: conn, path: path}
}

// next returns the next message, or "" after timeout.
func (l *notifyListener) next(timeout time.Duration) string {
	buf := make([]byte, 4096)
	_ = l.conn.SetReadDeadline(time.Now().Add(timeout))
	n, err := l.conn.Read(buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// runNotify runs berth with NOTIFY_SOCKET set, as systemd runs a Type=notify unit.
func (e *ctrEnv) runNotify(t *testing.T, l *notifyListener, args ...string) result {
	t.Helper()
	cmd := berthCommand(t, append(e.args, args...)...)
	cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+l.path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String() + errString(err)}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRunSdNotify(t *testing.T) {
	e := newCtrEnv(t)
	l := listenNotify(t)

	// conmon: berth says READY=1 and MAINPID=<conmon> once the container runs.
	start := time.Now()
	r := e.runNotify(t, l, "run", "-d", "--name", "n1", "--sdnotify=conmon", e.ref, "sleep", "1000")
	msg := l.next(5 * time.Second)
	t.Logf("--sdnotify=conmon: READY %v after berth started", time.Since(start))
	if r.code != 0 {
		t.Fatalf("run: exit %d: %s", r.code, r.stderr)
	}
	c, err := e.engine(t).LookupContainer("n1")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("MAINPID=%d\nREADY=1", c.State.ConmonPid); msg != want {
		t.Errorf("conmon mode sent %q, want %q", msg, want)
	}

	// container: MAINPID only; READY comes from the container through conmon.
	r = e.runNotify(t, l, "run", "-d", "--name", "n2", "--sdnotify=container", e.ref, "sleep", "1000")
	if r.code != 0 {
		t.Fatalf("run: exit %d: %s", r.code, r.stderr)
	}
	c, err = e.engine(t).LookupContainer("n2")
	if err != nil {
		t.Fatal(err)
	}
	if msg := l.next(5 * time.Second); msg != fmt.Sprintf("MAINPID=%d", c.State.ConmonPid) {
		t.Errorf("container mode sent %q, want MAINPID only", msg)
	}
	if msg := l.next(300 * time.Millisecond); msg != "" {
		t.Errorf("container mode sent %q before the container did", msg)
	}
	// What the container would send, on its side of conmon's socket.
	// The path is longer than a socket address allows: reach it through the folder.
	dir, err := os.OpenFile(filepath.Join(c.Bundle, "notify"), unix.O_PATH, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	sock := fmt.Sprintf("/proc/self/fd/%d/notify.sock", dir.Fd())
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatalf("conmon's notify socket: %v", err)
	}
	if _, err := conn.Write([]byte("READY=1")); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if msg := l.next(5 * time.Second); !strings.Contains(msg, "READY=1") {
		t.Errorf("conmon relayed %q, want READY=1", msg)
	}
	r = e.runNotify(t, l, "run", "--rm", "--sdnotify=container", e.ref, "sh", "-c",
		`echo $NOTIFY_SOCKET; test -S $NOTIFY_SOCKET && echo socket`)
	if r.code != 0 || r.stdout != "/run/notify/notify.sock\nsocket\n" {
		t.Errorf("inside with --sdnotify=container: exit %d, %q (%s)", r.code, r.stdout, r.stderr)
	}
	l.next(time.Second) // its MAINPID

	// ignore: nothing, and no socket inside.
	r = e.runNotify(t, l, "run", "--rm", "--sdnotify=ignore", e.ref, "sh", "-c", `echo "[$NOTIFY_SOCKET]"`)
	if r.code != 0 || r.stdout != "[]\n" {
		t.Errorf("ignore: exit %d, %q (%s)", r.code, r.stdout, r.stderr)
	}
	if msg := l.next(300 * time.Millisecond); msg != "" {
		t.Errorf("ignore mode sent %q", msg)
	}
}
