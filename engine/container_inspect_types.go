package engine

import (
	"time"

	"go.podman.io/common/libimage"
	"go.podman.io/image/v5/manifest"
)

// The types of podman's container inspect document; container_inspect.go fills them.

// InspectContainerData is podman's container inspect document, with the fields berth
// knows (the others keep podman's names and zero values, so that templates written
// for podman still run).
type InspectContainerData struct {
	ID              string                      `json:"Id"`
	Created         time.Time                   `json:"Created"`
	Path            string                      `json:"Path"`
	Args            []string                    `json:"Args"`
	State           *InspectContainerState      `json:"State"`
	Image           string                      `json:"Image"`
	ImageDigest     string                      `json:"ImageDigest"`
	ImageName       string                      `json:"ImageName"`
	Rootfs          string                      `json:"Rootfs"`
	Pod             string                      `json:"Pod"`
	ResolvConfPath  string                      `json:"ResolvConfPath"`
	HostnamePath    string                      `json:"HostnamePath"`
	HostsPath       string                      `json:"HostsPath"`
	StaticDir       string                      `json:"StaticDir"`
	OCIConfigPath   string                      `json:"OCIConfigPath,omitempty"`
	OCIRuntime      string                      `json:"OCIRuntime,omitempty"`
	ConmonPidFile   string                      `json:"ConmonPidFile"`
	PidFile         string                      `json:"PidFile"`
	Name            string                      `json:"Name"`
	RestartCount    int32                       `json:"RestartCount"`
	Driver          string                      `json:"Driver"`
	MountLabel      string                      `json:"MountLabel"`
	ProcessLabel    string                      `json:"ProcessLabel"`
	AppArmorProfile string                      `json:"AppArmorProfile"`
	EffectiveCaps   []string                    `json:"EffectiveCaps"`
	BoundingCaps    []string                    `json:"BoundingCaps"`
	ExecIDs         []string                    `json:"ExecIDs"`
	GraphDriver     *libimage.DriverData        `json:"GraphDriver"`
	SizeRw          *int64                      `json:"SizeRw,omitempty"`
	SizeRootFs      int64                       `json:"SizeRootFs,omitempty"`
	Mounts          []InspectMount              `json:"Mounts"`
	Dependencies    []string                    `json:"Dependencies"`
	NetworkSettings *InspectNetworkSettings     `json:"NetworkSettings"`
	Namespace       string                      `json:"Namespace"`
	IsInfra         bool                        `json:"IsInfra"`
	IsService       bool                        `json:"IsService"`
	Config          *InspectContainerConfig     `json:"Config"`
	HostConfig      *InspectContainerHostConfig `json:"HostConfig"`
}

// InspectContainerState is the State of an inspect document.
type InspectContainerState struct {
	OciVersion string         `json:"OciVersion"`
	Status     string         `json:"Status"`
	Running    bool           `json:"Running"`
	Paused     bool           `json:"Paused"`
	Restarting bool           `json:"Restarting"`
	OOMKilled  bool           `json:"OOMKilled"`
	Dead       bool           `json:"Dead"`
	Pid        int            `json:"Pid"`
	ConmonPid  int            `json:"ConmonPid,omitempty"`
	ExitCode   int            `json:"ExitCode"`
	Error      string         `json:"Error"`
	StartedAt  time.Time      `json:"StartedAt"`
	FinishedAt time.Time      `json:"FinishedAt"`
	CgroupPath string         `json:"CgroupPath,omitempty"`
	Health     *InspectHealth `json:"Health,omitempty"` // health_inspect.go
}

// InspectContainerConfig is the Config of an inspect document: how the container was
// configured, the image's settings filled in.
type InspectContainerConfig struct {
	Hostname       string              `json:"Hostname"`
	Domainname     string              `json:"Domainname"`
	User           string              `json:"User"`
	AttachStdin    bool                `json:"AttachStdin"`
	AttachStdout   bool                `json:"AttachStdout"`
	AttachStderr   bool                `json:"AttachStderr"`
	Tty            bool                `json:"Tty"`
	OpenStdin      bool                `json:"OpenStdin"`
	StdinOnce      bool                `json:"StdinOnce"`
	Env            []string            `json:"Env"`
	Cmd            []string            `json:"Cmd"`
	Image          string              `json:"Image"`
	Volumes        map[string]struct{} `json:"Volumes"`
	WorkingDir     string              `json:"WorkingDir"`
	Entrypoint     []string            `json:"Entrypoint"`
	OnBuild        *string             `json:"OnBuild"`
	Labels         map[string]string   `json:"Labels"`
	Annotations    map[string]string   `json:"Annotations"`
	StopSignal     string              `json:"StopSignal"`
	Umask          string              `json:"Umask,omitempty"`
	Timezone       string              `json:"Timezone,omitempty"`
	Timeout        uint                `json:"Timeout"`
	StopTimeout    uint                `json:"StopTimeout"`
	SdNotifyMode   string              `json:"sdNotifyMode,omitempty"`
	SdNotifySocket string              `json:"sdNotifySocket,omitempty"`
	// The healthcheck (health_inspect.go).
	Healthcheck                *manifest.Schema2HealthConfig `json:"Healthcheck,omitempty"`
	HealthcheckOnFailureAction string                        `json:"HealthcheckOnFailureAction,omitempty"`
	HealthLogDestination       string                        `json:"HealthLogDestination,omitempty"`
	HealthMaxLogCount          uint                          `json:"HealthMaxLogCount,omitempty"`
	HealthMaxLogSize           uint                          `json:"HealthMaxLogSize,omitempty"`
	StartupHealthCheck         *InspectStartupHealthcheck    `json:"StartupHealthCheck,omitempty"`
}

// InspectContainerHostConfig is the HostConfig of an inspect document.
type InspectContainerHostConfig struct {
	Binds           []string                     `json:"Binds"`
	CgroupManager   string                       `json:"CgroupManager,omitempty"`
	CgroupMode      string                       `json:"CgroupMode"`
	ContainerIDFile string                       `json:"ContainerIDFile"`
	LogConfig       *InspectLogConfig            `json:"LogConfig"`
	NetworkMode     string                       `json:"NetworkMode"`
	PortBindings    map[string][]InspectHostPort `json:"PortBindings"`
	RestartPolicy   *InspectRestartPolicy        `json:"RestartPolicy"`
	AutoRemove      bool                         `json:"AutoRemove"`
	VolumeDriver    string                       `json:"VolumeDriver"`
	VolumesFrom     []string                     `json:"VolumesFrom"`
	CapAdd          []string                     `json:"CapAdd"`
	CapDrop         []string                     `json:"CapDrop"`
	DNS             []string                     `json:"Dns"`
	DNSOptions      []string                     `json:"DnsOptions"`
	DNSSearch       []string                     `json:"DnsSearch"`
	ExtraHosts      []string                     `json:"ExtraHosts"`
	GroupAdd        []string                     `json:"GroupAdd"`
	IpcMode         string                       `json:"IpcMode"`
	Cgroup          string                       `json:"Cgroup"`
	Cgroups         string                       `json:"Cgroups"`
	Links           []string                     `json:"Links"`
	OomScoreAdj     int                          `json:"OomScoreAdj"`
	PidMode         string                       `json:"PidMode"`
	Privileged      bool                         `json:"Privileged"`
	PublishAllPorts bool                         `json:"PublishAllPorts"`
	ReadonlyRootfs  bool                         `json:"ReadonlyRootfs"`
	SecurityOpt     []string                     `json:"SecurityOpt"`
	Tmpfs           map[string]string            `json:"Tmpfs"`
	UTSMode         string                       `json:"UTSMode"`
	UsernsMode      string                       `json:"UsernsMode"`
	ShmSize         int64                        `json:"ShmSize"`
	Runtime         string                       `json:"Runtime"`
	CgroupParent    string                       `json:"CgroupParent"`
	Memory          int64                        `json:"Memory"`
	MemorySwap      int64                        `json:"MemorySwap"`
	PidsLimit       int64                        `json:"PidsLimit"`
	Ulimits         []InspectUlimit              `json:"Ulimits"`
	Devices         []InspectDevice              `json:"Devices"`
	Sysctls         map[string]string            `json:"Sysctls"`
	Init            bool                         `json:"Init"`
}

// InspectDevice is one --device.
type InspectDevice struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// InspectLogConfig is the container's log driver.
type InspectLogConfig struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config"`
	Path   string            `json:"Path"`
	Tag    string            `json:"Tag"`
	Size   string            `json:"Size"`
}

// InspectRestartPolicy is the container's restart policy (berth has only "no").
type InspectRestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount uint   `json:"MaximumRetryCount"`
}

// InspectHostPort is a published port.
type InspectHostPort struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// InspectUlimit is one rlimit of the container's process.
type InspectUlimit struct {
	Name string `json:"Name"`
	Soft uint64 `json:"Soft"`
	Hard uint64 `json:"Hard"`
}

// InspectMount is one of the user's mounts.
type InspectMount struct {
	Type        string   `json:"Type"`
	Name        string   `json:"Name,omitempty"`
	Source      string   `json:"Source"`
	Destination string   `json:"Destination"`
	Driver      string   `json:"Driver"`
	Mode        string   `json:"Mode"`
	Options     []string `json:"Options"`
	RW          bool     `json:"RW"`
	Propagation string   `json:"Propagation"`
}

// InspectNetworkSettings is the container's network: the top-level addresses for a
// container on the default network alone, every network in Networks
// (container_network_inspect.go).
type InspectNetworkSettings struct {
	EndpointID             string                               `json:"EndpointID"`
	Gateway                string                               `json:"Gateway"`
	IPAddress              string                               `json:"IPAddress"`
	IPPrefixLen            int                                  `json:"IPPrefixLen"`
	IPv6Gateway            string                               `json:"IPv6Gateway"`
	GlobalIPv6Address      string                               `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen    int                                  `json:"GlobalIPv6PrefixLen"`
	MacAddress             string                               `json:"MacAddress"`
	Bridge                 string                               `json:"Bridge"`
	SandboxID              string                               `json:"SandboxID"`
	HairpinMode            bool                                 `json:"HairpinMode"`
	LinkLocalIPv6Address   string                               `json:"LinkLocalIPv6Address"`
	LinkLocalIPv6PrefixLen int                                  `json:"LinkLocalIPv6PrefixLen"`
	Ports                  map[string][]InspectHostPort         `json:"Ports"`
	SandboxKey             string                               `json:"SandboxKey"`
	Networks               map[string]*InspectAdditionalNetwork `json:"Networks,omitempty"`
}
