package oci_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine/oci"
)

// TestTimingTrue reports how long this layer takes to run `true`: bundle already
// written, from Create to the exit code read, then the runtime's delete. The issue's
// target for a whole `berth run --rm --network=none IMG true` is 0.6x podman's ~300 ms,
// so this layer should stay well under 100 ms. Reported, not enforced.
func TestTimingTrue(t *testing.T) {
	h := newHarness(t)
	const n = 10
	var create, start, wait, del, total []time.Duration
	for range n {
		id := newID(t)
		co := oci.CreateOptions{ID: id, Bundle: h.bundle(id, baseOptions(id, "true")), ExitDir: h.exitDir, LogDriver: oci.LogNone}
		ctx := context.Background()
		t0 := time.Now()
		p, err := h.conmon.Create(ctx, co)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		if err := h.rt.Start(ctx, id); err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		if code, err := oci.WaitExit(ctx, h.exitDir, id, p); err != nil || code != 0 {
			t.Fatalf("exit %d, %v", code, err)
		}
		t3 := time.Now()
		if err := h.rt.Delete(ctx, id, false); err != nil {
			t.Fatal(err)
		}
		t4 := time.Now()
		create, start, wait, del, total = append(create, t1.Sub(t0)), append(start, t2.Sub(t1)),
			append(wait, t3.Sub(t2)), append(del, t4.Sub(t3)), append(total, t4.Sub(t0))
	}
	med := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	t.Logf("runtime %s, median of %d runs of `true`: create %v, start %v, wait for exit %v, delete %v; total %v (min %v, max %v)",
		h.rt.Name, n, med(create), med(start), med(wait), med(del), med(total), slices.Min(total), slices.Max(total))
}
