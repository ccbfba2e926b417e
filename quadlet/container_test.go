package quadlet

import (
	"slices"
	"strings"
	"testing"

	"github.com/berth-containers/berth/units"
)

const testEngine = "/usr/bin/berth"

// convertFiles converts the named unit files, which live in /etc/containers/systemd.
func convertFiles(t *testing.T, opts Options, files map[string]string) map[string]Result {
	t.Helper()
	var srcs []*Source
	for name, text := range files {
		f, err := units.Parse("/etc/containers/systemd/"+name, []byte(text))
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		srcs = append(srcs, &Source{Name: name, File: f})
	}
	if opts.Engine == "" {
		opts.Engine = testEngine
	}
	out := map[string]Result{}
	for _, r := range Convert(srcs, opts) {
		out[r.Source.Name] = r
	}
	return out
}

// convertOne converts a single .container file and fails the test on errors.
func convertOne(t *testing.T, text string) *units.File {
	t.Helper()
	r := convertFiles(t, Options{}, map[string]string{"test.container": text})["test.container"]
	if r.Failed() {
		t.Fatalf("conversion failed: %v", r.Diags)
	}
	return r.Service
}

// execArgs returns the argv after the engine of the last [Service] key.
func execArgs(t *testing.T, svc *units.File, key string) []string {
	t.Helper()
	v, ok := svc.Lookup("Service", key)
	if !ok {
		t.Fatalf("no %s in\n%s", key, svc)
	}
	w, err := units.SplitWords(v)
	if err != nil {
		t.Fatalf("%s=%s: %v", key, v, err)
	}
	i := slices.IndexFunc(w, func(s string) bool { return strings.TrimLeft(s, "-") == testEngine })
	if i < 0 {
		t.Fatalf("%s=%s does not run the engine", key, v)
	}
	return w[i+1:]
}

func hasSeq(argv []string, seq ...string) bool {
	for i := 0; i+len(seq) <= len(argv); i++ {
		if slices.Equal(argv[i:i+len(seq)], seq) {
			return true
		}
	}
	return false
}

func TestContainerBase(t *testing.T) {
	svc := convertOne(t, "[Container]\nImage=localhost/imagename\n")
	got := execArgs(t, svc, "ExecStart")
	want := strings.Fields("run --name systemd-%N --replace --rm --cgroups=split --sdnotify=conmon -d localhost/imagename")
	if !slices.Equal(got, want) {
		t.Errorf("ExecStart args = %q, want %q", got, want)
	}
	for key, want := range map[string]string{"Type": "notify", "KillMode": "mixed", "Delegate": "yes",
		"NotifyAccess": "all", "SyslogIdentifier": "%N", "Environment": "PODMAN_SYSTEMD_UNIT=%n"} {
		if v, _ := svc.Lookup("Service", key); v != want {
			t.Errorf("[Service] %s = %q, want %q", key, v, want)
		}
	}
	if got := execArgs(t, svc, "ExecStop"); !slices.Equal(got, strings.Fields("rm -v -f -i systemd-%N")) {
		t.Errorf("ExecStop args = %q", got)
	}
	if v, _ := svc.Lookup("Service", "ExecStopPost"); !strings.HasPrefix(v, "-"+testEngine+" rm -v -f -i") {
		t.Errorf("ExecStopPost = %q", v)
	}
	if v, _ := svc.Lookup("Unit", "RequiresMountsFor"); v != "%t/containers" {
		t.Errorf("RequiresMountsFor = %q", v)
	}
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
			if got := execArgs(t, svc, "ExecStart"); !hasSeq(got, tc.want...) {
				t.Errorf("ExecStart args %q lack %q", got, tc.want)
			}
		})
	}
}

func TestContainerRootfs(t *testing.T) {
	svc := convertOne(t, "[Container]\nRootfs=/var/lib/foobar\nExec=sh\n")
	got := execArgs(t, svc, "ExecStart")
	if !slices.Equal(got[len(got)-3:], []string{"--rootfs", "/var/lib/foobar", "sh"}) {
		t.Errorf("ExecStart args = %q", got)
	}
}

func TestContainerOneshot(t *testing.T) {
	svc := convertOne(t, "[Container]\nImage=localhost/i\n[Service]\nType=oneshot\n")
	got := execArgs(t, svc, "ExecStart")
	if slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "--sdnotify") || s == "-d" }) {
		t.Errorf("oneshot ExecStart args = %q", got)
	}
	if all := svc.All("Service", "Type"); !slices.Equal(all, []string{"oneshot"}) {
		t.Errorf("Type = %q", all)
	}
}

func TestContainerTemplateName(t *testing.T) {
	r := convertFiles(t, Options{}, map[string]string{"web@.container": "[Container]\nImage=localhost/i\n"})
	svc := r["web@.container"].Service
	if got := execArgs(t, svc, "ExecStart"); !hasSeq(got, "--name", "systemd-%p_%i") {
		t.Errorf("ExecStart args = %q", got)
	}
}

func TestContainerStopTimeoutAndReload(t *testing.T) {
	svc := convertOne(t, "[Container]\nImage=localhost/i\nStopTimeout=20\nReloadSignal=SIGHUP\n")
	if got := execArgs(t, svc, "ExecStop"); !hasSeq(got, "--time", "20", "systemd-%N") {
		t.Errorf("ExecStop args = %q", got)
	}
	if got := execArgs(t, svc, "ExecStart"); !hasSeq(got, "--stop-timeout", "20") {
		t.Errorf("ExecStart args = %q", got)
	}
	if got := execArgs(t, svc, "ExecReload"); !slices.Equal(got, []string{"kill", "--signal", "SIGHUP", "systemd-%N"}) {
		t.Errorf("ExecReload args = %q", got)
	}
}

func TestContainerReferences(t *testing.T) {
	r := convertFiles(t, Options{}, map[string]string{
		"db.container":  "[Container]\nImage=localhost/db\nContainerName=foobar\n",
		"web.container": "[Container]\nImage=localhost/web\nNetwork=db.container\n",
		"tpl.container": "[Container]\nImage=localhost/web\nNetwork=db.container:opt\nServiceName=svc\n",
		"x.container":   "[Container]\nImage=localhost/web\nNetwork=tpl.container\n",
	})
	web := r["web.container"]
	if web.Failed() {
		t.Fatal(web.Diags)
	}
	if got := execArgs(t, web.Service, "ExecStart"); !hasSeq(got, "--network", "container:foobar") {
		t.Errorf("ExecStart args = %q", got)
	}
	if v := web.Service.All("Unit", "Requires"); !slices.Equal(v, []string{"db.service"}) {
		t.Errorf("Requires = %q", v)
	}
	if got := execArgs(t, r["x.container"].Service, "ExecStart"); !hasSeq(got, "--network", "container:systemd-svc") {
		t.Errorf("ExecStart args = %q", got)
	}
}

func TestContainerErrors(t *testing.T) {
	cases := map[string]string{
		"[Container]\n":                                               "no Image or Rootfs key specified",
		"[Container]\nImage=a/b\nPod=test-pod\n":                      "pod test-pod is not Quadlet based",
		"[Container]\nImage=a/b\nPod=x.pod\n":                         "requested Quadlet pod x.pod was not found",
		"[Container]\nImage=missing.build\n":                          "requested Quadlet image missing.build was not found",
		"[Container]\nImage=a/b\nNotify=maybe\n":                      "invalid Notify=maybe",
		"[Container]\nImage=a/b\nRetry=x\n":                           "not an integer",
		"[Container]\nImage=a/b\nGroup=1\n":                           "Group set without User",
		"[Container]\nImage=a/b\nPull=sometimes\n":                    "invalid Pull=sometimes",
		"[Container]\nImage=a/b\nRemapUsers=auto\nUserNS=keep-id\n":   "deprecated Remap keys are set along with explicit mapping keys",
		"[Container]\nImage=a/b\nReloadCmd=/x\nReloadSignal=SIGHUP\n": "ReloadCmd and ReloadSignal are mutually exclusive but both are set",
		"[Container]\nImage=a/b\nMount=type=image,destination=/x\n":   "source parameter is required for mount type image",
		"[Container]\nImage=a/b\nVolume=v.volume:/x\n":                "requested Quadlet volume v.volume was not found",
		"[Container]\nImage=a/b\nNetwork=n.network\n":                 "requested Quadlet network n.network was not found",
		"[Container]\nImage=a/b\n[Service]\nKillMode=process\n":       "invalid KillMode 'process'",
		"[Container]\nImage=a/b\nImagee=x\n":                          "did you mean 'Image'",
	}
	for text, want := range cases {
		r := convertFiles(t, Options{}, map[string]string{"e.container": text})["e.container"]
		if !r.Failed() {
			t.Errorf("%q: converted, want error %q", text, want)
			continue
		}
		found := false
		for _, d := range r.Diags {
			found = found || strings.Contains(d.String(), want)
		}
		if !found {
			t.Errorf("%q: diagnostics %v lack %q", text, r.Diags, want)
		}
	}
}

func TestContainerShortNameWarning(t *testing.T) {
	r := convertFiles(t, Options{}, map[string]string{"s.container": "[Container]\nImage=shortname\n"})["s.container"]
	if r.Failed() || len(r.Diags) != 1 || !strings.Contains(r.Diags[0].String(), "not a fully qualified image name") {
		t.Errorf("diagnostics = %v", r.Diags)
	}
}

func TestContainerTableComplete(t *testing.T) {
	// podman-container.unit(5) lists 88 keys plus ServiceName, AppArmor, VolatileTmp and
	// the four deprecated Remap keys.
	if n := len(containerTable.Keys); n != 95 {
		t.Errorf("the [Container] table has %d keys, want 95", n)
	}
	for _, k := range containerTable.Keys {
		if k.Doc == "" || k.Arg == "" {
			t.Errorf("key %s lacks Doc or Arg", k.Name)
		}
		if !k.Converter && k.Apply == nil && k.Flag == "" {
			t.Errorf("key %s has no translation", k.Name)
		}
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
