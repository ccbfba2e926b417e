package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.podman.io/storage/pkg/reexec"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

// TestMain lets the test binary be berth itself: runBerth starts it again with
// BERTH_TEST_AS_BERTH=1, which runs the real command line in a process of its own (so
// that exit codes, output and kill -9 are the real thing) without building a binary.
// Shared by every test of cmd/berth.
func TestMain(m *testing.M) {
	if reexec.Init() {
		return
	}
	if os.Getenv("BERTH_TEST_AS_BERTH") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// result is what a berth process did.
type result struct {
	code           int
	stdout, stderr string
}

// berthCommand prepares berth with args, as a process of its own.
func berthCommand(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "BERTH_TEST_AS_BERTH=1")
	return cmd
}

// runBerth runs berth with args to its end.
func runBerth(t testing.TB, args ...string) result {
	t.Helper()
	cmd := berthCommand(t, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running berth %v: %v", args, err)
	}
	return r
}

// imageEnv is a storage for berth processes: the global flags that open it.
type imageEnv struct {
	opts engine.Options
	args []string
}

func newImageEnv(t *testing.T) *imageEnv {
	t.Helper()
	enginetest.RequireRoot(t)
	enginetest.RequireRegistry(t)
	o := enginetest.Options(t, enginetest.Config{})
	return &imageEnv{opts: o, args: enginetest.GlobalArgs(o)}
}

// ok runs berth and fails the test unless it exits 0.
func (e *imageEnv) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := runBerth(t, append(append([]string{}, e.args...), args...)...)
	if r.code != 0 {
		t.Fatalf("berth %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

func (e *imageEnv) run(t *testing.T, args ...string) result {
	t.Helper()
	return runBerth(t, append(append([]string{}, e.args...), args...)...)
}

// oneLineError checks a failed command: the exit code, and one "Error:" line.
func oneLineError(t *testing.T, r result, code int, contains string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d (stderr %q)", r.code, code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") || !strings.Contains(lines[0], contains) {
		t.Errorf("stderr is not one Error line containing %q: %q", contains, r.stderr)
	}
}

func TestImageCommands(t *testing.T) {
	e := newImageEnv(t)
	ref := enginetest.BusyboxRef()

	id := strings.TrimSpace(e.ok(t, "pull", "--tls-verify=false", "-q", ref))
	if len(id) != 64 {
		t.Fatalf("pull printed %q, want an image ID", id)
	}
	// Not a terminal (as in a unit's journal): no progress, only the ID.
	if r := e.run(t, "image", "pull", "--policy", "missing", ref); r.code != 0 || strings.TrimSpace(r.stdout) != id || r.stderr != "" {
		t.Errorf("image pull --policy missing: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	out := e.ok(t, "images")
	if !strings.HasPrefix(out, "REPOSITORY") || !strings.Contains(out, id[:12]) || !strings.Contains(out, "latest") {
		t.Errorf("images:\n%s", out)
	}
	if out := e.ok(t, "images", "-q"); out != id[:12]+"\n" {
		t.Errorf("images -q = %q", out)
	}
	if out := e.ok(t, "image", "ls", "-q", "--no-trunc"); out != "sha256:"+id+"\n" {
		t.Errorf("image ls -q --no-trunc = %q", out)
	}
	if out := e.ok(t, "image", "list", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"); out != ref+" "+id[:12]+"\n" {
		t.Errorf("images --format = %q", out)
	}
	var list []engine.ImageSummary
	if err := json.Unmarshal([]byte(e.ok(t, "images", "--format", "json")), &list); err != nil || len(list) != 1 || list[0].ID != id {
		t.Errorf("images --format json: %v %+v", err, list)
	}

	e.ok(t, "tag", ref, "mybox:v1")
	e.ok(t, "image", "tag", id[:12], "127.0.0.1:5000/mybox:v2")
	if out := e.ok(t, "images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, "localhost/mybox:v1") ||
		!strings.Contains(out, "127.0.0.1:5000/mybox:v2") {
		t.Errorf("after tag, images:\n%s", out)
	}

	var data []map[string]any
	if err := json.Unmarshal([]byte(e.ok(t, "image", "inspect", "mybox:v1")), &data); err != nil || len(data) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	for _, k := range []string{"Id", "Digest", "RepoTags", "RepoDigests", "Created", "Config", "Architecture", "Os", "Size", "Labels"} {
		if _, ok := data[0][k]; !ok {
			t.Errorf("image inspect has no %s", k)
		}
	}
	if out := e.ok(t, "image", "inspect", "--format", "{{.Os}}/{{.Id}}", ref); out != "linux/"+id+"\n" {
		t.Errorf("image inspect --format = %q", out)
	}

	e.ok(t, "image", "exists", "mybox:v1")
	if r := e.run(t, "image", "exists", "nope:v9"); r.code != 1 || r.stderr != "" {
		t.Errorf("image exists of a missing image: exit %d, stderr %q", r.code, r.stderr)
	}
	oneLineError(t, e.run(t, "image", "inspect", "nope:v9"), 125, "nope:v9")
	oneLineError(t, e.run(t, "rmi", "nope:v9"), 1, "nope:v9")

	if out := e.ok(t, "rmi", "mybox:v1"); out != "Untagged: localhost/mybox:v1\n" {
		t.Errorf("rmi of one name = %q", out)
	}
	e.ok(t, "image", "rm", "127.0.0.1:5000/mybox:v2")
	if out := e.ok(t, "rmi", "-a"); !strings.Contains(out, "Deleted: "+id) {
		t.Errorf("rmi -a = %q", out)
	}
	if r := e.run(t, "image", "exists", ref); r.code != 1 {
		t.Errorf("image still exists after rmi -a")
	}
	if out := e.ok(t, "images", "-q"); out != "" {
		t.Errorf("images after rmi -a = %q", out)
	}
}

func TestPullErrors(t *testing.T) {
	e := newImageEnv(t)
	missing := enginetest.RegistryAddr() + "/nope:latest"
	oneLineError(t, e.run(t, "pull", "--tls-verify=false", missing), 125, missing)
	oneLineError(t, e.run(t, "pull", "--retry=0", "127.0.0.1:1/busybox:latest"), 125, "127.0.0.1:1/busybox:latest")
	// Rejected before the storage is even opened.
	for _, args := range [][]string{
		{"pull", "Bad/Name"},
		{"pull", "--policy", "sometimes", "busybox"},
		{"pull", "--retry-delay", "soon", "busybox"},
		{"pull", "--platform", "linux", "busybox"},
		{"save", "--format", "tarball", "-o", "/dev/null", "busybox"},
	} {
		r := e.run(t, args...)
		if r.code != 125 || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("berth %v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(e.opts.Root, "overlay-layers")); err == nil {
		if out := e.ok(t, "images", "-q"); out != "" {
			t.Errorf("failed pulls left images: %q", out)
		}
	}
	l, err := filepath.Glob(filepath.Join(e.opts.Root, "*-layers", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range l {
		if filepath.Base(p) != "layers.json" && filepath.Base(p) != "layers.lock" && filepath.Base(p) != "volatile-layers.json" {
			t.Errorf("a failed pull left %s", p)
		}
	}
}

func TestSaveLoadCommands(t *testing.T) {
	e := newImageEnv(t)
	ref := enginetest.BusyboxRef()
	id := strings.TrimSpace(e.ok(t, "pull", "-q", ref))
	dir := t.TempDir()
	for _, format := range []string{"oci-archive", "docker-archive"} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(dir, format+".tar")
			e.ok(t, "save", "--format", format, "-o", path, ref)
			e.ok(t, "rmi", ref)
			out := e.ok(t, "load", "-i", path)
			if !strings.HasPrefix(out, "Loaded image: ") {
				t.Errorf("load printed %q", out)
			}
			if got := strings.TrimSpace(e.ok(t, "image", "inspect", "--format", "{{.Id}}", ref)); got != id {
				t.Errorf("loaded %s, saved %s", got, id)
			}
		})
	}
	// Standard output and input.
	cmd := berthCommand(t, append(append([]string{}, e.args...), "save", ref)...)
	archive, err := cmd.Output()
	if err != nil || len(archive) < 1024 {
		t.Fatalf("save to stdout: %v (%d bytes)", err, len(archive))
	}
	e.ok(t, "rmi", ref)
	cmd = berthCommand(t, append(append([]string{}, e.args...), "image", "load")...)
	cmd.Stdin = bytes.NewReader(archive)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("load from stdin: %v: %s", err, out)
	}
	e.ok(t, "image", "exists", ref)
	junk := filepath.Join(dir, "junk.tar")
	if err := os.WriteFile(junk, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, e.run(t, "load", "-i", junk), 125, junk)
}
