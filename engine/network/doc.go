// Package network gives containers podman's networks through netavark and
// aardvark-dns: network config files in podman's JSON format (one <name>.json per
// network in the config folder, plus the default network "podman" kept in memory), the
// host-local address allocation, netavark's setup and teardown of a container's
// network namespace (bridge, macvlan, ipvlan; port forwarding; aardvark-dns for
// names), and network namespaces kept by bind mounts.
//
// go.podman.io/common's libnetwork speaks a newer netavark than the one this project
// ships (1.4: no "create" command, and per-network options as a map, not a list), so
// this package talks to netavark itself and uses libnetwork only for its types, which
// are the JSON both sides read.
//
//	m, err := network.New(network.Config{ConfigDir: root + "/networks", RunDir: run + "/networks", Containers: cfg})
//	n, err := m.Create(network.CreateOptions{Name: "web", Subnets: []string{"10.89.7.0/24"}})
//	status, err := m.Setup(nsPath, types.NetworkOptions{ContainerID: id, ContainerName: "app",
//		Networks: []types.NamedPerNetworkOptions{{Name: "web", PerNetworkOptions: types.PerNetworkOptions{InterfaceName: "eth0"}}}})
//	...
//	err = m.Teardown(nsPath, sameOptions)
//
// Every operation that changes networks or the host's firewall holds one lock for the
// whole machine (podman's /run/lock/netavark.lock for root), so that berth and podman
// commands never run netavark at the same time.
package network
