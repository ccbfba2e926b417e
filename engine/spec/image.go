package spec

import (
	"fmt"
	"maps"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Command is what the user asked to run, before the image fills the gaps.
type Command struct {
	// Entrypoint replaces the image's when EntrypointSet, even when empty
	// (--entrypoint "" clears it); like podman, it then also drops the image's Cmd.
	Entrypoint    []string
	EntrypointSet bool
	Cmd           []string // the arguments after the image name; the image's when empty
}

// MergeImage completes o from the image's config with podman's precedence: the user's
// command, environment (image first, the user's entries winning), working directory,
// user and stop signal over the image's; the image's labels under the user's. It sets
// o.Args from the entrypoint and command. img may be nil (no image config).
func MergeImage(o *Options, img *imgspec.ImageConfig, c Command) error {
	if img == nil {
		img = &imgspec.ImageConfig{}
	}
	entrypoint := img.Entrypoint
	cmd := img.Cmd
	if c.EntrypointSet {
		entrypoint, cmd = c.Entrypoint, nil
	}
	if len(c.Cmd) > 0 {
		cmd = c.Cmd
	}
	args := append(append([]string(nil), entrypoint...), cmd...)
	if len(args) == 0 {
		return fmt.Errorf("%w: no command or entrypoint given, and the image has neither", ErrInvalid)
	}
	o.Args = args
	o.Env = mergeEnv(img.Env, o.Env)
	if o.WorkDir == "" {
		o.WorkDir = img.WorkingDir
	}
	if o.User == "" {
		o.User = img.User
	}
	if o.StopSignal == "" {
		o.StopSignal = img.StopSignal
	}
	if len(img.Labels) > 0 {
		labels := maps.Clone(img.Labels)
		maps.Copy(labels, o.Labels)
		o.Labels = labels
	}
	return nil
}
