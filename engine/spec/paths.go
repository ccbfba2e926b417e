package spec

import (
	"path/filepath"
	"slices"

	"go.podman.io/common/pkg/config"
)

// paths sets podman's masked and read-only paths, with --security-opt mask= added and
// unmask= (paths, globs, or ALL) removed. --privileged has none.
func (g *generator) paths() error {
	if g.o.Privileged {
		return nil
	}
	masked := append(slices.Clone(config.DefaultMaskedPaths()), g.o.Mask...)
	readOnly := slices.Clone(config.DefaultReadOnlyPaths)
	for _, p := range g.o.Mask {
		if err := checkAbs("mask path", p); err != nil {
			return err
		}
	}
	unmasked := func(p string) bool {
		for _, u := range g.o.Unmask {
			if u == "ALL" || u == p {
				return true
			}
			if ok, _ := filepath.Match(u, p); ok {
				return true
			}
		}
		return false
	}
	// A user's mask= wins over unmask=ALL for that path, as the user named it.
	defaults := len(masked) - len(g.o.Mask)
	var keep []string
	for i, p := range masked {
		if (i < defaults && unmasked(p)) || slices.Contains(keep, p) {
			continue
		}
		keep = append(keep, p)
	}
	g.s.Linux.MaskedPaths = keep
	g.s.Linux.ReadonlyPaths = slices.DeleteFunc(readOnly, unmasked)
	return nil
}
