package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-containers/berth/quadlet"
)

// found is what a walk of the search paths finds.
type found struct {
	units []unitFile // Quadlet files, highest priority first for each name
	dirs  []string   // every folder visited, in priority order, for drop-in lookup
	// dotD lists, per visited folder, its sub-folders named "*.d": the only places
	// drop-ins can be, known without extra system calls.
	dotD map[string]map[string]bool
	errs []error // folders or entries that could not be read
}

type unitFile struct {
	name string // file name, e.g. "web.container"
	path string
}

// discover walks the search paths (and their sub-folders) for Quadlet files. The first
// file of a name wins; later ones of the same name are hidden, as systemd does.
func discover(paths []string, user bool) found {
	f := found{dotD: map[string]map[string]bool{}}
	seen := map[string]bool{}
	for _, root := range paths {
		f.walk(root, root, user, seen)
	}
	return f
}

func (f *found) walk(root, dir string, user bool, seen map[string]bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if !os.IsNotExist(err) || dir != root {
			f.errs = append(f.errs, err)
		}
		return
	}
	f.dirs = append(f.dirs, dir)
	var subdirs []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // hidden files, and our own temporary files
		}
		full := filepath.Join(dir, name)
		isDir, isFile, err := kind(e, full)
		if err != nil && quadlet.IsQuadlet(name) {
			f.errs = append(f.errs, fmt.Errorf("%s: cannot read: %w", full, errors.Unwrap(err)))
			continue
		}
		if isDir && strings.HasSuffix(name, ".d") {
			if f.dotD[dir] == nil {
				f.dotD[dir] = map[string]bool{}
			}
			f.dotD[dir][name] = true
		}
		switch {
		case isDir && !skipDir(full, name, user):
			subdirs = append(subdirs, full)
		case isFile && quadlet.IsQuadlet(name) && !seen[name]:
			seen[name] = true
			f.units = append(f.units, unitFile{name: name, path: full})
		}
	}
	sort.Strings(subdirs)
	for _, d := range subdirs {
		f.walk(root, d, user, seen)
	}
}

// kind follows a symbolic link to tell folders from files.
func kind(e fs.DirEntry, full string) (isDir, isFile bool, err error) {
	if e.Type()&fs.ModeSymlink != 0 {
		st, err := os.Stat(full)
		if err != nil {
			return false, false, err
		}
		return st.IsDir(), st.Mode().IsRegular(), nil
	}
	return e.IsDir(), e.Type().IsRegular(), nil
}

// skipDir tells which sub-folders are not searched for units: drop-in folders, the
// per-user folders when generating for the system, and other users' folders.
func skipDir(full, name string, user bool) bool {
	if strings.HasSuffix(name, ".d") {
		return true
	}
	if !user && full == usersDir {
		return true
	}
	return user && filepath.Dir(full) == usersDir
}
