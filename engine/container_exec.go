package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/common/pkg/capabilities"

	"github.com/berth-containers/berth/engine/oci"
)

// ExecOptions are podman exec's.
type ExecOptions struct {
	Cmd        []string // the command and its arguments (required)
	Env        []string // KEY=value entries over the container's environment
	User       string   // user[:group], names looked up in the container; the container's when empty
	WorkDir    string   // absolute; the container's when empty
	Tty        bool     // a terminal for the process (then all output is Stdout)
	Privileged bool     // every capability this host has, whatever the container got
	// Stdin is fed to the process (exec -i); nil leaves its stdin empty.
	Stdin          io.Reader
	Stdout, Stderr io.Writer // nil discards
	// Started, if set, is called once the process runs, with a function that sets
	// the size of its terminal (with Tty).
	Started func(resize func(height, width uint16) error)
	// Pid, if set, is called once the process runs, with its pid on the host.
	Pid func(pid int)
}

// ExecContainer runs a process in a running container, under a conmon of its own,
// with the container's process settings (its config.json) and what o changes, and
// returns its exit code. A command that does not exist or cannot be run fails with an
// *ExitError of code 127 or 126, as podman exits.
func (r *Runtime) ExecContainer(ctx context.Context, ref string, o ExecOptions) (int, error) {
	if len(o.Cmd) == 0 {
		return 0, errors.New("exec: a command is required")
	}
	if o.WorkDir != "" && !filepath.IsAbs(o.WorkDir) {
		return 0, fmt.Errorf("exec --workdir %q: must be an absolute path", o.WorkDir)
	}
	c, err := r.ObservedContainer(ref)
	if err != nil {
		return 0, err
	}
	if !c.Running() {
		return 0, fmt.Errorf("can only create exec sessions on running containers: container %s is %s: %w",
			shortID(c.ID), c.State.Status, ErrInvalidState)
	}
	s, err := readBundleSpec(c)
	if err != nil {
		return 0, fmt.Errorf("exec in container %s: %w", shortID(c.ID), err)
	}
	proc, err := execProcess(c, s, o)
	if err != nil {
		return 0, fmt.Errorf("exec in container %s: %w", shortID(c.ID), err)
	}
	cm, err := r.conmon(c)
	if err != nil {
		return 0, err
	}
	// conmon's debug messages in exec mode land in the process's stderr stream.
	cm.LogLevel = ""
	session, err := newContainerID()
	if err != nil {
		return 0, err
	}
	// The session's files (process.json, attach socket, ctl fifo, exit file) live
	// in the bundle, under a short name: socket paths are limited.
	dir := filepath.Join(c.Bundle, "exec", session[:12])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	eo := oci.ExecOptions{
		ID: c.ID, SessionID: session, Dir: dir, Process: proc,
		Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr,
	}
	if o.Started != nil || o.Pid != nil {
		eo.Started = func(pid int) {
			if o.Pid != nil {
				o.Pid(pid)
			}
			if o.Started != nil {
				o.Started(func(h, w uint16) error { return oci.Resize(dir, h, w) })
			}
		}
	}

	code, err := cm.Exec(ctx, eo)
	if err != nil {
		return 0, commandError(err)
	}
	return code, nil
}

// execProcess is the container's process with o's changes: podman's exec rules.
func execProcess(c *Container, s *specs.Spec, o ExecOptions) (*specs.Process, error) {
	if s.Process == nil {
		return nil, errors.New("its config.json has no process")
	}
	p := *s.Process
	p.Args = o.Cmd
	p.Terminal = o.Tty
	p.ConsoleSize = nil
	p.Env = mergeEnvEntries(p.Env, o.Env)
	if o.Tty && !hasEnv(p.Env, "TERM") {
		p.Env = append(p.Env, "TERM=xterm")
	}
	if o.WorkDir != "" {
		p.Cwd = o.WorkDir
	}
	caps := p.Capabilities
	if caps == nil {
		caps = &specs.LinuxCapabilities{}
	}
	caps = &specs.LinuxCapabilities{Bounding: caps.Bounding, Effective: caps.Effective, Permitted: caps.Permitted,
		Inheritable: caps.Inheritable, Ambient: caps.Ambient}
	if o.Privileged {
		all, err := capabilities.BoundingSet()
		if err != nil {
			return nil, fmt.Errorf("--privileged: %w", err)
		}
		caps = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
	}
	if o.User != "" {
		rootfs := ""
		if s.Root != nil {
			rootfs = s.Root.Path
			if !filepath.IsAbs(rootfs) {
				rootfs = filepath.Join(c.Bundle, rootfs)
			}
		}
		u, err := lookupUser(rootfs, o.User)
		if err != nil {
			return nil, err
		}
		same := uint32(u.Uid) == p.User.UID
		p.User = specs.User{UID: uint32(u.Uid), GID: uint32(u.Gid), Umask: p.User.Umask}
		for _, g := range u.Sgids {
			p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
		}
		if !hasEnv(o.Env, "HOME") {
			p.Env = mergeEnvEntries(p.Env, []string{"HOME=" + u.Home})
		}
		// As for a container's process: root gets its bounding set as effective
		// capabilities, another user none (they do not survive its exec anyway).
		if !same {
			if u.Uid == 0 {
				caps.Effective, caps.Permitted = caps.Bounding, caps.Bounding
			} else {
				caps.Effective, caps.Permitted, caps.Inheritable, caps.Ambient = nil, nil, nil, nil
			}
		}
	} else if o.Privileged && p.User.UID != 0 {
		caps.Effective, caps.Permitted = nil, nil
	}
	p.Capabilities = caps
	return &p, nil
}

// lookupUser resolves user[:group] in the container's /etc/passwd and /etc/group:
// numbers need no entry, names must exist.
func lookupUser(rootfs, spec string) (*user.ExecUser, error) {
	passwd, err := securejoin.SecureJoin(rootfs, "/etc/passwd")
	if err != nil {
		return nil, err
	}
	group, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return nil, err
	}
	u, err := user.GetExecUserPath(spec, &user.ExecUser{Home: "/"}, passwd, group)
	if err != nil {
		return nil, fmt.Errorf("--user %q: %w", spec, err)
	}
	if u.Home == "" {
		u.Home = "/"
	}
	return u, nil
}

// mergeEnvEntries puts KEY=value entries over env: a key already there is replaced in
// place, a new one appended.
func mergeEnvEntries(env, more []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range more {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i], replaced = kv, true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}
