package generator

import (
	"path/filepath"
	"strconv"
	"strings"
)

// Env is what the generator reads from its environment, passed in so that search paths
// are computed without touching the process.
type Env struct {
	UnitDirs      string // QUADLET_UNIT_DIRS: colon-separated folders replacing the defaults
	UID           int
	Home          string
	XDGConfigHome string
	XDGRuntimeDir string
}

// SearchPaths returns the folders searched for Quadlet files, highest priority first:
// a file name found in an earlier folder hides the same name in later ones.
func SearchPaths(env Env, user bool) []string {
	if env.UnitDirs != "" {
		var out []string
		for _, d := range strings.Split(env.UnitDirs, ":") {
			if d != "" {
				out = append(out, filepath.Clean(d))
			}
		}
		return out
	}
	if !user {
		return []string{"/run/containers/systemd", "/etc/containers/systemd", "/usr/share/containers/systemd"}
	}
	var out []string
	if env.XDGRuntimeDir != "" {
		out = append(out, filepath.Join(env.XDGRuntimeDir, "containers/systemd"))
	}
	switch {
	case env.XDGConfigHome != "":
		out = append(out, filepath.Join(env.XDGConfigHome, "containers/systemd"))
	case env.Home != "":
		out = append(out, filepath.Join(env.Home, ".config/containers/systemd"))
	}
	return append(out,
		"/etc/containers/systemd/users/"+strconv.Itoa(env.UID),
		"/etc/containers/systemd/users")
}

// usersDir is the folder of per-user files inside the system search path; the system
// generator must not read it, and in user mode only its own UID's sub-folder counts.
const usersDir = "/etc/containers/systemd/users"
