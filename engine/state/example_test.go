package state_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-containers/berth/engine/state"
)

// container stands for the engine's record type.
type container struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

func (c *container) ObjectID() string   { return c.ID }
func (c *container) ObjectName() string { return c.Name }

func Example() {
	dir, _ := os.MkdirTemp("", "berth-state")
	defer os.RemoveAll(dir)
	s, err := state.Open(filepath.Join(dir, "berth", "state.db"), 10*time.Second)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	ctrs := state.Of[*container](s, state.Spec{
		Kind: state.KindContainer, Namespace: state.NamespaceContainers, Version: 1,
	})

	_ = ctrs.Add(&container{ID: "3f2a9c", Name: "web", Status: "created"})
	err = ctrs.Add(&container{ID: "77b0e1", Name: "web"})
	fmt.Println(errors.Is(err, state.ErrNameInUse), err)

	c, _ := ctrs.Get("3f") // full id, name, or unique id prefix
	_ = ctrs.Update(c.ID, func(c *container) error { c.Status = "running"; return nil })
	c, _ = ctrs.Get("web")
	fmt.Println(c.ID, c.Status)

	_ = ctrs.Remove(c.ID)
	_, err = ctrs.Get("web")
	fmt.Println(err)
	// Output:
	// true the container name "web" is used by container 3f2a9c: name is already in use
	// 3f2a9c running
	// container "web": no such object
}
