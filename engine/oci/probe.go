package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-containers/berth/engine/spec"
)

// probeCacheFile holds the verdicts of runtime probes under the run root.
const probeCacheFile = "oci-runtime-probes.json"

// verdict is whether a runtime ran the probe container, and its error if not.
type verdict struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// probeKey names a runtime binary as installed, and the cgroup mode it was probed in:
// a new binary (other mtime or size) is probed again.
func probeKey(rt *Runtime) (string, error) {
	fi, err := os.Stat(rt.Path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s|%d|%d|nocgroups=%t", rt.Path, fi.ModTime().UnixNano(), fi.Size(), rt.NoCgroups), nil
}

// cachedProbe returns the cached verdict for rt, or probes it and caches the result.
// Without a run root nothing is cached.
func cachedProbe(ctx context.Context, rt *Runtime, runRoot string) (verdict, bool, error) {
	key, err := probeKey(rt)
	if err != nil {
		return verdict{}, false, err
	}
	cache := map[string]verdict{}
	file := ""
	if runRoot != "" {
		file = filepath.Join(runRoot, probeCacheFile)
		if data, err := os.ReadFile(file); err == nil {
			_ = json.Unmarshal(data, &cache) // a broken cache is probed again
		}
		if v, ok := cache[key]; ok {
			return v, true, nil
		}
	}
	tmp := runRoot
	if tmp == "" {
		tmp = os.TempDir()
	} else if err := os.MkdirAll(tmp, 0o700); err != nil {
		return verdict{}, false, err
	}
	v := verdict{OK: true}
	if err := probe(ctx, rt, tmp); err != nil {
		if ctx.Err() != nil {
			return verdict{}, false, ctx.Err()
		}
		v = verdict{Error: err.Error()}
	}
	if file != "" {
		cache[key] = v
		if err := writeJSONAtomic(file, cache); err != nil {
			rt.log().Debug("cannot cache the OCI runtime probe", "file", file, "error", err)
		}
	}
	return v, false, nil
}

// probe runs `true` from the host's /usr in a throw-away container: the cheapest
// container that still needs everything a real one does from the runtime (namespaces,
// mounts, pivot_root, cgroups).
func probe(ctx context.Context, rt *Runtime, tmp string) error {
	dir, err := os.MkdirTemp(tmp, "oci-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	truePath, err := exec.LookPath("true")
	if err != nil {
		truePath = "/bin/true"
	}
	rootfs := filepath.Join(dir, "rootfs")
	// The root is read-only, so the mount points the runtime needs must exist: crun
	// opens /dev in it (found inside the systemd sandbox, where crun is the one that works).
	for _, d := range []string{"", "dev", "proc"} {
		if err := os.Mkdir(filepath.Join(rootfs, d), 0o755); err != nil {
			return err
		}
	}
	s := &specs.Spec{
		Version: spec.OCIVersion,
		Root:    &specs.Root{Path: rootfs, Readonly: true},
		Process: &specs.Process{
			Args: []string{truePath}, Cwd: "/", Env: []string{"PATH=/usr/bin:/bin"},
			NoNewPrivileges: true,
		},
		// runc needs /proc to close the fds it must not pass on.
		Mounts: []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
		}},
	}
	// The host's program folders, read-only; merged-/usr symlinks (bin -> usr/bin) are
	// recreated as symlinks.
	for _, d := range []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		fi, err := os.Lstat(d)
		if err != nil {
			continue
		}
		in := filepath.Join(rootfs, d)
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(d)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, in); err != nil {
				return err
			}
			continue
		}
		if err := os.Mkdir(in, 0o755); err != nil {
			return err
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: d, Type: "bind", Source: d, Options: []string{"rbind", "ro", "nosuid", "nodev"}})
	}
	if err := writeJSONAtomic(filepath.Join(dir, "config.json"), s); err != nil {
		return err
	}
	probeRT := *rt
	probeRT.Root = filepath.Join(dir, "state") // leave nothing in the runtime's own state
	id := fmt.Sprintf("berth-probe-%d-%d", os.Getpid(), time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err = probeRT.run(ctx, "run", "--bundle", dir, id)
	rt.log().Debug("OCI runtime probe", "runtime", rt.Path, "took", time.Since(start), "error", err)
	if err != nil {
		_ = probeRT.Delete(context.Background(), id, true)
		return fmt.Errorf("test container: %w", err)
	}
	return nil
}

// writeJSONAtomic writes v to path through a temporary file and a rename, so that
// readers (other berth processes) never see half a file.
func writeJSONAtomic(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
