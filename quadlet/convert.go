package quadlet

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-containers/berth/units"
)

// Options are what a conversion needs to know besides the units themselves.
type Options struct {
	Engine string // absolute path of the engine binary written into Exec lines
	User   bool   // generating for a user manager (rootless)
	// PathExists tells whether a host path exists, for keys that depend on it
	// (AddDevice=-/dev/foo). Nil means every path is taken to exist.
	PathExists func(path string) bool
}

// Source is one Quadlet unit file, parsed, with its drop-ins merged.
type Source struct {
	Name string      // the file name, e.g. "web.container" or "web@.container"
	File *units.File // File.Path is the file's full path
}

// Pos returns where the unit's own section ([Container], ...) starts, or the file.
func (s *Source) Pos() units.Pos {
	if t := unitTypes[filepath.Ext(s.Name)]; t != nil {
		if sec := s.File.Section(t.table.Section); sec != nil {
			return sec.Pos
		}
	}
	return units.Pos{File: s.File.Path}
}

// Result is the outcome for one Source: the service (nil when conversion failed) and
// what was found on the way.
type Result struct {
	Source  *Source
	Name    string // the service's unit name, e.g. "web.service"
	Service *units.File
	Diags   []Diagnostic
}

// Failed tells whether the unit could not be converted.
func (r *Result) Failed() bool { return r.Service == nil }

// unitType describes one kind of Quadlet file.
type unitType struct {
	ext     string // ".container"
	table   *Table
	convert func(c *Conv)
	// resource is the name of the object the unit makes (container, volume, network,
	// pod, image), as other units refer to it; nil when others cannot refer to it.
	resource func(s *Source) string
}

var unitTypes = map[string]*unitType{}

func register(t *unitType) {
	t.table.build()
	unitTypes[t.ext] = t
}

// Tables returns the key tables of every unit type, by extension (".container"), plus
// "[Quadlet]" for the section every file accepts; the man page is built from them.
func Tables() map[string]*Table {
	out := map[string]*Table{"[Quadlet]": quadletTable}
	for ext, t := range unitTypes {
		out[ext] = t.table
	}
	return out
}

// Extensions returns the file extensions that are Quadlet units, sorted.
func Extensions() []string {
	var out []string
	for ext := range unitTypes {
		out = append(out, ext)
	}
	sort.Strings(out)
	return out
}

// IsQuadlet tells whether a file name has a Quadlet extension.
func IsQuadlet(name string) bool { return unitTypes[filepath.Ext(name)] != nil }

// Convert converts every source. Units refer to each other by file name (Network=
// db.network), so all of them are passed together; a failing unit does not stop the
// others.
func Convert(srcs []*Source, opts Options) []Result {
	out := make([]Result, 0, len(srcs))
	ConvertEach(srcs, opts, func(r Result) { out = append(out, r) })
	return out
}

// ConvertEach is Convert that hands each result to fn as soon as it is made, so that a
// caller can write it out and let it go instead of holding every service at once.
func ConvertEach(srcs []*Source, opts Options, fn func(Result)) {
	c := NewConverter(srcs, opts)
	for _, s := range srcs {
		fn(c.Convert(s))
	}
}

// Converter converts units that may refer to each other. It is safe for concurrent
// use: the generator converts on every core.
type Converter struct{ r *resolver }

// NewConverter prepares the conversion of srcs.
func NewConverter(srcs []*Source, opts Options) *Converter {
	return &Converter{newResolver(srcs, opts)}
}

// Convert converts one of the sources given to NewConverter.
func (c *Converter) Convert(s *Source) Result { return c.r.convert(s) }

// resolver knows every source by name, to resolve references between them.
type resolver struct {
	opts   Options
	byName map[string]*Source
	// podMembers lists, per .pod file name, the containers that join it.
	podMembers map[string][]*Source
}

func newResolver(srcs []*Source, opts Options) *resolver {
	r := &resolver{opts: opts, byName: make(map[string]*Source, len(srcs)), podMembers: map[string][]*Source{}}
	for _, s := range srcs {
		r.byName[s.Name] = s
	}
	for _, s := range srcs {
		if filepath.Ext(s.Name) != ".container" {
			continue
		}
		if pod, ok := s.File.Get("Container", "Pod"); ok && strings.HasSuffix(pod, ".pod") {
			r.podMembers[pod] = append(r.podMembers[pod], s)
		}
	}
	return r
}

// lookup finds a source by name; an instance "foo@bar.network" falls back to its
// template "foo@.network".
func (r *resolver) lookup(name string) *Source {
	if s := r.byName[name]; s != nil {
		return s
	}
	if prefix, inst, ext, ok := units.SplitTemplate(name); ok && inst != "" {
		return r.byName[prefix+"@"+ext]
	}
	return nil
}

// ServiceName returns the service unit name a Quadlet file becomes: ServiceName= when
// set, else the file's base name, with the unit type appended for all types but
// .container and .kube ("db.volume" -> "db-volume.service", "a@b.volume" ->
// "a-volume@b.service").
func (r *resolver) ServiceName(name string) string {
	ext := filepath.Ext(name)
	t := unitTypes[ext]
	if s := r.lookup(name); s != nil && t != nil {
		if v, ok := s.File.Get(t.table.Section, "ServiceName"); ok && v != "" {
			return v + ".service"
		}
	}
	base := strings.TrimSuffix(name, ext)
	if ext == ".container" || ext == ".kube" {
		return base + ".service"
	}
	suffix := "-" + ext[1:]
	if prefix, inst, ok := strings.Cut(base, "@"); ok {
		return prefix + suffix + "@" + inst + ".service"
	}
	return base + suffix + ".service"
}

// Resource returns the name of the object a Quadlet file makes, as others refer to it,
// and whether the file is known.
func (r *resolver) Resource(name string) (string, bool) {
	s := r.lookup(name)
	if s == nil {
		return "", false
	}
	t := unitTypes[filepath.Ext(name)]
	if t == nil || t.resource == nil {
		return "", false
	}
	return t.resource(s), true
}

func (r *resolver) convert(s *Source) Result {
	res := Result{Source: s, Name: r.ServiceName(s.Name)}
	t := unitTypes[filepath.Ext(s.Name)]
	ds := &Diagnostics{unit: s.Name, file: s.File.Path}
	if t == nil {
		ds.Errorf(units.Pos{}, "unsupported file type %q", filepath.Ext(s.Name))
		res.Diags = ds.List()
		return res
	}
	c := newConv(s, t, r, ds)
	if c.checkKeys() {
		t.convert(c)
	}
	if !ds.Failed() {
		c.finish()
		res.Service = c.Service
	}
	res.Diags = ds.List()
	return res
}
