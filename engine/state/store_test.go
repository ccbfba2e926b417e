package state

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/berth-containers/berth/engine/lock"
)

func TestOpenCreatesOnce(t *testing.T) {
	p := storePath(t)
	s, err := Open(p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s)
	if _, err := os.Stat(p + ".new"); !os.IsNotExist(err) {
		t.Errorf("the file built aside is left behind: %v", err)
	}
	mustAdd(t, ctrs(s), &rec{ID: "a1", Name: "web"})
	s.Close()
	s2, err := Open(p, time.Second) // an existing store is kept as it is
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, ctrs(s2), "web")
	if _, err := Open(filepath.Join(p, "sub", "state.db"), time.Second); err == nil {
		t.Error("Open under a regular file succeeded")
	}
}

func TestOpenRebuildsLeftoverNew(t *testing.T) {
	p := storePath(t)
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p+".new", []byte("half a store from a crash"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s)
}

func TestGetResolvesLikePodman(t *testing.T) {
	c := ctrs(newStore(t))
	mustAdd(t, c, &rec{ID: "abc111", Name: "web"})
	mustAdd(t, c, &rec{ID: "abc222", Name: "db"})
	mustAdd(t, c, &rec{ID: "def333", Name: "abc222x"})
	mustAdd(t, c, &rec{ID: "fff444", Name: "abc111"}) // a name equal to another's id
	mustAdd(t, c, &rec{ID: "ee5"})                    // no name
	for ref, want := range map[string]string{
		"abc111":  "abc111", // a full id beats a name
		"web":     "abc111",
		"db":      "abc222",
		"abc2":    "abc222", // unique prefix
		"abc222x": "def333", // a name beats a prefix (no id starts with it anyway)
		"d":       "def333",
		"ee5":     "ee5",
	} {
		if got := mustGet(t, c, ref); got.ID != want {
			t.Errorf("Get %q = %s, want %s", ref, got.ID, want)
		}
	}
	_, err := c.Get("abc")
	wantErr(t, `Get "abc"`, err, ErrAmbiguous)
	if !strings.Contains(err.Error(), `container "abc"`) {
		t.Errorf("error %q does not name the reference", err)
	}
	for _, ref := range []string{"", "nope", "abc1111", "g"} {
		_, err := c.Get(ref)
		wantErr(t, "Get "+ref, err, ErrNotFound)
	}
	_, err = c.Get("nope")
	if err.Error() != `container "nope": no such object` {
		t.Errorf("message %q", err)
	}
}

func TestAddRefusesDuplicates(t *testing.T) {
	s := newStore(t)
	c := ctrs(s)
	mustAdd(t, c, &rec{ID: "a1", Name: "web"})
	err := c.Add(&rec{ID: "a1", Name: "other"})
	wantErr(t, "Add of a taken id", err, ErrExists)
	err = c.Add(&rec{ID: "b2", Name: "web"})
	wantErr(t, "Add of a taken name", err, ErrNameInUse)
	if want := `the container name "web" is used by container a1: name is already in use`; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	err = c.Add(&rec{ID: "", Name: "x"})
	if err == nil {
		t.Error("Add with an empty id succeeded")
	}
	// Records without names do not collide on "".
	mustAdd(t, c, &rec{ID: "c3"})
	mustAdd(t, c, &rec{ID: "d4"})
	all, err := c.List(nil)
	if err != nil || len(all) != 3 {
		t.Fatalf("List = %d records, %v; want 3 (failed Adds must leave nothing)", len(all), err)
	}
	if _, err := c.Get("other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the name of a failed Add resolves: %v", err)
	}
	mustCheck(t, s)
}

func TestUpdate(t *testing.T) {
	s := newStore(t)
	c := ctrs(s)
	mustAdd(t, c, &rec{ID: "a1", Name: "web"})
	mustAdd(t, c, &rec{ID: "b2", Name: "db"})
	if err := c.Update("a1", func(r *rec) error { r.Counter = 7; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, c, "web").Counter; got != 7 {
		t.Fatalf("Counter = %d after Update, want 7", got)
	}

	boom := errors.New("boom")
	err := c.Update("a1", func(r *rec) error { r.Counter = 99; r.Name = "gone"; return boom })
	wantErr(t, "Update whose function fails", err, boom)
	if r := mustGet(t, c, "web"); r.Counter != 7 {
		t.Fatalf("a failed Update was written: %+v", r)
	}

	// Rename: the old name is freed, the new one resolves.
	if err := c.Update("a1", func(r *rec) error { r.Name = "www"; return nil }); err != nil {
		t.Fatal(err)
	}
	mustGet(t, c, "www")
	_, err = c.Get("web")
	wantErr(t, "Get of the old name", err, ErrNotFound)
	mustAdd(t, c, &rec{ID: "c3", Name: "web"})

	err = c.Update("a1", func(r *rec) error { r.Name = "db"; return nil })
	wantErr(t, "rename to a taken name", err, ErrNameInUse)
	if err := c.Update("a1", func(r *rec) error { r.Name = ""; return nil }); err != nil {
		t.Fatal(err) // dropping the name
	}
	if err := c.Update("a1", func(r *rec) error { r.ID = "zz"; return nil }); err == nil {
		t.Error("Update changed the id")
	}
	err = c.Update("nope", func(*rec) error { return nil })
	wantErr(t, "Update of a missing id", err, ErrNotFound)
	err = c.Update("db", func(*rec) error { return nil })
	wantErr(t, "Update by name", err, ErrNotFound)
	mustCheck(t, s)
}

func TestRemove(t *testing.T) {
	s := newStore(t)
	c := ctrs(s)
	mustAdd(t, c, &rec{ID: "a1", Name: "web"})
	mustAdd(t, c, &rec{ID: "b2"})
	wantErr(t, "Remove by name", c.Remove("web"), ErrNotFound)
	if err := c.Remove("a1"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "second Remove", c.Remove("a1"), ErrNotFound)
	_, err := c.Get("web")
	wantErr(t, "Get after Remove", err, ErrNotFound)
	mustAdd(t, c, &rec{ID: "a1x", Name: "web"}) // the name is free again
	if err := c.Remove("b2"); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s)
}

func TestList(t *testing.T) {
	c := ctrs(newStore(t))
	if l, err := c.List(nil); err != nil || len(l) != 0 {
		t.Fatalf("List of an empty store = %v, %v", l, err)
	}
	for _, id := range []string{"c", "a", "b"} {
		mustAdd(t, c, &rec{ID: id, Counter: len(id) + int(id[0]-'a')})
	}
	all, err := c.List(nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range all {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != "a,b,c" {
		t.Errorf("List order %v, want a,b,c", ids)
	}
	some, err := c.List(func(r *rec) bool { return r.Counter >= 2 })
	if err != nil || len(some) != 2 || some[0].ID != "b" {
		t.Errorf("filtered List = %v, %v", some, err)
	}
}

func TestNamespaces(t *testing.T) {
	s := newStore(t)
	c, pods, vols := ctrs(s), Of[*rec](s, podSpec), Of[*rec](s, volSpec)
	mustAdd(t, c, &rec{ID: "a1", Name: "web"})
	err := pods.Add(&rec{ID: "p1", Name: "web"})
	wantErr(t, "pod with a container's name", err, ErrNameInUse)
	wantErr(t, "pod with a container's id", pods.Add(&rec{ID: "a1", Name: "pod"}), ErrExists)
	if err := pods.Add(&rec{ID: "p1", Name: "pod"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Get("pod")
	wantErr(t, "container lookup of a pod's name", err, ErrNotFound)
	if !strings.Contains(err.Error(), "belongs to pod p1") {
		t.Errorf("message %q does not say whose name it is", err)
	}
	_, err = c.Get("p1")
	wantErr(t, "container lookup of a pod's id", err, ErrNotFound)
	wantErr(t, "container Remove of a pod's id", c.Remove("p1"), ErrNotFound)
	mustAdd(t, vols, &rec{ID: "a1", Name: "web"}) // volumes have their own namespace
	if r, err := pods.Get("pod"); err != nil || r.ID != "p1" {
		t.Fatalf("pod Get = %v, %v", r, err)
	}
	mustCheck(t, s)
}

// One transaction over several calls commits or rolls back as a whole, as --replace
// needs.
func TestTransactionSpansCalls(t *testing.T) {
	s := newStore(t)
	c := ctrs(s)
	mustAdd(t, c, &rec{ID: "old", Name: "web"})
	boom := errors.New("boom")
	err := s.Update(func(tx *Tx) error {
		b := c.In(tx)
		if err := b.Remove("old"); err != nil {
			return err
		}
		if err := b.Add(&rec{ID: "new", Name: "web"}); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "failed transaction", err, boom)
	if r := mustGet(t, c, "web"); r.ID != "old" {
		t.Fatalf("rolled back transaction left %+v", r)
	}
	err = s.Update(func(tx *Tx) error {
		b := c.In(tx)
		if err := b.Remove("old"); err != nil {
			return err
		}
		return b.Add(&rec{ID: "new", Name: "web"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := mustGet(t, c, "web"); r.ID != "new" {
		t.Fatalf("replace left %+v", r)
	}
	err = s.View(func(tx *Tx) error {
		if tx.Writable() {
			t.Error("View transaction is writable")
		}
		return c.In(tx).Add(&rec{ID: "x"})
	})
	if err == nil {
		t.Error("Add in a View transaction succeeded")
	}
	mustCheck(t, s)
}

func TestVersions(t *testing.T) {
	s := newStore(t)
	mustAdd(t, ctrs(s), &rec{ID: "a1", Name: "web", Note: "v1"})
	v2 := ctrSpec
	v2.Version = 2
	if _, err := Of[*rec](s, v2).Get("a1"); err == nil || !strings.Contains(err.Error(), "no migration") {
		t.Fatalf("reading v1 with a v2 spec and no Migrate: %v", err)
	}
	v2.Migrate = func(from int, raw json.RawMessage) (json.RawMessage, error) {
		if from != 1 {
			return nil, errors.New("unexpected version")
		}
		return []byte(strings.Replace(string(raw), `"v1"`, `"migrated"`, 1)), nil
	}
	c2 := Of[*rec](s, v2)
	if r := mustGet(t, c2, "web"); r.Note != "migrated" {
		t.Fatalf("migrated record %+v", r)
	}
	if err := c2.Update("a1", func(*rec) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// Now written in version 2: the old berth refuses it rather than guess.
	_, err := ctrs(s).Get("a1")
	wantErr(t, "v1 reading a v2 record", err, ErrNewerVersion)
	_, err = ctrs(s).List(nil)
	wantErr(t, "v1 listing a v2 record", err, ErrNewerVersion)
	wantErr(t, "v1 updating a v2 record", ctrs(s).Update("a1", func(*rec) error { return nil }), ErrNewerVersion)
	// ... but can still remove it.
	if err := ctrs(s).Remove("a1"); err != nil {
		t.Fatal(err)
	}
}

type valueRec struct{ ID string }

func (r valueRec) ObjectID() string   { return r.ID }
func (r valueRec) ObjectName() string { return "" }

func TestMisuse(t *testing.T) {
	s := newStore(t)
	for name, err := range map[string]error{
		"non-pointer record": Of[valueRec](s, ctrSpec).Add(valueRec{ID: "x"}),
		"empty kind":         Of[*rec](s, Spec{Version: 1}).Add(&rec{ID: "x"}),
		"version 0":          Of[*rec](s, Spec{Kind: "x"}).Add(&rec{ID: "x"}),
	} {
		if err == nil {
			t.Errorf("%s: Add succeeded", name)
		}
	}
	if _, err := Of[valueRec](s, ctrSpec).List(nil); err == nil {
		t.Error("List of a misused collection succeeded")
	}
	s.Close()
	wantErr(t, "Add after Close", ctrs(s).Add(&rec{ID: "x"}), ErrClosed)
	_, err := ctrs(s).Get("x")
	wantErr(t, "Get after Close", err, ErrClosed)
}

func TestWaitTimesOut(t *testing.T) {
	p := storePath(t)
	s, err := Open(p, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// Another berth in a long write transaction.
	l, err := lock.TryAcquire(p+".lock", lock.Exclusive)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = ctrs(s).Get("x")
	wantErr(t, "Get while a writer holds the store", err, context.DeadlineExceeded)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("gave up after %v, want about 100ms", el)
	}
	if !strings.Contains(err.Error(), p) {
		t.Errorf("error %q does not name the store", err)
	}
	l.Unlock()
	// A program that ignores the side lock and holds bbolt's own.
	db, err := bbolt.Open(p, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = ctrs(s).Add(&rec{ID: "x"})
	wantErr(t, "Add while another program holds the file", err, context.DeadlineExceeded)
	db.Close()
	mustAdd(t, ctrs(s), &rec{ID: "x"})
}

// rawUpdate changes the file behind the store's back.
func rawUpdate(t *testing.T, s *Store, fn func(*bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(s.Path(), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestCheckFindsBrokenIndexes(t *testing.T) {
	s := newStore(t)
	c := ctrs(s)
	mustAdd(t, c, &rec{ID: "a1", Name: "web"})
	mustAdd(t, c, &rec{ID: "b2", Name: "db"})
	mustCheck(t, s)
	rawUpdate(t, s, func(tx *bbolt.Tx) error {
		ns := tx.Bucket([]byte("ns:container"))
		ns.Bucket([]byte("names")).Delete([]byte("web"))
		ns.Bucket([]byte("names")).Put([]byte("ghost"), []byte("zz"))
		return ns.Bucket([]byte("ids")).Delete([]byte("b2"))
	})
	err := s.Check()
	if err == nil {
		t.Fatal("Check passed a store with broken indexes")
	}
	for _, want := range []string{`name "web" indexed to ""`, `"ghost" indexed to zz`, `b2: id index says ""`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error lacks %q:\n%v", want, err)
		}
	}
}

func TestRefusesNewerLayoutAndForeignFiles(t *testing.T) {
	s := newStore(t)
	rawUpdate(t, s, func(tx *bbolt.Tx) error {
		return tx.Bucket(metaBucket).Put(layoutKey, []byte("2"))
	})
	_, err := ctrs(s).Get("x")
	wantErr(t, "Get from a newer layout", err, ErrNewerVersion)

	p := storePath(t)
	os.MkdirAll(filepath.Dir(p), 0o700)
	os.WriteFile(p, []byte(strings.Repeat("not bbolt ", 2000)), 0o600)
	s2, err := Open(p, time.Second)
	if err != nil {
		t.Fatal(err) // Open only makes a missing file; the first use finds the damage
	}
	_, err = ctrs(s2).Get("x")
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("Get from a file that is not a store: %v", err)
	}
}

// Goroutines of one process, each with its own transactions, lose no update.
func TestConcurrentGoroutines(t *testing.T) {
	s := newStore(t)
	c := ctrs(s)
	mustAdd(t, c, &rec{ID: "counter"})
	const workers, rounds = 6, 20
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if err := c.Update("counter", func(r *rec) error { r.Counter++; return nil }); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Get("counter"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := mustGet(t, c, "counter").Counter; got != workers*rounds {
		t.Fatalf("counter = %d, want %d", got, workers*rounds)
	}
}
