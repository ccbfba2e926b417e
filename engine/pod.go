package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/berth-containers/berth/engine/lock"
	"github.com/berth-containers/berth/engine/state"
)

// A pod is a group of containers that share namespaces, as podman's: an infra
// container (catatonit, pod_infra.go) holds the namespaces (network, IPC, UTS by
// default) from the pod's start to its stop, and every other container of the pod
// joins them when it starts (pod_join.go). The pod's record lists no members: a
// container names its pod (ContainerConfig.Pod), so that adding or removing one never
// writes the pod's record.

// ErrNoSuchPod is returned for a pod reference that matches no pod.
var ErrNoSuchPod = errors.New("no such pod")

// Pod exit policies (--exit-policy), as podman's.
const (
	PodExitContinue = "continue" // the infra keeps running when the last container exits
	PodExitStop     = "stop"     // the infra stops when the last container exits
)

// Pod states, as podman's pod ps shows them.
const (
	PodStateCreated  = "Created"
	PodStateRunning  = "Running"
	PodStateDegraded = "Degraded" // some containers run, others do not
	PodStateStopped  = "Stopped"  // some exited, none runs, some never ran
	PodStateExited   = "Exited"
)

// Pod is a pod's record in berth's state store; pods share the containers'
// namespace of names and IDs.
type Pod struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Config  PodConfig `json:"config"`
	// InfraID is the infra container's ID, set once it is created; empty with
	// --infra=false, and in a pod whose creation was interrupted.
	InfraID string `json:"infraId,omitempty"`
}

// PodConfig is what podman's pod create flags say about a pod.
type PodConfig struct {
	Name   string            `json:"name,omitempty"` // --name; generated when empty
	Labels map[string]string `json:"labels,omitempty"`
	// Hostname is the hostname of the containers that share the pod's UTS namespace;
	// the pod's name when empty.
	Hostname   string `json:"hostname,omitempty"`
	ExitPolicy string `json:"exitPolicy,omitempty"` // continue or stop; containers.conf's (continue) when empty
	// Share lists the namespaces the members join, comma-separated: cgroup, ipc,
	// net, pid, uts; "none" for none, "" for podman's default (ipc,net,uts), and a
	// leading "+" adds to the default.
	Share string `json:"share,omitempty"`
	// NoInfra is --infra=false: no infra container, no shared namespaces.
	NoInfra bool `json:"noInfra,omitempty"`
	// InfraName is the infra container's name; <first 12 of the pod ID>-infra when empty.
	InfraName string `json:"infraName,omitempty"`
	// InfraConmonPidFile gets the infra container's conmon PID each time it starts
	// (a pod's systemd service has it as PIDFile).
	InfraConmonPidFile string `json:"infraConmonPidFile,omitempty"`
	// PodIDFile is --pod-id-file: create writes the pod's ID to it, and it goes with
	// the pod while it names it.
	PodIDFile string `json:"podIdFile,omitempty"`
	// Volumes are -v for every container of the pod (put in front of each member's
	// own).
	Volumes []string `json:"volumes,omitempty"`
	// Infra has the settings of the infra container, which the members share: the
	// network (Network), /etc/hosts and /etc/resolv.conf (AddHosts, DNS, DNSSearch,
	// DNSOptions), /dev/shm (ShmSize) and the user namespace (UserNS, UIDMap, GIDMap,
	// SubUIDName, SubGIDName); also CgroupsMode and ExitCommand. The engine sets its
	// name, root file system, command and hostname.
	Infra ContainerConfig `json:"infra"`
}

// ObjectID and ObjectName make Pod a state.Record.
func (p *Pod) ObjectID() string   { return p.ID }
func (p *Pod) ObjectName() string { return p.Name }

// podSpec describes the pod collection; it shares the containers' namespace, so that
// a pod cannot take a container's name, as in podman.
var podSpec = state.Spec{
	Kind:      state.KindPod,
	Namespace: state.NamespaceContainers,
	Version:   1,
}

// pods is the pod collection of berth's state store.
func (r *Runtime) pods() (*state.Collection[*Pod], error) {
	s, err := r.stateStore()
	if err != nil {
		return nil, err
	}
	return state.Of[*Pod](s, podSpec), nil
}

// stateStore opens berth's state store (a stat: it holds nothing open).
func (r *Runtime) stateStore() (*state.Store, error) {
	return state.Open(filepath.Join(r.StateDir(), "state.db"), 0)
}

// podError turns the state store's lookup errors into the engine's.
func podError(ref string, err error) error {
	switch {
	case errors.Is(err, state.ErrNotFound):
		return fmt.Errorf("no pod with name or ID %q found: %w", ref, ErrNoSuchPod)
	case errors.Is(err, state.ErrNameInUse):
		return kindError{err, ErrNameInUse}
	}
	return err
}

// LookupPod finds a pod by full ID, name, or unique ID prefix.
func (r *Runtime) LookupPod(ref string) (*Pod, error) {
	coll, err := r.pods()
	if err != nil {
		return nil, err
	}
	p, err := coll.Get(ref)
	if err != nil {
		return nil, podError(ref, err)
	}
	return p, nil
}

// PodExists reports whether a pod has this name, ID or ID prefix.
func (r *Runtime) PodExists(ref string) (bool, error) {
	_, err := r.LookupPod(ref)
	if errors.Is(err, ErrNoSuchPod) {
		return false, nil
	}
	return err == nil, err
}

// ListPods returns every pod's record, in ID order.
func (r *Runtime) ListPods() ([]*Pod, error) {
	coll, err := r.pods()
	if err != nil {
		return nil, err
	}
	return coll.List(nil)
}

// podMembers are the containers that name the pod, the infra included, oldest first.
func (r *Runtime) podMembers(podID string) ([]*Container, error) {
	coll, err := r.containers()
	if err != nil {
		return nil, err
	}
	list, err := coll.List(func(c *Container) bool { return c.Config.Pod == podID })
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(list, func(a, b *Container) int { return a.Created.Compare(b.Created) })
	return list, nil
}

// heldPod is a pod whose lock this process holds, with its record as read under it;
// p is nil when the pod was removed meanwhile.
type heldPod struct {
	coll *state.Collection[*Pod]
	lock *lock.Lock
	p    *Pod
}

// lockPod resolves ref and takes the pod's lock in mode m, then reads its record
// again under the lock.
func (r *Runtime) lockPod(ctx context.Context, ref string, m lock.Mode) (*heldPod, error) {
	coll, err := r.pods()
	if err != nil {
		return nil, err
	}
	p, err := coll.Get(ref)
	if err != nil {
		return nil, podError(ref, err)
	}
	h, err := r.lockPodID(ctx, coll, p.ID, m)
	if err != nil {
		return nil, err
	}
	if h.p == nil {
		h.release()
		return nil, podError(ref, state.ErrNotFound)
	}
	return h, nil
}

// lockPodID takes the lock of the pod with this full ID; h.p is nil when no record
// has it (any more).
func (r *Runtime) lockPodID(ctx context.Context, coll *state.Collection[*Pod], id string, m lock.Mode) (*heldPod, error) {
	dir, err := r.locks()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	l, err := dir.Lock(ctx, "pod", id, m)
	if err != nil {
		return nil, fmt.Errorf("locking pod %s: %w", shortID(id), err)
	}
	h := &heldPod{coll: coll, lock: l}
	p, err := coll.Get(id)
	switch {
	case errors.Is(err, state.ErrNotFound):
	case err != nil:
		h.release()
		return nil, err
	case p.ID == id:
		h.p = p
	}
	return h, nil
}

// release unlocks; after an exclusive holder removed the pod, the lock file goes too.
func (h *heldPod) release() {
	if h == nil || h.lock == nil {
		return
	}
	if h.p == nil && h.lock.Mode() == lock.Exclusive {
		_ = h.lock.Remove()
	} else {
		_ = h.lock.Unlock()
	}
	h.lock = nil
}

// Namespaces a pod's members can share (--share).
const (
	shareCgroup = "cgroup"
	shareIPC    = "ipc"
	shareNet    = "net"
	sharePID    = "pid"
	shareUTS    = "uts"
)

// defaultShare is podman's --share default.
var defaultShare = []string{shareIPC, shareNet, shareUTS}

// parseShare reads --share: a comma-separated list, "none", or "+list" added to the
// default; "" is the default.
func parseShare(s string) ([]string, error) {
	if s == "" {
		return slices.Clone(defaultShare), nil
	}
	if s == "none" {
		return nil, nil
	}
	var out []string
	list := s
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		out, list = slices.Clone(defaultShare), rest
	}
	for _, k := range strings.Split(list, ",") {
		switch k {
		case shareCgroup, shareIPC, shareNet, sharePID, shareUTS:
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		case "user":
			return nil, fmt.Errorf("--share %q: the user namespace is shared when the pod has one (--userns); it is not a --share kind", s)
		default:
			return nil, fmt.Errorf("--share %q: unknown namespace %q (use cgroup, ipc, net, pid, uts or none)", s, k)
		}
	}
	slices.Sort(out)
	return out, nil
}

// shares tells whether the pod's members join its infra's namespace of kind k.
func (p *Pod) shares(k string) bool {
	if p.InfraID == "" {
		return false
	}
	list, err := parseShare(p.Config.Share)
	return err == nil && slices.Contains(list, k)
}

// sharesUserNS tells whether the pod has a user namespace of its own, which the
// members then join.
func (p *Pod) sharesUserNS() bool {
	if p.InfraID == "" {
		return false
	}
	ns, err := p.Config.Infra.userNSSettings()
	return err == nil && ns.mode != usernsHost
}

// hostname is the hostname of the members that share the pod's UTS namespace.
func (p *Pod) hostname() string {
	if p.Config.Hostname != "" {
		return p.Config.Hostname
	}
	return p.Name
}

// exitPolicy is the pod's exit policy, containers.conf's when it named none.
func (r *Runtime) exitPolicy(p *Pod) string {
	if p.Config.ExitPolicy != "" {
		return p.Config.ExitPolicy
	}
	if v := string(r.cfg.Engine.PodExitPolicy); v != "" {
		return v
	}
	return PodExitContinue
}
