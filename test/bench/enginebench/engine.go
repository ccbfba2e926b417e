package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// engine is one engine under test, with its own storage and state folders.
type engine struct {
	name, path string
	dir        string   // its temporary folder: root/, run/ (and podman's tmp/)
	global     []string // global flags, the same for both engines but for podman's extras
	env        []string // extra environment of every command (CONTAINERS_CONF)
	version    string
}

// newEngine sets both engines up alike: overlay, runc, cgroupfs (this machine has no
// systemd to be a cgroup manager), and temporary roots. podman also gets its libpod
// state folder there (--tmpdir; berth keeps that state in its run root), and its
// network files (--network-config-dir; berth keeps them in its root). podman's event
// log stays its default (a file here, without journald; none made no difference to
// its times). podman 4.3 keeps its IP allocations in /run/containers/networks
// whatever the flags; berth in its run root.
func newEngine(name, path, work string) *engine {
	dir := filepath.Join(work, name)
	g := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "overlay", "--runtime", "runc", "--cgroup-manager", "cgroupfs"}
	if name == "podman" {
		g = append(g, "--tmpdir", filepath.Join(dir, "tmp"), "--network-config-dir", filepath.Join(dir, "networks"))
	}
	return &engine{name: name, path: path, dir: dir, global: g}
}

// argv is the engine's command line for a subcommand.
func (e *engine) argv(args ...string) []string {
	return append(append([]string{e.path}, e.global...), args...)
}

// setup makes the folders, reads the version and pulls the image (measured).
func (e *engine) setup(b *bencher) error {
	if err := os.MkdirAll(e.dir, 0o700); err != nil {
		return err
	}
	out, err := exec.Command(e.path, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s --version: %w", e.path, err)
	}
	e.version = strings.TrimSpace(string(out))
	s, err := b.do(e, "pull", nil, "pull", "--tls-verify=false", "-q", b.opts.image)
	if err != nil {
		return err
	}
	b.record(e, "pull", s)
	return nil
}

// quiet runs an engine command that is not measured, and returns its output.
func (e *engine) quiet(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := e.argv(args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), e.env...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", e.name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// teardown removes every pod, container and network the engine has (pods first:
// their infra containers go with them), then unmounts what its storage left mounted
// under its folder, so that the folder can go. Each step runs even when one before
// failed.
func (e *engine) teardown(timeout time.Duration) {
	for _, args := range [][]string{
		{"pod", "rm", "-a", "-f", "-t", "0"},
		{"rm", "-a", "-f", "-t", "0"},
		{"network", "prune", "-f"},
	} {
		if _, err := e.quiet(timeout, args...); err != nil {
			fmt.Fprintf(os.Stderr, "enginebench: cleanup: %v\n", err)
		}
	}
	unmountUnder(e.dir)
}

// unmountUnder detaches every mount at or below dir, deepest first.
func unmountUnder(dir string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		p := unescapeMount(f[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil {
			fmt.Fprintf(os.Stderr, "enginebench: unmounting %s: %v\n", p, err)
		}
	}
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, ...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
