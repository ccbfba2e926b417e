package engine

import (
	"fmt"
	"strconv"
	"strings"

	"go.podman.io/common/libnetwork/types"

	"github.com/berth-containers/berth/engine/network"
)

// InspectAdditionalNetwork is one network of a container in inspect's
// NetworkSettings.Networks, as podman shows it.
type InspectAdditionalNetwork struct {
	EndpointID          string            `json:"EndpointID"`
	Gateway             string            `json:"Gateway"`
	IPAddress           string            `json:"IPAddress"`
	IPPrefixLen         int               `json:"IPPrefixLen"`
	IPv6Gateway         string            `json:"IPv6Gateway"`
	GlobalIPv6Address   string            `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen int               `json:"GlobalIPv6PrefixLen"`
	MacAddress          string            `json:"MacAddress"`
	NetworkID           string            `json:"NetworkID,omitempty"`
	DriverOpts          map[string]string `json:"DriverOpts"`
	IPAMConfig          map[string]string `json:"IPAMConfig"`
	Links               []string          `json:"Links"`
	Aliases             []string          `json:"Aliases,omitempty"`
}

// inspectNetwork fills NetworkSettings and the network fields of HostConfig, as
// podman: every network with what the container has on it while it runs, the
// top-level addresses only for a container on the default network alone, published
// ports with their host side, exposed ones with none.
func (r *Runtime) inspectNetwork(c *Container, d *InspectContainerData) {
	plan := c.netPlan()
	ns := d.NetworkSettings
	ns.Ports = portBindings(plan)
	ns.SandboxKey = c.State.Net.NSPath
	if d.HostConfig != nil {
		d.HostConfig.NetworkMode = networkMode(plan)
		d.HostConfig.PortBindings = portBindings(plan)
		for k, v := range d.HostConfig.PortBindings {
			if v == nil {
				delete(d.HostConfig.PortBindings, k)
			}
		}
		d.HostConfig.PublishAllPorts = c.Config.PublishAll
	}
	if plan.Mode != NetworkBridge {
		return
	}
	ns.Networks = map[string]*InspectAdditionalNetwork{}
	defaultName := ""
	if m, err := r.networks(); err == nil {
		defaultName = m.DefaultName()
	}
	for _, n := range plan.Networks {
		one := &InspectAdditionalNetwork{NetworkID: n.Name, DriverOpts: map[string]string{}, IPAMConfig: map[string]string{},
			Links: []string{}, Aliases: n.Aliases}
		sb, ok := c.State.Net.Status[n.Name]
		if ok && c.Running() {
			v4, v6, mac := network.FirstAddresses(sb)
			one.IPAddress, one.IPPrefixLen, one.Gateway = addressOf(v4)
			one.GlobalIPv6Address, one.GlobalIPv6PrefixLen, one.IPv6Gateway = addressOf(v6)
			one.MacAddress = mac
		}
		ns.Networks[n.Name] = one
		if len(plan.Networks) == 1 && n.Name == defaultName {
			ns.IPAddress, ns.IPPrefixLen, ns.Gateway = one.IPAddress, one.IPPrefixLen, one.Gateway
			ns.GlobalIPv6Address, ns.GlobalIPv6PrefixLen, ns.IPv6Gateway = one.GlobalIPv6Address, one.GlobalIPv6PrefixLen, one.IPv6Gateway
			ns.MacAddress = one.MacAddress
		}
	}
}

// addressOf is an address as inspect shows it: the IP, its prefix length and the
// gateway.
func addressOf(a types.NetAddress) (string, int, string) {
	if a.IPNet.IP == nil {
		return "", 0, ""
	}
	ones, _ := a.IPNet.Mask.Size()
	gw := ""
	if a.Gateway != nil {
		gw = a.Gateway.String()
	}
	return a.IPNet.IP.String(), ones, gw
}

// networkMode is HostConfig.NetworkMode: bridge, none, host, container:ID or
// ns:PATH, as podman shows them.
func networkMode(plan NetworkPlan) string {
	switch plan.Mode {
	case NetworkContainer, NetworkNS:
		return plan.Mode + ":" + plan.Join
	}
	return plan.Mode
}

// portBindings is podman's map of "PORT/PROTOCOL" to the host addresses it is
// published on (nil for an exposed port without any), one entry per port of a range.
func portBindings(plan NetworkPlan) map[string][]InspectHostPort {
	out := map[string][]InspectHostPort{}
	for _, e := range plan.Exposed {
		for i := range int(max(e.Range, 1)) {
			out[fmt.Sprintf("%d/%s", int(e.ContainerPort)+i, e.Protocol)] = nil
		}
	}
	if plan.Mode != NetworkBridge {
		return out
	}
	for _, p := range plan.Ports {
		for i := range int(max(p.Range, 1)) {
			key := fmt.Sprintf("%d/%s", int(p.ContainerPort)+i, p.Protocol)
			out[key] = append(out[key], InspectHostPort{HostIP: p.HostIP, HostPort: strconv.Itoa(int(p.HostPort) + i)})
		}
	}
	return out
}

// FormatPorts is ps's PORTS column: 0.0.0.0:8080->80/tcp, ranges as
// 127.0.0.1:8000-8002->80-82/udp, comma-separated.
func FormatPorts(ports []PortMapping) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		} else if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		host, ctr := strconv.Itoa(int(p.HostPort)), strconv.Itoa(int(p.ContainerPort))
		if p.Range > 1 {
			host += "-" + strconv.Itoa(int(p.HostPort)+int(p.Range)-1)
			ctr += "-" + strconv.Itoa(int(p.ContainerPort)+int(p.Range)-1)
		}
		parts = append(parts, fmt.Sprintf("%s:%s->%s/%s", ip, host, ctr, p.Protocol))
	}
	return strings.Join(parts, ", ")
}

// containerNetworks are the names of a container's networks, for ps.
func (c *Container) containerNetworks() []string {
	plan := c.netPlan()
	out := []string{}
	for _, n := range plan.Networks {
		out = append(out, n.Name)
	}
	return out
}

// PublishedPorts are the container's published ports (empty without a network of its
// own), for ps.
func (c *Container) PublishedPorts() []PortMapping {
	plan := c.netPlan()
	if plan.Mode != NetworkBridge {
		return nil
	}
	return plan.Ports
}
