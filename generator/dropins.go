package generator

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-containers/berth/units"
)

// dropinDirNames returns the drop-in folder names that apply to a Quadlet file, most
// specific first: "foo-bar@x.container.d", the template's "foo-bar@.container.d", the
// dash-truncated "foo-.container.d", then the type's "container.d".
func dropinDirNames(name string) []string {
	prefix, inst, ext, isTemplate := units.SplitTemplate(name)
	out := []string{name + ".d"}
	if isTemplate && inst != "" {
		out = append(out, prefix+"@"+ext+".d")
	}
	for i := len(prefix) - 1; i > 0; i-- {
		if prefix[i] == '-' {
			out = append(out, prefix[:i+1]+ext+".d")
		}
	}
	return append(out, strings.TrimPrefix(ext, ".")+".d")
}

// dropinFiles returns the *.conf drop-ins of a unit, in the order they apply (by file
// name). A file name found in a more specific folder, or an earlier search folder,
// hides the same name elsewhere.
func dropinFiles(name string, f *found) []string {
	byName := map[string]string{}
	for _, dir := range f.dirs {
		if len(f.dotD[dir]) == 0 {
			continue
		}
		for _, dn := range dropinDirNames(name) {
			if !f.dotD[dir][dn] {
				continue
			}
			entries, err := os.ReadDir(filepath.Join(dir, dn))
			if err != nil {
				continue
			}
			for _, e := range entries {
				n := e.Name()
				if !strings.HasSuffix(n, ".conf") || strings.HasPrefix(n, ".") {
					continue
				}
				if _, ok := byName[n]; !ok {
					byName[n] = filepath.Join(dir, dn, n)
				}
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = byName[n]
	}
	return out
}
