package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berth-containers/berth/engine/spec"
)

// ContainerConfig is what podman's create and run flags say about a container; it is
// kept in the container's record. Zero values take podman's defaults.
type ContainerConfig struct {
	Name    string   `json:"name,omitempty"`    // --name; generated when empty
	Command []string `json:"command,omitempty"` // the arguments after the image
	// Entrypoint replaces the image's when set, even empty (--entrypoint "").
	Entrypoint *[]string `json:"entrypoint,omitempty"`

	Env         []string          `json:"env,omitempty"` // KEY=value; after the image's
	User        string            `json:"user,omitempty"`
	WorkDir     string            `json:"workDir,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`

	// The network (container_network.go). Network and Networks are --network values
	// (Network first): "" or bridge (the default network), none, host, private,
	// container:ID|NAME, ns:PATH, or networks NAME[:ip=,ip6=,mac=,alias=,interface_name=].
	// IP, IP6 and MACAddress are for the only network; NetworkAliases for all.
	Network        string   `json:"network,omitempty"`
	Networks       []string `json:"networks,omitempty"`
	IP             string   `json:"ip,omitempty"`
	IP6            string   `json:"ip6,omitempty"`
	MACAddress     string   `json:"macAddress,omitempty"`
	NetworkAliases []string `json:"networkAliases,omitempty"`
	Publish        []string `json:"publish,omitempty"`    // -p [[IP:][HOST-PORT]:]PORT[/PROTOCOL]
	PublishAll     bool     `json:"publishAll,omitempty"` // -P: the exposed ports, on random host ports

	StopSignal  string `json:"stopSignal,omitempty"`  // --stop-signal; else the image's, else SIGTERM
	StopTimeout *uint  `json:"stopTimeout,omitempty"` // --stop-timeout; else containers.conf's (10 s)

	AutoRemove bool   `json:"autoRemove,omitempty"` // --rm
	CIDFile    string `json:"cidFile,omitempty"`    // --cidfile: removed with the container

	CgroupsMode string `json:"cgroupsMode,omitempty"` // enabled (default), disabled, split, no-conmon
	SdNotify    string `json:"sdNotify,omitempty"`    // container (default), conmon, ignore
	LogDriver   string `json:"logDriver,omitempty"`   // k8s-file (default), journald, passthrough, none

	Terminal    bool `json:"terminal,omitempty"`    // -t
	Interactive bool `json:"interactive,omitempty"` // -i: keep stdin open

	// Settings of the runtime spec, as the flags spell them; parsed by
	// ContainerConfig.Validate (see container_specopts.go).
	ReadOnly      bool     `json:"readOnly,omitempty"`      // --read-only
	ReadOnlyTmpfs *bool    `json:"readOnlyTmpfs,omitempty"` // --read-only-tmpfs (true by default)
	Volumes       []string `json:"volumes,omitempty"`       // -v HOST-PATH|NAME:DEST[:OPTIONS], or -v DEST (anonymous)
	Mounts        []string `json:"mounts,omitempty"`        // --mount type=bind|tmpfs,...
	Tmpfs         []string `json:"tmpfs,omitempty"`         // --tmpfs DEST[:OPTIONS]
	CapAdd        []string `json:"capAdd,omitempty"`
	CapDrop       []string `json:"capDrop,omitempty"`
	SecurityOpts  []string `json:"securityOpts,omitempty"` // --security-opt
	Devices       []string `json:"devices,omitempty"`      // --device HOST[:CONTAINER][:PERMS]
	GroupAdd      []string `json:"groupAdd,omitempty"`
	Sysctls       []string `json:"sysctls,omitempty"` // --sysctl NAME=VALUE
	Ulimits       []string `json:"ulimits,omitempty"` // --ulimit NAME=SOFT[:HARD]
	Init          bool     `json:"init,omitempty"`    // --init (catatonit)
	Timezone      string   `json:"timezone,omitempty"`
	Memory        string   `json:"memory,omitempty"`    // --memory, with a unit (512m)
	PidsLimit     *int64   `json:"pidsLimit,omitempty"` // --pids-limit; -1 unlimited
	ShmSize       string   `json:"shmSize,omitempty"`   // --shm-size, with a unit
	LogOpts       []string `json:"logOpts,omitempty"`   // --log-opt path=, max-size=, tag=
	AddHosts      []string `json:"addHosts,omitempty"`  // --add-host NAME:IP
	DNS           []string `json:"dns,omitempty"`       // --dns IP, or none
	DNSOptions    []string `json:"dnsOptions,omitempty"`
	DNSSearch     []string `json:"dnsSearch,omitempty"`
	Expose        []string `json:"expose,omitempty"`      // --expose PORT[/PROTO]: shown by inspect, published by -P
	ImageVolume   string   `json:"imageVolume,omitempty"` // --image-volume bind (default), tmpfs, ignore

	// Privileged is --privileged: every capability, the host's devices, no seccomp
	// filter, no masked or read-only paths, /sys writable.
	Privileged bool `json:"privileged,omitempty"`

	// The user namespace (container_userns.go): --userns as given (host, private,
	// auto[:OPTIONS], ns:PATH; keep-id and nomap are for rootless podman), or
	// mappings from --uidmap/--gidmap CONTAINER:HOST:SIZE or from the ranges of
	// --subuidname/--subgidname in /etc/subuid and /etc/subgid. The mappings chosen
	// are kept by the storage container, whose files are mapped to them.
	UserNS     string   `json:"userns,omitempty"`
	UIDMap     []string `json:"uidMap,omitempty"`
	GIDMap     []string `json:"gidMap,omitempty"`
	SubUIDName string   `json:"subUIDName,omitempty"`
	SubGIDName string   `json:"subGIDName,omitempty"`

	// Rootfs is --rootfs PATH[:O]: the container runs from this folder instead of an
	// image (container_rootfs.go); with :O, on an overlay whose changes are dropped
	// when the container stops.
	Rootfs string `json:"rootfs,omitempty"`

	// Pod is --pod: the pod the container joins (a name or ID, or new:NAME to create
	// one); the record keeps the pod's ID (pod_join.go). PodInfra marks the pod's
	// infra container, which only CreatePod makes.
	Pod      string `json:"pod,omitempty"`
	PodInfra bool   `json:"podInfra,omitempty"`

	// ExitCommand is the program conmon runs when the container exits, without its
	// "container cleanup ID" arguments: the berth binary and its global flags. Empty
	// means this program (os.Executable) with the runtime's GlobalArgs.
	ExitCommand []string `json:"exitCommand,omitempty"`

	// Health is the --health-* flags (health_config.go).
	Health *HealthConfig `json:"health,omitempty"`

	// Secrets is --secret NAME[,type=mount|env][,target=,uid=,gid=,mode=]
	// (secret_container.go).
	Secrets []string `json:"secrets,omitempty"`
}

// Values of the enumerated settings.
const (
	CgroupsEnabled  = "enabled"
	CgroupsDisabled = "disabled"
	CgroupsSplit    = "split"
	CgroupsNoConmon = "no-conmon"

	SdNotifyContainer = "container"
	SdNotifyConmon    = "conmon"
	SdNotifyIgnore    = "ignore"
	SdNotifyHealthy   = "healthy"

	NetworkDefault = ""
	NetworkNone    = "none"
	NetworkHost    = "host"
)

// logDrivers are those conmon can write.
var logDrivers = []string{"k8s-file", "journald", "passthrough", "none"}

// Validate checks the settings that need no image or storage, so that a bad value
// fails before anything is created.
func (c *ContainerConfig) Validate() error {
	if c.Name != "" {
		if err := CheckContainerName(c.Name); err != nil {
			return err
		}
	}
	switch c.CgroupsMode {
	case "", CgroupsEnabled, CgroupsDisabled, CgroupsSplit, CgroupsNoConmon:
	default:
		return fmt.Errorf("--cgroups %q: use enabled, disabled, split or no-conmon", c.CgroupsMode)
	}
	switch c.SdNotify {
	case "", SdNotifyContainer, SdNotifyConmon, SdNotifyIgnore, SdNotifyHealthy:
	default:
		return fmt.Errorf("--sdnotify %q: use container, conmon, ignore or healthy", c.SdNotify)
	}
	if err := c.Health.validate(); err != nil {
		return err
	}
	if c.LogDriver != "" && !slices.Contains(logDrivers, c.LogDriver) {
		return fmt.Errorf("--log-driver %q: use %s", c.LogDriver, strings.Join(logDrivers, ", "))
	}
	if c.LogDriver == "passthrough" && c.Terminal {
		return fmt.Errorf("--log-driver=passthrough cannot be used with --tty")
	}
	if _, err := c.networkRequest(); err != nil {
		return err
	}
	if c.StopSignal != "" {
		if _, err := spec.ParseSignal(c.StopSignal); err != nil {
			return fmt.Errorf("--stop-signal: %w", err)
		}
	}
	for _, kv := range c.Env {
		if k, _, _ := strings.Cut(kv, "="); k == "" {
			return fmt.Errorf("--env %q: no variable name", kv)
		}
	}
	if _, err := c.specSettings(); err != nil {
		return err
	}
	if _, err := c.rootfsSettings(); err != nil {
		return err
	}
	if _, err := c.secretSettings(); err != nil {
		return err
	}
	_, err := c.userNSSettings()
	return err
}
