// Package oci drives the container processes: it chooses the OCI runtime (runc or
// crun) that works on this machine, runs each container under conmon, and talks to
// both the way podman does.
//
// A container's life here: the caller writes a bundle (a folder with config.json, see
// package spec), Conmon.Create starts conmon, which runs `runtime create` and stays as
// the container's supervisor (its stdio, log driver and exit file); Runtime.Start
// starts the process; Attach streams its stdio through conmon's attach socket;
// WaitExit and ExitCode read the exit file conmon writes when the process ends, and
// conmon then runs the caller's exit command (berth's cleanup). Runtime.Kill,
// Runtime.Delete and Runtime.State call the runtime directly; Conmon.Exec runs another
// process in a running container, also under conmon.
//
// Everything that touches the OS is a small function here with the real thing behind
// it: tests run real conmon and runc.
package oci
