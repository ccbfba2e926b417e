package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

// The local artifact store: add, list, inspect (by name and short digest), the files
// a container would mount, extract, remove.
func TestArtifactStore(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "settings.conf")
	if err := os.WriteFile(file, []byte("key=value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	name := "registry.example/berth/settings:v1"
	d, err := rt.AddArtifact(ctx, name, []string{file}, engine.ArtifactAddOptions{Type: "application/vnd.example.settings"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := rt.ListArtifacts(ctx)
	if err != nil || len(list) != 1 || list[0].Name != name || list[0].Digest != d || list[0].TotalSizeBytes != 10 {
		t.Fatalf("ListArtifacts = %+v, %v", list, err)
	}
	if list[0].Repository() != "registry.example/berth/settings" || list[0].Tag() != "v1" {
		t.Errorf("repository %q, tag %q", list[0].Repository(), list[0].Tag())
	}
	a, err := rt.InspectArtifact(ctx, d.Encoded()[:10])
	if err != nil || a.Name != name || a.Manifest.ArtifactType != "application/vnd.example.settings" {
		t.Errorf("InspectArtifact by short digest = %+v, %v", a, err)
	}
	mounts, err := rt.ArtifactMounts(ctx, name, "", "")
	if err != nil || len(mounts) != 1 || mounts[0].Name != "settings.conf" {
		t.Fatalf("ArtifactMounts = %+v, %v", mounts, err)
	}
	if b, err := os.ReadFile(mounts[0].Source); err != nil || string(b) != "key=value\n" {
		t.Errorf("the mounted blob holds %q (%v)", b, err)
	}
	out := filepath.Join(t.TempDir(), "copy")
	if err := rt.ExtractArtifact(ctx, name, out, "", ""); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "key=value\n" {
		t.Errorf("extracted %q", b)
	}
	if got, err := rt.RemoveArtifact(ctx, name); err != nil || got != d {
		t.Errorf("RemoveArtifact = %s, %v", got, err)
	}
	if _, err := rt.InspectArtifact(ctx, name); !errors.Is(err, engine.ErrNoSuchArtifact) {
		t.Errorf("InspectArtifact after removal: %v, want ErrNoSuchArtifact", err)
	}
	if _, err := rt.AddArtifact(ctx, "short", []string{file}, engine.ArtifactAddOptions{}); !errors.Is(err, engine.ErrInvalidImageName) {
		t.Errorf("AddArtifact with a short name: %v", err)
	}
	if _, err := rt.AddArtifact(ctx, name, []string{dir}, engine.ArtifactAddOptions{}); err == nil {
		t.Error("AddArtifact of a folder worked")
	}
}
