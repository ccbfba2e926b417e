package quadlet

// networkTable is the [Network] section of podman-network.unit(5).
var networkTable = &Table{Section: "Network", Keys: concatKeys([]Key{
	{Name: "NetworkName", Kind: String, Converter: true, Arg: "name",
		Doc: "The name of the network, instead of systemd-<unit name>."},
	{Name: "NetworkDeleteOnStop", Kind: Bool, Converter: true, Arg: "true",
		Doc: "Remove the network when the service stops (false by default)."},
	{Name: "DisableDNS", Kind: Bool, Flag: "--disable-dns", Arg: "true",
		Doc: "Disable the DNS plugin for this network."},
	{Name: "Internal", Kind: Bool, Flag: "--internal", Arg: "true",
		Doc: "Restrict external access from this network."},
	{Name: "IPv6", Kind: Bool, Flag: "--ipv6", Arg: "true",
		Doc: "Enable IPv6 (dual stack) networking."},
	{Name: "Driver", Kind: String, Flag: "--driver", Arg: "bridge",
		Doc: "The network driver: bridge (the default), macvlan or ipvlan."},
	{Name: "IPAMDriver", Kind: String, Flag: "--ipam-driver", Arg: "dhcp",
		Doc: "The IP address management driver: host-local, dhcp or none."},
	{Name: "InterfaceName", Kind: String, Flag: "--interface-name", Arg: "enp1",
		Doc: "The bridge's interface name, or the parent device of macvlan and ipvlan."},
	shared("DNS"),
	{Name: "Subnet", Kind: Lines, Apply: applyNetworkSubnets, Arg: "192.5.0.0/16",
		Doc: "A subnet in CIDR notation; may be repeated."},
	{Name: "Gateway", Kind: Lines, Apply: applyNetworkNeedsSubnet, Arg: "192.5.0.1",
		Doc: "The gateway of the subnet of the same rank; needs Subnet=."},
	{Name: "IPRange", Kind: Lines, Apply: applyNetworkNeedsSubnet, Arg: "192.5.0.128/25",
		Doc: "The range to allocate addresses from in the subnet of the same rank; needs Subnet=."},
	{Name: "Options", Kind: KeyValue, Flag: "--opt", Arg: "isolate=true",
		Doc: "Driver-specific options, a list of key=value words."},
	shared("Label"),
}, commonKeys)}

func init() {
	register(&unitType{ext: ".network", table: networkTable, convert: convertNetwork, resource: networkName})
}

var networkName = namedBy("Network", "NetworkName")

// convertNetwork makes a oneshot service that creates the network unless it exists, and
// that stays active, so that it runs once per boot.
func convertNetwork(c *Conv) {
	name := networkName(c.Src)
	if c.BoolOr("NetworkDeleteOnStop", false) {
		c.Service.Add("Service", "ExecStopPost", c.EngineLine("", "network", "rm", name))
	}
	c.Add("network", "create", "--ignore")
	c.ApplyKeys()
	c.Add(c.PodmanArgs()...)
	c.Add(name)
	oneshotService(c, true)
}

// applyNetworkSubnets adds each subnet followed by the gateway and the range of the same
// rank, which is how the engine pairs them.
func applyNetworkSubnets(c *Conv, k *Key) {
	subnets := c.Lines(k.Name)
	if len(subnets) == 0 {
		return // reset by an empty Subnet=; applyNetworkNeedsSubnet reports the rest
	}
	gateways, ranges := c.Lines("Gateway"), c.Lines("IPRange")
	if len(gateways) > len(subnets) {
		c.Errorf("Gateway", "cannot set more gateways than subnets")
	}
	if len(ranges) > len(subnets) {
		c.Errorf("IPRange", "cannot set more ranges than subnets")
	}
	for i, s := range subnets {
		c.Flag("--subnet", s)
		if i < len(gateways) {
			c.Flag("--gateway", gateways[i])
		}
		if i < len(ranges) {
			c.Flag("--ip-range", ranges[i])
		}
	}
}

// applyNetworkNeedsSubnet checks Gateway= and IPRange=, which applyNetworkSubnets adds.
func applyNetworkNeedsSubnet(c *Conv, k *Key) {
	if len(c.Lines(k.Name)) > 0 && len(c.Lines("Subnet")) == 0 {
		c.Errorf(k.Name, "cannot set gateway or range without subnet")
	}
}
