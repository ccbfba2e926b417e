package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/berth-containers/berth/engine/lock"
)

// Pod operations act on the pod's containers, each under its own lock, while they
// hold the pod's lock exclusively: one pod operation at a time, and no container joins
// meanwhile. Lock order: pod, then a member, then the infra; never the other way.

// StartPod starts the pod's infra container, then its other containers, oldest first.
// Those that run already are left as they are; the errors of those that fail are
// joined, each naming its container.
func (r *Runtime) StartPod(ctx context.Context, ref string) (*Pod, error) {
	h, err := r.lockPod(ctx, ref, lock.Exclusive)
	if err != nil {
		return nil, err
	}
	defer h.release()
	return h.p, r.startPodLocked(ctx, h.p)
}

func (r *Runtime) startPodLocked(ctx context.Context, p *Pod) error {
	if _, err := r.startInfra(ctx, p); err != nil {
		return err
	}
	members, err := r.podMembers(p.ID)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range members {
		if m.Config.PodInfra {
			continue
		}
		if _, err := r.StartContainer(ctx, m.ID, StartOptions{}); err != nil && !errors.Is(err, ErrNoSuchContainer) {
			errs = append(errs, fmt.Errorf("pod %s: starting container %s: %w", p.Name, m.Name, err))
		}
	}
	return errors.Join(errs...)
}

// PodStopOptions are podman pod stop's.
type PodStopOptions struct {
	// Timeout is each container's stop timeout (--time); nil means the container's.
	Timeout *uint
}

// StopPod stops the pod's containers (at once, each with its stop signal and
// timeout), then its infra. --rm containers are removed, as by StopContainer.
func (r *Runtime) StopPod(ctx context.Context, ref string, o PodStopOptions) (*Pod, error) {
	h, err := r.lockPod(ctx, ref, lock.Exclusive)
	if err != nil {
		return nil, err
	}
	defer h.release()
	return h.p, r.stopPodLocked(ctx, h.p, o.Timeout)
}

func (r *Runtime) stopPodLocked(ctx context.Context, p *Pod, timeout *uint) error {
	members, err := r.podMembers(p.ID)
	if err != nil {
		return err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, m := range members {
		if m.Config.PodInfra {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.StopContainer(ctx, m.ID, StopOptions{Timeout: timeout})
			if err != nil && !errors.Is(err, ErrNoSuchContainer) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("pod %s: stopping container %s: %w", p.Name, m.Name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...) // the infra keeps the namespaces of those still running
	}
	for _, m := range members {
		if m.Config.PodInfra {
			if err := r.StopContainer(ctx, m.ID, StopOptions{Timeout: timeout}); err != nil && !errors.Is(err, ErrNoSuchContainer) {
				return fmt.Errorf("pod %s: stopping its infra container: %w", p.Name, err)
			}
		}
	}
	return r.unmountPodShm(p)
}

// RestartPod stops the pod (as StopPod) and starts it again.
func (r *Runtime) RestartPod(ctx context.Context, ref string, o PodStopOptions) (*Pod, error) {
	h, err := r.lockPod(ctx, ref, lock.Exclusive)
	if err != nil {
		return nil, err
	}
	defer h.release()
	if err := r.stopPodLocked(ctx, h.p, o.Timeout); err != nil {
		return nil, err
	}
	return h.p, r.startPodLocked(ctx, h.p)
}

// KillPod sends a signal (SIGKILL when 0) to every running container of the pod, its
// infra last. A pod with none running is ErrInvalidState.
func (r *Runtime) KillPod(ctx context.Context, ref string, sig syscall.Signal) (*Pod, error) {
	h, err := r.lockPod(ctx, ref, lock.Exclusive)
	if err != nil {
		return nil, err
	}
	defer h.release()
	p := h.p
	members, err := r.podMembers(p.ID)
	if err != nil {
		return nil, err
	}
	// Members first: the infra holds the namespaces they run in.
	var infra, others []*Container
	for _, m := range members {
		if m.Config.PodInfra {
			infra = append(infra, m)
		} else {
			others = append(others, m)
		}
	}
	killed := 0
	var errs []error
	for _, m := range append(others, infra...) {
		err := r.KillContainer(ctx, m.ID, sig)
		switch {
		case err == nil:
			killed++
		case errors.Is(err, ErrInvalidState), errors.Is(err, ErrNoSuchContainer):
		default:
			errs = append(errs, fmt.Errorf("pod %s: %w", p.Name, err))
		}
	}
	if killed == 0 && len(errs) == 0 {
		return nil, fmt.Errorf("pod %s has no running containers to signal: %w", p.Name, ErrInvalidState)
	}
	return p, errors.Join(errs...)
}

// RemovePodOptions are podman pod rm's.
type RemovePodOptions struct {
	// Force stops running containers first; without it, a pod with a running
	// container (other than its infra) is refused with ErrInvalidState.
	Force bool
	// Ignore makes a missing pod no error.
	Ignore bool
	// Timeout is the stop timeout for Force (--time); nil means each container's.
	Timeout *uint
}

// RemovePod removes a pod: its containers (their anonymous volumes too, as rm -v),
// its infra container and its record. A missing pod is ErrNoSuchPod, or nothing
// with Ignore. Each step tolerates what an interrupted earlier removal did, so that
// removing again after a kill -9 completes.
func (r *Runtime) RemovePod(ctx context.Context, ref string, o RemovePodOptions) error {
	h, err := r.lockPod(ctx, ref, lock.Exclusive)
	if err != nil {
		if o.Ignore && errors.Is(err, ErrNoSuchPod) {
			return nil
		}
		return err
	}
	defer h.release()
	return r.removePodLocked(ctx, h, o)
}

func (r *Runtime) removePodLocked(ctx context.Context, h *heldPod, o RemovePodOptions) error {
	p := h.p
	members, err := r.podMembers(p.ID)
	if err != nil {
		return err
	}
	if !o.Force {
		for _, m := range members {
			if r.observe(m); m.Running() && !m.Config.PodInfra {
				return fmt.Errorf("pod %s has running containers (%s); stop them or use --force: %w",
					p.Name, m.Name, ErrInvalidState)
			}
		}
	}
	var infra []*Container
	for _, m := range members {
		if m.Config.PodInfra {
			infra = append(infra, m)
			continue
		}
		// Force also for a container that started since the check above.
		err := r.RemoveContainer(ctx, m.ID, RemoveContainerOptions{Force: true, Ignore: true, Volumes: true, Timeout: o.Timeout})
		if err != nil {
			return fmt.Errorf("removing pod %s: %w", p.Name, err)
		}
	}
	for _, m := range infra {
		if err := r.removeInfra(ctx, m.ID, o.Timeout); err != nil {
			return fmt.Errorf("removing pod %s: %w", p.Name, err)
		}
	}
	if err := r.unmountPodShm(p); err != nil {
		return err
	}
	if err := h.coll.Remove(p.ID); err != nil {
		return fmt.Errorf("removing pod %s: %w", p.Name, err)
	}
	h.p = nil // release removes the lock file too
	removePodIDFile(p)
	return nil
}

// removeInfra stops and removes an infra container, which RemoveContainer refuses
// while its pod exists.
func (r *Runtime) removeInfra(ctx context.Context, id string, timeout *uint) error {
	h, err := r.lockContainer(ctx, id)
	if errors.Is(err, ErrNoSuchContainer) {
		return nil
	}
	if err != nil {
		return err
	}
	defer h.release()
	if err := r.syncLocked(ctx, h); err != nil {
		return err
	}
	if h.c.Running() {
		if err := r.stopLocked(ctx, h, timeout); err != nil {
			return err
		}
	}
	return r.removeLocked(ctx, h)
}

// checkInfraRemoval refuses to remove a pod's infra container on its own, as podman
// does: the pod's containers need its namespaces. Once the pod is gone (an
// interrupted pod rm), it may go.
func (r *Runtime) checkInfraRemoval(c *Container) error {
	if !c.Config.PodInfra {
		return nil
	}
	p, err := r.LookupPod(c.Config.Pod)
	if errors.Is(err, ErrNoSuchPod) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("container %s is the infra container of pod %s and cannot be removed without removing the pod: %w",
		shortID(c.ID), p.Name, ErrInvalidState)
}

// PodMemberExited applies the pod's exit policy after one of its containers exited
// or was removed (berth's `container cleanup --pod`, which conmon runs): with "stop",
// the infra stops once no other container of the pod is running or waiting to run.
// A pod that is gone is no error.
func (r *Runtime) PodMemberExited(ctx context.Context, podID string) error {
	h, err := r.lockPod(ctx, podID, lock.Exclusive)
	if errors.Is(err, ErrNoSuchPod) {
		return nil
	}
	if err != nil {
		return err
	}
	defer h.release()
	p := h.p
	if r.exitPolicy(p) != PodExitStop || p.InfraID == "" {
		return nil
	}
	members, err := r.podMembers(p.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.Config.PodInfra {
			continue
		}
		alive, err := r.memberAlive(ctx, m.ID)
		if err != nil || alive {
			return err
		}
	}
	r.log.Debug("the last container of the pod exited: stopping its infra (exit policy stop)", "pod", p.Name)
	err = r.StopContainer(ctx, p.InfraID, StopOptions{})
	if err != nil && !errors.Is(err, ErrNoSuchContainer) {
		return err
	}
	return r.unmountPodShm(p)
}

// memberAlive tells whether a member runs or has yet to run (its state brought up to
// date under its lock).
func (r *Runtime) memberAlive(ctx context.Context, id string) (bool, error) {
	h, err := r.lockContainer(ctx, id)
	if errors.Is(err, ErrNoSuchContainer) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer h.release()
	if err := r.syncLocked(ctx, h); err != nil {
		return false, err
	}
	return h.c.State.Status != StatusExited, nil
}
