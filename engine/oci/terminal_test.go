package oci_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine/oci"
)

// With a terminal, the container's stdio is a pty that conmon holds; its output
// reaches an attached client as stdout.
func TestTerminal(t *testing.T) {
	h := newHarness(t)
	id := newID(t)
	so := baseOptions(id, "sh", "-c", "tty; echo to-stderr >&2; sleep 0.1")
	so.Terminal = true
	p, err := h.create(id, so, oci.CreateOptions{Terminal: true, LogDriver: oci.LogNone})
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(h.dir, id[:12])
	a, ctx := h.attachAndStart(id)
	if err := oci.Resize(bundle, 40, 100); err != nil {
		t.Errorf("resize: %v", err)
	}
	var out strings.Builder
	if err := a.Copy(ctx, nil, &out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "/dev/pts/0\r\n") || !strings.Contains(out.String(), "to-stderr\r\n") {
		t.Errorf("terminal output %q", out.String())
	}
	if code, err := oci.WaitExit(ctx, h.exitDir, id, p); err != nil || code != 0 {
		t.Errorf("exit %d, %v", code, err)
	}
}

// journald: conmon sends each line to the journal (here there may be none to take
// it: the container must run all the same).
func TestJournaldDriverRuns(t *testing.T) {
	h := newHarness(t)
	code, _ := h.run(baseOptions("", "sh", "-c", "echo to-journal; exit 2"), oci.CreateOptions{LogDriver: oci.LogJournald, Name: "berth-oci-test"})
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
}

// ConmonCgroup moves conmon into its own cgroup before it starts the runtime.
func TestConmonCgroup(t *testing.T) {
	h := newHarness(t)
	id := newID(t)
	cg := "/" + testCgroupParent + "-conmon/" + id[:12]
	p, err := h.create(id, baseOptions(id, "true"), oci.CreateOptions{ConmonCgroup: cg, LogDriver: oci.LogNone})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(p.ConmonPid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), cg) {
		t.Errorf("conmon's cgroups:\n%s\nwant %s", data, cg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := oci.WaitExit(ctx, h.exitDir, id, p); err != nil {
		t.Fatal(err)
	}
	for oci.ConmonAlive(p.ConmonPid) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}
