package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.podman.io/common/libnetwork/types"
	"go.podman.io/common/pkg/config"
	"go.podman.io/storage/pkg/lockfile"
	"go.podman.io/storage/pkg/unshare"

	"github.com/berth-containers/berth/internal/atomicfile"
)

// Errors callers tell apart with errors.Is.
var (
	ErrNotFound = errors.New("network not found")
	ErrExists   = errors.New("network already exists")
	ErrInvalid  = errors.New("invalid network setting")
	// ErrUnsupported is what this netavark or berth cannot do (DHCP, rootless bridges).
	ErrUnsupported = errors.New("not supported")
)

// defaultNetworkID is podman's ID of its default network: the same everywhere.
const defaultNetworkID = "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9"

// rootLockPath is podman's lock for root's netavark: one host, one firewall.
const rootLockPath = "/run/lock/netavark.lock"

// Config says where a Manager keeps its files and which programs it runs.
type Config struct {
	// ConfigDir holds one <name>.json per network (podman's format); it survives
	// reboots.
	ConfigDir string
	// RunDir holds the address allocations and aardvark-dns's configuration, which
	// go with the containers at reboot.
	RunDir string
	// Netavark and Aardvark are the programs; empty means found through
	// containers.conf's helper_binaries_dir (/usr/libexec/podman, /usr/lib/podman).
	Netavark, Aardvark string
	// Containers is containers.conf: the default network's name and subnet, the
	// subnet pools, the DNS port, the firewall driver. Nil means config.Default().
	Containers *config.Config
	// LockPath is the machine-wide lock; empty means podman's for root, or a lock in
	// ConfigDir for other users.
	LockPath string
	Log      *slog.Logger

	// host lists the host's interfaces and addresses; nil means the real ones.
	host func() (hostState, error)
}

// Manager creates, lists and removes networks, and connects network namespaces to
// them. It keeps no state in memory: each call reads the config folder.
type Manager struct {
	cfg         Config
	conf        *config.Config
	lock        *lockfile.LockFile
	defaultName string
	defaultNet  types.IPNet
	log         *slog.Logger
}

// New opens the networks of cfg; nothing is created on disk until a network is.
func New(cfg Config) (*Manager, error) {
	if cfg.ConfigDir == "" || cfg.RunDir == "" {
		return nil, errors.New("network: ConfigDir and RunDir are required")
	}
	m := &Manager{cfg: cfg, conf: cfg.Containers, log: cfg.Log}
	if m.log == nil {
		m.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if m.conf == nil {
		c, err := config.Default()
		if err != nil {
			return nil, fmt.Errorf("reading containers.conf: %w", err)
		}
		m.conf = c
	}
	if m.cfg.host == nil {
		m.cfg.host = liveHost
	}
	m.defaultName = m.conf.Network.DefaultNetwork
	if m.defaultName == "" {
		m.defaultName = types.DefaultNetworkName
	}
	subnet := m.conf.Network.DefaultSubnet
	if subnet == "" {
		subnet = types.DefaultSubnet
	}
	var err error
	if m.defaultNet, err = types.ParseCIDR(subnet); err != nil {
		return nil, fmt.Errorf("containers.conf default_subnet %q: %w", subnet, err)
	}
	lockPath := cfg.LockPath
	if lockPath == "" {
		lockPath = rootLockPath
		if unshare.IsRootless() {
			lockPath = filepath.Join(cfg.ConfigDir, "netavark.lock")
		}
	}
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		return nil, err
	}
	if m.lock, err = lockfile.GetLockFile(lockPath); err != nil {
		return nil, fmt.Errorf("network lock %s: %w", lockPath, err)
	}
	return m, nil
}

// DefaultName is the default network's name (containers.conf default_network, else
// "podman").
func (m *Manager) DefaultName() string { return m.defaultName }

// defaultNetwork is the network podman has without a file: bridge podman0 on
// containers.conf's default_subnet, without DNS.
func (m *Manager) defaultNetwork() *types.Network {
	gw := firstIP(&m.defaultNet.IPNet)
	return &types.Network{
		Name: m.defaultName, ID: defaultNetworkID, Driver: types.BridgeNetworkDriver,
		NetworkInterface: "podman0", Created: time.Now(),
		Subnets: []types.Subnet{{Subnet: m.defaultNet, Gateway: gw}},
		Labels:  map[string]string{}, Options: map[string]string{},
		IPAMOptions: map[string]string{types.Driver: types.HostLocalIPAMDriver},
	}
}

// load reads every network file (skipping, with a warning, those that do not parse),
// and adds the default network unless a file defines it.
func (m *Manager) load() (map[string]*types.Network, error) {
	nets := map[string]*types.Network{}
	entries, err := os.ReadDir(m.cfg.ConfigDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading networks: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(m.cfg.ConfigDir, e.Name())
		n, err := readNetwork(path)
		if err == nil && n.Name != name {
			err = fmt.Errorf("it names network %q", n.Name)
		}
		if err != nil {
			m.log.Warn("skipping a network file that does not parse", "path", path, "error", err)
			continue
		}
		nets[n.Name] = n
	}
	if nets[m.defaultName] == nil {
		nets[m.defaultName] = m.defaultNetwork()
	}
	return nets, nil
}

func readNetwork(path string) (*types.Network, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	n := &types.Network{}
	if err := json.Unmarshal(data, n); err != nil {
		return nil, err
	}
	if len(n.ID) != 64 || !types.NameRegex.MatchString(n.Name) {
		return nil, fmt.Errorf("invalid name %q or ID %q", n.Name, n.ID)
	}
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	if n.Options == nil {
		n.Options = map[string]string{}
	}
	if n.IPAMOptions == nil {
		n.IPAMOptions = map[string]string{}
	}
	return n, nil
}

// lookup finds a network by name, else by ID or a unique ID prefix.
func lookup(nets map[string]*types.Network, ref string) (*types.Network, error) {
	if n, ok := nets[ref]; ok {
		return n, nil
	}
	var found *types.Network
	for _, n := range nets {
		if ref != "" && strings.HasPrefix(n.ID, ref) {
			if found != nil {
				return nil, fmt.Errorf("network ID prefix %q names more than one network: %w", ref, ErrNotFound)
			}
			found = n
		}
	}
	if found == nil {
		return nil, fmt.Errorf("network %s: %w", ref, ErrNotFound)
	}
	return found, nil
}

// Inspect returns the network named ref (a name, an ID or a unique ID prefix).
func (m *Manager) Inspect(ref string) (types.Network, error) {
	nets, err := m.load()
	if err != nil {
		return types.Network{}, err
	}
	n, err := lookup(nets, ref)
	if err != nil {
		return types.Network{}, err
	}
	return *n, nil
}

// List returns the networks every filter accepts, by name.
func (m *Manager) List(filters ...types.FilterFunc) ([]types.Network, error) {
	nets, err := m.load()
	if err != nil {
		return nil, err
	}
	out := make([]types.Network, 0, len(nets))
next:
	for _, n := range nets {
		for _, f := range filters {
			if !f(*n) {
				continue next
			}
		}
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove deletes a network's file and its address allocations; the default network
// cannot be removed. Whether containers still use it is the caller's business.
func (m *Manager) Remove(ref string) error {
	return m.locked(func() error {
		nets, err := m.load()
		if err != nil {
			return err
		}
		n, err := lookup(nets, ref)
		if err != nil {
			return err
		}
		if n.Name == m.defaultName {
			return fmt.Errorf("the default network %s cannot be removed: %w", n.Name, ErrInvalid)
		}
		err = os.Remove(filepath.Join(m.cfg.ConfigDir, n.Name+".json"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing network %s: %w", n.Name, err)
		}
		return m.ipam().dropNetwork(n.Name)
	})
}

// locked runs f holding the machine-wide network lock.
func (m *Manager) locked(f func() error) error {
	m.lock.Lock()
	defer m.lock.Unlock()
	return f()
}

// writeNetwork stores n as <name>.json, atomically.
func (m *Manager) writeNetwork(n *types.Network) error {
	if err := os.MkdirAll(m.cfg.ConfigDir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(n, "", "     ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(m.cfg.ConfigDir, n.Name+".json"), append(data, '\n'), 0o644)
}

// writeFileAtomic writes a file that other processes may read at any time.
var writeFileAtomic = atomicfile.Write
