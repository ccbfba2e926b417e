package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

// Push writes an image to any transport; what it wrote pulls back as the same image.
func TestPushToLayout(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	ctx := context.Background()
	id := enginetest.Busybox(t, rt)
	layout := "oci:" + filepath.Join(t.TempDir(), "layout") + ":pushed"
	d, err := rt.Push(ctx, enginetest.BusyboxRef(), layout, engine.PushOptions{})
	if err != nil || d == "" {
		t.Fatalf("Push = %q, %v", d, err)
	}
	other := enginetest.NewTestRuntime(t)
	imgs, err := other.Pull(ctx, layout, engine.PullOptions{})
	if err != nil || len(imgs) != 1 || imgs[0].ID() != id {
		t.Fatalf("pulling the pushed layout: %v, %v", imgs, err)
	}
	if _, err := rt.Push(ctx, "nope:v1", layout, engine.PushOptions{}); !errors.Is(err, engine.ErrNoSuchImage) {
		t.Errorf("Push of a missing image: %v", err)
	}
	if _, err := rt.Push(ctx, id, layout, engine.PushOptions{Format: "v3"}); err == nil {
		t.Error("Push with --format v3 worked")
	}
	if _, err := rt.Push(ctx, id, layout, engine.PushOptions{PullOptions: engine.PullOptions{AllTags: true}}); !errors.Is(err, engine.ErrUnsupported) {
		t.Errorf("Push with AllTags: %v", err)
	}
}
