package state

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// A store whose pages are damaged (a disk fault) gives errors, not panics, and
// releases its lock each time.
func TestDamagedPagesGiveErrors(t *testing.T) {
	p := storePath(t)
	s, err := Open(p, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		mustAdd(t, ctrs(s), &rec{ID: fmt.Sprintf("id%d", i), Name: fmt.Sprintf("n%d", i)})
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte(strings.Repeat("\xff", 10))
	for pg := int64(2); pg < st.Size()/4096; pg++ { // all but the two meta pages
		f.WriteAt(junk, pg*4096)
	}
	f.Close()
	for i, op := range []func() error{
		s.Check,
		func() error { _, err := ctrs(s).Get("n1"); return err },
		func() error { return ctrs(s).Add(&rec{ID: "new"}) },
	} {
		// A lock left held by the one before would make this a timeout instead.
		err := op()
		wantErr(t, fmt.Sprintf("operation %d on a damaged store", i), err, ErrCorrupt)
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not name the store", err)
		}
	}
}

// A panic in the caller's own function is a bug: it goes on up, and the store stays
// usable.
func TestCallerPanicsPassThrough(t *testing.T) {
	s, err := Open(storePath(t), 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c := ctrs(s)
	mustAdd(t, c, &rec{ID: "a1"})
	func() {
		defer func() {
			if r := recover(); r != "caller bug" {
				t.Errorf("recovered %v, want the caller's panic", r)
			}
		}()
		c.Update("a1", func(r *rec) error { r.Counter = 5; panic("caller bug") })
	}()
	if r := mustGet(t, c, "a1"); r.Counter != 0 {
		t.Errorf("the panicking Update was committed: %+v", r)
	}
	mustCheck(t, s)
}

// A record whose JSON is damaged, or empty, is an error to read, is found by Check,
// and can still be removed, name and all.
func TestDamagedRecords(t *testing.T) {
	s := newStore(t)
	c := ctrs(s)
	mustAdd(t, c, &rec{ID: "a1", Name: "web"})
	mustAdd(t, c, &rec{ID: "b2", Name: "db"})
	mustAdd(t, c, &rec{ID: "c3", Name: "ok"})
	rawUpdate(t, s, func(tx *bbolt.Tx) error {
		recs := tx.Bucket([]byte("ns:container")).Bucket([]byte("kind:container"))
		if err := recs.Put([]byte("a1"), []byte(`{"version":1,"kind":"container","id":"a1","na`)); err != nil {
			return err
		}
		return recs.Put([]byte("b2"), []byte(`{"version":1,"kind":"container","id":"b2","name":"db","record":null}`))
	})
	for _, ref := range []string{"web", "a1", "db"} {
		if _, err := c.Get(ref); err == nil {
			t.Errorf("Get %q of a damaged record succeeded", ref)
		}
	}
	if _, err := c.List(nil); err == nil {
		t.Error("List over a damaged record succeeded")
	}
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), "container a1") {
		t.Errorf("Check = %v, want a1 reported", err)
	}
	for _, id := range []string{"a1", "b2"} {
		if err := c.Remove(id); err != nil {
			t.Fatalf("Remove %s: %v", id, err)
		}
	}
	mustCheck(t, s)
	mustAdd(t, c, &rec{ID: "d4", Name: "web"}) // the unreadable record's name is free
	mustGet(t, c, "ok")
}
