package quadlet

import "github.com/berth-containers/berth/units"

// podTable is the [Pod] section of podman-pod.unit(5). Its rows are in the order their
// flags take in `pod create`.
var podTable = &Table{Section: "Pod", Keys: append([]Key{
	{Name: "PodName", Kind: String, Converter: true, Arg: "name",
		Doc: "The name of the pod, instead of systemd-<unit name>; it must not be a container's name."},
	{Name: "StopTimeout", Kind: Int, Converter: true, Arg: "20",
		Doc: "Seconds to wait for the pod's containers to stop before killing them (10 by default)."},
	{Name: "ExitPolicy", Kind: String, Converter: true, Arg: "stop",
		Doc: "What the pod does when its last container exits: stop (the default) or continue."},
	// The user namespace keys, read together by applyUserMappings.
	{Name: "UserNS", Kind: String, Converter: true, Arg: "keep-id:uid=200,gid=210",
		Doc: "The user namespace mode of the pod, MODE[:OPTIONS,...] (--userns)."},
	{Name: "UIDMap", Kind: Lines, Converter: true, Arg: "0:10000:10",
		Doc: "Create the pod in a new user namespace with this UID mapping; may be repeated (--uidmap)."},
	{Name: "GIDMap", Kind: Lines, Converter: true, Arg: "0:10000:10",
		Doc: "Create the pod in a new user namespace with this GID mapping; may be repeated (--gidmap)."},
	{Name: "SubUIDMap", Kind: String, Converter: true, Arg: "utest",
		Doc: "Create the pod in a new user namespace with the map of this name in /etc/subuid."},
	{Name: "SubGIDMap", Kind: String, Converter: true, Arg: "gtest",
		Doc: "Create the pod in a new user namespace with the map of this name in /etc/subgid."},
	{Name: "RemapUsers", Kind: String, Converter: true, Arg: "auto",
		Doc: "Deprecated, use UserNS=: manual, auto or keep-id user namespace mapping."},
	{Name: "RemapUid", Kind: Lines, Converter: true, Arg: "0:10000:10",
		Doc: "Deprecated, use UIDMap=: a UID mapping for RemapUsers=."},
	{Name: "RemapGid", Kind: Lines, Converter: true, Arg: "0:10000:10",
		Doc: "Deprecated, use GIDMap=: a GID mapping for RemapUsers=."},
	{Name: "RemapUidSize", Kind: Int, Converter: true, Arg: "65536",
		Doc: "Deprecated, use UserNS=auto:size=: the size of an automatic user namespace."},
	{Name: "PublishPort", Kind: Lines, Flag: "--publish", Arg: "8080:80",
		Doc: "Publish a port or range of the pod on the host, [ip:][hostPort:]containerPort."},
	{Name: "Label", Kind: KeyValue, Flag: "--label", Arg: "key=value",
		Doc: "Labels on the pod, a list of key=value words."},
	{Name: "Network", Kind: Lines, Flag: "--network", Apply: applyNetworks, Arg: "host",
		Doc: "The pod's network; a .network unit stands for its network, a .container for its namespace."},
	{Name: "IP", Kind: String, Flag: "--ip", Arg: "192.5.0.1",
		Doc: "A static IPv4 address for the pod."},
	{Name: "IP6", Kind: String, Flag: "--ip6", Arg: "2001:db8::1",
		Doc: "A static IPv6 address for the pod."},
	{Name: "ShmSize", Kind: String, Flag: "--shm-size", Arg: "100m",
		Doc: "The size of /dev/shm, number[unit]."},
	{Name: "NetworkAlias", Kind: Lines, Flag: "--network-alias", Arg: "name",
		Doc: "A network-scoped DNS alias for the pod; may be repeated."},
	{Name: "DNS", Kind: Lines, Flag: "--dns", Arg: "192.168.55.1",
		Doc: "A DNS server for the pod's containers; may be repeated."},
	{Name: "DNSOption", Kind: Lines, Flag: "--dns-option", Arg: "ndots:1",
		Doc: "A resolv.conf option for the pod's containers; may be repeated."},
	{Name: "DNSSearch", Kind: Lines, Flag: "--dns-search", Arg: "example.com",
		Doc: "A DNS search domain for the pod's containers (\".\" for none); may be repeated."},
	{Name: "AddHost", Kind: Lines, Flag: "--add-host", Arg: "example.com:192.168.10.11",
		Doc: "A hostname:ip line for the pod's /etc/hosts; may be repeated."},
	{Name: "HostName", Kind: String, Flag: "--hostname", Arg: "name",
		Doc: "The hostname of the pod's containers."},
	{Name: "Volume", Kind: Lines, Flag: "-v", Apply: applyContainerVolumes, Arg: "/source:/dest",
		Doc: "A volume for the pod's containers, [SOURCE:]DEST[:OPTIONS]; a .volume unit stands for its volume."},
}, common("ContainersConfModule", "GlobalArgs", "PodmanArgs", "ServiceName")...)}

func init() {
	register(&unitType{ext: ".pod", table: podTable, convert: convertPod,
		resource: func(s *Source) string { return unitResourceName(s, "Pod", "PodName") }})
}

// convertPod makes a forking service: ExecStartPre creates the pod, whose infra
// container's conmon is the main process (PIDFile), and the pod starts the services of
// the containers that join it.
func convertPod(c *Conv) {
	name := unitResourceName(c.Src, "Pod", "PodName")
	podMemberDeps(c)
	policy, _ := c.String("ExitPolicy")
	switch policy {
	case "":
		policy = "stop" // a pod service ends with its containers
	case "stop", "continue":
	default:
		c.Errorf("ExitPolicy", "ExitPolicy=%s: must be stop or continue", policy)
	}
	c.Add("pod", "create", "--infra-conmon-pidfile=%t/%N.pid", "--replace", "--exit-policy", policy)
	applyUserMappings(c, true)
	c.ApplyKeys()
	c.Add("--infra-name", name+"-infra", "--name", name)
	c.Add(c.PodmanArgs()...)
	c.Exec("ExecStartPre", "", c.Args...)
	c.Exec("ExecStart", "", "pod", "start", name)
	timeout, ok := c.String("StopTimeout")
	if !ok || timeout == "" {
		timeout = "10"
	}
	c.Exec("ExecStop", "", "pod", "stop", "--ignore", "--time="+timeout, name)
	c.Exec("ExecStopPost", "", "pod", "rm", "--ignore", "--force", name)
	podServiceSettings(c)
}

// podServiceSettings sets the [Service] keys a pod service needs.
func podServiceSettings(c *Conv) {
	// So that auto-update finds the unit of the pod's containers.
	c.Service.Add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
	if l := c.File.Last("Service", "Type"); l != nil && l.Value != "forking" {
		c.Diags.Warnf(l.Pos, "Type=%s is replaced by Type=forking, which a pod service needs", l.Value)
	}
	c.Service.Set("Service", "Type", "forking")
	c.Service.Set("Service", "PIDFile", "%t/%N.pid")
	c.SetDefault("Service", "Restart", "on-failure")
	c.SetDefault("Service", "SyslogIdentifier", "%N")
}

// podMemberDeps makes the pod's service start the services of the containers that join
// it, unless they say StartWithPod=false; templates are left out, since they have no
// service of their own to start.
func podMemberDeps(c *Conv) {
	for _, m := range c.R.podMembers[c.Src.Name] {
		if _, inst, _, ok := units.SplitTemplate(m.Name); ok && inst == "" {
			continue
		}
		if v, ok := m.File.Get("Container", "StartWithPod"); ok {
			if start, valid := ParseBool(v); valid && !start {
				continue
			}
		}
		svc := c.R.ServiceName(m.Name)
		c.Service.Add("Unit", "Wants", svc)
		c.Service.Add("Unit", "Before", svc)
	}
}
