package oci_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-containers/berth/engine/oci"
)

func isNotExist(err error) bool { return errors.Is(err, oci.ErrNotExist) }

// Detect picks a runtime that really runs containers here, explains why at debug
// level, and caches its probes under the run root.
func TestDetect(t *testing.T) {
	if os.Geteuid() != 0 {
		missing(t, "needs root")
	}
	runRoot := t.TempDir()
	var log strings.Builder
	rt, err := oci.Detect(context.Background(), oci.DetectOptions{RunRoot: runRoot, Log: logTo(&log)})
	if errors.Is(err, oci.ErrNoRuntime) {
		missing(t, "no working runtime: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "OCI runtime chosen") {
		t.Errorf("no explanation at debug level:\n%s", log.String())
	}
	// On a cgroup v1 hybrid host crun refuses containers: runc must have been chosen.
	if hybrid() && rt.Name != "runc" {
		t.Errorf("on a hybrid cgroup host chose %s, want runc", rt.Name)
	}
	if _, err := os.Stat(filepath.Join(runRoot, "oci-runtime-probes.json")); err != nil {
		t.Errorf("no probe cache: %v", err)
	}
	log.Reset()
	rt2, err := oci.Detect(context.Background(), oci.DetectOptions{RunRoot: runRoot, Log: logTo(&log)})
	if err != nil || rt2.Path != rt.Path {
		t.Fatalf("second detect: %v, %v", rt2, err)
	}
	if !strings.Contains(log.String(), "cached=true") || strings.Contains(log.String(), "OCI runtime probe") {
		t.Errorf("second detect probed again:\n%s", log.String())
	}
	// containers.conf's default comes first when it works.
	log.Reset()
	rt3, err := oci.Detect(context.Background(), oci.DetectOptions{RunRoot: runRoot, Default: rt.Name, Log: logTo(&log)})
	if err != nil || rt3.Path != rt.Path || !strings.Contains(log.String(), "containers.conf's default") {
		t.Errorf("default %s: got %v, %v\n%s", rt.Name, rt3, err, log.String())
	}
}

func TestDetectPreferred(t *testing.T) {
	rt, err := oci.Detect(context.Background(), oci.DetectOptions{Preferred: "/bin/sh"})
	if err != nil || rt.Path != "/bin/sh" || rt.Name != "sh" {
		t.Errorf("--runtime /bin/sh: %+v, %v", rt, err)
	}
	_, err = oci.Detect(context.Background(), oci.DetectOptions{Preferred: "no-such-runtime"})
	if !errors.Is(err, oci.ErrNoRuntime) || !strings.Contains(err.Error(), "no-such-runtime") {
		t.Errorf("unknown --runtime: %v", err)
	}
	_, err = oci.Detect(context.Background(), oci.DetectOptions{Preferred: "/etc/passwd"})
	if !errors.Is(err, oci.ErrNoRuntime) {
		t.Errorf("--runtime of a non-executable file: %v", err)
	}
}

// A runtime that cannot run containers is passed over with its reason logged, and when
// none can, the error says why for each.
func TestDetectPassesOverBrokenRuntime(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "fakert")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'fake runtime: nothing works' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	rt, err := oci.Detect(context.Background(), oci.DetectOptions{
		Default: "fakert", Paths: map[string][]string{"fakert": {fake}},
		RunRoot: filepath.Join(dir, "run"), Log: logTo(&log),
	})
	if err != nil {
		if !errors.Is(err, oci.ErrNoRuntime) || !strings.Contains(err.Error(), "fake runtime: nothing works") {
			t.Errorf("error %v should explain the fake runtime's failure", err)
		}
		return
	}
	if rt.Path == fake {
		t.Fatal("chose the broken runtime")
	}
	if !strings.Contains(log.String(), "fake runtime: nothing works") {
		t.Errorf("the log does not say why the fake runtime was passed over:\n%s", log.String())
	}
}

func hybrid() bool {
	_, err := os.Stat("/sys/fs/cgroup/unified")
	return err == nil
}
