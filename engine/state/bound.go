package state

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// Bound is a Collection inside one transaction (Collection.In): several calls on one
// or more collections commit or roll back together, as --replace needs (remove the
// old container, add the new one under its name).
type Bound[T Record] struct {
	c  *Collection[T]
	tx *Tx
}

// buckets of the collection: its namespace's names and ids, and its records. In a
// read-only transaction a bucket not yet made is nil, which reads as empty.
type buckets struct {
	names, ids, recs *bbolt.Bucket
}

func (b *Bound[T]) buckets() (buckets, error) {
	if b.c.err != nil {
		return buckets{}, b.c.err
	}
	ns := []byte("ns:" + b.c.spec.Namespace)
	kind := []byte("kind:" + b.c.spec.Kind)
	if !b.tx.btx.Writable() {
		nb := b.tx.btx.Bucket(ns)
		if nb == nil {
			return buckets{}, nil
		}
		return buckets{nb.Bucket([]byte("names")), nb.Bucket([]byte("ids")), nb.Bucket(kind)}, nil
	}
	nb, err := b.tx.btx.CreateBucketIfNotExists(ns)
	if err != nil {
		return buckets{}, err
	}
	var bk buckets
	for _, p := range []struct {
		dst  **bbolt.Bucket
		name []byte
	}{{&bk.names, []byte("names")}, {&bk.ids, []byte("ids")}, {&bk.recs, kind}} {
		if *p.dst, err = nb.CreateBucketIfNotExists(p.name); err != nil {
			return buckets{}, err
		}
	}
	return bk, nil
}

func get(b *bbolt.Bucket, key string) []byte {
	if b == nil || key == "" {
		return nil
	}
	return b.Get([]byte(key))
}

// Add stores a new record (see Collection.Add).
func (b *Bound[T]) Add(rec T) error {
	kind := b.c.spec.Kind
	bk, err := b.buckets()
	if err != nil {
		return err
	}
	id, name := rec.ObjectID(), rec.ObjectName()
	if id == "" {
		return fmt.Errorf("adding %s %q: empty id", kind, name)
	}
	if other := get(bk.ids, id); other != nil {
		return fmt.Errorf("adding %s %s: a %s has that id: %w", kind, id, other, ErrExists)
	}
	if err := b.nameFree(bk, name); err != nil {
		return err
	}
	data, err := b.c.encode(rec)
	if err != nil {
		return err
	}
	if err := bk.recs.Put([]byte(id), data); err != nil {
		return err
	}
	if err := bk.ids.Put([]byte(id), []byte(kind)); err != nil {
		return err
	}
	if name != "" {
		return bk.names.Put([]byte(name), []byte(id))
	}
	return nil
}

func (b *Bound[T]) nameFree(bk buckets, name string) error {
	owner := get(bk.names, name)
	if owner == nil {
		return nil
	}
	ownerKind := get(bk.ids, string(owner))
	return fmt.Errorf("the %s name %q is used by %s %s: %w",
		b.c.spec.Kind, name, ownerKind, owner, ErrNameInUse)
}

// Get finds a record by full id, name, or unique id prefix (see Collection.Get).
func (b *Bound[T]) Get(ref string) (T, error) {
	var zero T
	bk, err := b.buckets()
	if err != nil {
		return zero, err
	}
	id, err := b.resolve(bk, ref)
	if err != nil {
		return zero, err
	}
	rec, _, err := b.c.decode(id, get(bk.recs, id))
	return rec, err
}

// Update changes a record by full id (see Collection.Update).
func (b *Bound[T]) Update(id string, fn func(T) error) error {
	kind := b.c.spec.Kind
	bk, err := b.buckets()
	if err != nil {
		return err
	}
	data := get(bk.recs, id)
	if data == nil {
		return fmt.Errorf("updating %s %q: %w", kind, id, ErrNotFound)
	}
	rec, env, err := b.c.decode(id, data)
	if err != nil {
		return err
	}
	if err := fn(rec); err != nil {
		return err
	}
	if got := rec.ObjectID(); got != id {
		return fmt.Errorf("updating %s %s: the id cannot change (to %q)", kind, id, got)
	}
	if name := rec.ObjectName(); name != env.Name {
		if err := b.nameFree(bk, name); err != nil {
			return err
		}
		if err := deleteName(bk, env.Name, id); err != nil {
			return err
		}
		if name != "" {
			if err := bk.names.Put([]byte(name), []byte(id)); err != nil {
				return err
			}
		}
	}
	if data, err = b.c.encode(rec); err != nil {
		return err
	}
	return bk.recs.Put([]byte(id), data)
}

// Remove deletes a record by full id (see Collection.Remove). It does not decode the
// record, so that one this berth cannot read (newer, or damaged) can still be removed.
func (b *Bound[T]) Remove(id string) error {
	bk, err := b.buckets()
	if err != nil {
		return err
	}
	data := get(bk.recs, id)
	if data == nil {
		return fmt.Errorf("removing %s %q: %w", b.c.spec.Kind, id, ErrNotFound)
	}
	env, envErr := decodeEnvelope(data)
	if err := bk.recs.Delete([]byte(id)); err != nil {
		return err
	}
	if err := bk.ids.Delete([]byte(id)); err != nil {
		return err
	}
	if envErr == nil {
		return deleteName(bk, env.Name, id)
	}
	return deleteNamesOf(bk, id) // the name is unreadable: look for it
}

// deleteName drops name from the index if it is id's.
func deleteName(bk buckets, name, id string) error {
	if owner := get(bk.names, name); owner != nil && string(owner) == id {
		return bk.names.Delete([]byte(name))
	}
	return nil
}

// deleteNamesOf drops every name indexed to id.
func deleteNamesOf(bk buckets, id string) error {
	var names [][]byte
	bk.names.ForEach(func(name, owner []byte) error {
		if string(owner) == id {
			names = append(names, append([]byte(nil), name...))
		}
		return nil
	})
	for _, n := range names {
		if err := bk.names.Delete(n); err != nil {
			return err
		}
	}
	return nil
}

// List returns the records filter accepts (see Collection.List).
func (b *Bound[T]) List(filter func(T) bool) ([]T, error) {
	bk, err := b.buckets()
	if err != nil || bk.recs == nil {
		return nil, err
	}
	var out []T
	err = bk.recs.ForEach(func(k, v []byte) error {
		rec, _, err := b.c.decode(string(k), v)
		if err != nil {
			return err
		}
		if filter == nil || filter(rec) {
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}
