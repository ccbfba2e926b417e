package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

// bigImage pushes a 64 MiB single-layer image of incompressible, reproducible content
// to the local registry (once: the same bytes give the same digest), so that a pull
// takes long enough (about 0.4 s) to be killed in every phase: manifest, download,
// layer commit, image record.
func bigImage(t *testing.T) string {
	t.Helper()
	addr := enginetest.RequireRegistry(t)
	ref := addr + "/berth-test/big:latest"
	resp, err := http.Head("http://" + addr + "/v2/berth-test/big/manifests/latest")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return ref
		}
	}
	mkimage := enginetest.RequireFile(t, "/var/tmp/berth-image/mkimage")
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{'b', 'e', 'r', 't', 'h'})
	buf := make([]byte, 8<<20)
	for i := range 8 {
		_, _ = rng.Read(buf)
		if err := os.WriteFile(filepath.Join(root, "data", fmt.Sprintf("f%d", i)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(mkimage, "-rootfs", root, "-o", filepath.Join(t.TempDir(), "oci"), "-push", ref).CombinedOutput()
	if err != nil {
		t.Fatalf("mkimage: %v: %s", err, out)
	}
	return ref
}

// TestPullKilled kills berth pull with SIGKILL at random points; after each kill
// images must work, and at the end a pull must work and storage must check clean.
func TestPullKilled(t *testing.T) {
	rng := killRand(t, 1)
	e := newImageEnv(t)
	ref := bigImage(t)
	const kills = 12
	completed := 0
	for i := range kills {
		delay := time.Duration(rng.Int64N(int64(500 * time.Millisecond)))
		killed, err := startKilled(t, delay, append(append([]string{}, e.args...), "pull", "-q", ref)...)
		if err != nil {
			t.Fatalf("kill %d: pull failed before the kill: %v", i, err)
		}
		if !killed {
			completed++
		}
		// Whatever the kill left, listing works, and the image is whole or absent.
		ids := strings.Fields(e.ok(t, "images", "-q", "--no-trunc"))
		if len(ids) > 1 {
			t.Fatalf("kill %d at %s: images lists %v", i, delay, ids)
		}
		if len(ids) == 1 {
			// A kill between the image record and its name leaves it untagged: by ID.
			e.ok(t, "image", "inspect", ids[0])
			e.ok(t, "rmi", "-f", ids[0])
		}
	}
	t.Logf("%d pulls killed, %d finished first", kills-completed, completed)

	id := strings.TrimSpace(e.ok(t, "pull", "-q", ref))
	out := e.ok(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "--no-trunc")
	if out != ref+" sha256:"+id+"\n" {
		t.Errorf("images after the kills = %q", out)
	}

	rt, err := engine.New(context.Background(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Shutdown(true)
	checkStorageClean(t, rt.Store())
	if _, err := rt.RemoveImages(context.Background(), nil, engine.RemoveOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if layers, err := rt.Store().Layers(); err != nil || len(layers) != 0 {
		t.Errorf("after rmi -a: %d layers left (%v)", len(layers), err)
	}
}
