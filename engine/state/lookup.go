package state

import (
	"bytes"
	"fmt"
)

// resolve turns a reference into a full id of this collection's kind, as podman does:
// a full id first, then a name, then an id prefix that only one record has.
func (b *Bound[T]) resolve(bk buckets, ref string) (string, error) {
	kind := b.c.spec.Kind
	if ref == "" {
		return "", fmt.Errorf("%s \"\": %w", kind, ErrNotFound)
	}
	if get(bk.recs, ref) != nil {
		return ref, nil
	}
	if id := get(bk.names, ref); id != nil {
		if get(bk.recs, string(id)) != nil {
			return string(id), nil
		}
		return "", fmt.Errorf("%s %q: the name belongs to %s %s: %w",
			kind, ref, get(bk.ids, string(id)), id, ErrNotFound)
	}
	if bk.recs != nil {
		p := []byte(ref)
		cur := bk.recs.Cursor()
		if k, _ := cur.Seek(p); k != nil && bytes.HasPrefix(k, p) {
			id := string(k)
			if k2, _ := cur.Next(); k2 != nil && bytes.HasPrefix(k2, p) {
				return "", fmt.Errorf("%s %q: ids %s and %s (at least) start with it: %w",
					kind, ref, id, k2, ErrAmbiguous)
			}
			return id, nil
		}
	}
	return "", fmt.Errorf("%s %q: %w", kind, ref, ErrNotFound)
}
