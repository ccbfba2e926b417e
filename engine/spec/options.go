package spec

import (
	"log/slog"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Options describe one container the way podman's run flags do, after the caller has
// resolved names to paths (volumes to their host folders, generated /etc files to the
// files it wrote, a network to its namespace path). Zero values take podman's defaults.
type Options struct {
	Rootfs         string   // the container's root file system (a mounted image)
	ReadOnly       bool     // --read-only
	ReadOnlyTmpfs  *bool    // --read-only-tmpfs; nil means true, as podman's default
	Args           []string // the full command: entrypoint then command (see MergeImage)
	Env            []string // KEY=value, later entries win
	WorkDir        string   // --workdir; "/" when empty
	User           string   // --user: user[:group], names or numbers, looked up in the rootfs
	GroupAdd       []string // --group-add: names (looked up) or numbers
	Hostname       string   // --hostname; needs a private UTS namespace
	Terminal       bool     // --tty
	Umask          string   // --umask, octal; "0022" when empty
	OOMScoreAdj    *int     // --oom-score-adj
	Privileged     bool     // --privileged: all capabilities and devices, no seccomp or masks
	Mounts         []Mount  // --volume, --mount and --tmpfs, in order
	CapAdd         []string // --cap-add: names with or without CAP_, or "all"
	CapDrop        []string // --cap-drop: names or "all"
	DefaultCaps    []string // containers.conf default_capabilities; podman's list when nil
	NoNewPrivs     bool     // --security-opt no-new-privileges
	Seccomp        string   // --security-opt seccomp=: "" default profile, "unconfined", or a JSON file
	Mask           []string // --security-opt mask=: more paths to mask
	Unmask         []string // --security-opt unmask=: paths (globs) not to mask, or "ALL"
	Devices        []Device // --device
	Sysctls        map[string]string
	Ulimits        []Ulimit // --ulimit; the name "host" keeps the runtime's own limits
	Namespaces     Namespaces
	UIDMappings    []specs.LinuxIDMapping // --uidmap; with GIDMappings, a user namespace
	GIDMappings    []specs.LinuxIDMapping
	NoCgroups      bool              // --cgroups=disabled: no cgroup, no cgroup mount, no resources
	Rootless       bool              // the runtime runs in a rootless user namespace, which owns no host namespace
	CgroupsPath    string            // cgroupfs path or systemd slice:prefix:name, as the runtime takes it
	Memory         int64             // --memory in bytes; 0 means no limit
	MemoryReserve  int64             // --memory-reservation in bytes
	MemorySwap     int64             // --memory-swap in bytes; -1 unlimited
	PidsLimit      int64             // --pids-limit; 0 leaves the runtime's default, -1 unlimited
	ShmSize        int64             // --shm-size in bytes; 0 means podman's 64 MiB, <0 no size limit
	Timezone       string            // --tz: "local" or a zone name such as "Europe/Paris"
	StopSignal     string            // the signal that stops the container, recorded as an annotation
	Labels         map[string]string // container labels, merged with the image's; not part of the spec
	Annotations    map[string]string // OCI annotations in the spec
	Init           bool              // --init: run InitPath as pid 1 in front of Args
	InitPath       string            // the init binary on the host; /usr/bin/catatonit when empty
	HostsFile      string            // host path of the generated /etc/hosts ("" for none)
	ResolvConfFile string            // host path of the generated /etc/resolv.conf
	HostnameFile   string            // host path of the generated /etc/hostname
	Log            *slog.Logger

	// Host facts, replaceable in tests. Nil means the real host.
	Host *Host
}

// Mount is one mount in the container.
type Mount struct {
	Type        string   // "bind" (also for volumes), "tmpfs", "devpts", "mqueue", ...
	Source      string   // host path for binds; ignored for tmpfs
	Destination string   // absolute path in the container
	Options     []string // fstab-style options: ro, rw, z, nosuid, size=..., mode=..., rprivate...
}

// Device is one host device made available in the container (--device).
type Device struct {
	HostPath      string // /dev/fuse, or a folder whose devices are all added
	ContainerPath string // where it appears; HostPath when empty
	Permissions   string // cgroup access: some of "rwm"; "rwm" when empty
}

// Ulimit is one --ulimit: a name as podman spells it (nofile, nproc, core, ...), soft
// and hard limits; -1 means unlimited.
type Ulimit struct {
	Name       string
	Soft, Hard int64
}

// Namespace modes, as podman's --network/--pid/--ipc/--uts values after the caller has
// resolved container and pod references to paths.
const (
	NSPrivate = ""     // a new namespace (the default)
	NSHost    = "host" // the host's namespace
	NSNone    = "none" // network only: a new namespace with just a loopback interface
)

// Namespaces choose each namespace: NSPrivate, NSHost, NSNone (network) or the path of
// a namespace to join (/proc/PID/ns/net, /run/netns/NAME), optionally as "ns:PATH".
// User is a path or empty: without a path, Options.UIDMappings decide whether the
// container gets a new user namespace; with one, they must be that namespace's own
// (runc 1.1 still wants them).
type Namespaces struct {
	Network, PID, IPC, UTS, Cgroup, User string
}
