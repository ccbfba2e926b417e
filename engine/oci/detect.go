package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// DetectOptions say how to choose the OCI runtime.
type DetectOptions struct {
	// Preferred is --runtime: a name (runc, crun) or a path. It is used as given.
	Preferred string
	// Default is containers.conf's engine.runtime; used when it works here.
	Default string
	// Paths are containers.conf's [engine.runtimes]: candidate paths per name.
	Paths map[string][]string
	// RunRoot holds the cache of probe verdicts (the storage run root).
	RunRoot string
	// NoCgroups probes (and later runs) without a cgroup (--cgroups=disabled).
	NoCgroups bool
	Log       *slog.Logger
}

// fallbacks are tried, in order, after containers.conf's default.
var fallbacks = []string{"crun", "runc"}

// searchDirs are looked in after PATH, which a unit's environment may lack.
var searchDirs = []string{"/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/bin", "/sbin"}

// Detect chooses the OCI runtime: --runtime if given; else containers.conf's default
// if it really runs a container here; else the first of crun and runc that does. A
// runtime is tried by running a tiny container once; the verdict is cached under
// RunRoot, keyed by the binary's path and modification time. Each step is explained
// at debug level, because which runtime works depends on the machine: on a cgroup v1
// hybrid host crun refuses every container and runc works, while inside a systemd
// sandbox with cgroups disabled only crun does.
func Detect(ctx context.Context, o DetectOptions) (*Runtime, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Preferred != "" {
		path, err := o.resolve(o.Preferred)
		if err != nil {
			return nil, fmt.Errorf("%w: --runtime %s: %w", ErrNoRuntime, o.Preferred, err)
		}
		log.Debug("OCI runtime chosen with --runtime", "runtime", path)
		return o.runtime(path, log), nil
	}
	names := fallbacks
	if o.Default != "" {
		names = append([]string{o.Default}, slices.DeleteFunc(slices.Clone(fallbacks), func(n string) bool { return n == o.Default })...)
	}
	var tried []string
	for _, name := range names {
		path, err := o.resolve(name)
		if err != nil {
			log.Debug("OCI runtime not installed", "runtime", name, "error", err)
			tried = append(tried, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		rt := o.runtime(path, log)
		v, cached, err := cachedProbe(ctx, rt, o.RunRoot)
		if err != nil {
			return nil, err
		}
		if v.OK {
			why := "it ran a test container"
			if name == o.Default {
				why = "it is containers.conf's default and " + why
			}
			log.Debug("OCI runtime chosen: "+why, "runtime", path, "cached", cached)
			if o.NoCgroups && !rt.IsCrun() {
				log.Debug("this runtime cannot run a container without a cgroup: containers get its default one", "runtime", path)
			}
			return rt, nil
		}
		log.Debug("OCI runtime cannot run containers here, trying the next", "runtime", path, "error", v.Error, "cached", cached)
		tried = append(tried, fmt.Sprintf("%s: %s", path, v.Error))
	}
	return nil, fmt.Errorf("%w: %s", ErrNoRuntime, strings.Join(tried, "; "))
}

func (o DetectOptions) runtime(path string, log *slog.Logger) *Runtime {
	rt := newRuntime(path, log)
	rt.NoCgroups = o.NoCgroups
	return rt
}

// resolve finds a runtime binary by path or name: containers.conf's paths for the
// name, then PATH, then the usual folders.
func (o DetectOptions) resolve(name string) (string, error) {
	if strings.Contains(name, "/") {
		return executable(name)
	}
	for _, p := range o.Paths[name] {
		if path, err := executable(p); err == nil {
			return path, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return filepath.Abs(p)
	}
	for _, d := range searchDirs {
		if path, err := executable(filepath.Join(d, name)); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("%s not found in containers.conf's paths, $PATH or %s", name, strings.Join(searchDirs, ":"))
}

func executable(p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s: %w", p, errors.New("not an executable file"))
	}
	return filepath.Abs(p)
}
