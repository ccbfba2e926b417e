package network

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.podman.io/common/libnetwork/types"
)

// Filters reads network ls and prune --filter KEY=VALUE values: name (a regular
// expression), id (a prefix), driver, label (KEY or KEY=VALUE; every one must
// match), label! (none may), until (a time, Unix seconds or a duration ago) and
// dangling (true: no container uses it; inUse tells). Several values of name, id
// and driver are alternatives; different keys must all match.
func Filters(list []string, inUse func(name string) bool) ([]types.FilterFunc, error) {
	byKey := map[string][]string{}
	var keys []string
	for _, f := range list {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("--filter %q: want KEY=VALUE: %w", f, ErrInvalid)
		}
		if _, seen := byKey[k]; !seen {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], v)
	}
	var out []types.FilterFunc
	for _, k := range keys {
		f, err := filter(k, byKey[k], inUse)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func filter(key string, vals []string, inUse func(string) bool) (types.FilterFunc, error) {
	switch key {
	case "name":
		res := make([]*regexp.Regexp, len(vals))
		for i, v := range vals {
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, fmt.Errorf("--filter name=%s: %v: %w", v, err, ErrInvalid)
			}
			res[i] = re
		}
		return func(n types.Network) bool {
			return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(n.Name) })
		}, nil
	case "id":
		return func(n types.Network) bool {
			return slices.ContainsFunc(vals, func(v string) bool { return strings.HasPrefix(n.ID, v) })
		}, nil
	case "driver":
		return func(n types.Network) bool { return slices.Contains(vals, n.Driver) }, nil
	case "label":
		return func(n types.Network) bool {
			return !slices.ContainsFunc(vals, func(v string) bool { return !hasLabel(n, v) })
		}, nil
	case "label!":
		return func(n types.Network) bool {
			return !slices.ContainsFunc(vals, func(v string) bool { return hasLabel(n, v) })
		}, nil
	case "until":
		var limit time.Time
		for _, v := range vals {
			t, err := untilTime(v)
			if err != nil {
				return nil, err
			}
			if t.After(limit) {
				limit = t
			}
		}
		return func(n types.Network) bool { return n.Created.Before(limit) }, nil
	case "dangling":
		if len(vals) != 1 || (vals[0] != "true" && vals[0] != "false") {
			return nil, fmt.Errorf("--filter dangling takes true or false: %w", ErrInvalid)
		}
		want := vals[0] == "true"
		return func(n types.Network) bool { return (inUse == nil || !inUse(n.Name)) == want }, nil
	}
	return nil, fmt.Errorf("--filter %s: unknown filter (use name, id, driver, label, label!, until, dangling): %w", key, ErrInvalid)
}

func hasLabel(n types.Network, want string) bool {
	k, v, hasValue := strings.Cut(want, "=")
	have, ok := n.Labels[k]
	return ok && (!hasValue || have == v)
}

// untilTime reads an until= value: an RFC 3339 time, Unix seconds, or a duration
// before now (10m, 24h).
func untilTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(s, 0), nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--filter until=%s: want an RFC 3339 time, Unix seconds or a duration: %w", v, ErrInvalid)
}
