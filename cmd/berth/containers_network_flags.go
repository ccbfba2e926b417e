package main

import (
	"github.com/spf13/pflag"

	"github.com/berth-containers/berth/engine"
)

// netFlags are the network flags of create and run; the engine parses their values
// (engine/container_network.go).
type netFlags struct {
	networks, aliases, publish []string
	ip, ip6, mac               string
	publishAll                 bool
}

func (nf *netFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&nf.networks, "network", nil,
		"network: bridge (default), none, host, container:ID, ns:PATH, or NAME[:ip=,ip6=,mac=,alias=,interface_name=] (repeatable)")
	f.StringArrayVar(&nf.networks, "net", nil, "alias of --network")
	_ = f.MarkHidden("net")
	f.StringVar(&nf.ip, "ip", "", "the container's IPv4 address on its network")
	f.StringVar(&nf.ip6, "ip6", "", "the container's IPv6 address on its network")
	f.StringVar(&nf.mac, "mac-address", "", "the container's MAC address on its network")
	f.StringArrayVar(&nf.aliases, "network-alias", nil, "another name of the container on its networks")
	f.StringArrayVarP(&nf.publish, "publish", "p", nil, "publish a port: [[IP:][HOST-PORT]:]CONTAINER-PORT[/PROTOCOL]")
	f.BoolVarP(&nf.publishAll, "publish-all", "P", false, "publish the exposed ports on random host ports")
}

// apply copies the flags: the first --network is Network (a mode or a network), the
// others Networks.
func (nf *netFlags) apply(c *engine.ContainerConfig) {
	if len(nf.networks) > 0 {
		c.Network, c.Networks = nf.networks[0], nf.networks[1:]
	}
	c.IP, c.IP6, c.MACAddress, c.NetworkAliases = nf.ip, nf.ip6, nf.mac, nf.aliases
	c.Publish, c.PublishAll = nf.publish, nf.publishAll
}
