package state

import (
	"bytes"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// maxProblems bounds what Check reports of a badly broken store.
const maxProblems = 20

// Check verifies the store: bbolt's own page structure, and that every record, id and
// name index agree (each record is indexed under its id and name, and each index entry
// points at a record that has it). It returns every problem found, joined.
func (s *Store) Check() error {
	return s.View(func(tx *Tx) error {
		var probs []error
		add := func(format string, args ...any) bool {
			probs = append(probs, fmt.Errorf(format, args...))
			return len(probs) < maxProblems
		}
		for err := range tx.btx.Check() {
			if !add("bbolt: %w", err) {
				break
			}
		}
		c := tx.btx.Cursor()
		for k, _ := c.First(); k != nil && len(probs) < maxProblems; k, _ = c.Next() {
			if ns, ok := bytes.CutPrefix(k, []byte("ns:")); ok {
				checkNamespace(string(ns), tx.btx.Bucket(k), add)
			}
		}
		if len(probs) > 0 {
			return fmt.Errorf("state store %s is inconsistent: %w", s.path, errors.Join(probs...))
		}
		return nil
	})
}

func checkNamespace(ns string, nb *bbolt.Bucket, add func(string, ...any) bool) {
	names, ids := nb.Bucket([]byte("names")), nb.Bucket([]byte("ids"))
	if names == nil || ids == nil {
		add("namespace %s: no names or ids index", ns)
		return
	}
	kinds := map[string]*bbolt.Bucket{}
	nb.ForEachBucket(func(k []byte) error {
		if kind, ok := bytes.CutPrefix(k, []byte("kind:")); ok {
			kinds[string(kind)] = nb.Bucket(k)
		}
		return nil
	})
	recName := map[string]string{} // id -> name, from the records
	for kind, recs := range kinds {
		recs.ForEach(func(id, v []byte) error {
			env, err := decodeEnvelope(v)
			switch {
			case err != nil:
				add("%s %s: %v", kind, id, err)
			case env.ID != string(id) || env.Kind != kind:
				add("%s %s: record says %s %s", kind, id, env.Kind, env.ID)
			case string(ids.Get(id)) != kind:
				add("%s %s: id index says %q", kind, id, ids.Get(id))
			case env.Name != "" && string(names.Get([]byte(env.Name))) != string(id):
				add("%s %s: name %q indexed to %q", kind, id, env.Name, names.Get([]byte(env.Name)))
			}
			recName[string(id)] = env.Name
			return nil
		})
	}
	ids.ForEach(func(id, kind []byte) error {
		if b := kinds[string(kind)]; b == nil || b.Get(id) == nil {
			add("namespace %s: id %s indexed as %s, which has no such record", ns, id, kind)
		}
		return nil
	})
	names.ForEach(func(name, id []byte) error {
		if n, ok := recName[string(id)]; !ok || n != string(name) {
			add("namespace %s: name %q indexed to %s, whose record is named %q", ns, name, id, n)
		}
		return nil
	})
}
