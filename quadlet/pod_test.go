package quadlet

import "testing"

func TestPodShape(t *testing.T) {
	svc := convertOK(t, "web.pod", map[string]string{"web.pod": "[Service]\nEnvironment=A=1\n[Pod]\nGlobalArgs=--log-level=debug\n"})
	wantList(t, execArgs(t, svc, "ExecStartPre"), "--log-level=debug", "pod", "create",
		"--infra-conmon-pidfile=%t/%N.pid", "--replace", "--exit-policy", "stop",
		"--infra-name", "systemd-web-infra", "--name", "systemd-web")
	wantList(t, execArgs(t, svc, "ExecStart"), "--log-level=debug", "pod", "start", "systemd-web")
	wantList(t, execArgs(t, svc, "ExecStop"), "--log-level=debug", "pod", "stop", "--ignore", "--time=10", "systemd-web")
	wantList(t, execArgs(t, svc, "ExecStopPost"), "--log-level=debug", "pod", "rm", "--ignore", "--force", "systemd-web")
	wantKey(t, svc, "Service", "Environment", "A=1", "PODMAN_SYSTEMD_UNIT=%n")
	for key, want := range map[string]string{"Type": "forking", "PIDFile": "%t/%N.pid", "Restart": "on-failure", "SyslogIdentifier": "%N"} {
		wantKey(t, svc, "Service", key, want)
	}
	if r := convertFiles(t, Options{}, map[string]string{"web.pod": "[Pod]\n"})["web.pod"]; r.Name != "web-pod.service" {
		t.Errorf("service name %q", r.Name)
	}
}

func TestPodKeys(t *testing.T) {
	svc := convertOK(t, "p.pod", map[string]string{"p.pod": `[Pod]
PodName=test-pod
StopTimeout=20
ExitPolicy=continue
UserNS=keep-id
UIDMap=0:1:2
UIDMap=3:4:5
SubGIDMap=g
PublishPort=127.0.0.1:80:90
Label=a=b
Network=host
IP=10.0.0.2
IP6=fd00::2
ShmSize=5g
NetworkAlias=web
DNS=1.1.1.1
DNSOption=ndots:1
DNSSearch=example.com
AddHost=h:10.0.0.9
HostName=box
Volume=/srv:/srv:ro
Volume=/anon
PodmanArgs=--with-space yes
`})
	wantList(t, execArgs(t, svc, "ExecStartPre"), "pod", "create",
		"--infra-conmon-pidfile=%t/%N.pid", "--replace", "--exit-policy", "continue",
		"--userns", "keep-id", "--uidmap", "0:1:2", "--uidmap", "3:4:5", "--subgidname", "g",
		"--publish", "127.0.0.1:80:90", "--label", "a=b", "--network", "host",
		"--ip", "10.0.0.2", "--ip6", "fd00::2", "--shm-size", "5g", "--network-alias", "web",
		"--dns", "1.1.1.1", "--dns-option", "ndots:1", "--dns-search", "example.com",
		"--add-host", "h:10.0.0.9", "--hostname", "box", "-v", "/srv:/srv:ro", "-v", "/anon",
		"--infra-name", "test-pod-infra", "--name", "test-pod", "--with-space", "yes")
	wantList(t, execArgs(t, svc, "ExecStop"), "pod", "stop", "--ignore", "--time=20", "test-pod")
	wantKey(t, svc, "Unit", "RequiresMountsFor", "/srv")
}

func TestPodRemap(t *testing.T) {
	for src, want := range map[string][]string{
		"RemapUsers=auto\n":                                 {"--userns", "auto"},
		"RemapUsers=keep-id\n":                              {"--userns", "keep-id"},
		"RemapUsers=keep-id\nRemapUid=1000\nRemapGid=100\n": {"--userns", "keep-id:uid=1000,gid=100"},
		"RemapUsers=auto\nRemapUid=0:10000:10\nRemapUid=10:20000:10\nRemapGid=0:10000:10\nRemapUidSize=20\n": {
			"--userns", "auto:uidmapping=0:10000:10,uidmapping=10:20000:10,gidmapping=0:10000:10,size=20"},
		"RemapUsers=manual\nRemapUid=0:1:2\nRemapGid=0:3:4\n": {"--uidmap", "0:1:2", "--gidmap", "0:3:4"},
	} {
		svc := convertOK(t, "r.pod", map[string]string{"r.pod": "[Pod]\n" + src})
		wantSeq(t, execArgs(t, svc, "ExecStartPre"), want...)
	}
}

func TestPodErrors(t *testing.T) {
	wantErrors(t, "p.pod", "[Pod]\n", map[string]string{
		"ExitPolicy=maybe\n":             "p.pod:2: converting \"p.pod\": ExitPolicy=maybe: must be stop or continue",
		"StopTimeout=soon\n":             "StopTimeout=soon: not an integer",
		"RemapUsers=nobody\n":            "unsupported RemapUsers option 'nobody'",
		"UserNS=auto\nRemapUsers=auto\n": "deprecated Remap keys are set along with explicit mapping keys",
		"Volume=nope.volume:/x\n":        "nope.volume was not found",
		"Network=nope.network\n":         "nope.network was not found",
		"Publishport=80\n":               "did you mean 'PublishPort'?",
		"Image=x\n":                      "unsupported key 'Image' in group 'Pod'",
	})
}

func TestPodReferences(t *testing.T) {
	svc := convertOK(t, "p.pod", map[string]string{
		"p.pod":               "[Pod]\nVolume=service-name.volume:/container/quadlet\nNetwork=n.network:ip=10.0.0.5\n",
		"service-name.volume": "[Volume]\nServiceName=basic\nVolumeName=test-volume\n",
		"n.network":           "[Network]\n",
	})
	args := execArgs(t, svc, "ExecStartPre")
	wantSeq(t, args, "-v", "test-volume:/container/quadlet")
	wantSeq(t, args, "--network", "systemd-n:ip=10.0.0.5")
	wantKey(t, svc, "Unit", "Requires", "n-network.service", "basic.service")
	wantKey(t, svc, "Unit", "After", "network-online.target", "n-network.service", "basic.service")
}

func TestPodMembers(t *testing.T) {
	ctr := func(extra string) string { return "[Container]\nImage=localhost/x\nPod=p.pod\n" + extra }
	svc := convertOK(t, "p.pod", map[string]string{
		"p.pod":           "[Pod]\n",
		"a.container":     ctr(""),
		"b.container":     ctr("StartWithPod=false\n"),
		"t@.container":    ctr(""),
		"t@1.container":   ctr(""),
		"other.container": "[Container]\nImage=localhost/x\n",
	})
	want := []string{"a.service", "t@1.service"}
	wantKey(t, svc, "Unit", "Wants", append([]string{"network-online.target"}, want...)...)
	wantKey(t, svc, "Unit", "Before", want...)
}
