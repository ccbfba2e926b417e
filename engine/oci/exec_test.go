package oci_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-containers/berth/engine/oci"
)

func TestExec(t *testing.T) {
	h := newHarness(t)
	id := newID(t)
	so := baseOptions(id, "sleep", "1000")
	so.Env = []string{"FROM_CONTAINER=yes"}
	p, err := h.create(id, so, oci.CreateOptions{LogDriver: oci.LogNone})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = h.rt.Kill(context.Background(), id, syscall.SIGKILL, false)
		_, _ = oci.WaitExit(ctx, h.exitDir, id, p)
	}()
	// An exec runs the container's process settings with other arguments.
	data, err := os.ReadFile(filepath.Join(h.dir, id[:12], "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	exec := func(t *testing.T, stdin string, args ...string) (int, string, string, error) {
		proc := *s.Process
		proc.Args = args
		var stdout, stderr strings.Builder
		o := oci.ExecOptions{ID: id, SessionID: newID(t), Dir: t.TempDir(), Process: &proc, Stdout: &stdout, Stderr: &stderr}
		if stdin != "" {
			o.Stdin = strings.NewReader(stdin)
		}
		code, err := h.conmon.Exec(ctx, o)
		return code, stdout.String(), stderr.String(), err
	}
	t.Run("output and exit code", func(t *testing.T) {
		code, out, errOut, err := exec(t, "", "sh", "-c", "echo $FROM_CONTAINER; echo oops >&2; exit 4")
		if err != nil || code != 4 || out != "yes\n" || errOut != "oops\n" {
			t.Errorf("exec: code %d, stdout %q, stderr %q, %v", code, out, errOut, err)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		code, out, _, err := exec(t, "some input\n", "cat")
		if err != nil || code != 0 || out != "some input\n" {
			t.Errorf("exec: code %d, stdout %q, %v", code, out, err)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, _, _, err := exec(t, "", "no-such-command")
		if !errors.Is(err, oci.ErrCommandNotFound) || oci.CommandExitCode(err) != 127 {
			t.Errorf("exec: %v, want ErrCommandNotFound", err)
		}
	})
}
