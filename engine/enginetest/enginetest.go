// Package enginetest holds what engine tests share: gates that skip a test whose
// requirement (root, a binary, the local registry) is missing, or fail it when
// BERTH_REQUIRE_ALL=1 (as CI sets), and engine runtimes on temporary roots that clean
// up after themselves, mounts included.
//
// A test package that touches storage starts with
//
//	func TestMain(m *testing.M) { enginetest.Main(m) }
//
// and a test then reads
//
//	enginetest.RequireRoot(t)
//	rt := enginetest.NewTestRuntime(t)   // overlay (vfs where overlay cannot work)
//	id := enginetest.Busybox(t, rt)      // pulls 127.0.0.1:5000/busybox:latest once
//
// For berth processes, Options(t, Config{}) makes the roots and GlobalArgs turns them
// into --root/--runroot/--storage-driver flags.
package enginetest

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"go.podman.io/storage/pkg/reexec"
)

// Strict reports whether a missing requirement fails a test instead of skipping it.
func Strict() bool { return os.Getenv("BERTH_REQUIRE_ALL") == "1" }

// Missing skips t for a missing requirement, or fails it when Strict.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Strict() {
		t.Fatalf("requirement missing (BERTH_REQUIRE_ALL=1): %s", msg)
	}
	t.Skipf("requirement missing: %s", msg)
}

// HostLacks skips t, even when Strict, for a requirement that CI's host cannot have by
// construction (it runs no systemd, so no journald): such behaviour is checked by the
// end-to-end tests inside the systemd sandbox instead.
func HostLacks(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Skipf("this host cannot provide it (checked under the systemd sandbox instead): %s", fmt.Sprintf(format, args...))
}

// RequireRoot gates a test on running as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root (euid is %d)", os.Geteuid())
	}
}

// RequireBinary gates a test on a program in PATH (or at an absolute path) and
// returns its path.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "needs %s: %v", name, err)
	}
	return p
}

// RequireFile gates a test on a file or folder, such as a fixture of test/fixtures.
func RequireFile(t testing.TB, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "needs %s (see test/fixtures/README.md): %v", path, err)
	}
	return path
}

// RegistryAddr is the local test registry's host:port: BERTH_REGISTRY_ADDR, or
// 127.0.0.1:5000 as test/fixtures/registry.sh serves it.
func RegistryAddr() string {
	if a := os.Getenv("BERTH_REGISTRY_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:5000"
}

// BusyboxRef is the fixture image in the local registry (test/fixtures/image.sh).
func BusyboxRef() string { return RegistryAddr() + "/busybox:latest" }

// RequireRegistry gates a test on the local registry answering, and makes the engine
// reach it over plain HTTP (see InsecureRegistry). It returns its host:port.
func RequireRegistry(t testing.TB) string {
	t.Helper()
	addr := RegistryAddr()
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + addr + "/v2/")
	if err != nil {
		Missing(t, "needs the registry on %s (test/fixtures/registry.sh start): %v", addr, err)
		return addr
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		Missing(t, "registry on %s answers /v2/ with %s", addr, resp.Status)
	}
	InsecureRegistry(t)
	return addr
}

// Main is the TestMain of every package whose tests touch storage: the storage library
// re-executes the test binary to unpack layers, and that child must do only that.
//
//	func TestMain(m *testing.M) { enginetest.Main(m) }
func Main(m *testing.M) {
	if reexec.Init() {
		return
	}
	os.Exit(m.Run())
}
