package state

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Record is what a Collection stores: a pointer to the caller's record type, which says
// its id and name. (Not ID()/Name(): record types tend to have fields of those names.)
// An empty name means the record has none and takes no name.
type Record interface {
	ObjectID() string
	ObjectName() string
}

// Spec describes a collection.
type Spec struct {
	// Kind names the records ("container"); it appears in errors and the file.
	Kind string
	// Namespace is where names and ids are unique; kinds may share one (podman's
	// containers and pods do). Empty means Kind.
	Namespace string
	// Version is the record schema written now, from 1.
	Version int
	// Migrate upgrades a record written in an older version to Version, on read. Nil
	// means older records are an error.
	Migrate func(from int, record json.RawMessage) (json.RawMessage, error)
}

// Kinds and namespaces as podman has them.
const (
	KindContainer = "container"
	KindPod       = "pod"
	KindVolume    = "volume"
	KindNetwork   = "network"
	// NamespaceContainers holds container and pod names and ids.
	NamespaceContainers = "container"
)

// Collection is a kind of record in a Store. Each method is one transaction of its
// own; In binds the collection to a transaction that spans several calls.
type Collection[T Record] struct {
	s    *Store
	spec Spec
	err  error // a misuse found by Of, returned by every call
}

// Of returns the collection of spec's kind in s. T must be a pointer type (so Update's
// function can change the record).
func Of[T Record](s *Store, spec Spec) *Collection[T] {
	c := &Collection[T]{s: s, spec: spec}
	if c.spec.Namespace == "" {
		c.spec.Namespace = spec.Kind
	}
	switch {
	case spec.Kind == "":
		c.err = fmt.Errorf("state collection: empty kind")
	case spec.Version < 1:
		c.err = fmt.Errorf("state collection %s: version %d, want >= 1", spec.Kind, spec.Version)
	case reflect.TypeFor[T]().Kind() != reflect.Pointer:
		c.err = fmt.Errorf("state collection %s: record type %v is not a pointer", spec.Kind, reflect.TypeFor[T]())
	}
	return c
}

// Spec is the collection's description.
func (c *Collection[T]) Spec() Spec { return c.spec }

// In binds the collection to tx.
func (c *Collection[T]) In(tx *Tx) *Bound[T] { return &Bound[T]{c: c, tx: tx} }

// Add stores a new record; its id must be free in the namespace (else ErrExists), and
// so must its name (else ErrNameInUse).
func (c *Collection[T]) Add(rec T) error {
	return c.update(func(b *Bound[T]) error { return b.Add(rec) })
}

// Get finds a record by full id, name, or unique id prefix.
func (c *Collection[T]) Get(ref string) (T, error) {
	var rec T
	err := c.view(func(b *Bound[T]) (err error) {
		rec, err = b.Get(ref)
		return err
	})
	return rec, err
}

// Update changes the record with this full id in one transaction: fn gets the stored
// record, and what it leaves is written back unless it returns an error. fn may change
// the name (a rename), not the id.
func (c *Collection[T]) Update(id string, fn func(T) error) error {
	return c.update(func(b *Bound[T]) error { return b.Update(id, fn) })
}

// Remove deletes the record with this full id, and its name.
func (c *Collection[T]) Remove(id string) error {
	return c.update(func(b *Bound[T]) error { return b.Remove(id) })
}

// List returns the records that filter accepts (all if filter is nil), in id order.
func (c *Collection[T]) List(filter func(T) bool) ([]T, error) {
	var recs []T
	err := c.view(func(b *Bound[T]) (err error) {
		recs, err = b.List(filter)
		return err
	})
	return recs, err
}

func (c *Collection[T]) view(fn func(*Bound[T]) error) error {
	if c.err != nil {
		return c.err
	}
	return c.s.View(func(tx *Tx) error { return fn(c.In(tx)) })
}

func (c *Collection[T]) update(fn func(*Bound[T]) error) error {
	if c.err != nil {
		return c.err
	}
	return c.s.Update(func(tx *Tx) error { return fn(c.In(tx)) })
}
