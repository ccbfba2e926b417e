package quadlet

import (
	"slices"
	"strings"
	"testing"
)

// The generated [Unit] and [Service] keep podman's order (see the harness's
// dryrun-print-kube case).
func TestKubeShape(t *testing.T) {
	svc := convertOK(t, "web.kube", map[string]string{"web.kube": "[Kube]\nYaml=deployment.yml\n"})
	var got []string
	for _, sec := range []string{"Unit", "Service"} {
		for _, l := range svc.Entries(sec) {
			got = append(got, l.Key+"="+l.Value)
		}
	}
	yaml := testDir + "/deployment.yml"
	want := []string{"Wants=network-online.target", "After=network-online.target",
		"SourcePath=" + testDir + "/web.kube", "RequiresMountsFor=%t/containers",
		"KillMode=mixed", "Environment=PODMAN_SYSTEMD_UNIT=%n", "Type=notify", "NotifyAccess=all",
		"SyslogIdentifier=%N",
		"ExecStart=/usr/bin/berth kube play --replace --service-container=true " + yaml,
		"ExecStopPost=/usr/bin/berth kube down " + yaml}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := convertFiles(t, Options{}, map[string]string{"web.kube": "[Kube]\nYaml=a.yml\n"})["web.kube"]; r.Name != "web.service" {
		t.Errorf("service name %q", r.Name)
	}
}

func TestKubeKeys(t *testing.T) {
	svc := convertOK(t, "web.kube", map[string]string{
		"web.kube": `[Kube]
Yaml=/k/a.yml
Yaml=b.yml
AutoUpdate=registry
AutoUpdate=db/local
ConfigMap=cm.yml
ConfigMap=/k/cm.yml
ExitCodePropagation=any
LogDriver=journald
LogOpt=tag=x
Network=host
Network=net.network:ip=10.0.0.2
PublishPort=8080:80
UserNS=keep-id
KubeDownForce=yes
GlobalArgs=--log-level=debug
PodmanArgs=--start=false
`,
		"net.network": "[Network]\n"})
	wantList(t, execArgs(t, svc, "ExecStart"), "--log-level=debug", "kube", "play", "--replace",
		"--service-container=true", "--annotation", "io.containers.autoupdate=registry",
		"--annotation", "io.containers.autoupdate/db=local", "--configmap", testDir+"/cm.yml",
		"--configmap", "/k/cm.yml", "--service-exit-code-propagation=any", "--log-driver", "journald",
		"--log-opt", "tag=x", "--network", "host", "--network", "systemd-net:ip=10.0.0.2",
		"--publish", "8080:80", "--userns", "keep-id", "--start=false", "/k/a.yml", testDir+"/b.yml")
	wantList(t, execArgs(t, svc, "ExecStopPost"), "--log-level=debug", "kube", "down", "--force", "/k/a.yml", testDir+"/b.yml")
	wantKey(t, svc, "Unit", "Requires", "net-network.service")
}

func TestKubeRemap(t *testing.T) {
	svc := convertOK(t, "web.kube", map[string]string{"web.kube": "[Kube]\nYaml=/a.yml\nRemapUsers=auto\nRemapUid=0:1:2\nRemapUidSize=10\n"})
	wantSeq(t, execArgs(t, svc, "ExecStart"), "--userns", "auto:uidmapping=0:1:2,size=10")
}

func TestKubeWorkingDirectory(t *testing.T) {
	for keys, wd := range map[string]string{
		"Yaml=sub/a.yml\nSetWorkingDirectory=yaml":                             testDir + "/sub",
		"Yaml=/k/a.yml\nSetWorkingDirectory=yaml":                              "/k",
		"Yaml=/k/a.yml\nYaml=/k/b.yml\nSetWorkingDirectory=unit":               testDir,
		"Yaml=a.yml\nSetWorkingDirectory=unit\n[Service]\nWorkingDirectory=/x": "/x",
		"Yaml=a.yml": "",
	} {
		svc := convertOK(t, "web.kube", map[string]string{"web.kube": "[Kube]\n" + keys + "\n"})
		if wd == "" {
			wantKey(t, svc, "Service", "WorkingDirectory")
		} else {
			wantKey(t, svc, "Service", "WorkingDirectory", wd)
		}
	}
}

// The user's own [Service] settings win over the generated defaults.
func TestKubeUserService(t *testing.T) {
	svc := convertOK(t, "web.kube", map[string]string{"web.kube": "[Kube]\nYaml=a.yml\n[Service]\nType=oneshot\nSyslogIdentifier=me\n"})
	wantKey(t, svc, "Service", "Type", "oneshot")
	wantKey(t, svc, "Service", "SyslogIdentifier", "me")
}

func TestKubeErrors(t *testing.T) {
	wantErrors(t, "web.kube", "[Kube]\n", map[string]string{
		"LogDriver=journald\n":                               "no Yaml key specified",
		"Yaml=a.yml\nYaml=b.yml\nSetWorkingDirectory=yaml\n": `web.kube:4: converting "web.kube": SetWorkingDirectory=yaml is only supported when a single Yaml key is provided`,
		"Yaml=a.yml\nSetWorkingDirectory=file\n":             "unsupported value for SetWorkingDirectory: file",
		"Yaml=a.yml\nRemapUsers=manual\nRemapUid=0:1:1\n":    `web.kube:3: converting "web.kube": RemapUsers=manual is not supported`,
		"Yaml=a.yml\nRemapUsers=auto\nUserNS=keep-id\n":      "deprecated Remap keys are set along with explicit mapping keys",
		"Yaml=a.yml\nExitCodePropagation=some\n":             "invalid ExitCodePropagation=some",
		"Yaml=a.yml\nAutoUpdate=always\n":                    "invalid AutoUpdate=always",
		"Yaml=a.yml\nNetwork=missing.network\n":              "requested Quadlet network missing.network was not found",
		"Yaml=a.yml\nKubeDownForce=maybe\n":                  "not a boolean",
	})
}
