// Package config reads berth's own settings: /etc/containers/berth.conf and the
// drop-ins in /etc/containers/berth.conf.d/*.conf (TOML), read in that order so that
// later files override earlier ones. containers.conf stays the place for what podman
// keeps there; this file holds what is berth's alone.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/BurntSushi/toml"
)

// DefaultPath is where the main file lives.
const DefaultPath = "/etc/containers/berth.conf"

// Config is the merged configuration.
type Config struct {
	Generator Generator `toml:"generator"`
}

// Generator holds the Quadlet generator's settings.
type Generator struct {
	// Engine is the engine binary generated units run, e.g. "/usr/bin/podman" to drive
	// real podman. Empty means the build-time default.
	Engine string `toml:"engine"`
}

// Load reads path and then path+".d/*.conf" in name order. Missing files are fine;
// a file that does not parse, or that has keys berth does not know, is an error that
// names it.
func Load(path string) (Config, error) {
	var c Config
	files := []string{path}
	drop, _ := filepath.Glob(path + ".d/*.conf")
	sort.Strings(drop)
	files = append(files, drop...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return c, err
		}
		md, err := toml.Decode(string(data), &c)
		if err != nil {
			return c, fmt.Errorf("%s: %w", f, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return c, fmt.Errorf("%s: unknown setting %q", f, und[0].String())
		}
	}
	return c, nil
}
