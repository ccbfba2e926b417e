package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.podman.io/common/libnetwork/types"

	"github.com/berth-containers/berth/engine/network"
)

// Errors of networks that callers tell apart with errors.Is.
var (
	ErrNoSuchNetwork = network.ErrNotFound
	ErrNetworkExists = network.ErrExists
	ErrNetworkInUse  = errors.New("network is being used")
)

// Network is a network as podman network inspect shows it.
type Network = types.Network

// NetworkCreateOptions are podman network create's flags.
type NetworkCreateOptions = network.CreateOptions

// CreateNetwork creates a network (podman network create); see network.CreateOptions.
func (r *Runtime) CreateNetwork(o NetworkCreateOptions) (*Network, error) {
	m, err := r.networks()
	if err != nil {
		return nil, err
	}
	n, err := m.Create(o)
	if err != nil {
		return nil, wrapNetworkError(err)
	}
	return &n, nil
}

// wrapNetworkError gives the network package's "not supported" the engine's
// ErrUnsupported, which callers test for.
func wrapNetworkError(err error) error {
	if errors.Is(err, network.ErrUnsupported) && !errors.Is(err, ErrUnsupported) {
		return fmt.Errorf("%w%.0w", err, ErrUnsupported)
	}
	return err
}

// InspectNetwork returns a network by name, ID or unique ID prefix.
func (r *Runtime) InspectNetwork(ref string) (*Network, error) {
	m, err := r.networks()
	if err != nil {
		return nil, err
	}
	n, err := m.Inspect(ref)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// NetworkExists reports whether a network exists.
func (r *Runtime) NetworkExists(ref string) (bool, error) {
	_, err := r.InspectNetwork(ref)
	if errors.Is(err, ErrNoSuchNetwork) {
		return false, nil
	}
	return err == nil, err
}

// ListNetworks returns the networks that match the filters (network.Filters: name,
// id, driver, label, label!, until, dangling), by name.
func (r *Runtime) ListNetworks(filters []string) ([]Network, error) {
	m, err := r.networks()
	if err != nil {
		return nil, err
	}
	users, err := r.networkUsers()
	if err != nil {
		return nil, err
	}
	fl, err := network.Filters(filters, func(name string) bool { return len(users[name]) > 0 })
	if err != nil {
		return nil, err
	}
	return m.List(fl...)
}

// networkUsers maps each network to the IDs of the containers that join it.
func (r *Runtime) networkUsers() (map[string][]string, error) {
	list, err := r.ListContainers()
	if err != nil {
		return nil, err
	}
	users := map[string][]string{}
	for _, c := range list {
		for _, n := range c.netPlan().Networks {
			users[n.Name] = append(users[n.Name], c.ID)
		}
	}
	return users, nil
}

// RemoveNetworkOptions are podman network rm's.
type RemoveNetworkOptions struct {
	// Force removes the containers that use the network first (stopping them).
	Force bool
	// Timeout is the stop timeout for Force (--time); nil means each container's.
	Timeout *uint
}

// RemoveNetwork removes a network. One that containers use is refused with
// ErrNetworkInUse, unless Force; the default network cannot be removed.
func (r *Runtime) RemoveNetwork(ctx context.Context, ref string, o RemoveNetworkOptions) error {
	m, err := r.networks()
	if err != nil {
		return err
	}
	n, err := m.Inspect(ref)
	if err != nil {
		return err
	}
	if n.Name == m.DefaultName() {
		return fmt.Errorf("the default network %s cannot be removed", n.Name)
	}
	users, err := r.networkUsers()
	if err != nil {
		return err
	}
	if ids := users[n.Name]; len(ids) > 0 {
		if !o.Force {
			short := make([]string, len(ids))
			for i, id := range ids {
				short[i] = shortID(id)
			}
			return fmt.Errorf("network %s is being used by container(s) %s; remove them or use --force: %w",
				n.Name, strings.Join(short, ", "), ErrNetworkInUse)
		}
		for _, id := range ids {
			err := r.RemoveContainer(ctx, id, RemoveContainerOptions{Force: true, Ignore: true, Timeout: o.Timeout})
			if err != nil {
				return fmt.Errorf("removing network %s: %w", n.Name, err)
			}
		}
	}
	return m.Remove(n.Name)
}

// PruneNetworks removes the networks no container uses (but the default one) that
// match the filters (label, label!, until); it returns their names.
func (r *Runtime) PruneNetworks(ctx context.Context, filters []string) ([]string, error) {
	for _, f := range filters {
		if k, _, _ := strings.Cut(f, "="); !slices.Contains([]string{"label", "label!", "until"}, k) {
			return nil, fmt.Errorf("--filter %q: prune takes label, label! and until", f)
		}
	}
	list, err := r.ListNetworks(append(slices.Clone(filters), "dangling=true"))
	if err != nil {
		return nil, err
	}
	m, err := r.networks()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, n := range list {
		if n.Name == m.DefaultName() {
			continue
		}
		if err := r.RemoveNetwork(ctx, n.Name, RemoveNetworkOptions{}); err != nil {
			if !errors.Is(err, ErrNetworkInUse) && !errors.Is(err, ErrNoSuchNetwork) {
				errs = append(errs, err)
			}
			continue
		}
		removed = append(removed, n.Name)
	}
	return removed, errors.Join(errs...)
}
