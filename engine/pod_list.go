package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// PodListOptions are podman pod ps's selection flags.
type PodListOptions struct {
	// Filters are key=value: id (a regular expression or an ID prefix), name (a
	// regular expression), label (key or key=value; every label filter must match),
	// status (created, running, degraded, stopped, exited), ctr-names, ctr-ids (a
	// prefix), ctr-status (a container state) and ctr-number (how many containers,
	// the infra included). Values of the same key are alternatives; different keys
	// must all match.
	Filters []string
}

// PodList returns the pods o selects, with their containers as they are now, newest
// first.
func (r *Runtime) PodList(o PodListOptions) ([]*PodSummary, error) {
	match, err := podFilter(o.Filters)
	if err != nil {
		return nil, err
	}
	pods, err := r.ListPods()
	if err != nil {
		return nil, err
	}
	ctrs, err := r.ListContainers()
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ctrs, func(a, b *Container) int { return a.Created.Compare(b.Created) })
	byPod := map[string][]*Container{}
	for _, c := range ctrs {
		if c.Config.Pod != "" {
			r.observe(c)
			byPod[c.Config.Pod] = append(byPod[c.Config.Pod], c)
		}
	}
	var out []*PodSummary
	for _, p := range pods {
		if s := (&PodSummary{Pod: p, Containers: byPod[p.ID]}); match(s) {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b *PodSummary) int { return b.Pod.Created.Compare(a.Pod.Created) })
	return out, nil
}

// podStates are the values of a status= filter.
var podStates = []string{"created", "running", "degraded", "stopped", "exited"}

// podFilter compiles pod ps filters.
func podFilter(filters []string) (func(*PodSummary) bool, error) {
	byKey := map[string][]string{}
	var keys []string
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid filter %q: use key=value", f)
		}
		if _, seen := byKey[k]; !seen {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], v)
	}
	var tests []func(*PodSummary) bool
	for _, k := range keys {
		t, err := podFilterTest(k, byKey[k])
		if err != nil {
			return nil, err
		}
		tests = append(tests, t)
	}
	return func(s *PodSummary) bool {
		for _, t := range tests {
			if !t(s) {
				return false
			}
		}
		return true
	}, nil
}

// anyOf is true when one of the values matches.
func anyOf(vals []string, match func(string) bool) bool {
	return slices.ContainsFunc(vals, match)
}

func podFilterTest(k string, vals []string) (func(*PodSummary) bool, error) {
	switch k {
	case "id", "name":
		res := make([]*regexp.Regexp, len(vals))
		for i, v := range vals {
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %s=%s: %w", k, v, err)
			}
			res[i] = re
		}
		return func(s *PodSummary) bool {
			f := s.Pod.Name
			if k == "id" {
				f = s.Pod.ID
			}
			for i, re := range res {
				if re.MatchString(f) || k == "id" && strings.HasPrefix(f, vals[i]) {
					return true
				}
			}
			return false
		}, nil
	case "label":
		return func(s *PodSummary) bool {
			for _, v := range vals {
				key, want, hasValue := strings.Cut(v, "=")
				got, ok := s.Pod.Config.Labels[key]
				if !ok || hasValue && got != want {
					return false
				}
			}
			return true
		}, nil
	case "status":
		for _, v := range vals {
			if !slices.Contains(podStates, strings.ToLower(v)) {
				return nil, fmt.Errorf("invalid filter status=%s: use one of %s", v, strings.Join(podStates, ", "))
			}
		}
		return func(s *PodSummary) bool {
			return anyOf(vals, func(v string) bool { return strings.EqualFold(v, s.State()) })
		}, nil
	case "ctr-names", "ctr-ids", "ctr-status":
		return func(s *PodSummary) bool {
			return slices.ContainsFunc(s.Containers, func(c *Container) bool {
				return anyOf(vals, func(v string) bool {
					switch k {
					case "ctr-names":
						return c.Name == v
					case "ctr-ids":
						return strings.HasPrefix(c.ID, v)
					}
					return c.State.Status == v
				})
			})
		}, nil
	case "ctr-number":
		var ns []int
		for _, v := range vals {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("invalid filter ctr-number=%s: not a number", v)
			}
			ns = append(ns, n)
		}
		return func(s *PodSummary) bool { return slices.Contains(ns, len(s.Containers)) }, nil
	}
	return nil, fmt.Errorf("invalid filter %q: berth knows id, name, label, status, ctr-names, ctr-ids, ctr-status and ctr-number",
		k+"="+vals[0])
}
