package oci_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine/oci"
	"github.com/berth-containers/berth/engine/spec"
)

// fixtureRootfs is the busybox rootfs test/fixtures/image.sh unpacks.
const fixtureRootfs = "/var/tmp/berth-image/rootfs"

// shared is what all tests of the package use: a copy of the fixture rootfs (so
// that no test can change the fixture) and a run root for the runtime probe cache.
var shared struct {
	dir, rootfs, runRoot string
	setupErr             error
}

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "berth-oci-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		shared.dir = dir
		shared.runRoot = filepath.Join(dir, "run")
		shared.rootfs = filepath.Join(dir, "rootfs")
		if _, err := os.Stat(fixtureRootfs); err == nil && os.Geteuid() == 0 {
			if out, err := exec.Command("cp", "-a", fixtureRootfs, shared.rootfs).CombinedOutput(); err != nil {
				shared.setupErr = fmt.Errorf("copying the fixture rootfs: %v: %s", err, out)
			}
		}
		defer removeTestCgroups()
		return m.Run()
	}()
	os.Exit(code)
}

// testCgroupParent holds the cgroups of test containers, removed after the tests.
const testCgroupParent = "berth-test"

// removeTestCgroups removes the (empty) test cgroups in every hierarchy, deepest first.
func removeTestCgroups() {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*/" + testCgroupParent + "*")
	if more, _ := filepath.Glob("/sys/fs/cgroup/" + testCgroupParent + "*"); len(more) > 0 {
		roots = append(roots, more...)
	}
	for _, root := range roots {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = os.Remove(dirs[i])
		}
	}
}

// missing skips t for a missing requirement, or fails it when BERTH_REQUIRE_ALL=1 (CI).
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("BERTH_REQUIRE_ALL") == "1" {
		t.Fatalf("requirement missing (BERTH_REQUIRE_ALL=1): %s", msg)
	}
	t.Skipf("requirement missing: %s", msg)
}

func requireBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "needs %s: %v", name, err)
	}
	return p
}

// harness runs containers for one test: a detected runtime with its own state folder,
// conmon, and an exit folder.
type harness struct {
	t       testing.TB
	rt      *oci.Runtime
	conmon  *oci.Conmon
	exitDir string
	dir     string
}

func logTo(w *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newHarness gates t on root, conmon, a working runtime and the fixture rootfs.
func newHarness(t testing.TB) *harness {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root (euid is %d)", os.Geteuid())
	}
	conmonPath := requireBinary(t, "conmon")
	if _, err := os.Stat(fixtureRootfs); err != nil {
		missing(t, "needs %s (test/fixtures/image.sh): %v", fixtureRootfs, err)
	}
	if shared.setupErr != nil {
		t.Fatal(shared.setupErr)
	}
	log := testLogger(t)
	rt, err := oci.Detect(context.Background(), oci.DetectOptions{RunRoot: shared.runRoot, Log: log})
	if errors.Is(err, oci.ErrNoRuntime) {
		missing(t, "needs a working OCI runtime: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rt.Root = filepath.Join(dir, "state")
	h := &harness{t: t, rt: rt, dir: dir, exitDir: filepath.Join(dir, "exits"),
		conmon: &oci.Conmon{Path: conmonPath, Runtime: rt, Log: log}}
	if err := os.Mkdir(h.exitDir, 0o700); err != nil {
		t.Fatal(err)
	}
	return h
}

func newID(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// baseOptions run args in the rootfs copy, read-only, with a cgroup of its own.
func baseOptions(id string, args ...string) spec.Options {
	return spec.Options{
		Rootfs:      shared.rootfs,
		ReadOnly:    true,
		Args:        args,
		CgroupsPath: "/" + testCgroupParent + "/" + id,
		Namespaces:  spec.Namespaces{Network: spec.NSNone},
	}
}

// bundle writes the spec of so in a new bundle folder and returns its path.
func (h *harness) bundle(id string, so spec.Options) string {
	h.t.Helper()
	s, err := spec.Generate(so)
	if err != nil {
		h.t.Fatal(err)
	}
	b := filepath.Join(h.dir, id[:12])
	if err := os.Mkdir(b, 0o700); err != nil {
		h.t.Fatal(err)
	}
	data, err := json.Marshal(s)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b, "config.json"), data, 0o600); err != nil {
		h.t.Fatal(err)
	}
	return b
}

// create makes the container and removes it when the test ends.
func (h *harness) create(id string, so spec.Options, co oci.CreateOptions) (*oci.Process, error) {
	h.t.Helper()
	co.ID, co.Bundle, co.ExitDir = id, h.bundle(id, so), h.exitDir
	h.t.Cleanup(func() {
		if err := h.rt.Delete(context.Background(), id, true); err != nil {
			h.t.Errorf("deleting %s: %v", id[:12], err)
		}
	})
	return h.conmon.Create(context.Background(), co)
}

// attachAndStart dials the container's attach socket before it starts it, so that no
// output is lost; the attachment and the context (10 s) end with the test.
func (h *harness) attachAndStart(id string) (*oci.Attachment, context.Context) {
	h.t.Helper()
	a, err := oci.DialAttach(oci.AttachSocket(filepath.Join(h.dir, id[:12])))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { a.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h.t.Cleanup(cancel)
	if err := h.rt.Start(ctx, id); err != nil {
		h.t.Fatal(err)
	}
	return a, ctx
}

// run creates and starts a container and waits for its exit code.
func (h *harness) run(so spec.Options, co oci.CreateOptions) (int, string) {
	h.t.Helper()
	id := newID(h.t)
	so.CgroupsPath = "/" + testCgroupParent + "/" + id
	p, err := h.create(id, so, co)
	if err != nil {
		h.t.Fatalf("create: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.rt.Start(ctx, id); err != nil {
		h.t.Fatalf("start: %v", err)
	}
	code, err := oci.WaitExit(ctx, h.exitDir, id, p)
	if err != nil {
		h.t.Fatalf("wait: %v", err)
	}
	return code, id
}
