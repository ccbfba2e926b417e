package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/berth-containers/berth/engine/lock"
)

// DefaultTimeout is how long an operation waits for the store when Open is given none:
// at boot, one process may queue behind every other unit's transactions.
const DefaultTimeout = 30 * time.Second

// layoutVersion is the bucket layout described in the package doc; records carry
// their own versions.
const layoutVersion = 1

var (
	metaBucket = []byte("meta")
	layoutKey  = []byte("layout")
)

// Store is a state file. It holds no file open between operations, and is safe for
// concurrent use by goroutines and processes.
type Store struct {
	path     string
	lockPath string
	timeout  time.Duration
	closed   atomic.Bool
}

// Open makes the store at path ready, creating its folder and file if missing, and
// returns it. Each later operation waits at most timeout (DefaultTimeout if <= 0) for
// other processes' transactions.
func Open(path string, timeout time.Duration) (*Store, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	s := &Store{path: path, lockPath: path + ".lock", timeout: timeout}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("opening state store: %w", err)
	}
	if err := s.create(); err != nil {
		return nil, fmt.Errorf("creating state store %s: %w", path, err)
	}
	return s, nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Close ends the Store's use; later operations fail with ErrClosed. Nothing is open
// between operations, so there is nothing else to release.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// Tx is one transaction; Collection.In binds a collection to it.
type Tx struct {
	btx *bbolt.Tx
}

// Writable tells whether the transaction may write (it came from Store.Update).
func (tx *Tx) Writable() bool { return tx.btx.Writable() }

// View runs fn in a read-only transaction. Readers run alongside each other.
func (s *Store) View(fn func(*Tx) error) error { return s.run(false, fn) }

// Update runs fn in a read-write transaction, committed if fn returns nil and rolled
// back otherwise; writers run one at a time, across all processes.
func (s *Store) Update(fn func(*Tx) error) error { return s.run(true, fn) }

func (s *Store) run(write bool, fn func(*Tx) error) (err error) {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", s.path, ErrClosed)
	}
	defer func() {
		if r := recover(); r != nil {
			err = damaged(s.path, r, debug.Stack()) // or panics again
		}
	}()
	db, l, err := s.open(write)
	if err != nil {
		return err
	}
	defer l.Unlock()
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing state store %s: %w", s.path, cerr)
		}
	}()
	txfn := func(btx *bbolt.Tx) error {
		if err := checkLayout(btx); err != nil {
			return fmt.Errorf("state store %s: %w", s.path, err)
		}
		return fn(&Tx{btx: btx})
	}
	if write {
		return db.Update(txfn)
	}
	return db.View(txfn)
}

// open queues on the side lock, then opens the bbolt file under it.
func (s *Store) open(write bool) (*bbolt.DB, *lock.Lock, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	mode := lock.Shared
	if write {
		mode = lock.Exclusive
	}
	l, err := lock.Acquire(ctx, s.lockPath, mode)
	if err != nil {
		return nil, nil, fmt.Errorf("waiting for state store %s: %w", s.path, err)
	}
	// bbolt's own flock is free now unless a program that ignores the side lock (the
	// bbolt command, say) holds the file; bound that wait too. 0 would mean forever.
	wait := max(time.Until(deadlineOf(ctx)), 50*time.Millisecond)
	opened := false
	defer func() {
		if !opened { // also when bbolt panics on a damaged file
			l.Unlock()
		}
	}()
	db, err := bbolt.Open(s.path, 0o600, &bbolt.Options{Timeout: wait, ReadOnly: !write})
	if err != nil {
		if errors.Is(err, bbolt.ErrTimeout) {
			err = fmt.Errorf("%w (another program holds the file)", context.DeadlineExceeded)
		}
		return nil, nil, fmt.Errorf("opening state store %s: %w", s.path, err)
	}
	opened = true
	return db, l, nil
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// create builds a missing store file aside and renames it into place, so that the path
// only ever names a complete store.
func (s *Store) create() error {
	if _, err := os.Stat(s.path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	l, err := lock.Acquire(ctx, s.lockPath, lock.Exclusive)
	if err != nil {
		return err
	}
	defer l.Unlock()
	if _, err := os.Stat(s.path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err // another process made it while we waited
	}
	tmp := s.path + ".new"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err // a leftover of a crash is rebuilt from scratch
	}
	db, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	err = db.Update(func(btx *bbolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		return b.Put(layoutKey, []byte(strconv.Itoa(layoutVersion)))
	})
	if err = errors.Join(err, db.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(s.path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

func checkLayout(btx *bbolt.Tx) error {
	b := btx.Bucket(metaBucket)
	if b == nil {
		return fmt.Errorf("no meta bucket: not a berth state store")
	}
	v, err := strconv.Atoi(string(b.Get(layoutKey)))
	if err != nil {
		return fmt.Errorf("bad layout version %q", b.Get(layoutKey))
	}
	if v > layoutVersion {
		return fmt.Errorf("layout version %d (this berth knows %d): %w", v, layoutVersion, ErrNewerVersion)
	}
	return nil
}
