package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"go.podman.io/common/pkg/config"

	"github.com/berth-containers/berth/engine/oci"
)

// The glue between container records and package oci: which runtime and cgroups a
// container gets, and the conmon that supervises it.

// detectRuntime chooses the OCI runtime for a new container (see oci.Detect): the
// --runtime flag, else containers.conf's, else whichever of crun and runc works here.
func (r *Runtime) detectRuntime(ctx context.Context, noCgroups bool) (*oci.Runtime, error) {
	rt, err := oci.Detect(ctx, oci.DetectOptions{
		Preferred: r.opts.OCIRuntime,
		Default:   r.cfg.Engine.OCIRuntime,
		Paths:     r.cfg.Engine.OCIRuntimes,
		RunRoot:   r.RunDir(),
		NoCgroups: noCgroups,
		Log:       r.log,
	})
	if err != nil {
		return nil, err
	}
	if noCgroups && !rt.IsCrun() {
		return nil, fmt.Errorf("--cgroups=disabled needs an OCI runtime that can run without a cgroup (crun); %s always creates one: %w",
			rt.Path, ErrUnsupported)
	}
	return rt, nil
}

// ociRuntime is the runtime a container was created with.
func (r *Runtime) ociRuntime(c *Container) *oci.Runtime {
	return &oci.Runtime{
		Name: c.Runtime.Name, Path: c.Runtime.Path, Root: c.Runtime.Root,
		SystemdCgroup: c.Runtime.SystemdCgroup, NoCgroups: c.Runtime.NoCgroups, Log: r.log,
	}
}

// conmon is the supervisor for a container's runtime.
func (r *Runtime) conmon(c *Container) (*oci.Conmon, error) {
	path, err := r.cfg.FindConmon()
	if err != nil {
		return nil, fmt.Errorf("finding conmon: %w", err)
	}
	cm := &oci.Conmon{Path: path, Runtime: r.ociRuntime(c), Log: r.log}
	if r.log.Enabled(context.Background(), slog.LevelDebug) {
		cm.LogLevel = "debug"
	}
	return cm, nil
}

// exitDir holds the exit files conmon writes, <RunDir>/exits/<id>. They outlive their
// container for a while, so that a wait can read the code of an --rm container.
func (r *Runtime) exitDir() string { return filepath.Join(r.RunDir(), "exits") }

// cgroupManager is --cgroup-manager, else containers.conf's. systemd needs a running
// systemd (runc then asks it over D-Bus); without one, as in a plain container or
// this project's build machine, cgroupfs is the only choice, and podman makes it too.
func (r *Runtime) cgroupManager() string {
	m := r.opts.CgroupManager
	if m == "" {
		m = r.cfg.Engine.CgroupManager
	}
	if m == config.SystemdCgroupsManager {
		if _, err := os.Stat("/run/systemd/system"); err != nil {
			r.log.Debug("cgroup manager systemd: systemd is not running here, using cgroupfs")
			return config.CgroupfsCgroupsManager
		}
	}
	if m == "" {
		return config.CgroupfsCgroupsManager
	}
	return m
}

// cgroupParent is podman's parent for container cgroups under cgroupfs.
const cgroupParent = "/libpod_parent"

// planCgroups decides the container's cgroup and conmon's, as podman's --cgroups
// modes do:
//   - enabled: the container in a cgroup of its own (machine.slice:libpod:ID under
//     systemd, /libpod_parent/libpod-ID under cgroupfs), conmon in /libpod_parent/conmon
//     (under systemd, podman makes conmon a scope of its own over D-Bus; berth leaves it
//     in the caller's cgroup);
//   - no-conmon: the same, and conmon stays in the caller's cgroup;
//   - split: the container in a sub-cgroup of the caller's (a systemd unit's, whose
//     cgroup then holds conmon and the container), conmon stays;
//   - disabled: no cgroup at all (crun only).
func (r *Runtime) planCgroups(c *Container) error {
	mode := c.Config.CgroupsMode
	if mode == "" {
		// As podman: containers.conf's cgroups setting is the default of every
		// container, a pod's infra container among them (pod create has no --cgroups).
		mode = r.cfg.Containers.Cgroups
	}
	systemd := r.cgroupManager() == config.SystemdCgroupsManager
	switch {
	case mode == CgroupsDisabled:
		c.Runtime.NoCgroups = true
		return nil
	case Rootless():
		return r.planRootlessCgroups(c, mode)
	}
	switch mode {
	case CgroupsSplit:
		p, err := oci.SplitCgroup(c.ID)
		if err != nil {
			return fmt.Errorf("--cgroups=split: finding this process's cgroup: %w", err)
		}
		c.CgroupsPath = p
		return nil
	}
	if systemd {
		c.Runtime.SystemdCgroup = true
		c.CgroupsPath = "machine.slice:libpod:" + c.ID
		return nil
	}
	c.CgroupsPath = cgroupParent + "/libpod-" + c.ID
	if mode != CgroupsNoConmon {
		c.ConmonCgroup = cgroupParent + "/conmon"
	}
	return nil
}

// GlobalArgs are the berth global flags that open this runtime's storage, for the
// commands berth starts for itself (conmon's exit command).
func (r *Runtime) GlobalArgs() []string {
	o := r.opts
	args := []string{"--root", o.Root, "--runroot", o.RunRoot, "--storage-driver", o.StorageDriver}
	for _, so := range o.StorageOpts {
		args = append(args, "--storage-opt", so)
	}
	if o.CgroupManager != "" {
		args = append(args, "--cgroup-manager", o.CgroupManager)
	}
	if o.TmpDir != "" {
		args = append(args, "--tmpdir", o.TmpDir)
	}
	for _, m := range o.Modules {
		args = append(args, "--module", m)
	}
	return args
}

// exitCommand is what conmon runs when the container's process ends: berth's
// `container cleanup`, which records the exit code, releases the runtime state and the
// mount, and removes an --rm container.
func (r *Runtime) exitCommand(c *Container) (string, []string, error) {
	prog := c.Config.ExitCommand
	if len(prog) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return "", nil, fmt.Errorf("finding berth's own binary for the exit command: %w", err)
		}
		prog = []string{exe}
	}
	args := append(append([]string(nil), prog[1:]...), r.GlobalArgs()...)
	args = append(args, "--runtime", c.Runtime.Path, "container", "cleanup")
	if c.Config.AutoRemove {
		args = append(args, "--rm")
	}
	if c.Config.Pod != "" {
		args = append(args, "--pod", c.Config.Pod) // for the pod's exit policy
	}
	return prog[0], append(args, c.ID), nil
}

// commandError gives a failure to run the container's command podman's exit status:
// 127 when it does not exist, 126 when it cannot be executed.
func commandError(err error) error {
	if code := oci.CommandExitCode(err); code != 0 {
		return &ExitError{Code: code, Err: err}
	}
	return err
}

// isGone tells errors that mean the runtime no longer has the process.
func isGone(err error) bool {
	return errors.Is(err, oci.ErrNotRunning) || errors.Is(err, oci.ErrNotExist)
}

// procOf is the container's processes as the record knows them, for oci.WaitExit.
func procOf(c *Container) *oci.Process {
	return &oci.Process{Pid: c.State.Pid, ConmonPid: c.State.ConmonPid}
}
