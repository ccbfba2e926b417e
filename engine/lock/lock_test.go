package lock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newDir(t *testing.T) *Dir {
	t.Helper()
	d, err := NewDir(filepath.Join(t.TempDir(), "locks"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustTry(t *testing.T, d *Dir, id string, m Mode) *Lock {
	t.Helper()
	l, err := d.TryLock("container", id, m)
	if err != nil {
		t.Fatalf("TryLock %s %s: %v", id, m, err)
	}
	return l
}

func wantBlocked(t *testing.T, d *Dir, id string, m Mode) {
	t.Helper()
	l, err := d.TryLock("container", id, m)
	if !errors.Is(err, ErrWouldBlock) {
		if l != nil {
			l.Unlock()
		}
		t.Fatalf("TryLock %s %s: got %v, want ErrWouldBlock", id, m, err)
	}
}

func TestExclusiveExcludesAll(t *testing.T) {
	d := newDir(t)
	l := mustTry(t, d, "a", Exclusive)
	wantBlocked(t, d, "a", Exclusive)
	wantBlocked(t, d, "a", Shared)
	mustTry(t, d, "b", Exclusive).Unlock() // other objects are independent
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatalf("second Unlock: %v, want nil", err)
	}
	mustTry(t, d, "a", Exclusive).Unlock()
}

func TestSharedLocksShare(t *testing.T) {
	d := newDir(t)
	s1 := mustTry(t, d, "a", Shared)
	s2 := mustTry(t, d, "a", Shared)
	wantBlocked(t, d, "a", Exclusive)
	s1.Unlock()
	wantBlocked(t, d, "a", Exclusive)
	s2.Unlock()
	mustTry(t, d, "a", Exclusive).Unlock()
}

func TestLockTimesOut(t *testing.T) {
	d := newDir(t)
	held := mustTry(t, d, "a", Exclusive)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	start := time.Now()
	l, err := d.Lock(ctx, "container", "a", Exclusive)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock on a held lock: got %v, %v; want DeadlineExceeded", l, err)
	}
	if el := time.Since(start); el < 50*time.Millisecond || el > 2*time.Second {
		t.Errorf("timed out after %v, want about 60ms", el)
	}
	if !strings.Contains(err.Error(), "container a") {
		t.Errorf("error %q does not name the object", err)
	}
	// The abandoned waiter gets the lock when it is released and must drop it at once,
	// closing its descriptor. (/proc/locks would not do: a woken waiter retries, so the
	// file shows no lock for a moment before the waiter has it.)
	if n := openDescriptors(t, held.Path()); n != 2 {
		t.Fatalf("%d descriptors open on the lock file, want 2 (holder, abandoned waiter)", n)
	}
	held.Unlock()
	deadline := time.Now().Add(2 * time.Second)
	for n := openDescriptors(t, held.Path()); n > 0; n = openDescriptors(t, held.Path()) {
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors still open 2s after release: the abandoned waiter kept the lock", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	mustTry(t, d, "a", Exclusive).Unlock()
	// A context that is already over fails without waiting.
	held = mustTry(t, d, "a", Exclusive)
	defer held.Unlock()
	if _, err := d.Lock(ctx, "container", "a", Shared); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock with an ended context: %v", err)
	}
}

// openDescriptors counts this process's descriptors open on path.
func openDescriptors(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == path {
			n++
		}
	}
	return n
}

func TestLockWaitsForRelease(t *testing.T) {
	for _, ctx := range []context.Context{context.Background(), t.Context()} {
		d := newDir(t)
		held := mustTry(t, d, "a", Exclusive)
		got := make(chan error, 1)
		var order []string
		var mu sync.Mutex
		go func() {
			l, err := d.Lock(ctx, "container", "a", Shared)
			mu.Lock()
			order = append(order, "acquired")
			mu.Unlock()
			if err == nil {
				l.Unlock()
			}
			got <- err
		}()
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		order = append(order, "released")
		mu.Unlock()
		held.Unlock()
		select {
		case err := <-got:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("waiter did not get the lock within 5s of its release")
		}
		if strings.Join(order, ",") != "released,acquired" {
			t.Fatalf("order %v: the waiter got the lock while it was held", order)
		}
	}
}

// Each goroutine opens its own descriptor, so flock excludes goroutines of one process.
func TestGoroutinesExcludeEachOther(t *testing.T) {
	d := newDir(t)
	const workers, rounds = 8, 100
	// Load and Store, not Add: the race detector cannot see flock's ordering, and a
	// separate load and store still lose updates if two goroutines are in at once.
	var counter atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				l, err := d.Lock(t.Context(), "container", "counter", Exclusive)
				if err != nil {
					errs <- err
					return
				}
				v := counter.Load()
				runtime.Gosched() // invite a lost update if exclusion fails
				counter.Store(v + 1)
				l.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := counter.Load(); got != workers*rounds {
		t.Fatalf("counter = %d, want %d: updates were lost", got, workers*rounds)
	}
}

func TestDescriptorNotInherited(t *testing.T) {
	d := newDir(t)
	l := mustTry(t, d, "a", Exclusive)
	defer l.Unlock()
	flags, err := unix.FcntlInt(uintptr(l.fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.FD_CLOEXEC == 0 {
		t.Fatal("lock descriptor lacks FD_CLOEXEC: conmon would inherit the lock")
	}
}

// A holder that removes the lock file must not let a waiter on the old file and a
// newcomer on the new file both in.
func TestRemoveWhileAnotherWaits(t *testing.T) {
	d := newDir(t)
	held := mustTry(t, d, "a", Exclusive)
	got := make(chan *Lock, 1)
	go func() {
		l, err := d.Lock(t.Context(), "container", "a", Exclusive)
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	time.Sleep(50 * time.Millisecond) // let it block on the old file
	if err := held.Remove(); err != nil {
		t.Fatal(err)
	}
	var waiter *Lock
	select {
	case waiter = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("waiter never got the lock after Remove")
	}
	if waiter == nil {
		t.FailNow()
	}
	defer waiter.Unlock()
	if _, err := os.Stat(waiter.Path()); err != nil {
		t.Fatalf("waiter holds a lock whose file is gone: %v", err)
	}
	wantBlocked(t, d, "a", Exclusive)
}

func TestRemoveNeedsExclusive(t *testing.T) {
	d := newDir(t)
	l := mustTry(t, d, "a", Shared)
	if err := l.Remove(); err == nil {
		t.Fatal("Remove of a shared lock succeeded")
	}
	l.Unlock()
	if err := l.Remove(); err == nil {
		t.Fatal("Remove of a released lock succeeded")
	}
	if _, err := os.Stat(l.Path()); err != nil {
		t.Fatalf("failed Remove deleted the file: %v", err)
	}
}

func TestFileNames(t *testing.T) {
	d := newDir(t)
	p, err := d.File("container", "0123abc")
	if err != nil || p != filepath.Join(d.Path(), "container-0123abc.lock") {
		t.Fatalf("File = %q, %v", p, err)
	}
	for _, bad := range [][2]string{
		{"", "x"}, {"container", ""}, {"container", "../x"}, {"container", "a/b"},
		{"container", ".hidden"}, {"con tainer", "x"}, {"container", strings.Repeat("a", 201)},
	} {
		if p, err := d.File(bad[0], bad[1]); err == nil {
			t.Errorf("File(%q, %q) = %q, want an error", bad[0], bad[1], p)
		}
		if _, err := d.TryLock(bad[0], bad[1], Exclusive); err == nil {
			t.Errorf("TryLock(%q, %q) succeeded", bad[0], bad[1])
		}
	}
	if _, err := TryAcquire(filepath.Join(d.Path(), "x.lock"), Mode(7)); err == nil {
		t.Error("TryAcquire with an invalid mode succeeded")
	}
	if _, err := TryAcquire(filepath.Join(d.Path(), "missing", "x.lock"), Exclusive); err == nil {
		t.Error("TryAcquire in a missing folder succeeded")
	}
}
