package spec

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ErrInvalid marks options that cannot make a valid container (a bad capability, a
// sysctl that the namespaces forbid, an unknown user...). Callers map it to exit 125
// before anything is created.
var ErrInvalid = errors.New("invalid container options")

// Host holds the host facts Generate reads, so that tests can pin them.
type Host struct {
	// Rlimit returns the current soft and hard limits of a resource (unix.RLIMIT_*).
	Rlimit func(resource int) (soft, hard uint64, err error)
	// ZoneinfoDir is where time zones are (/usr/share/zoneinfo).
	ZoneinfoDir string
	// Localtime is the host's /etc/localtime, for --tz=local.
	Localtime string
	// CgroupV2 is true on a unified (cgroup v2 only) host, where containers get a
	// private cgroup namespace by default.
	CgroupV2 bool
}

func realHost() *Host {
	return &Host{
		Rlimit: func(resource int) (uint64, uint64, error) {
			var r unix.Rlimit
			if err := unix.Getrlimit(resource, &r); err != nil {
				return 0, 0, err
			}
			return r.Cur, r.Max, nil
		},
		ZoneinfoDir: "/usr/share/zoneinfo",
		Localtime:   "/etc/localtime",
		CgroupV2:    cgroupV2(),
	}
}

func cgroupV2() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// OCIVersion is the runtime-spec version berth's specs declare. crun 1.8 (Debian
// bookworm's, the one inside the systemd sandbox) refuses any version that is not
// 1.0.x with "unknown version specified", and runc accepts it; berth uses no field
// that a 1.0 runtime would misread.
const OCIVersion = "1.0.2-dev"

// Generate builds the runtime spec of a container from o.
func Generate(o Options) (*specs.Spec, error) {
	if o.Rootfs == "" {
		return nil, fmt.Errorf("%w: no root file system", ErrInvalid)
	}
	if len(o.Args) == 0 {
		return nil, fmt.Errorf("%w: no command", ErrInvalid)
	}
	g := &generator{o: o, log: o.Log, host: o.Host}
	if g.log == nil {
		g.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if g.host == nil {
		g.host = realHost()
	}
	g.s = &specs.Spec{
		Version:     OCIVersion,
		Root:        &specs.Root{Path: o.Rootfs, Readonly: o.ReadOnly},
		Hostname:    o.Hostname,
		Annotations: map[string]string{},
		Process:     &specs.Process{Terminal: o.Terminal},
		Linux:       &specs.Linux{Sysctl: map[string]string{}},
	}
	steps := []func() error{
		g.namespaces, g.process, g.capabilities, g.rlimits, g.mounts, g.devices,
		g.resources, g.sysctls, g.paths, g.seccomp, g.annotations,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return g.s, nil
}

// generator carries the spec being built through the steps of Generate.
type generator struct {
	o    Options
	s    *specs.Spec
	log  *slog.Logger
	host *Host
	uid  uint32 // the process's user, once resolved

	deviceRules []specs.LinuxDeviceCgroup // cgroup rules for the user's devices
}

// StopSignalAnnotation records the container's stop signal in its spec, where the
// engine reads it back when it stops the container.
const StopSignalAnnotation = "org.opencontainers.image.stopSignal"

func (g *generator) annotations() error {
	maps.Copy(g.s.Annotations, g.o.Annotations)
	if g.o.StopSignal != "" {
		sig, err := ParseSignal(g.o.StopSignal)
		if err != nil {
			return err
		}
		g.s.Annotations[StopSignalAnnotation] = SignalName(sig)
	}
	return nil
}

// isAbs reports whether p is an absolute container path; the error names the field.
func checkAbs(what, p string) error {
	if !filepath.IsAbs(p) {
		return fmt.Errorf("%w: %s %q is not an absolute path", ErrInvalid, what, p)
	}
	return nil
}
