package engine

import (
	"time"
)

// PodSummary is a pod as `pod ps` lists it and `pod inspect` shows it: its record and
// its containers as they are now (each observed, see ObservedContainer), oldest first.
type PodSummary struct {
	Pod        *Pod
	Containers []*Container
}

// State is podman's pod state: Created (nothing ran), Running (all run), Degraded
// (some run), Exited (all exited), Stopped (some exited, the others never ran).
func (s *PodSummary) State() string {
	var running, exited int
	for _, c := range s.Containers {
		switch c.State.Status {
		case StatusRunning:
			running++
		case StatusExited:
			exited++
		}
	}
	n := len(s.Containers)
	switch {
	case n == 0:
		return PodStateCreated
	case running == n:
		return PodStateRunning
	case running > 0:
		return PodStateDegraded
	case exited == n:
		return PodStateExited
	case exited > 0:
		return PodStateStopped
	}
	return PodStateCreated
}

// ObservedPod returns a pod with its containers as they are now.
func (r *Runtime) ObservedPod(ref string) (*PodSummary, error) {
	p, err := r.LookupPod(ref)
	if err != nil {
		return nil, err
	}
	return r.observePod(p)
}

func (r *Runtime) observePod(p *Pod) (*PodSummary, error) {
	members, err := r.podMembers(p.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range members {
		r.observe(c)
	}
	return &PodSummary{Pod: p, Containers: members}, nil
}

// InspectPodData is podman's pod inspect document (the fields berth has).
type InspectPodData struct {
	ID               string                    `json:"Id"`
	Name             string                    `json:"Name"`
	Created          time.Time                 `json:"Created"`
	ExitPolicy       string                    `json:"ExitPolicy"`
	State            string                    `json:"State"`
	Hostname         string                    `json:"Hostname"`
	Labels           map[string]string         `json:"Labels,omitempty"`
	CreateCgroup     bool                      `json:"CreateCgroup"`
	CreateInfra      bool                      `json:"CreateInfra"`
	InfraContainerID string                    `json:"InfraContainerID,omitempty"`
	InfraConfig      *InspectPodInfraConfig    `json:"InfraConfig,omitempty"`
	SharedNamespaces []string                  `json:"SharedNamespaces,omitempty"`
	NumContainers    uint                      `json:"NumContainers"`
	Containers       []InspectPodContainerInfo `json:"Containers,omitempty"`
}

// InspectPodInfraConfig is the infra's part of pod inspect: what the members share.
type InspectPodInfraConfig struct {
	HostNetwork        bool     `json:"HostNetwork"`
	NoManageResolvConf bool     `json:"NoManageResolvConf"`
	DNSServer          []string `json:"DNSServer,omitempty"`
	DNSSearch          []string `json:"DNSSearch,omitempty"`
	DNSOption          []string `json:"DNSOption,omitempty"`
	HostAdd            []string `json:"HostAdd,omitempty"`
	Networks           []string `json:"Networks,omitempty"`
	NetworkMode        string   `json:"NetworkMode,omitempty"`
	PidNS              string   `json:"pid_ns,omitempty"`
	UserNS             string   `json:"userns,omitempty"`
	ShmSize            string   `json:"ShmSize,omitempty"`
}

// InspectPodContainerInfo is one container of pod inspect.
type InspectPodContainerInfo struct {
	ID    string `json:"Id"`
	Name  string `json:"Name"`
	State string `json:"State"`
}

// InspectPod returns podman's inspect document of a pod.
func (r *Runtime) InspectPod(ref string) (*InspectPodData, error) {
	s, err := r.ObservedPod(ref)
	if err != nil {
		return nil, err
	}
	return r.inspectPod(s), nil
}

func (r *Runtime) inspectPod(s *PodSummary) *InspectPodData {
	p := s.Pod
	d := &InspectPodData{
		ID: p.ID, Name: p.Name, Created: p.Created, ExitPolicy: r.exitPolicy(p), State: s.State(),
		Hostname: p.hostname(), Labels: p.Config.Labels, CreateInfra: !p.Config.NoInfra,
		InfraContainerID: p.InfraID, NumContainers: uint(len(s.Containers)),
	}
	if share, err := parseShare(p.Config.Share); err == nil && !p.Config.NoInfra {
		d.SharedNamespaces = share
		if p.sharesUserNS() {
			d.SharedNamespaces = append(d.SharedNamespaces, "user")
		}
	}
	if !p.Config.NoInfra {
		i := p.Config.Infra
		ic := &InspectPodInfraConfig{
			HostNetwork: i.Network == NetworkHost, DNSSearch: i.DNSSearch, DNSOption: i.DNSOptions,
			HostAdd: i.AddHosts, NetworkMode: i.Network, UserNS: i.UserNS, ShmSize: i.ShmSize,
		}
		for _, d := range i.DNS {
			if d == "none" {
				ic.NoManageResolvConf = true
			} else {
				ic.DNSServer = append(ic.DNSServer, d)
			}
		}
		if p.shares(sharePID) {
			ic.PidNS = "pod"
		}
		d.InfraConfig = ic
	}
	for _, c := range s.Containers {
		d.Containers = append(d.Containers, InspectPodContainerInfo{ID: c.ID, Name: c.Name, State: c.State.Status})
	}
	return d
}

// podName is the name of the pod with this ID; "" for none, or a pod that is gone.
func (r *Runtime) podName(id string) string {
	if id == "" {
		return ""
	}
	p, err := r.LookupPod(id)
	if err != nil {
		return ""
	}
	return p.Name
}
