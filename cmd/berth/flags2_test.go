package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/containers/ocicrypt/helpers"
	"go.podman.io/common/libimage"

	"github.com/berth-containers/berth/engine/enginetest"
)

// The user namespace flags, as a unit passes them: the container's mappings and who
// owns its files, seen from inside.
func TestRunUserNSFlags(t *testing.T) {
	e := newCtrEnv(t)
	dir := t.TempDir()
	for name, content := range map[string]string{"subuid": "svc:500000:65536\ncontainers:700000:10000\n", "subgid": "svc:600000:65536\ncontainers:800000:10000\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("BERTH_SUBUID_FILE", filepath.Join(dir, "subuid"))
	t.Setenv("BERTH_SUBGID_FILE", filepath.Join(dir, "subgid"))
	script := `cat /proc/self/uid_map /proc/self/gid_map | tr -s ' ' | sed 's/^ //'; id -u; stat -c %u:%g /etc/passwd`
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--uidmap", "0:100000:65536", "--gidmap", "0:200000:65536"}, "0 100000 65536\n0 200000 65536\n"},
		{[]string{"--uidmap", "0:100000:1", "--uidmap", "1:300000:65535"}, "0 100000 1\n1 300000 65535\n0 100000 1\n1 300000 65535\n"},
		{[]string{"--subuidname", "svc", "--subgidname", "svc"}, "0 500000 65536\n0 600000 65536\n"},
		{[]string{"--userns", "auto"}, "0 700000 1024\n0 800000 1024\n"},
		{[]string{"--userns=auto:size=2048"}, "0 700000 2048\n0 800000 2048\n"},
	} {
		args := append(append([]string{"run", "--rm", "--network", "none"}, tc.args...), e.ref, "sh", "-c", script)
		r := e.run(t, args...)
		if want := tc.want + "0\n0:0\n"; r.code != 0 || r.stdout != want {
			t.Errorf("%v: exit %d, %q, want %q (%s)", tc.args, r.code, r.stdout, want, r.stderr)
		}
	}
	// PODMAN_USERNS is --userns's default, as in podman (a unit's Environment=).
	t.Setenv("PODMAN_USERNS", "auto")
	r := e.run(t, "run", "--rm", "--network", "none", e.ref, "head", "-1", "/proc/self/uid_map")
	if r.code != 0 || strings.Join(strings.Fields(r.stdout), " ") != "0 700000 1024" {
		t.Errorf("PODMAN_USERNS=auto: exit %d, %q (%s)", r.code, r.stdout, r.stderr)
	}
	t.Setenv("PODMAN_USERNS", "")
	oneLineError(t, e.run(t, "run", "--userns=keep-id", e.ref, "true"), 125, "keep-id is only supported in rootless mode")
	oneLineError(t, e.run(t, "run", "--userns=nomap", e.ref, "true"), 125, "nomap is only supported in rootless mode")
	oneLineError(t, e.run(t, "run", "--userns=auto", "--uidmap=0:1:1", e.ref, "true"), 125, "--userns=auto conflicts with --uidmap")
	oneLineError(t, e.run(t, "run", "--uidmap=0:1", e.ref, "true"), 125, "want CONTAINER_ID:HOST_ID:SIZE")
	if n := len(e.containers(t)); n != 0 {
		t.Errorf("%d containers left", n)
	}
}

func TestRunPrivilegedFlag(t *testing.T) {
	e := newCtrEnv(t)
	script := `grep Seccomp: /proc/self/status | tr -d '\t'; grep ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; ` +
		`grep -c -E ' /proc/(keys|timer_list|acpi) ' /proc/self/mountinfo; mount -t tmpfs none /tmp && echo sys_admin`
	r := e.run(t, "run", "--rm", "--privileged", "--network", "none", e.ref, "sh", "-c", script)
	if want := "Seccomp:0\nrw\n0\nsys_admin\n"; r.code != 0 || r.stdout != want {
		t.Errorf("--privileged: exit %d, %q, want %q (%s)", r.code, r.stdout, want, r.stderr)
	}
	r = e.run(t, "run", "--rm", "--network", "none", e.ref, "sh", "-c", script)
	if want := "Seccomp:2\nro\n3\n"; r.code == 0 || r.stdout != want {
		t.Errorf("without --privileged: exit %d, %q, want %q", r.code, r.stdout, want)
	}
}

// --rootfs PATH runs the folder; PATH:O an overlay on it whose changes go with the
// container's stop.
func TestRunRootfsFlag(t *testing.T) {
	e := newCtrEnv(t)
	src := enginetest.RequireFile(t, "/var/tmp/berth-image/rootfs")
	dir := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("cp", "-a", src, dir).CombinedOutput(); err != nil {
		t.Fatalf("copying %s: %v: %s", src, err, out)
	}
	r := e.run(t, "run", "--rm", "--network", "none", "--rootfs", dir, "sh", "-c", "echo hi > /hello; cat /hello")
	if r.code != 0 || r.stdout != "hi\n" {
		t.Errorf("--rootfs: exit %d, %q (%s)", r.code, r.stdout, r.stderr)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "hello")); err != nil || string(data) != "hi\n" {
		t.Errorf("the container's file in the folder: %q, %v", data, err)
	}
	// A relative path, with :O.
	t.Chdir(filepath.Dir(dir))
	// Each run finds /hello, which the one before removed in its overlay.
	id := strings.TrimSpace(e.ok(t, "create", "--network", "none", "--rootfs", "rootfs:O", "sh", "-c", "cat /hello && rm /hello"))
	for run := 0; run < 2; run++ {
		e.ok(t, "start", id)
		if code := e.ok(t, "wait", id); code != "0\n" {
			t.Errorf("--rootfs :O run %d: exit %q", run, code)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "hello")); err != nil {
		t.Errorf("the overlay changed the folder: %v", err)
	}
	e.ok(t, "rm", id)
	e.checkState(t)
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mounts), id) {
		t.Errorf("the overlay of removed container %s is still mounted", id[:12])
	}
	oneLineError(t, e.run(t, "run", "--rootfs", "/nonexistent", "true"), 125, "no such file or directory")
	oneLineError(t, e.run(t, "run", "--rootfs", dir), 125, "no command given")
}

// --decryption-key: an image whose layers are encrypted (JWE, for an RSA key) runs
// with the private key and fails to pull without it; a key that cannot be read fails
// even when the image is there already.
func TestRunDecryptionKey(t *testing.T) {
	e := newCtrEnv(t)
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for path, block := range map[string]*pem.Block{
		priv: {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)},
		pub:  {Type: "PUBLIC KEY", Bytes: pubDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cc, err := helpers.CreateCryptoConfig([]string{"jwe:" + pub}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Served by the registry: run pulls only registry images, not oci: layouts.
	enc := enginetest.RegistryAddr() + "/berth-test/encrypted:latest"
	rt := e.engine(t)
	_, err = rt.ImageRuntime().Push(context.Background(), e.ref, "docker://"+enc, &libimage.PushOptions{
		CopyOptions: libimage.CopyOptions{OciEncryptConfig: cc.EncryptConfig, OciEncryptLayers: &[]int{}},
	})
	if err != nil {
		t.Fatalf("encrypting the image: %v", err)
	}
	// Without the key the library stores the layer as it is, and its digest is not the
	// one the config names (podman's message too).
	oneLineError(t, e.run(t, "run", "--rm", enc, "true"), 125, "does not match config's DiffID")
	r := e.run(t, "run", "--rm", "--network", "none", "--decryption-key", priv, enc, "echo", "decrypted")
	if r.code != 0 || r.stdout != "decrypted\n" {
		t.Errorf("with the key: exit %d, %q (%s)", r.code, r.stdout, r.stderr)
	}
	oneLineError(t, e.run(t, "run", "--decryption-key", filepath.Join(dir, "nope.pem"), enc, "true"), 125, "--decryption-key")
}

// Concurrent --userns=auto runs from separate processes get ranges that never
// overlap: the pick and the storage container that records it share one lock.
func TestRunUserNSAutoConcurrent(t *testing.T) {
	e := newCtrEnv(t)
	dir := t.TempDir()
	for _, name := range []string{"subuid", "subgid"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("containers:1000000:65536\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("BERTH_SUBUID_FILE", filepath.Join(dir, "subuid"))
	t.Setenv("BERTH_SUBGID_FILE", filepath.Join(dir, "subgid"))
	const n = 6
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.run(t, "run", "-d", "--network", "none", "--userns", "auto:size=1000", e.ref, "sleep", "1000")
			if r.code != 0 {
				t.Errorf("run %d: exit %d: %s", i, r.code, r.stderr)
			}
			ids[i] = strings.TrimSpace(r.stdout)
		}()
	}
	wg.Wait()
	var starts []int
	for _, id := range ids {
		if id == "" {
			continue
		}
		out := e.ok(t, "exec", id, "cat", "/proc/self/uid_map")
		var inside, host, size int
		if _, err := fmt.Sscan(out, &inside, &host, &size); err != nil || inside != 0 || size != 1000 {
			t.Errorf("container %s: uid_map %q", id[:12], out)
			continue
		}
		starts = append(starts, host)
	}
	slices.Sort(starts)
	for i := 1; i < len(starts); i++ {
		if starts[i]-starts[i-1] < 1000 {
			t.Errorf("host ranges from %d and %d overlap", starts[i-1], starts[i])
		}
	}
}
