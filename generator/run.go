package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/berth-containers/berth/quadlet"
	"github.com/berth-containers/berth/units"
)

// Options configure one run of the generator.
type Options struct {
	User   bool
	DryRun bool      // print the services to Stdout instead of writing them
	OutDir string    // systemd's normal generator folder
	Engine string    // absolute path of the engine, written into Exec lines
	Env    Env       // search-path inputs
	Stdout io.Writer // dry-run output
	Log    *Logger
}

// Run generates every unit and returns the exit status: 0, or 1 when anything failed.
// A failing file never stops the others.
func Run(o Options) int {
	g := &run{Options: o}
	paths := SearchPaths(o.Env, o.User)
	f := discover(paths, o.User)
	for _, err := range f.errs {
		g.errorf("%v", err)
	}
	if len(f.units) == 0 {
		g.Log.Infof("No files parsed from [%s]", strings.Join(paths, " "))
		return g.status()
	}
	srcs := g.load(&f)
	conv := quadlet.NewConverter(srcs, quadlet.Options{Engine: o.Engine, User: o.User, PathExists: pathExists})
	slots := make([]prepared, len(srcs))
	forEach(len(srcs), func(i int) {
		r := conv.Convert(srcs[i])
		slots[i] = prepare(&r)
	})
	srcs, conv = nil, nil // the parsed units are no longer needed
	var ready []prepared
	for _, p := range slots {
		g.report(&p.msgs)
		if p.ok {
			ready = append(ready, p)
		}
	}
	ready = g.dropCycles(ready)
	sort.Slice(ready, func(i, j int) bool { return ready[i].name < ready[j].name })
	if g.DryRun {
		for _, p := range ready {
			fmt.Fprintf(g.Stdout, "---%s---\n%s\n", p.name, p.data)
		}
		return g.status()
	}
	if err := os.MkdirAll(g.OutDir, 0o755); err != nil {
		g.errorf("cannot create %s: %v", g.OutDir, err)
		return 1
	}
	g.write(ready)
	return g.status()
}

type run struct {
	Options
	failed bool
}

func (g *run) errorf(format string, a ...any) {
	g.failed = true
	g.Log.Errorf(format, a...)
}

// report logs what a parallel step collected.
func (g *run) report(m *messages) {
	for _, w := range m.warnings {
		g.Log.Warnf("%s", w)
	}
	for _, e := range m.errors {
		g.errorf("%s", e)
	}
}

func (g *run) status() int {
	if g.failed {
		return 1
	}
	return 0
}

// load reads and parses every unit with its drop-ins; files that cannot be read or
// parsed are reported and left out.
func (g *run) load(f *found) []*quadlet.Source {
	type slot struct {
		file *units.File
		msgs messages
	}
	slots := make([]slot, len(f.units))
	forEach(len(f.units), func(i int) {
		u, sl := f.units[i], &slots[i]
		file := parse(u.path, &sl.msgs)
		for _, d := range dropinFiles(u.name, f) {
			dropin := parse(d, &sl.msgs)
			if dropin == nil || file == nil {
				file = nil
				continue
			}
			file.Merge(dropin)
		}
		if file == nil && len(sl.msgs.errors) > 0 {
			sl.msgs.errorf("%s: not generated because of the errors above", u.path)
		}
		sl.file = file
	})
	srcs := make([]*quadlet.Source, 0, len(f.units))
	for i, u := range f.units {
		g.Log.Infof("Loading source unit file %s", u.path)
		g.report(&slots[i].msgs)
		if slots[i].file != nil {
			srcs = append(srcs, &quadlet.Source{Name: u.name, File: slots[i].file})
		}
	}
	return srcs
}

// parse reads and parses one file, or records why it cannot.
func parse(path string, m *messages) *units.File {
	buf := readBufs.Get().(*bytes.Buffer)
	defer readBufs.Put(buf)
	data, err := readFile(path, buf)
	if err != nil {
		m.errorf("%s: cannot read: %v", path, errors.Unwrap(err))
		return nil
	}
	file, err := units.Parse(path, data) // Parse copies what it keeps
	if err != nil {
		for _, e := range unjoin(err) {
			m.errorf("%v", e)
		}
		return nil
	}
	return file
}

// readBufs recycles read buffers: Parse keeps its own copy of the text, so the bytes
// read are garbage at once, and a thousand fresh buffers would only feed the GC.
var readBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func readFile(path string, buf *bytes.Buffer) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf.Reset()
	_, err = buf.ReadFrom(f)
	return buf.Bytes(), err
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// prepared is a converted service, rendered, waiting for the cycle check.
type prepared struct {
	name string // "web.service"
	// Where it comes from, for messages; not the parsed source itself, which can then
	// be freed.
	srcName, srcPath string
	srcPos           units.Pos
	data             []byte
	links            []link
	deps             []string
	ok               bool
	msgs             messages
}

// prepare collects a result's diagnostics and renders its service; the service itself
// is then dropped, so that memory stays small with thousands of units.
func prepare(r *quadlet.Result) prepared {
	p := prepared{name: r.Name, srcName: r.Source.Name, srcPath: r.Source.File.Path, srcPos: r.Source.Pos()}
	for _, d := range r.Diags {
		if d.Severity == quadlet.Warning {
			p.msgs.warnings = append(p.msgs.warnings, d.String())
		} else {
			p.msgs.errors = append(p.msgs.errors, d.String())
		}
	}
	if r.Failed() {
		return p
	}
	if !units.ValidName(r.Name) {
		p.msgs.errorf("%s: converting %q: %q is not a valid unit name; rename the file or set ServiceName=",
			r.Source.File.Path, r.Source.Name, r.Name)
		return p
	}
	var buf bytes.Buffer
	buf.Grow(renderedSize(r.Service))
	if _, err := r.Service.WriteTo(&buf); err != nil {
		// A value systemd would read differently (a line break, say) is refused
		// rather than written wrong.
		for _, e := range unjoin(err) {
			p.msgs.errorf("%s: converting %q: cannot write %s: %v", r.Source.File.Path, r.Source.Name, r.Name, e)
		}
		return p
	}
	p.data, p.deps = buf.Bytes(), quadlet.Dependencies(r.Service)
	links, errs := installLinks(r.Name, r.Service)
	for _, err := range errs {
		p.msgs.errorf("%s: %v", r.Source.File.Path, err)
	}
	p.links, p.ok = links, true
	return p
}

// renderedSize is about the size of a unit's text, to render it without regrowing.
func renderedSize(f *units.File) int {
	n := 64
	for _, l := range f.Preamble {
		n += len(l.Comment) + 1
	}
	for _, s := range f.Sections {
		n += len(s.Name) + 4
		for _, l := range s.Lines {
			n += len(l.Comment) + len(l.Key) + len(l.Value) + 2
		}
	}
	return n
}

// dropCycles fails every service that is part of a dependency cycle.
func (g *run) dropCycles(ready []prepared) []prepared {
	deps := make(map[string][]string, len(ready))
	for _, p := range ready {
		deps[p.name] = p.deps
	}
	bad := map[string]bool{}
	for _, cycle := range quadlet.Cycles(deps) {
		for _, n := range cycle {
			bad[n] = true
		}
		for _, p := range ready {
			if slices.Contains(cycle, p.name) {
				g.errorf("%s: converting %q: dependency cycle between %s; break it by removing one of the references",
					p.srcPos, p.srcName, strings.Join(cycle, ", "))
			}
		}
	}
	if len(bad) == 0 {
		return ready
	}
	return slices.DeleteFunc(ready, func(p prepared) bool { return bad[p.name] })
}

// write writes the services and their links into the output folder, in parallel.
func (g *run) write(ready []prepared) {
	msgs := make([]messages, len(ready))
	dirs := newDirCache(g.OutDir)
	forEach(len(ready), func(i int) {
		p, m := &ready[i], &msgs[i]
		path := p.srcPath
		if err := units.WriteFileAtomic(filepath.Join(g.OutDir, p.name), p.data, 0o644); err != nil {
			m.errorf("%s: cannot write %s: %v", path, p.name, err)
			return
		}
		for _, l := range p.links {
			if err := symlinkAtomic(l.Target, filepath.Join(g.OutDir, l.Name), dirs); err != nil {
				m.errorf("%s: cannot link %s: %v", path, l.Name, err)
			}
		}
	})
	for i := range msgs {
		g.report(&msgs[i])
	}
}

func pathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// symlinkAtomic makes or replaces a symbolic link without a moment where it is missing.
func symlinkAtomic(target, name string, dirs *dirCache) error {
	if err := dirs.ensure(filepath.Dir(name)); err != nil {
		return err
	}
	// The usual case, a fresh output folder, needs one system call.
	if err := os.Symlink(target, name); err == nil || !os.IsExist(err) {
		return err
	}
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".tmp")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
