package state

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// rec is a test record; like the engine's, it has ID and Name fields.
type rec struct {
	ID      string         `json:"id"`
	Name    string         `json:"name,omitempty"`
	Counter int            `json:"counter,omitempty"`
	By      map[string]int `json:"by,omitempty"`
	Note    string         `json:"note,omitempty"`
}

func (r *rec) ObjectID() string   { return r.ID }
func (r *rec) ObjectName() string { return r.Name }

var (
	ctrSpec = Spec{Kind: KindContainer, Namespace: NamespaceContainers, Version: 1}
	podSpec = Spec{Kind: KindPod, Namespace: NamespaceContainers, Version: 1}
	volSpec = Spec{Kind: KindVolume, Version: 1}
)

func storePath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "berth", "state.db")
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(storePath(t), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ctrs(s *Store) *Collection[*rec] { return Of[*rec](s, ctrSpec) }

func mustAdd(t *testing.T, c *Collection[*rec], r *rec) {
	t.Helper()
	if err := c.Add(r); err != nil {
		t.Fatalf("Add %+v: %v", r, err)
	}
}

func mustGet(t *testing.T, c *Collection[*rec], ref string) *rec {
	t.Helper()
	r, err := c.Get(ref)
	if err != nil {
		t.Fatalf("Get %q: %v", ref, err)
	}
	return r
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func mustCheck(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}
