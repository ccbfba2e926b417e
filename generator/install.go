package generator

import (
	"fmt"
	"path"
	"strings"

	"github.com/berth-containers/berth/units"
)

// link is one symbolic link in the output folder: Name (relative to the folder)
// pointing at Target (relative to the link's own folder).
type link struct {
	Name, Target string
}

// installLinks turns a service's [Install] section into the symbolic links that
// `systemctl enable` would make, since generated units cannot be enabled: Alias=,
// WantedBy=, RequiredBy= and UpheldBy=, with DefaultInstance= for templates.
func installLinks(service string, f *units.File) ([]link, []error) {
	var links []link
	var errs []error
	words := func(key string) []string {
		var out []string
		for _, v := range f.All("Install", key) {
			w, err := units.SplitWords(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("[Install] %s=%s: %w", key, v, err))
				continue
			}
			out = append(out, w...)
		}
		return out
	}
	for _, alias := range words("Alias") {
		alias = path.Clean(alias)
		if strings.HasPrefix(alias, "/") || strings.HasPrefix(alias, "..") {
			errs = append(errs, fmt.Errorf("[Install] Alias=%s: must be a relative unit name", alias))
			continue
		}
		links = append(links, link{alias, relTo(path.Dir(alias), service)})
	}
	// A template is enabled through an instance: DefaultInstance= names it.
	enabled := service
	if prefix, inst, ext, ok := units.SplitTemplate(service); ok && inst == "" {
		def, _ := f.Get("Install", "DefaultInstance")
		if def == "" {
			enabled = ""
		} else {
			enabled = prefix + "@" + def + ext
		}
	}
	for _, kind := range []struct{ key, suffix string }{
		{"WantedBy", ".wants"}, {"RequiredBy", ".requires"}, {"UpheldBy", ".upholds"}} {
		for _, target := range words(kind.key) {
			if enabled == "" {
				errs = append(errs, fmt.Errorf("[Install] %s=%s: template %s has no DefaultInstance=", kind.key, target, service))
				continue
			}
			if !units.ValidName(target) {
				errs = append(errs, fmt.Errorf("[Install] %s=%s: not a valid unit name", kind.key, target))
				continue
			}
			links = append(links, link{target + kind.suffix + "/" + enabled, "../" + service})
		}
	}
	return links, errs
}

// relTo returns the path of file (in the output folder's top) as seen from dir.
func relTo(dir, file string) string {
	if dir == "." {
		return file
	}
	return strings.Repeat("../", strings.Count(dir, "/")+1) + file
}
