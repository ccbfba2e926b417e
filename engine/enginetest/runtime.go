package enginetest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/berth-containers/berth/engine"
)

// Config changes what NewTestRuntime opens.
type Config struct {
	// Driver is the storage driver: "" lets the engine choose (overlay, or vfs where
	// overlay cannot work; vfs when not root). BERTH_TEST_STORAGE_DRIVER overrides "".
	Driver string
	// Root and RunRoot reopen existing roots (say, those of another runtime, or of a
	// berth process); when empty, fresh ones are made and removed after the test.
	Root, RunRoot string
	// Log receives the engine's log; by default debug lines go to t.Log.
	Log *slog.Logger
}

// Options returns engine options on fresh temporary roots, which are unmounted and
// removed when the test ends. The paths are short (/tmp/berth-XXXX/{root,run}) because
// sockets live under the run root and a socket path has at most 107 bytes.
func Options(t testing.TB, c Config) engine.Options {
	t.Helper()
	if c.Root == "" || c.RunRoot == "" {
		dir, err := os.MkdirTemp("", "berth-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			waitForUsers(t, dir)
			UnmountUnder(t, dir)
			if err := os.RemoveAll(dir); err != nil {
				t.Errorf("removing test roots: %v", err)
			}
		})
		if c.Root == "" {
			c.Root = filepath.Join(dir, "root")
		}
		if c.RunRoot == "" {
			c.RunRoot = filepath.Join(dir, "run")
		}
	}
	if c.Driver == "" {
		c.Driver = os.Getenv("BERTH_TEST_STORAGE_DRIVER")
	}
	if c.Driver == "" && os.Geteuid() != 0 {
		c.Driver = "vfs"
	}
	log := c.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return engine.Options{Root: c.Root, RunRoot: c.RunRoot, StorageDriver: c.Driver, Log: log}
}

// NewTestRuntime opens an engine on temporary roots (see Options) and shuts it down,
// unmounting every layer, when the test ends.
func NewTestRuntime(t testing.TB, c ...Config) *engine.Runtime {
	t.Helper()
	var cfg Config
	if len(c) > 0 {
		cfg = c[0]
	}
	InsecureRegistry(t)
	rt, err := engine.New(context.Background(), Options(t, cfg))
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	t.Cleanup(func() {
		if err := rt.Shutdown(true); err != nil {
			t.Errorf("engine shutdown: %v", err)
		}
	})
	return rt
}

// ContainerRuntime is NewTestRuntime with the busybox image pulled, for tests that
// run containers: it gates on root, conmon and the registry.
func ContainerRuntime(t testing.TB, c ...Config) *engine.Runtime {
	t.Helper()
	RequireRoot(t)
	RequireBinary(t, "conmon")
	rt := NewTestRuntime(t, c...)
	Busybox(t, rt)
	return rt
}

// GlobalArgs are the berth global flags that open the same storage as o.
func GlobalArgs(o engine.Options) []string {
	args := []string{"--root", o.Root, "--runroot", o.RunRoot}
	if o.StorageDriver != "" {
		args = append(args, "--storage-driver", o.StorageDriver)
	}
	return args
}

// Busybox pulls the fixture image (BusyboxRef) into rt unless it is there, and
// returns its ID. It gates on the registry.
func Busybox(t testing.TB, rt *engine.Runtime) string {
	t.Helper()
	RequireRegistry(t)
	imgs, err := rt.Pull(context.Background(), BusyboxRef(), engine.PullOptions{Policy: "missing", Quiet: true})
	if err != nil {
		t.Fatalf("pulling %s: %v", BusyboxRef(), err)
	}
	return imgs[0].ID()
}

var registriesOnce sync.Once

// InsecureRegistry points CONTAINERS_REGISTRIES_CONF, unless already set, at a
// registries.conf that lets the engine (and berth processes the test starts) reach the
// local registry over plain HTTP. The file is the same for every test process: a
// fixed path under the temporary folder, rewritten atomically.
func InsecureRegistry(t testing.TB) {
	t.Helper()
	registriesOnce.Do(func() {
		if os.Getenv("CONTAINERS_REGISTRIES_CONF") != "" {
			return
		}
		dir := filepath.Join(os.TempDir(), "berth-enginetest")
		path := filepath.Join(dir, fmt.Sprintf("registries-%s.conf", sanitize(RegistryAddr())))
		conf := fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", RegistryAddr())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.CreateTemp(dir, ".registries-*")
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteString(conf)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
			t.Fatal(err)
		}
		os.Setenv("CONTAINERS_REGISTRIES_CONF", path)
	})
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// UnmountUnder detaches every mount at or below dir, deepest first: storage leaves its
// overlay home bind-mounted, and a killed berth leaves layers mounted.
func UnmountUnder(t testing.TB, dir string) {
	t.Helper()
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		t.Errorf("reading mounts under %s: %v", dir, err)
		return
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
	for _, m := range mounts {
		if err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			t.Errorf("unmounting %s: %v", m.Mountpoint, err)
		}
	}
}

// testWriter sends the engine's log lines to t.Log, so that they show only for
// failing tests or with -v.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		return p[:n-1]
	}
	return p
}

// waitForUsers waits, up to 15 s, until no process names dir on its command line:
// conmon's exit command (`berth ... container cleanup`) may still run after a test's
// last command returned, and would find its storage gone, or make files in it while
// it is being removed. A container left running keeps its conmon: logged, not waited.
func waitForUsers(t testing.TB, dir string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		busy := ""
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			data, err := os.ReadFile(p)
			if err == nil && strings.Contains(string(data), dir+"/") && !strings.HasPrefix(string(data), "/usr/bin/conmon\x00") {
				busy = strings.ReplaceAll(string(data), "\x00", " ")
				break
			}
		}
		if busy == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("test roots still in use by: %s", busy)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
