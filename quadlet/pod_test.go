package quadlet

import (
	"slices"
	"strings"
	"testing"
)

func TestPodShape(t *testing.T) {
	svc := rsrcOK(t, "web.pod", map[string]string{"web.pod": "[Service]\nEnvironment=A=1\n[Pod]\nGlobalArgs=--log-level=debug\n"})
	rsrcWant(t, rsrcExec(t, svc, "ExecStartPre"), []string{"--log-level=debug", "pod", "create",
		"--infra-conmon-pidfile=%t/%N.pid", "--replace", "--exit-policy", "stop",
		"--infra-name", "systemd-web-infra", "--name", "systemd-web"})
	rsrcWant(t, rsrcExec(t, svc, "ExecStart"), []string{"--log-level=debug", "pod", "start", "systemd-web"})
	rsrcWant(t, rsrcExec(t, svc, "ExecStop"), []string{"--log-level=debug", "pod", "stop", "--ignore", "--time=10", "systemd-web"})
	rsrcWant(t, rsrcExec(t, svc, "ExecStopPost"), []string{"--log-level=debug", "pod", "rm", "--ignore", "--force", "systemd-web"})
	rsrcWant(t, svc.All("Service", "Environment"), []string{"A=1", "PODMAN_SYSTEMD_UNIT=%n"})
	for key, want := range map[string]string{"Type": "forking", "PIDFile": "%t/%N.pid", "Restart": "on-failure", "SyslogIdentifier": "%N"} {
		if v := svc.All("Service", key); !slices.Equal(v, []string{want}) {
			t.Errorf("%s=%q, want %q", key, v, want)
		}
	}
	if r := rsrcConvert(t, map[string]string{"web.pod": "[Pod]\n"})["web.pod"]; r.Name != "web-pod.service" {
		t.Errorf("service name %q", r.Name)
	}
}

func TestPodKeys(t *testing.T) {
	svc := rsrcOK(t, "p.pod", map[string]string{"p.pod": `[Pod]
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
	rsrcWant(t, rsrcExec(t, svc, "ExecStartPre"), []string{"pod", "create",
		"--infra-conmon-pidfile=%t/%N.pid", "--replace", "--exit-policy", "continue",
		"--userns", "keep-id", "--uidmap", "0:1:2", "--uidmap", "3:4:5", "--subgidname", "g",
		"--publish", "127.0.0.1:80:90", "--label", "a=b", "--network", "host",
		"--ip", "10.0.0.2", "--ip6", "fd00::2", "--shm-size", "5g", "--network-alias", "web",
		"--dns", "1.1.1.1", "--dns-option", "ndots:1", "--dns-search", "example.com",
		"--add-host", "h:10.0.0.9", "--hostname", "box", "-v", "/srv:/srv:ro", "-v", "/anon",
		"--infra-name", "test-pod-infra", "--name", "test-pod", "--with-space", "yes"})
	rsrcWant(t, rsrcExec(t, svc, "ExecStop"), []string{"pod", "stop", "--ignore", "--time=20", "test-pod"})
	rsrcWant(t, svc.All("Unit", "RequiresMountsFor"), []string{"/srv"})
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
		svc := rsrcOK(t, "r.pod", map[string]string{"r.pod": "[Pod]\n" + src})
		rsrcContains(t, rsrcExec(t, svc, "ExecStartPre"), want...)
	}
}

func TestPodErrors(t *testing.T) {
	for name, c := range map[string]struct{ src, msg string }{
		"exit":     {"ExitPolicy=maybe\n", "p.pod:2: converting \"p.pod\": ExitPolicy=maybe: must be stop or continue"},
		"timeout":  {"StopTimeout=soon\n", "StopTimeout=soon: not an integer"},
		"remap":    {"RemapUsers=nobody\n", "unsupported RemapUsers option 'nobody'"},
		"both":     {"UserNS=auto\nRemapUsers=auto\n", "deprecated Remap keys are set along with explicit mapping keys"},
		"volume":   {"Volume=nope.volume:/x\n", "nope.volume was not found"},
		"network":  {"Network=nope.network\n", "nope.network was not found"},
		"unknown":  {"Publishport=80\n", "did you mean 'PublishPort'?"},
		"notmykey": {"Image=x\n", "unsupported key 'Image' in group 'Pod'"},
	} {
		t.Run(name, func(t *testing.T) {
			msg := rsrcFail(t, "p.pod", map[string]string{"p.pod": "[Pod]\n" + c.src})
			if !strings.Contains(msg, c.msg) {
				t.Errorf("%q lacks %q", msg, c.msg)
			}
		})
	}
}

func TestPodReferences(t *testing.T) {
	svc := rsrcOK(t, "p.pod", map[string]string{
		"p.pod":               "[Pod]\nVolume=service-name.volume:/container/quadlet\nNetwork=n.network:ip=10.0.0.5\n",
		"service-name.volume": "[Volume]\nServiceName=basic\nVolumeName=test-volume\n",
		"n.network":           "[Network]\n",
	})
	args := rsrcExec(t, svc, "ExecStartPre")
	rsrcContains(t, args, "-v", "test-volume:/container/quadlet")
	rsrcContains(t, args, "--network", "systemd-n:ip=10.0.0.5")
	rsrcWant(t, svc.All("Unit", "Requires"), []string{"n-network.service", "basic.service"})
	rsrcWant(t, svc.All("Unit", "After"), []string{"network-online.target", "n-network.service", "basic.service"})
}

func TestPodMembers(t *testing.T) {
	ctr := func(extra string) string { return "[Container]\nImage=localhost/x\nPod=p.pod\n" + extra }
	svc := rsrcOK(t, "p.pod", map[string]string{
		"p.pod":           "[Pod]\n",
		"a.container":     ctr(""),
		"b.container":     ctr("StartWithPod=false\n"),
		"t@.container":    ctr(""),
		"t@1.container":   ctr(""),
		"other.container": "[Container]\nImage=localhost/x\n",
	})
	want := []string{"a.service", "t@1.service"}
	rsrcWant(t, svc.All("Unit", "Wants"), append([]string{"network-online.target"}, want...))
	rsrcWant(t, svc.All("Unit", "Before"), want)
}
