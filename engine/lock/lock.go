package lock

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Mode is how a lock is held.
type Mode int

const (
	// Shared locks may be held by many at once, but not with an Exclusive one.
	Shared Mode = iota + 1
	// Exclusive locks are held by one holder alone.
	Exclusive
)

func (m Mode) String() string {
	switch m {
	case Shared:
		return "shared"
	case Exclusive:
		return "exclusive"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

func (m Mode) how() (int, error) {
	switch m {
	case Shared:
		return unix.LOCK_SH, nil
	case Exclusive:
		return unix.LOCK_EX, nil
	}
	return 0, fmt.Errorf("invalid lock mode %d", int(m))
}

// ErrWouldBlock is returned by TryLock when another holder has the lock.
var ErrWouldBlock = errors.New("lock is held by another process")

// Lock is one held lock. It is not safe for concurrent use; each goroutine that needs
// the same object takes its own Lock.
type Lock struct {
	path string
	fd   int
	mode Mode
}

// Path is the lock file.
func (l *Lock) Path() string { return l.path }

// Mode is how the lock is held.
func (l *Lock) Mode() Mode { return l.mode }

// Acquire waits for the lock on the file at path (created if missing, mode 0600) until
// it holds it or ctx ends; then the error wraps ctx.Err().
func Acquire(ctx context.Context, path string, m Mode) (*Lock, error) {
	return acquire(ctx, path, m, true)
}

// TryAcquire takes the lock on the file at path if nobody else holds it, or fails at
// once with an error wrapping ErrWouldBlock.
func TryAcquire(path string, m Mode) (*Lock, error) {
	return acquire(context.Background(), path, m, false)
}

// Unlock releases the lock. Unlocking a released Lock does nothing.
func (l *Lock) Unlock() error {
	if l.fd < 0 {
		return nil
	}
	// LOCK_UN first: it releases the lock on the open file description even if another
	// copy of the descriptor exists (a fork between its clone and exec holds one).
	errUn := flockRetry(l.fd, unix.LOCK_UN)
	errClose := unix.Close(l.fd)
	l.fd = -1
	if err := errors.Join(errUn, errClose); err != nil {
		return fmt.Errorf("unlocking %s: %w", l.path, err)
	}
	return nil
}

// Remove deletes the lock file and releases the lock, for an object that is gone. The
// lock must be held exclusively, so that no one else holds the file being removed.
func (l *Lock) Remove() error {
	if l.fd < 0 {
		return fmt.Errorf("removing lock %s: not held", l.path)
	}
	if l.mode != Exclusive {
		return fmt.Errorf("removing lock %s: held %s, not exclusive", l.path, l.mode)
	}
	errRm := unix.Unlink(l.path)
	if errRm != nil {
		errRm = fmt.Errorf("removing lock %s: %w", l.path, errRm)
	}
	return errors.Join(errRm, l.Unlock())
}
