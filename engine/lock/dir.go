package lock

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Dir is a folder of per-object lock files, <dir>/<kind>-<id>.lock; berth keeps it at
// <runroot>/berth/locks, which goes away at reboot with the locks it held.
type Dir struct {
	path string
}

// NewDir makes the lock folder (mode 0700) if it is missing.
func NewDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("making lock folder: %w", err)
	}
	return &Dir{path: path}, nil
}

// Path is the folder.
func (d *Dir) Path() string { return d.path }

// File is the lock file of one object. kind and id may hold letters, digits, '_', '.'
// and '-' (not leading '.'), so that a name never escapes the folder.
func (d *Dir) File(kind, id string) (string, error) {
	for _, part := range []struct{ what, s string }{{"kind", kind}, {"id", id}} {
		if err := checkPart(part.s); err != nil {
			return "", fmt.Errorf("lock %s %q: %w", part.what, part.s, err)
		}
	}
	return filepath.Join(d.path, kind+"-"+id+".lock"), nil
}

// Lock waits for the lock of an object until it holds it or ctx ends.
func (d *Dir) Lock(ctx context.Context, kind, id string, m Mode) (*Lock, error) {
	p, err := d.File(kind, id)
	if err != nil {
		return nil, err
	}
	l, err := Acquire(ctx, p, m)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return l, nil
}

// TryLock takes the lock of an object if it is free, or fails with ErrWouldBlock.
func (d *Dir) TryLock(kind, id string, m Mode) (*Lock, error) {
	p, err := d.File(kind, id)
	if err != nil {
		return nil, err
	}
	l, err := TryAcquire(p, m)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return l, nil
}

func checkPart(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	if len(s) > 200 {
		return fmt.Errorf("longer than 200 bytes")
	}
	if s[0] == '.' {
		return fmt.Errorf("starts with '.'")
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '_' || r == '.' || r == '-'
		if !ok {
			return fmt.Errorf("character %q not allowed", r)
		}
	}
	return nil
}
