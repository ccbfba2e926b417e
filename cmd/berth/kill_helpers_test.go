package main

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"go.podman.io/storage"
)

// Scaffolding of the kill -9 tests (containers_kill_test.go, images_kill_test.go).

// killRand skips a kill -9 test in -short mode; else it returns the test's random
// source, its seed logged so that a failing order of kills can be replayed.
func killRand(t *testing.T, stream uint64) *rand.Rand {
	t.Helper()
	if testing.Short() {
		t.Skip("kill -9 test skipped in -short mode")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, stream))
}

// startKilled runs berth with args and kills it with SIGKILL after delay, unless it
// ends first. It reports whether it was killed and, when it was not, how it ended.
func startKilled(t *testing.T, delay time.Duration, args ...string) (killed bool, err error) {
	t.Helper()
	cmd := berthCommand(t, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return false, err
	case <-time.After(delay):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return true, nil
	}
}

// checkStorageClean fails the test when storage's own check finds damage.
func checkStorageClean(t *testing.T, store storage.Store) {
	t.Helper()
	rep, err := store.Check(storage.CheckEverything())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Layers)+len(rep.Images)+len(rep.Containers) > 0 {
		t.Errorf("storage check: layers %v, images %v, containers %v", rep.Layers, rep.Images, rep.Containers)
	}
}
