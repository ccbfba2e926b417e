// Package spec builds the OCI runtime configuration (runtime-spec's *specs.Spec, the
// config.json of a bundle) for one container from a plain Options value, with podman's
// defaults: its default capabilities, seccomp profile, masked and read-only paths,
// default mounts and devices, rlimits clamped to what this process may grant.
//
// MergeImage fills the gaps of Options from an image's OCI config (entrypoint, command,
// environment, working directory, user, stop signal, labels) with podman's precedence;
// Generate then turns Options into a spec. Generate reads only a few host facts
// (the rootfs's /etc/passwd and /etc/group, device nodes, the zoneinfo file, the
// current rlimits), each through a field of Options that tests can replace.
package spec
