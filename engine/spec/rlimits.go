package spec

import (
	"fmt"
	"math"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// rlimitNames maps --ulimit names to their resources.
var rlimitNames = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU,
	"data": unix.RLIMIT_DATA, "fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS,
	"memlock": unix.RLIMIT_MEMLOCK, "msgqueue": unix.RLIMIT_MSGQUEUE,
	"nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE, "nproc": unix.RLIMIT_NPROC,
	"rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO, "rttime": unix.RLIMIT_RTTIME,
	"sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
}

// podman raises these two for every container unless told otherwise.
const (
	defaultNofile = 1048576
	defaultNproc  = 4194304
)

// ParseUlimit reads a --ulimit value: name=soft[:hard], -1 for unlimited, or "host".
func ParseUlimit(s string) (Ulimit, error) {
	if s == "host" {
		return Ulimit{Name: "host"}, nil
	}
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return Ulimit{}, fmt.Errorf("%w: ulimit %q: want name=soft[:hard]", ErrInvalid, s)
	}
	if _, known := rlimitNames[name]; !known {
		return Ulimit{}, fmt.Errorf("%w: ulimit %q: unknown limit %q", ErrInvalid, s, name)
	}
	softS, hardS, hasHard := strings.Cut(val, ":")
	if !hasHard {
		hardS = softS
	}
	var u Ulimit
	u.Name = name
	if _, err := fmt.Sscan(softS, &u.Soft); err != nil || u.Soft < -1 {
		return Ulimit{}, fmt.Errorf("%w: ulimit %q: bad soft limit %q", ErrInvalid, s, softS)
	}
	if _, err := fmt.Sscan(hardS, &u.Hard); err != nil || u.Hard < -1 {
		return Ulimit{}, fmt.Errorf("%w: ulimit %q: bad hard limit %q", ErrInvalid, s, hardS)
	}
	if u.Hard != -1 && (u.Soft == -1 || u.Soft > u.Hard) {
		return Ulimit{}, fmt.Errorf("%w: ulimit %q: soft limit above hard limit", ErrInvalid, s)
	}
	return u, nil
}

func rlimitValue(v int64) uint64 {
	if v < 0 {
		return math.MaxUint64 // RLIM_INFINITY
	}
	return uint64(v)
}

// rlimits sets the container's rlimits: the user's, and podman's raised nofile and
// nproc defaults. A limit above this process's hard limit could only be granted with
// CAP_SYS_RESOURCE, and the runtime would fail the container: clamp it, and say so.
func (g *generator) rlimits() error {
	want := map[string]Ulimit{}
	var order []string
	for _, u := range g.o.Ulimits {
		if u.Name == "host" {
			return nil // keep the runtime's own limits, as podman's --ulimit host
		}
		if _, ok := rlimitNames[u.Name]; !ok {
			return fmt.Errorf("%w: unknown ulimit %q", ErrInvalid, u.Name)
		}
		if _, seen := want[u.Name]; !seen {
			order = append(order, u.Name)
		}
		want[u.Name] = u
	}
	for name, v := range map[string]int64{"nofile": defaultNofile, "nproc": defaultNproc} {
		if _, ok := want[name]; !ok {
			want[name] = Ulimit{Name: name, Soft: v, Hard: v}
			order = append(order, name)
		}
	}
	slices.Sort(order)
	for _, name := range order {
		u := want[name]
		res := rlimitNames[name]
		soft, hard := rlimitValue(u.Soft), rlimitValue(u.Hard)
		_, max, err := g.host.Rlimit(res)
		if err != nil {
			return fmt.Errorf("reading rlimit %s: %w", name, err)
		}
		if hard > max {
			g.log.Debug("clamping rlimit to this process's hard limit: a runtime cannot raise it without CAP_SYS_RESOURCE",
				"rlimit", name, "asked", hard, "hard", max)
			hard = max
		}
		if soft > hard {
			soft = hard
		}
		g.s.Process.Rlimits = append(g.s.Process.Rlimits, specs.POSIXRlimit{
			Type: "RLIMIT_" + strings.ToUpper(name), Soft: soft, Hard: hard,
		})
	}
	return nil
}
