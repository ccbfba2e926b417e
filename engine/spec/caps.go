package spec

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/common/pkg/capabilities"
	"go.podman.io/common/pkg/config"
)

// capabilities sets the process's capability sets as podman does: the default set
// (containers.conf's, else podman's) with --cap-add and --cap-drop applied, "all"
// meaning every capability this process holds. Root gets them effective; any other
// user only holds them in the bounding set, except those added explicitly, which it
// gets as ambient capabilities so that they survive its exec.
func (g *generator) capabilities() error {
	base := g.o.DefaultCaps
	if base == nil {
		base = config.DefaultCapabilities
	}
	var (
		caps []string
		err  error
	)
	if g.o.Privileged {
		caps, err = capabilities.BoundingSet()
	} else {
		caps, err = capabilities.MergeCapabilities(base, g.o.CapAdd, g.o.CapDrop)
	}
	if err != nil {
		return fmt.Errorf("%w: capabilities: %w", ErrInvalid, err)
	}
	if err := capabilities.ValidateCapabilities(caps); err != nil {
		return fmt.Errorf("%w: capabilities: %w", ErrInvalid, err)
	}
	pc := &specs.LinuxCapabilities{Bounding: caps}
	if g.uid == 0 {
		pc.Effective, pc.Permitted = caps, caps
	} else {
		added, err := capabilities.NormalizeCapabilities(g.o.CapAdd)
		if err != nil {
			return fmt.Errorf("%w: capabilities: %w", ErrInvalid, err)
		}
		var keep []string
		for _, c := range added {
			if slices.Contains(caps, c) {
				keep = append(keep, c)
			}
		}
		pc.Effective, pc.Permitted, pc.Inheritable, pc.Ambient = keep, keep, keep, keep
	}
	g.s.Process.Capabilities = pc
	return nil
}
