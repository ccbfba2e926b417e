package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-containers/berth/engine/oci"
)

// ContainerSummary is one container as `ps` lists it: the facts podman's ps shows,
// with its state as it is now (see ObservedContainer). Presentation (truncated IDs,
// "Up 5 minutes") is the caller's.
type ContainerSummary struct {
	ID, Name   string
	Image      string // the image's name as resolved at create
	ImageID    string
	Command    []string // entrypoint and command, as the container runs them
	Created    time.Time
	StartedAt  time.Time // zero when it never ran
	FinishedAt time.Time // zero when it has not exited
	State      string    // created, running, exited, configured
	ExitCode   int
	Pid        int
	Labels     map[string]string
	Mounts     []string // destinations of the user's mounts
	Networks   []string
	Ports      []PortMapping // published ports
	AutoRemove bool
	CIDFile    string
	// Pod and PodName are the container's pod; IsInfra marks the pod's infra.
	Pod, PodName string
	IsInfra      bool
	Health       string // its healthcheck's status (starting, healthy, unhealthy); "" without one
}

// Exited reports whether the container ran and ended.
func (s *ContainerSummary) Exited() bool { return s.State == StatusExited }

// ContainerListOptions are podman ps's selection flags.
type ContainerListOptions struct {
	// All lists every container; otherwise only running ones (a status= filter, Last
	// or Latest also lift that restriction, as in podman).
	All bool
	// Last keeps the n most recently created containers (n > 0).
	Last int
	// Latest keeps only the most recently created container.
	Latest bool
	// Filters are key=value: id, name (both regular expressions, id also a prefix),
	// label (key or key=value; every label filter must match), status, exited (an exit
	// code), ancestor (an image name or ID), before and since (a container). Values of
	// the same key are alternatives; different keys must all match.
	Filters []string
}

// ContainerList returns the containers o selects, newest first.
func (r *Runtime) ContainerList(ctx context.Context, o ContainerListOptions) ([]ContainerSummary, error) {
	match, all, err := r.containerFilter(o.Filters)
	if err != nil {
		return nil, err
	}
	list, err := r.ListContainers()
	if err != nil {
		return nil, err
	}
	sortNewestFirst(list)
	all = all || o.All || o.Last > 0 || o.Latest
	var picked []*Container
	for _, c := range list {
		r.observe(c)
		if (all || c.Running()) && match(c) {
			picked = append(picked, c)
		}
	}
	switch {
	case o.Latest && len(picked) > 1:
		picked = picked[:1]
	case o.Last > 0 && len(picked) > o.Last:
		picked = picked[:o.Last]
	}
	images := imageConfigs{r: r}
	out := make([]ContainerSummary, 0, len(picked))
	for _, c := range picked {
		out = append(out, r.summarize(ctx, c, &images))
	}
	return out, nil
}

func (r *Runtime) summarize(ctx context.Context, c *Container, images *imageConfigs) ContainerSummary {
	s := ContainerSummary{
		ID: c.ID, Name: c.Name, Image: c.ImageName, ImageID: c.ImageID,
		Created: c.Created, StartedAt: c.State.StartedAt, FinishedAt: c.State.FinishedAt,
		State: c.State.Status, ExitCode: c.State.ExitCode, Pid: c.State.Pid,
		Labels: c.Labels, AutoRemove: c.Config.AutoRemove, CIDFile: c.Config.CIDFile,
		Mounts: userMountDestinations(&c.Config), Networks: c.containerNetworks(), Ports: c.PublishedPorts(),
	}
	s.Command = r.processOf(ctx, c, images, false).Command
	s.Pod, s.PodName, s.IsInfra = c.Config.Pod, r.podName(c.Config.Pod), c.Config.PodInfra
	if h := c.State.Health; h != nil && c.Healthcheck != nil {
		s.Health = h.Status
	}
	return s
}

// LatestContainer is the most recently created container (podman's --latest).
func (r *Runtime) LatestContainer() (*Container, error) {
	list, err := r.ListContainers()
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("no containers to act on with --latest: %w", ErrNoSuchContainer)
	}
	sortNewestFirst(list)
	r.observe(list[0])
	return list[0], nil
}

// ObservedContainer looks a container up (as LookupContainer) and brings its state
// up to date without writing it: a container whose process ended reads as exited,
// with the code conmon recorded, even before its cleanup ran. It takes no lock, so
// it never waits behind a stop.
func (r *Runtime) ObservedContainer(ref string) (*Container, error) {
	c, err := r.LookupContainer(ref)
	if err != nil {
		return nil, err
	}
	r.observe(c)
	return c, nil
}

// observe updates c in memory from conmon's exit file and liveness (see
// ObservedContainer).
func (r *Runtime) observe(c *Container) {
	if !c.Running() {
		return
	}
	path := filepath.Join(r.exitDir(), c.ID)
	code, err := oci.ExitCode(r.exitDir(), c.ID)
	if errors.Is(err, os.ErrNotExist) {
		if oci.ConmonAlive(c.State.ConmonPid) {
			return
		}
		// conmon writes the file just before it exits: look once more.
		if code, err = oci.ExitCode(r.exitDir(), c.ID); err != nil {
			code = exitUnknown
		}
	} else if err != nil {
		return
	}
	c.State.Status, c.State.ExitCode = StatusExited, code
	c.State.FinishedAt = time.Now().UTC()
	// The exit file's time, unless before the recorded start (a process that ends
	// at once can end before the start is recorded).
	if fi, err := os.Stat(path); err == nil && fi.ModTime().After(c.State.StartedAt) {
		c.State.FinishedAt = fi.ModTime().UTC()
	} else if err == nil {
		c.State.FinishedAt = c.State.StartedAt
	}
	c.State.Pid, c.State.ConmonPid = 0, 0
}

func sortNewestFirst(list []*Container) {
	slices.SortStableFunc(list, func(a, b *Container) int { return b.Created.Compare(a.Created) })
}

// psStatuses are the values a status= filter takes, as podman's.
var psStatuses = []string{"created", "running", "paused", "stopped", "exited", "unknown", "configured"}

// containerFilter compiles ps filters; all says a status filter asked for containers
// in every state.
func (r *Runtime) containerFilter(filters []string) (match func(*Container) bool, all bool, err error) {
	byKey := map[string][]string{}
	var keys []string
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, false, fmt.Errorf("invalid filter %q: use key=value", f)
		}
		if _, seen := byKey[k]; !seen {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], v)
	}
	var tests []func(*Container) bool
	for _, k := range keys {
		vals := byKey[k]
		var t func(*Container) bool
		switch k {
		case "id":
			t, err = regexpFilter(vals, func(c *Container) string { return c.ID }, true)
		case "name":
			t, err = regexpFilter(vals, func(c *Container) string { return c.Name }, false)
		case "label":
			t = labelFilter(vals)
		case "status":
			for _, v := range vals {
				if !slices.Contains(psStatuses, v) {
					return nil, false, fmt.Errorf("invalid filter status=%s: use one of %s", v, strings.Join(psStatuses, ", "))
				}
			}
			all = true
			t = func(c *Container) bool {
				return slices.Contains(vals, c.State.Status) || c.State.Status == StatusExited && slices.Contains(vals, "stopped")
			}
		case "exited":
			t, err = exitedFilter(vals)
		case "ancestor":
			t = r.ancestorFilter(vals)
		case "before", "since":
			t, err = r.createdFilter(k, vals)
		default:
			return nil, false, fmt.Errorf("invalid filter %q: berth knows id, name, label, status, exited, ancestor, before and since", k+"="+vals[0])
		}
		if err != nil {
			return nil, false, err
		}
		tests = append(tests, t)
	}
	return func(c *Container) bool {
		for _, t := range tests {
			if !t(c) {
				return false
			}
		}
		return true
	}, all, nil
}

// regexpFilter matches a field against regular expressions; with prefix, a plain
// prefix also matches (an ID's first characters).
func regexpFilter(vals []string, field func(*Container) string, prefix bool) (func(*Container) bool, error) {
	var res []*regexp.Regexp
	for _, v := range vals {
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, fmt.Errorf("invalid filter %q: %w", v, err)
		}
		res = append(res, re)
	}
	return func(c *Container) bool {
		f := field(c)
		for i, re := range res {
			if re.MatchString(f) || prefix && strings.HasPrefix(f, vals[i]) {
				return true
			}
		}
		return false
	}, nil
}

// labelFilter needs every label: "key" (any value) or "key=value".
func labelFilter(vals []string) func(*Container) bool {
	return func(c *Container) bool {
		for _, v := range vals {
			k, want, hasValue := strings.Cut(v, "=")
			got, ok := c.Labels[k]
			if !ok || hasValue && got != want {
				return false
			}
		}
		return true
	}
}

func exitedFilter(vals []string) (func(*Container) bool, error) {
	var codes []int
	for _, v := range vals {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("invalid filter exited=%s: not an exit code", v)
		}
		codes = append(codes, n)
	}
	return func(c *Container) bool {
		return c.State.Status == StatusExited && slices.Contains(codes, c.State.ExitCode)
	}, nil
}

// ancestorFilter matches the image as the user named it or as it was resolved, its
// ID or ID prefix, or the image a name resolves to now.
func (r *Runtime) ancestorFilter(vals []string) func(*Container) bool {
	ids := map[string]bool{}
	for _, v := range vals {
		if img, err := r.LookupImage(v); err == nil {
			ids[img.ID()] = true
		}
	}
	return func(c *Container) bool {
		if ids[c.ImageID] {
			return true
		}
		for _, v := range vals {
			if v == c.Image || v == c.ImageName || strings.HasPrefix(c.ImageID, strings.TrimPrefix(v, "sha256:")) {
				return true
			}
		}
		return false
	}
}

// createdFilter keeps containers created before (or since) a given container.
func (r *Runtime) createdFilter(key string, vals []string) (func(*Container) bool, error) {
	var marks []time.Time
	for _, v := range vals {
		ref, err := r.LookupContainer(v)
		if err != nil {
			return nil, fmt.Errorf("filter %s=%s: %w", key, v, err)
		}
		marks = append(marks, ref.Created)
	}
	return func(c *Container) bool {
		for _, m := range marks {
			if key == "before" && c.Created.Before(m) || key == "since" && c.Created.After(m) {
				return true
			}
		}
		return false
	}, nil
}
