package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.podman.io/common/libnetwork/types"
	"go.podman.io/storage/pkg/unshare"
	"golang.org/x/sys/unix"
)

// request is what netavark 1.4 reads on its stdin for setup and teardown: the
// per-network options keyed by network name (newer netavark takes a list).
type request struct {
	ContainerID   string                             `json:"container_id"`
	ContainerName string                             `json:"container_name"`
	PortMappings  []types.PortMapping                `json:"port_mappings,omitempty"`
	Networks      map[string]types.PerNetworkOptions `json:"networks"`
	NetworkInfo   map[string]*types.Network          `json:"network_info"`
	DNSServers    []string                           `json:"dns_servers,omitempty"`
}

// Setup connects the network namespace at nsPath to the networks of o: it gives the
// container its addresses (those asked for in StaticIPs, else the next free ones),
// and has netavark create the interfaces, routes, firewall and port-forwarding rules,
// and the DNS entries. It returns what each network got, by name. A setup that fails
// is undone.
func (m *Manager) Setup(nsPath string, o types.NetworkOptions) (map[string]types.StatusBlock, error) {
	if err := checkRequest(nsPath, o); err != nil {
		return nil, err
	}
	var result map[string]types.StatusBlock
	err := m.locked(func() error {
		nets, err := m.load()
		if err != nil {
			return err
		}
		p := m.ipam()
		leases, err := p.read()
		if err != nil {
			return err
		}
		req, err := newRequest(o, nets)
		if err != nil {
			return err
		}
		for name, opts := range req.Networks {
			n := req.NetworkInfo[name]
			if n.IPAMOptions[types.Driver] != types.HostLocalIPAMDriver {
				continue
			}
			l := leases.network(name)
			l.release(o.ContainerID) // left by a setup that was never torn down
			if opts.StaticIPs, err = l.allocate(n, o.ContainerID, opts.StaticIPs); err != nil {
				return err
			}
			req.Networks[name] = opts
		}
		// Recorded before netavark runs: a berth killed in between leaves addresses
		// that a teardown finds.
		if err := p.write(leases); err != nil {
			return err
		}
		result = map[string]types.StatusBlock{}
		err = m.netavark("setup", nsPath, req, &result)
		if err == nil && len(result) != len(req.Networks) {
			err = fmt.Errorf("netavark set up %d networks, not %d", len(result), len(req.Networks))
		}
		if err != nil {
			// netavark 1.4 leaves what it did before failing (firewall rules).
			if terr := m.netavark("teardown", nsPath, req, nil); terr != nil {
				m.log.Debug("undoing a failed network setup", "container", o.ContainerID, "error", terr)
			}
			for name := range req.Networks {
				leases.network(name).release(o.ContainerID)
			}
			return errors.Join(err, p.write(leases))
		}
		return nil
	})
	return result, err
}

// Teardown disconnects the network namespace at nsPath from the networks of o and
// frees the container's addresses. Networks the container holds no address on (torn
// down already) are skipped, so that calling it again does nothing.
func (m *Manager) Teardown(nsPath string, o types.NetworkOptions) error {
	if err := checkRequest(nsPath, o); err != nil {
		return err
	}
	return m.locked(func() error {
		nets, err := m.load()
		if err != nil {
			return err
		}
		p := m.ipam()
		leases, err := p.read()
		if err != nil {
			return err
		}
		req := &request{ContainerID: o.ContainerID, ContainerName: o.ContainerName, PortMappings: o.PortMappings,
			Networks: map[string]types.PerNetworkOptions{}, NetworkInfo: map[string]*types.Network{}, DNSServers: o.DNSServers}
		for _, want := range o.Networks {
			l := leases.network(want.Name)
			held := l.release(o.ContainerID)
			n, ok := nets[want.Name]
			if !ok || (n.IPAMOptions[types.Driver] == types.HostLocalIPAMDriver && len(held) == 0) {
				continue
			}
			opts := want.PerNetworkOptions
			opts.StaticIPs = held
			req.Networks[n.Name], req.NetworkInfo[n.Name] = opts, n
		}
		if len(req.Networks) == 0 {
			return nil
		}
		err = m.netavark("teardown", nsPath, req, nil)
		if err != nil && strings.Contains(err.Error(), "aardvark pid not found") {
			// netavark 1.4 has removed the rules, interfaces and DNS entries by then;
			// only its reload of an aardvark-dns that has not written its pid file
			// yet (a container that ends right after it starts) failed.
			m.log.Debug("netavark teardown: aardvark-dns had no pid file yet", "error", err)
			err = nil
		}
		// The addresses are freed even when netavark fails, or they would be lost.
		return errors.Join(err, p.write(leases))
	})
}

// checkRequest refuses what netavark cannot work with.
func checkRequest(nsPath string, o types.NetworkOptions) error {
	if unshare.IsRootless() {
		return fmt.Errorf("networks need root (rootless networking is not supported yet): %w", ErrUnsupported)
	}
	if nsPath == "" || o.ContainerID == "" || len(o.Networks) == 0 {
		return fmt.Errorf("network setup needs a namespace, a container ID and a network: %w", ErrInvalid)
	}
	seen := map[string]bool{}
	for _, n := range o.Networks {
		if n.InterfaceName == "" {
			return fmt.Errorf("network %s: no interface name for the container: %w", n.Name, ErrInvalid)
		}
		if seen[n.Name] {
			return fmt.Errorf("network %s given twice: %w", n.Name, ErrInvalid)
		}
		seen[n.Name] = true
	}
	return nil
}

// newRequest builds netavark's input for setup; each network must exist.
func newRequest(o types.NetworkOptions, nets map[string]*types.Network) (*request, error) {
	req := &request{ContainerID: o.ContainerID, ContainerName: o.ContainerName, PortMappings: o.PortMappings,
		Networks: map[string]types.PerNetworkOptions{}, NetworkInfo: map[string]*types.Network{}, DNSServers: o.DNSServers}
	for _, want := range o.Networks {
		n, ok := nets[want.Name]
		if !ok {
			return nil, fmt.Errorf("network %s: %w", want.Name, ErrNotFound)
		}
		opts := want.PerNetworkOptions
		if n.IPAMOptions[types.Driver] == types.NoneIPAMDriver && len(opts.StaticIPs) > 0 {
			return nil, fmt.Errorf("network %s has no address management (IPAM driver none): it takes no --ip: %w", n.Name, ErrInvalid)
		}
		if n.Driver != types.BridgeNetworkDriver && len(o.PortMappings) > 0 {
			return nil, fmt.Errorf("network %s: ports can only be published on bridge networks: %w", n.Name, ErrInvalid)
		}
		req.Networks[n.Name], req.NetworkInfo[n.Name] = opts, n
	}
	return req, nil
}

// binaries finds netavark and aardvark-dns.
func (m *Manager) binaries() (netavark, aardvark string, err error) {
	netavark, aardvark = m.cfg.Netavark, m.cfg.Aardvark
	if netavark == "" {
		if netavark, err = m.conf.FindHelperBinary("netavark", true); err != nil {
			return "", "", fmt.Errorf("netavark is not installed (looked in helper_binaries_dir and PATH): %w", err)
		}
	}
	if aardvark == "" {
		// Without it, networks work but names do not resolve; netavark says so.
		aardvark, _ = m.conf.FindHelperBinary("aardvark-dns", true)
	}
	return netavark, aardvark, nil
}

// netavark runs `netavark CMD NSPATH` with req on its stdin and decodes its JSON
// answer into out (when not nil). netavark starts aardvark-dns, which inherits its
// stdout and stderr and outlives it: both are memory files, never pipes, so that
// reading them does not wait for aardvark-dns to exit.
func (m *Manager) netavark(cmd, nsPath string, req *request, out any) error {
	bin, aardvark, err := m.binaries()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(m.cfg.RunDir, "aardvark-dns"), 0o755); err != nil {
		return err
	}
	in, err := json.Marshal(req)
	if err != nil {
		return err
	}
	stdout, err := memFile("netavark-stdout")
	if err != nil {
		return err
	}
	defer stdout.Close()
	stderr, err := memFile("netavark-stderr")
	if err != nil {
		return err
	}
	defer stderr.Close()
	args := []string{"--config", m.cfg.RunDir, "--rootless=false"}
	if aardvark != "" {
		args = append(args, "--aardvark-binary="+aardvark)
	}
	c := exec.Command(bin, append(args, cmd, nsPath)...)
	c.Stdin = strings.NewReader(string(in))
	c.Stdout, c.Stderr = stdout, stderr
	c.Env = m.netavarkEnv()
	// A berth killed during a setup must not leave netavark adding rules while the
	// cleanup that follows removes them: netavark dies with it (the lock it held
	// goes with it too).
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	m.log.Debug("running netavark", "command", cmd, "namespace", nsPath, "input", string(in))
	start := time.Now()
	runErr := c.Run()
	outData, _ := readAll(stdout)
	errData, _ := readAll(stderr)
	m.log.Debug("netavark done", "command", cmd, "took", time.Since(start), "stderr", strings.TrimSpace(string(errData)))
	if runErr != nil {
		var msg struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(outData, &msg) == nil && msg.Error != "" {
			return fmt.Errorf("netavark %s: %s", cmd, msg.Error)
		}
		return fmt.Errorf("netavark %s: %w: %s", cmd, runErr, strings.TrimSpace(string(errData)))
	}
	if out != nil {
		if err := json.Unmarshal(outData, out); err != nil {
			return fmt.Errorf("netavark %s: reading its answer %q: %w", cmd, outData, err)
		}
	}
	return nil
}

// netavarkEnv is berth's environment with what netavark needs: iptables in PATH
// (Debian leaves /usr/sbin out of users' PATH), containers.conf's firewall driver
// and DNS port, and only netavark's own log lines.
func (m *Manager) netavarkEnv() []string {
	env := os.Environ()
	if path := os.Getenv("PATH"); !strings.Contains(path, "/usr/sbin") {
		env = append(env, "PATH="+path+":/usr/sbin:/sbin")
	}
	env = append(env, "RUST_LOG=netavark=warn")
	if d := m.conf.Network.FirewallDriver; d != "" {
		env = append(env, "NETAVARK_FW="+d)
	}
	if p := m.conf.Network.DNSBindPort; p != 0 {
		env = append(env, "NETAVARK_DNS_PORT="+strconv.Itoa(int(p)))
	}
	return env
}

func memFile(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

func readAll(f *os.File) ([]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// FirstAddresses returns the container's first IPv4 and IPv6 addresses with their
// prefix lengths and gateways, as podman's inspect shows them; interfaces are taken
// in name order.
func FirstAddresses(sb types.StatusBlock) (v4, v6 types.NetAddress, mac string) {
	names := make([]string, 0, len(sb.Interfaces))
	for name := range sb.Interfaces {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		iface := sb.Interfaces[name]
		if mac == "" {
			mac = net.HardwareAddr(iface.MacAddress).String()
		}
		for _, a := range iface.Subnets {
			if a.IPNet.IP.To4() != nil && v4.IPNet.IP == nil {
				v4 = a
			} else if a.IPNet.IP.To4() == nil && v6.IPNet.IP == nil {
				v6 = a
			}
		}
	}
	return v4, v6, mac
}

// needNetavark refuses what needs a netavark newer than the one installed.
func (m *Manager) needNetavark(major, minor int, what string) error {
	bin, _, err := m.binaries()
	if err != nil {
		return err
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return fmt.Errorf("netavark version: %w", err)
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("netavark version: %w", err)
	}
	var have [2]int
	if _, err := fmt.Sscanf(v.Version, "%d.%d", &have[0], &have[1]); err != nil {
		return fmt.Errorf("netavark version %q: %w", v.Version, err)
	}
	if have[0] < major || have[0] == major && have[1] < minor {
		return fmt.Errorf("%s needs netavark %d.%d or later; this one is %s: %w", what, major, minor, v.Version, ErrUnsupported)
	}
	return nil
}
