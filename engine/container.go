package engine

import (
	"time"

	"github.com/berth-containers/berth/engine/state"
)

// Container statuses, as podman names them.
const (
	// StatusConfigured: the record exists but its creation has not finished (a
	// create under way, or one that was killed half-way; rm removes it).
	StatusConfigured = "configured"
	// StatusCreated: storage and bundle are ready; the process has not run yet.
	StatusCreated = "created"
	// StatusRunning: conmon and the container's process run.
	StatusRunning = "running"
	// StatusExited: the process ended (on its own, or stopped or killed); ExitCode
	// is its status.
	StatusExited = "exited"
)

// Container is a container's record in berth's state store. Its ID is also the ID of
// its storage container (the root file system) and of the container in the OCI
// runtime.
type Container struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Image     string    `json:"image"`     // the image as the user named it
	ImageID   string    `json:"imageId"`   // the image it was created from
	ImageName string    `json:"imageName"` // the image's name as resolved (first name of the image)
	Created   time.Time `json:"created"`

	// Labels are the image's labels with the user's over them; StopSignal is
	// --stop-signal, else the image's, else SIGTERM.
	Labels     map[string]string `json:"labels,omitempty"`
	StopSignal string            `json:"stopSignal"`

	// Config is what the user asked for, kept to build the spec again (after a
	// reboot, the bundle under the run root is gone) and for inspect.
	Config ContainerConfig `json:"config"`

	// How the container runs, decided at create and kept for every later call, so
	// that the same runtime state and cgroup are used each time.
	Runtime      RuntimeInfo `json:"runtime"`
	CgroupsPath  string      `json:"cgroupsPath,omitempty"`  // the container's cgroup, as the runtime takes it
	ConmonCgroup string      `json:"conmonCgroup,omitempty"` // the cgroupfs path conmon goes in; "" stays
	Bundle       string      `json:"bundle"`                 // folder with config.json, conmon's sockets
	LogPath      string      `json:"logPath,omitempty"`      // the k8s-file log
	Net          NetworkPlan `json:"net,omitzero"`           // its network, resolved at create (container_network.go)
	// Healthcheck is the check its --health-* flags and image's HEALTHCHECK make
	// (health_config.go); nil when it has none.
	Healthcheck *Healthcheck `json:"healthcheck,omitempty"`

	State ContainerState `json:"state"`
}

// RuntimeInfo is the OCI runtime a container uses.
type RuntimeInfo struct {
	Name          string `json:"name"`
	Path          string `json:"path"`
	Root          string `json:"root"` // the runtime's state folder (--root)
	SystemdCgroup bool   `json:"systemdCgroup,omitempty"`
	NoCgroups     bool   `json:"noCgroups,omitempty"`
}

// ContainerState is what changes while the container lives.
type ContainerState struct {
	Status     string    `json:"status"`
	Pid        int       `json:"pid,omitempty"`       // the container's init process while it runs
	ConmonPid  int       `json:"conmonPid,omitempty"` // its conmon while it runs
	ExitCode   int       `json:"exitCode"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// OCICreated says the runtime knows the container (conmon created it and no
	// cleanup has deleted it since), so that cleanup knows what to undo.
	OCICreated bool `json:"ociCreated,omitempty"`
	// Mounted says the root file system was mounted for it and not unmounted since.
	Mounted bool `json:"mounted,omitempty"`
	// Net is the network namespace berth made for it and what its networks gave it,
	// until a cleanup tears them down.
	Net NetworkState `json:"net,omitzero"`
	// Health is what its healthchecks found since it started (health_state.go).
	Health *HealthState `json:"health,omitempty"`
}

// ObjectID and ObjectName make Container a state.Record.
func (c *Container) ObjectID() string   { return c.ID }
func (c *Container) ObjectName() string { return c.Name }

// Running reports whether the record says the process runs.
func (c *Container) Running() bool { return c.State.Status == StatusRunning }

// containerSpec describes the container collection; a new record layout gets a new
// version and a Migrate.
var containerSpec = state.Spec{
	Kind:      state.KindContainer,
	Namespace: state.NamespaceContainers,
	Version:   1,
}
