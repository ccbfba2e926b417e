package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/berth-containers/berth/engine/lock"
	"github.com/berth-containers/berth/engine/state"
)

// PodOptions are podman pod create's.
type PodOptions struct {
	PodConfig
	// Replace removes a pod that has the name first (--replace).
	Replace bool
}

// CreatePod creates a pod: its record (which reserves its name) and its infra
// container, not started. A name in use fails with ErrNameInUse unless Replace (and
// the name is a pod's); when anything fails, nothing of the pod stays.
func (r *Runtime) CreatePod(ctx context.Context, o PodOptions) (*Pod, error) {
	if err := r.checkPodConfig(&o.PodConfig); err != nil {
		return nil, err
	}
	id, err := newContainerID()
	if err != nil {
		return nil, err
	}
	p := &Pod{ID: id, Name: o.Name, Created: time.Now().UTC(), Config: o.PodConfig}
	coll, err := r.pods()
	if err != nil {
		return nil, err
	}
	h, err := r.lockPodID(ctx, coll, id, lock.Exclusive)
	if err != nil {
		return nil, err
	}
	defer h.release()
	if err := r.addPodRecord(ctx, coll, p, o); err != nil {
		return nil, err
	}
	h.p = p
	undo := func(err error) (*Pod, error) {
		if rerr := r.removePodLocked(context.WithoutCancel(ctx), h, RemovePodOptions{Force: true}); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, err
	}
	if !p.Config.NoInfra {
		io, err := r.infraOptions(p)
		if err != nil {
			return undo(err)
		}
		infra, err := r.CreateContainer(ctx, io)
		if err != nil {
			return undo(fmt.Errorf("creating the infra container of pod %s: %w", p.Name, err))
		}
		p.InfraID = infra.ID
		if err := coll.Update(p.ID, func(stored *Pod) error { stored.InfraID = infra.ID; return nil }); err != nil {
			return undo(err)
		}
	}
	if f := p.Config.PodIDFile; f != "" {
		if err := writeFileAtomic(f, []byte(p.ID), 0o644); err != nil {
			return undo(fmt.Errorf("writing --pod-id-file %s: %w", f, err))
		}
	}
	return p, nil
}

// checkPodConfig checks the settings that need no storage, so that a bad value fails
// before anything is created.
func (r *Runtime) checkPodConfig(c *PodConfig) error {
	if c.Name != "" {
		if err := CheckContainerName(c.Name); err != nil {
			return fmt.Errorf("pod name: %w", err)
		}
	}
	if c.InfraName != "" {
		if err := CheckContainerName(c.InfraName); err != nil {
			return fmt.Errorf("--infra-name: %w", err)
		}
	}
	switch c.ExitPolicy {
	case "", PodExitContinue, PodExitStop:
	default:
		return fmt.Errorf("--exit-policy %q: use continue or stop", c.ExitPolicy)
	}
	share, err := parseShare(c.Share)
	if err != nil {
		return err
	}
	if c.NoInfra {
		if err := checkNoInfra(c, share); err != nil {
			return err
		}
	}
	if len(c.Volumes) > 0 {
		vols := ContainerConfig{Volumes: c.Volumes}
		if _, err := vols.specSettings(); err != nil {
			return err
		}
	}
	if c.Infra.Pod != "" || c.Infra.PodInfra || c.Infra.Rootfs != "" || len(c.Infra.Command) > 0 {
		return fmt.Errorf("the infra container's pod, root file system and command are the engine's to set")
	}
	return c.Infra.Validate()
}

// checkNoInfra refuses with --infra=false what only an infra container can do.
func checkNoInfra(c *PodConfig, share []string) error {
	var what []string
	if len(share) > 0 && c.Share != "" {
		what = append(what, "--share")
	}
	i := c.Infra
	for _, f := range []struct {
		flag string
		set  bool
	}{
		{"--infra-name", c.InfraName != ""}, {"--infra-conmon-pidfile", c.InfraConmonPidFile != ""},
		{"--network", i.Network != "" || len(i.Networks) > 0}, {"--publish", len(i.Publish) > 0 || i.PublishAll},
		{"--ip, --ip6, --mac-address, --network-alias", i.IP != "" || i.IP6 != "" || i.MACAddress != "" || len(i.NetworkAliases) > 0},
		{"--add-host", len(i.AddHosts) > 0},
		{"--dns", len(i.DNS)+len(i.DNSSearch)+len(i.DNSOptions) > 0}, {"--shm-size", i.ShmSize != ""},
		{"--userns", i.UserNS != "" || len(i.UIDMap)+len(i.GIDMap) > 0 || i.SubUIDName != "" || i.SubGIDName != ""},
		{"--hostname", c.Hostname != ""},
	} {
		if f.set {
			what = append(what, f.flag)
		}
	}
	if len(what) > 0 {
		return fmt.Errorf("%s cannot be used with --infra=false: a pod shares them through its infra container",
			strings.Join(what, ", "))
	}
	return nil
}

// addPodRecord stores the new pod's record, which reserves its name: a generated one
// is drawn again when taken; with Replace, the pod that has the name goes first.
func (r *Runtime) addPodRecord(ctx context.Context, coll *state.Collection[*Pod], p *Pod, o PodOptions) error {
	for try := 0; ; try++ {
		if o.Name == "" {
			p.Name = randomName()
		}
		err := coll.Add(p)
		if !errors.Is(err, state.ErrNameInUse) {
			return err
		}
		if try >= maxNameTries {
			return fmt.Errorf("creating pod: %w", err)
		}
		if o.Name == "" {
			continue
		}
		owner, ownerErr := coll.Get(o.Name)
		if ownerErr != nil {
			// Not a pod: a container has the name.
			return fmt.Errorf("the name %q is already in use by a container; pods and containers cannot share names: %w",
				o.Name, ErrNameInUse)
		}
		if !o.Replace {
			return fmt.Errorf("the pod name %q is already in use by pod %s; remove that pod or use --replace: %w",
				o.Name, shortID(owner.ID), ErrNameInUse)
		}
		if err := r.RemovePod(ctx, owner.ID, RemovePodOptions{Force: true, Ignore: true}); err != nil {
			return fmt.Errorf("replacing pod %q: %w", o.Name, err)
		}
	}
}

// removePodIDFile removes --pod-id-file if it still names the pod.
func removePodIDFile(p *Pod) {
	f := p.Config.PodIDFile
	if f == "" {
		return
	}
	if data, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(data)) == p.ID {
		_ = os.Remove(f)
	}
}
