package quadlet

import (
	"fmt"
	"strings"

	"github.com/berth-containers/berth/units"
)

// Severity tells an error, which stops a unit from being generated, from a warning.
type Severity int

const (
	Error Severity = iota
	Warning
)

// Diagnostic is one problem found while converting a unit, with where it comes from.
type Diagnostic struct {
	Severity Severity
	Pos      units.Pos // file and line; Line is 0 when the problem is the file as a whole
	Unit     string    // the Quadlet file's name, e.g. "web.container"
	Msg      string
}

// String renders "path:line: converting "unit": message", which names the place first
// and keeps podman's wording after it.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Pos.File != "" {
		b.WriteString(d.Pos.String())
		b.WriteString(": ")
	}
	if d.Severity == Warning {
		// podman's wording, which people grep for: "Warning: <message>".
		b.WriteString("Warning: ")
		b.WriteString(d.Msg)
		return b.String()
	}
	if d.Unit != "" {
		fmt.Fprintf(&b, "converting %q: ", d.Unit)
	}
	b.WriteString(d.Msg)
	return b.String()
}

func (d Diagnostic) Error() string { return d.String() }

// Diagnostics collects the diagnostics of one unit.
type Diagnostics struct {
	unit string
	file string
	list []Diagnostic
}

func (ds *Diagnostics) add(sev Severity, pos units.Pos, format string, a ...any) {
	if pos.File == "" {
		pos.File = ds.file
	}
	ds.list = append(ds.list, Diagnostic{Severity: sev, Pos: pos, Unit: ds.unit, Msg: fmt.Sprintf(format, a...)})
}

// Errorf records an error at pos.
func (ds *Diagnostics) Errorf(pos units.Pos, format string, a ...any) {
	ds.add(Error, pos, format, a...)
}

// Warnf records a warning at pos.
func (ds *Diagnostics) Warnf(pos units.Pos, format string, a ...any) {
	ds.add(Warning, pos, format, a...)
}

// Failed tells whether an error was recorded.
func (ds *Diagnostics) Failed() bool {
	for _, d := range ds.list {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// List returns what was recorded.
func (ds *Diagnostics) List() []Diagnostic { return ds.list }
