package spec

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// resources sets the cgroup: its path and limits, and the device rules (deny all; the
// runtime then allows its standard devices, and devices() the user's).
func (g *generator) resources() error {
	o := g.o
	if o.NoCgroups {
		if o.Memory != 0 || o.MemoryReserve != 0 || o.MemorySwap != 0 || o.PidsLimit != 0 || o.CgroupsPath != "" {
			return fmt.Errorf("%w: resource limits need a cgroup (--cgroups=disabled)", ErrInvalid)
		}
		return nil
	}
	g.s.Linux.CgroupsPath = o.CgroupsPath
	r := &specs.LinuxResources{}
	if !o.Privileged {
		r.Devices = append([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, g.deviceRules...)
	} else {
		r.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	}
	if o.Memory < 0 || o.MemoryReserve < 0 || o.MemorySwap < -1 || o.PidsLimit < -1 {
		return fmt.Errorf("%w: negative resource limit", ErrInvalid)
	}
	if o.Memory > 0 || o.MemoryReserve > 0 || o.MemorySwap != 0 {
		mem := &specs.LinuxMemory{}
		if o.Memory > 0 {
			mem.Limit = ptr(o.Memory)
		}
		if o.MemoryReserve > 0 {
			mem.Reservation = ptr(o.MemoryReserve)
		}
		switch {
		case o.MemorySwap != 0:
			if o.Memory > 0 && o.MemorySwap > 0 && o.MemorySwap < o.Memory {
				return fmt.Errorf("%w: --memory-swap must be at least --memory", ErrInvalid)
			}
			mem.Swap = ptr(o.MemorySwap)
		case o.Memory > 0:
			// podman's default: as much swap as memory (memory+swap = 2x memory).
			mem.Swap = ptr(2 * o.Memory)
		}
		r.Memory = mem
	}
	if o.PidsLimit != 0 {
		r.Pids = &specs.LinuxPids{Limit: ptr(o.PidsLimit)}
	}
	g.s.Linux.Resources = r
	return nil
}

func ptr[T any](v T) *T { return &v }
