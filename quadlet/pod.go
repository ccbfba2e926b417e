package quadlet

import "github.com/berth-containers/berth/units"

// podTable is the [Pod] section of podman-pod.unit(5). Its rows are in the order their
// flags take in `pod create`.
var podTable = &Table{Section: "Pod", Keys: concatKeys([]Key{
	{Name: "PodName", Kind: String, Converter: true, Arg: "name",
		Doc: "The name of the pod, instead of systemd-<unit name>; it must not be a container's name."},
	{Name: "StopTimeout", Kind: Int, Converter: true, Arg: "20",
		Doc: "Seconds to wait for the pod's containers to stop before killing them (10 by default)."},
	{Name: "ExitPolicy", Kind: String, Converter: true, Arg: "stop",
		Doc: "What the pod does when its last container exits: stop (the default) or continue."},
	// The user namespace keys, read together by applyUserMappings.
	shared("UserNS"), shared("UIDMap"), shared("GIDMap"), shared("SubUIDMap"), shared("SubGIDMap"),
	shared("RemapUsers"), shared("RemapUid"), shared("RemapGid"), shared("RemapUidSize"),
	// Networking and volumes of the pod's containers.
	shared("PublishPort"), shared("Label"), shared("Network"), shared("IP"), shared("IP6"),
	shared("ShmSize"), shared("NetworkAlias"), shared("DNS"), shared("DNSOption"), shared("DNSSearch"),
	shared("AddHost"), shared("HostName"), shared("Volume"),
}, commonKeys)}

func init() {
	register(&unitType{ext: ".pod", table: podTable, convert: convertPod, resource: podName})
}

var podName = namedBy("Pod", "PodName")

// convertPod makes a forking service: ExecStartPre creates the pod, whose infra
// container's conmon is the main process (PIDFile), and the pod starts the services of
// the containers that join it.
func convertPod(c *Conv) {
	name := podName(c.Src)
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
