package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/berth-containers/berth/engine"
)

// The create and run flags that the Quadlet generator can emit for a .container unit
// but berth does not implement yet. They are accepted by the parser so that the error
// names them, and refused before anything is created: a unit must never run a
// container without what its file asked for.
var (
	unsupportedValueFlags = []struct{ name, short string }{}
)

// registerUnsupported adds the flags above, hidden from the help.
func registerUnsupported(f *pflag.FlagSet) {
	for _, u := range unsupportedValueFlags {
		f.StringArrayP(u.name, u.short, nil, "not supported yet")
		_ = f.MarkHidden(u.name)
	}
}

// checkUnsupported refuses any of them that was given.
func checkUnsupported(f *pflag.FlagSet) error {
	var err error
	f.Visit(func(fl *pflag.Flag) {
		if err == nil && fl.Usage == "not supported yet" {
			err = fmt.Errorf("--%s is not supported yet: %w", fl.Name, engine.ErrUnsupported)
		}
	})
	return err
}
