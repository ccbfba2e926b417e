package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// acquire opens path and locks it, and starts over when the file it locked was removed
// (or replaced) while it waited: the lock on an unlinked file guards nothing.
func acquire(ctx context.Context, path string, m Mode, wait bool) (*Lock, error) {
	how, err := m.how()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	for {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening lock %s: %w", path, err)
		}
		if wait {
			err = flockWait(ctx, fd, how)
		} else if err = flockRetry(fd, how|unix.LOCK_NB); err != nil {
			unix.Close(fd)
			if errors.Is(err, unix.EWOULDBLOCK) {
				err = ErrWouldBlock
			}
		}
		if err != nil {
			return nil, fmt.Errorf("locking %s (%s): %w", path, m, err)
		}
		same, err := samePath(fd, path)
		if err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if same {
			return &Lock{path: path, fd: fd, mode: m}, nil
		}
		unix.Close(fd) // our file was removed while we waited: lock the new one
	}
}

// samePath tells whether path still names the file open as fd.
func samePath(fd int, path string) (bool, error) {
	var a, b unix.Stat_t
	if err := unix.Fstat(fd, &a); err != nil {
		return false, err
	}
	if err := unix.Stat(path, &b); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		return false, err
	}
	return a.Dev == b.Dev && a.Ino == b.Ino, nil
}

// flockRetry calls flock(2), again when a signal (Go's preemption, SIGURG) interrupts it.
func flockRetry(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// flockWait blocks in flock(2) until the lock is held or ctx ends. On any error fd is
// closed (or will be, see below), and the caller must not use it.
//
// A blocked flock cannot be interrupted, so when ctx can end it blocks in a goroutine:
// the kernel then hands the lock over the moment it is released, with no polling delay.
// If ctx ends first, the goroutine is abandoned and owns fd: when it gets the lock
// after all, it closes fd, which releases the lock at once. A goroutine (and its
// thread) may thus stay blocked until the process exits, which for a short berth
// command is harmless.
func flockWait(ctx context.Context, fd, how int) error {
	err := flockRetry(fd, how|unix.LOCK_NB)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EWOULDBLOCK) {
		unix.Close(fd)
		return err
	}
	if ctx.Done() == nil { // cannot end: block right here
		if err := flockRetry(fd, how); err != nil {
			unix.Close(fd)
			return err
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		unix.Close(fd)
		return err
	}
	var (
		mu        sync.Mutex
		abandoned bool
		done      = make(chan error, 1)
	)
	go func() {
		err := flockRetry(fd, how)
		mu.Lock()
		defer mu.Unlock()
		if abandoned || err != nil {
			unix.Close(fd)
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case err := <-done: // won the lock just as ctx ended: keep it
			return err
		default:
			abandoned = true
			return ctx.Err()
		}
	}
}
