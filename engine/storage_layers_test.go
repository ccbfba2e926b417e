package engine

import (
	"errors"
	"os"
	"testing"
)

// A failing operation's own new layers go; layers that were there before, or that an
// image uses, stay.
func TestGuardLayersRemovesLeftovers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for storage")
	}
	dir := t.TempDir()
	r, err := New(t.Context(), Options{Root: dir + "/root", RunRoot: dir + "/run", StorageDriver: "vfs"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(true)
	s := r.Store()
	old, err := s.CreateLayer("", "", nil, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	var kept string
	boom := errors.New("boom")
	err = r.guardLayers(func() error {
		l1, err := s.CreateLayer("", old.ID, nil, "", true, nil)
		if err != nil {
			return err
		}
		if _, err := s.CreateLayer("", l1.ID, nil, "", true, nil); err != nil {
			return err
		}
		used, err := s.CreateLayer("", "", nil, "", true, nil)
		if err != nil {
			return err
		}
		if _, err := s.CreateImage("", []string{"localhost/used:latest"}, used.ID, "", nil); err != nil {
			return err
		}
		kept = used.ID
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("guardLayers returned %v", err)
	}
	layers, err := s.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range layers {
		ids = append(ids, l.ID)
	}
	if len(ids) != 2 || !(ids[0] == old.ID || ids[1] == old.ID) || !(ids[0] == kept || ids[1] == kept) {
		t.Errorf("layers left %v, want %s and %s", ids, old.ID, kept)
	}
}
