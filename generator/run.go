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
	var ready []prepared
	opts := quadlet.Options{Engine: o.Engine, User: o.User, PathExists: pathExists}
	quadlet.ConvertEach(srcs, opts, func(r quadlet.Result) {
		if p, ok := g.prepare(&r); ok {
			ready = append(ready, p)
		}
	})
	ready = g.dropCycles(ready)
	sort.Slice(ready, func(i, j int) bool { return ready[i].name < ready[j].name })
	if !g.DryRun {
		if err := os.MkdirAll(g.OutDir, 0o755); err != nil {
			g.errorf("cannot create %s: %v", g.OutDir, err)
			return 1
		}
	}
	for i := range ready {
		g.emit(&ready[i])
	}
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

func (g *run) status() int {
	if g.failed {
		return 1
	}
	return 0
}

// load reads and parses every unit with its drop-ins; files that cannot be read or
// parsed are reported and left out.
func (g *run) load(f *found) []*quadlet.Source {
	srcs := make([]*quadlet.Source, 0, len(f.units))
	for _, u := range f.units {
		g.Log.Infof("Loading source unit file %s", u.path)
		file, ok := g.parse(u.path)
		if !ok {
			continue
		}
		for _, d := range dropinFiles(u.name, f) {
			dropin, ok := g.parse(d)
			if !ok {
				file = nil
				break
			}
			file.Merge(dropin)
		}
		if file == nil {
			g.errorf("%s: not generated because a drop-in has errors", u.path)
			continue
		}
		srcs = append(srcs, &quadlet.Source{Name: u.name, File: file})
	}
	return srcs
}

func (g *run) parse(path string) (*units.File, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		g.errorf("%s: cannot read: %v", path, errors.Unwrap(err))
		return nil, false
	}
	file, err := units.Parse(path, data)
	if err != nil {
		for _, e := range unjoin(err) {
			g.errorf("%v", e)
		}
		return nil, false
	}
	return file, true
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// prepared is a converted service, rendered, waiting for the cycle check.
type prepared struct {
	name  string // "web.service"
	src   *quadlet.Source
	data  []byte
	links []link
	deps  []string
}

// prepare reports a result's diagnostics and renders its service; the service itself
// is then dropped, so that memory stays small with thousands of units.
func (g *run) prepare(r *quadlet.Result) (prepared, bool) {
	for _, d := range r.Diags {
		if d.Severity == quadlet.Warning {
			g.Log.Warnf("%s", d)
		} else {
			g.errorf("%s", d)
		}
	}
	if r.Failed() {
		return prepared{}, false
	}
	if !units.ValidName(r.Name) {
		g.errorf("%s: converting %q: %q is not a valid unit name; rename the file or set ServiceName=",
			r.Source.File.Path, r.Source.Name, r.Name)
		return prepared{}, false
	}
	var buf bytes.Buffer
	if _, err := r.Service.WriteTo(&buf); err != nil {
		// A value systemd would read differently (a line break, say) is refused
		// rather than written wrong.
		for _, e := range unjoin(err) {
			g.errorf("%s: converting %q: cannot write %s: %v", r.Source.File.Path, r.Source.Name, r.Name, e)
		}
		return prepared{}, false
	}
	p := prepared{name: r.Name, src: r.Source, data: buf.Bytes(), deps: quadlet.Dependencies(r.Service)}
	links, errs := installLinks(r.Name, r.Service)
	for _, err := range errs {
		g.errorf("%s: %v", r.Source.File.Path, err)
	}
	p.links = links
	return p, true
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
					p.src.Pos(), p.src.Name, strings.Join(cycle, ", "))
			}
		}
	}
	if len(bad) == 0 {
		return ready
	}
	return slices.DeleteFunc(ready, func(p prepared) bool { return bad[p.name] })
}

// emit writes (or prints) a service and its links.
func (g *run) emit(p *prepared) {
	if g.DryRun {
		fmt.Fprintf(g.Stdout, "---%s---\n%s\n", p.name, p.data)
		return
	}
	path := p.src.File.Path
	if err := units.WriteFileAtomic(filepath.Join(g.OutDir, p.name), p.data, 0o644); err != nil {
		g.errorf("%s: cannot write %s: %v", path, p.name, err)
		return
	}
	for _, l := range p.links {
		if err := symlinkAtomic(l.Target, filepath.Join(g.OutDir, l.Name)); err != nil {
			g.errorf("%s: cannot link %s: %v", path, l.Name, err)
		}
	}
}

func pathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// symlinkAtomic makes or replaces a symbolic link without a moment where it is missing.
func symlinkAtomic(target, name string) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".tmp")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
