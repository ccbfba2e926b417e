package quadlet

import (
	"slices"
	"strings"
	"testing"

	"github.com/berth-containers/berth/units"
)

// convertOne converts a single .container file, which must succeed.
func convertOne(t *testing.T, text string) *units.File {
	t.Helper()
	return convertOK(t, "test.container", map[string]string{"test.container": text})
}

func TestContainerBase(t *testing.T) {
	svc := convertOne(t, "[Container]\nImage=localhost/imagename\n")
	wantList(t, execArgs(t, svc, "ExecStart"),
		strings.Fields("run --name systemd-%N --replace --rm --cgroups=split --sdnotify=conmon -d localhost/imagename")...)
	for key, want := range map[string]string{"Type": "notify", "KillMode": "mixed", "Delegate": "yes",
		"NotifyAccess": "all", "SyslogIdentifier": "%N", "Environment": "PODMAN_SYSTEMD_UNIT=%n"} {
		wantKey(t, svc, "Service", key, want)
	}
	wantList(t, execArgs(t, svc, "ExecStop"), strings.Fields("rm -v -f -i systemd-%N")...)
	if v, _ := svc.Lookup("Service", "ExecStopPost"); !strings.HasPrefix(v, "-"+testEngine+" rm -v -f -i") {
		t.Errorf("ExecStopPost = %q", v)
	}
	wantKey(t, svc, "Unit", "RequiresMountsFor", "%t/containers")
}

func TestContainerArgs(t *testing.T) {
	cases := []struct {
		name, keys string
		want       []string
	}{
		{"caps", "AddCapability=CAP_DAC_OVERRIDE CAP_IPC_OWNER", []string{"--cap-add", "cap_dac_override", "--cap-add", "cap_ipc_owner"}},
		{"env", "Environment=A=1 \"B=2 \"\nEnvironment=A=3", []string{"--env", "A=3", "--env", "B=2 "}},
		{"envhost", "EnvironmentHost=no", []string{"--env-host=false"}},
		{"proxy", "HttpProxy=false", []string{"--http-proxy=false"}},
		{"readonly", "ReadOnly=yes\nReadOnlyTmpfs=no", []string{"--read-only", "--read-only-tmpfs=false"}},
		{"user", "User=998\nGroup=999", []string{"--user", "998:999"}},
		{"mask", "Mask=/a:/b", []string{"--security-opt", "mask=/a:/b"}},
		{"label", "SecurityLabelLevel=s0:c1,c2", []string{"--security-opt", "label=level:s0:c1,c2"}},
		{"nonewpriv", "NoNewPrivileges=true", []string{"--security-opt", "no-new-privileges"}},
		{"autoupdate", "AutoUpdate=registry", []string{"--label", "io.containers.autoupdate=registry"}},
		{"notify", "Notify=yes", []string{"--sdnotify=container"}},
		{"healthy", "Notify=healthy", []string{"--sdnotify=healthy"}},
		{"cgroups", "CgroupsMode=no-conmon", []string{"--cgroups", "no-conmon"}},
		{"entrypoint", "Entrypoint=top -b", []string{"--entrypoint=top -b"}},
		{"envfile", "EnvironmentFile=rel\nEnvironmentFile=%h/env", []string{"--env-file", "/etc/containers/systemd/rel", "--env-file", "%h/env"}},
		{"volatile", "VolatileTmp=yes", []string{"--tmpfs", "/tmp:rw,size=512M,mode=1777"}},
		{"remapauto", "RemapUsers=auto\nRemapUid=0:1:2\nRemapGid=0:3:4\nRemapUidSize=9", []string{"--userns", "auto:uidmapping=0:1:2,gidmapping=0:3:4,size=9"}},
		{"remapkeep", "RemapUsers=keep-id\nRemapUid=200\nRemapGid=210", []string{"--userns", "keep-id:uid=200,gid=210"}},
		{"remapmanual", "RemapUsers=manual\nRemapUid=0:1:2", []string{"--uidmap", "0:1:2"}},
		{"volume", "Volume=./data:/data:Z", []string{"-v", "/etc/containers/systemd/data:/data:Z"}},
		{"podmanargs", "PodmanArgs=--foo \"a b\"", []string{"--foo", "a b", "localhost/imagename"}},
		{"exec", "Exec=\"/bin/x y\" --arg", []string{"localhost/imagename", "/bin/x y", "--arg"}},
		{"escape", "Label=regex=^foo(\\?.*)?$", []string{"--sdnotify=conmon", "-d", "localhost/imagename"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := convertOne(t, "[Container]\nImage=localhost/imagename\n"+tc.keys+"\n")
			wantSeq(t, execArgs(t, svc, "ExecStart"), tc.want...)
		})
	}
}

func TestContainerRootfs(t *testing.T) {
	svc := convertOne(t, "[Container]\nRootfs=/var/lib/foobar\nExec=sh\n")
	got := execArgs(t, svc, "ExecStart")
	wantList(t, got[len(got)-3:], "--rootfs", "/var/lib/foobar", "sh")
}

func TestContainerOneshot(t *testing.T) {
	svc := convertOne(t, "[Container]\nImage=localhost/i\n[Service]\nType=oneshot\n")
	got := execArgs(t, svc, "ExecStart")
	if slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "--sdnotify") || s == "-d" }) {
		t.Errorf("oneshot ExecStart args = %q", got)
	}
	wantKey(t, svc, "Service", "Type", "oneshot")
}

func TestContainerTemplateName(t *testing.T) {
	svc := convertOK(t, "web@.container", map[string]string{"web@.container": "[Container]\nImage=localhost/i\n"})
	wantSeq(t, execArgs(t, svc, "ExecStart"), "--name", "systemd-%p_%i")
}

func TestContainerStopTimeoutAndReload(t *testing.T) {
	svc := convertOne(t, "[Container]\nImage=localhost/i\nStopTimeout=20\nReloadSignal=SIGHUP\n")
	wantSeq(t, execArgs(t, svc, "ExecStop"), "--time", "20", "systemd-%N")
	wantSeq(t, execArgs(t, svc, "ExecStart"), "--stop-timeout", "20")
	wantList(t, execArgs(t, svc, "ExecReload"), "kill", "--signal", "SIGHUP", "systemd-%N")
}

func TestContainerReferences(t *testing.T) {
	r := convertFiles(t, Options{}, map[string]string{
		"db.container":  "[Container]\nImage=localhost/db\nContainerName=foobar\n",
		"web.container": "[Container]\nImage=localhost/web\nNetwork=db.container\n",
		"tpl.container": "[Container]\nImage=localhost/web\nNetwork=db.container:opt\nServiceName=svc\n",
		"x.container":   "[Container]\nImage=localhost/web\nNetwork=tpl.container\n",
	})
	for _, name := range []string{"web.container", "x.container"} {
		if res := r[name]; res.Failed() {
			t.Fatalf("%s failed: %v", name, res.Diags)
		}
	}
	web := r["web.container"]
	wantSeq(t, execArgs(t, web.Service, "ExecStart"), "--network", "container:foobar")
	wantKey(t, web.Service, "Unit", "Requires", "db.service")
	wantSeq(t, execArgs(t, r["x.container"].Service, "ExecStart"), "--network", "container:systemd-svc")
}

func TestContainerErrors(t *testing.T) {
	wantErrors(t, "e.container", "[Container]\n", map[string]string{
		"":                            "no Image or Rootfs key specified",
		"Image=a/b\nPod=test-pod\n":   "pod test-pod is not Quadlet based",
		"Image=a/b\nPod=x.pod\n":      "requested Quadlet pod x.pod was not found",
		"Image=missing.build\n":       "requested Quadlet image missing.build was not found",
		"Image=a/b\nNotify=maybe\n":   "invalid Notify=maybe",
		"Image=a/b\nRetry=x\n":        "not an integer",
		"Image=a/b\nGroup=1\n":        "Group set without User",
		"Image=a/b\nPull=sometimes\n": "invalid Pull=sometimes",
		"Image=a/b\nRemapUsers=auto\nUserNS=keep-id\n":   "deprecated Remap keys are set along with explicit mapping keys",
		"Image=a/b\nReloadCmd=/x\nReloadSignal=SIGHUP\n": "ReloadCmd and ReloadSignal are mutually exclusive but both are set",
		"Image=a/b\nMount=type=image,destination=/x\n":   "source parameter is required for mount type image",
		"Image=a/b\nVolume=v.volume:/x\n":                "requested Quadlet volume v.volume was not found",
		"Image=a/b\nNetwork=n.network\n":                 "requested Quadlet network n.network was not found",
		"Image=a/b\n[Service]\nKillMode=process\n":       "invalid KillMode 'process'",
		"Image=a/b\nImagee=x\n":                          "did you mean 'Image'",
	})
}

func TestContainerShortNameWarning(t *testing.T) {
	r := convertFiles(t, Options{}, map[string]string{"s.container": "[Container]\nImage=shortname\n"})["s.container"]
	if r.Failed() || len(r.Diags) != 1 || !strings.Contains(r.Diags[0].String(), "not a fully qualified image name") {
		t.Errorf("diagnostics = %v", r.Diags)
	}
}

func TestContainerOptionalDevice(t *testing.T) {
	opts := Options{PathExists: func(p string) bool { return p == "/dev/fuse" }}
	text := "[Container]\nImage=a/b\nAddDevice=-/dev/fuse\nAddDevice=-/dev/nope:/dev/x\nAddDevice=/dev/kvm\n"
	r := convertFiles(t, opts, map[string]string{"d.container": text})["d.container"]
	got := execArgs(t, r.Service, "ExecStart")
	if !hasSeq(got, "--device", "/dev/fuse", "--device", "/dev/kvm") || slices.Contains(got, "/dev/nope:/dev/x") {
		t.Errorf("ExecStart args = %q", got)
	}
}
