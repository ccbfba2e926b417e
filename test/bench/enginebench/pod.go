package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The pod of the pod measurement, named as Quadlet names a .pod's pod and infra
// container, and its two members, named as Quadlet's systemd-%N.
const podName = "enginebench-pod"

var podMembers = []string{"systemd-enginebench-a", "systemd-enginebench-b"}

// podCreateArgs is the pod unit's ExecStartPre, as the generator writes it for a .pod
// file with PodName= (see `quadlet -dryrun`).
func (b *bencher) podCreateArgs() []string {
	return []string{"pod", "create", "--infra-conmon-pidfile=" + filepath.Join(b.work, "pod.pid"),
		"--replace", "--exit-policy", "stop", "--infra-name", podName + "-infra", "--name", podName}
}

// memberArgs is a member unit's ExecStart for a .container file with Pod=, but for
// --cgroups=split (podman 4.3 refuses it outside a systemd unit's cgroup: "could not
// find cgroup mount in /proc/self/cgroup"; the READY measurement omits it too), with
// the limits on the member.
func (b *bencher) memberArgs(name string) []string {
	return b.bridgeArgs("--name", name, "--replace", "--rm", "--sdnotify=conmon", "-d", "--pod", podName,
		b.opts.image, "sleep", "1000")
}

// measurePod measures a pod of two members to READY. Without warm-ups, one unmeasured
// run first: podman 4.3 builds its infra image (localhost/podman-pause, from
// catatonit) on its first pod.
func (b *bencher) measurePod() {
	if b.opts.warmups == 0 {
		for _, e := range b.engines {
			if err := b.podOnce(e, 0, false); err != nil {
				b.fail(e, mPodReady, err)
			}
		}
	}
	b.alternate(mPodReady, b.podOnce)
	for _, e := range b.engines {
		b.infra = append(b.infra, e.name+": "+infraImage(e, b.opts.timeout))
	}
}

// member is what one member's start gave.
type member struct {
	run  sample
	n    notification
	comm string // what MAINPID names
	err  error
}

// podOnce starts the pod as systemd would start the units: pod create, pod start,
// then both members at once (their units depend on the pod's alone), each with its
// own NOTIFY_SOCKET. It measures from pod create's start to the last READY=1, then
// removes the pod (measured as pod rm -f), even on failure.
func (b *bencher) podOnce(e *engine, i int, measured bool) (err error) {
	var create, start, rm sample
	var rmErr error
	defer func() {
		rm, rmErr = b.do(e, mPodRm, nil, "pod", "rm", "-f", "-t", "0", podName)
		settle()
		b.waitBridgeGone(e, "pod rm")
		if err == nil {
			err = rmErr
		}
		if err == nil && measured {
			b.record(e, mPodRm, rm)
		}
	}()
	if create, err = b.do(e, mPodCreate, nil, b.podCreateArgs()...); err != nil {
		return podHint(e, err)
	}
	if start, err = b.do(e, mPodStart, nil, "pod", "start", podName); err != nil {
		return podHint(e, err)
	}
	members := make([]member, len(podMembers))
	var wg sync.WaitGroup
	for j, name := range podMembers {
		wg.Go(func() { members[j] = b.startMember(e, name, j) })
	}
	wg.Wait()
	last := start.start
	for _, m := range members {
		if m.err != nil {
			return m.err
		}
		if m.comm != "conmon" {
			b.noteOnce(fmt.Sprintf("%s, pod member: MAINPID=%d names %s, not conmon", e.name, m.n.mainPID, m.comm))
		}
		if m.n.at.After(last) {
			last = m.n.at
		}
	}
	if !measured {
		return nil
	}
	b.record(e, mPodCreate, create)
	b.record(e, mPodStart, start)
	for _, m := range members {
		b.record(e, mPodRun, m.run)
	}
	b.record(e, mPodReady, sample{start: create.start, wall: last.Sub(create.start)})
	return nil
}

// startMember runs one member with its own notify socket and waits for its READY=1,
// and reads what MAINPID names (its conmon, as for a single container).
func (b *bencher) startMember(e *engine, name string, j int) member {
	sock := filepath.Join(b.work, fmt.Sprintf("notify-%s-pod-%d.sock", e.name, j))
	conn, ch, err := listenNotify(sock)
	if err != nil {
		return member{err: err}
	}
	defer conn.Close()
	s, err := b.do(e, mPodRun, []string{"NOTIFY_SOCKET=" + sock}, b.memberArgs(name)...)
	if err != nil {
		return member{err: err}
	}
	var n notification
	select {
	case n = <-ch:
	case <-time.After(10 * time.Second):
		n.err = errors.New("no READY=1 within 10 s after the command exited")
	}
	if n.err != nil {
		return member{err: fmt.Errorf("%s %s: %w", e.name, name, n.err)}
	}
	return member{run: s, n: n, comm: readTrim(fmt.Sprintf("/proc/%d/comm", n.mainPID))}
}

// podHint adds what podman's pod needs here to a failed pod command.
func podHint(e *engine, err error) error {
	if e.name != "podman" {
		return err
	}
	return fmt.Errorf("%w (podman 4.3 builds its infra image localhost/podman-pause from catatonit in its --root; its infra container gets the limits from CONTAINERS_CONF's default_ulimits)", err)
}

// infraImage says what the engine's infra containers run: podman's pause image when
// it built one; berth has no image for it.
func infraImage(e *engine, timeout time.Duration) string {
	out, err := e.quiet(timeout, "images", "--format", "{{.Repository}}:{{.Tag}}")
	if err != nil {
		return "? (" + err.Error() + ")"
	}
	for line := range strings.Lines(out) {
		if strings.Contains(line, "pause") {
			return strings.TrimSpace(line) + " (an image built in its temporary --root)"
		}
	}
	return "no infra image in its store"
}
