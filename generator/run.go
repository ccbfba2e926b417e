package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	results := quadlet.Convert(srcs, quadlet.Options{Engine: o.Engine, User: o.User, PathExists: pathExists})
	quadlet.CheckCycles(results)
	sort.SliceStable(results, func(i, j int) bool { return results[i].Name < results[j].Name })
	if !g.DryRun {
		if err := os.MkdirAll(g.OutDir, 0o755); err != nil {
			g.errorf("cannot create %s: %v", g.OutDir, err)
			return 1
		}
	}
	for i := range results {
		g.emit(&results[i])
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

// emit reports a result's diagnostics and writes (or prints) its service and links.
func (g *run) emit(r *quadlet.Result) {
	for _, d := range r.Diags {
		if d.Severity == quadlet.Warning {
			g.Log.Warnf("%s", d)
		} else {
			g.errorf("%s", d)
		}
	}
	if r.Failed() {
		return
	}
	if !units.ValidName(r.Name) {
		g.errorf("%s: converting %q: %q is not a valid unit name; rename the file or set ServiceName=",
			r.Source.File.Path, r.Source.Name, r.Name)
		return
	}
	var buf bytes.Buffer
	r.Service.WriteTo(&buf)
	if g.DryRun {
		fmt.Fprintf(g.Stdout, "---%s---\n%s\n", r.Name, buf.Bytes())
		return
	}
	if err := units.WriteFileAtomic(filepath.Join(g.OutDir, r.Name), buf.Bytes(), 0o644); err != nil {
		g.errorf("%s: cannot write %s: %v", r.Source.File.Path, r.Name, err)
		return
	}
	links, errs := installLinks(r.Name, r.Service)
	for _, err := range errs {
		g.errorf("%s: %v", r.Source.File.Path, err)
	}
	for _, l := range links {
		if err := symlinkAtomic(l.Target, filepath.Join(g.OutDir, l.Name)); err != nil {
			g.errorf("%s: cannot link %s: %v", r.Source.File.Path, l.Name, err)
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
