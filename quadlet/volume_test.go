package quadlet

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/berth-containers/berth/units"
)

const rsrcEngine = "/usr/bin/berth"

// rsrcConvert converts files given as name -> content and returns the results by name.
func rsrcConvert(t *testing.T, files map[string]string) map[string]Result {
	t.Helper()
	var srcs []*Source
	for _, name := range slices.Sorted(maps.Keys(files)) {
		f, err := units.Parse("/etc/containers/systemd/"+name, []byte(files[name]))
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		srcs = append(srcs, &Source{Name: name, File: f})
	}
	out := map[string]Result{}
	for _, r := range Convert(srcs, Options{Engine: rsrcEngine}) {
		out[r.Source.Name] = r
	}
	return out
}

// rsrcOK converts and returns the service of name, failing on errors.
func rsrcOK(t *testing.T, name string, files map[string]string) *units.File {
	t.Helper()
	r := rsrcConvert(t, files)[name]
	if r.Failed() {
		t.Fatalf("%s failed: %v", name, r.Diags)
	}
	return r.Service
}

// rsrcFail converts and returns the joined diagnostics of name, failing if it converted.
func rsrcFail(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	r := rsrcConvert(t, files)[name]
	if !r.Failed() {
		t.Fatalf("%s converted, want an error:\n%s", name, r.Service)
	}
	var msgs []string
	for _, d := range r.Diags {
		msgs = append(msgs, d.String())
	}
	return strings.Join(msgs, "\n")
}

// rsrcExec returns the words after the engine of the last Exec line key.
func rsrcExec(t *testing.T, svc *units.File, key string) []string {
	t.Helper()
	v, ok := svc.Lookup("Service", key)
	if !ok {
		t.Fatalf("no %s in\n%s", key, svc)
	}
	w, err := units.SplitWords(v)
	if err != nil || len(w) == 0 || w[0] != rsrcEngine {
		t.Fatalf("%s=%s: %v", key, v, err)
	}
	return w[1:]
}

func rsrcWant(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// rsrcContains checks that sub appears in order in args.
func rsrcContains(t *testing.T, args []string, sub ...string) {
	t.Helper()
	for i := 0; i+len(sub) <= len(args); i++ {
		if slices.Equal(args[i:i+len(sub)], sub) {
			return
		}
	}
	t.Errorf("%q lacks %q", args, sub)
}

func TestVolumeDefaults(t *testing.T) {
	svc := rsrcOK(t, "data.volume", map[string]string{"data.volume": "[Volume]\n"})
	rsrcWant(t, rsrcExec(t, svc, "ExecStart"), []string{"volume", "create", "--ignore", "systemd-data"})
	if v, _ := svc.Lookup("Service", "Type"); v != "oneshot" {
		t.Errorf("Type=%q", v)
	}
	if _, ok := svc.Lookup("Service", "RemainAfterExit"); ok {
		t.Errorf("RemainAfterExit set")
	}
	if !svc.HasSection("X-Volume") || svc.HasSection("Volume") {
		t.Errorf("[Volume] not renamed:\n%s", svc)
	}
}

func TestVolumeNames(t *testing.T) {
	for file, want := range map[string]string{"a@.volume": "systemd-a-%i", "a@x.volume": "systemd-a-x"} {
		svc := rsrcOK(t, file, map[string]string{file: "[Volume]\n"})
		args := rsrcExec(t, svc, "ExecStart")
		rsrcWant(t, args[len(args)-1:], []string{want})
	}
	svc := rsrcOK(t, "n.volume", map[string]string{"n.volume": "[Volume]\nVolumeName=test-volume\nServiceName=basic\n"})
	rsrcWant(t, rsrcExec(t, svc, "ExecStart"), []string{"volume", "create", "--ignore", "test-volume"})
	if r := rsrcConvert(t, map[string]string{"n.volume": "[Volume]\nServiceName=basic\n"})["n.volume"]; r.Name != "basic.service" {
		t.Errorf("service name %q", r.Name)
	}
}

func TestVolumeLocalOptions(t *testing.T) {
	svc := rsrcOK(t, "d.volume", map[string]string{"d.volume": `[Volume]
User=root
Group=11
Device=/srv/data
Type=bind
Options=rw,compress=zstd
Copy=no
UID=5
GID=6
Label=a=b "c=d e"
GlobalArgs=--log-level=debug
PodmanArgs=--foo
`})
	rsrcWant(t, rsrcExec(t, svc, "ExecStart"), []string{"--log-level=debug", "volume", "create", "--ignore",
		"--uid", "5", "--gid", "6", "--opt", "nocopy", "--opt", "device=/srv/data", "--opt", "type=bind",
		"--label", "a=b", "--label", "c=d e", "--opt", "o=uid=0,gid=11,rw,compress=zstd", "--foo", "systemd-d"})
	if v, _ := svc.Lookup("Unit", "RequiresMountsFor"); v != "/srv/data" {
		t.Errorf("RequiresMountsFor=%q", v)
	}
}

func TestVolumeErrors(t *testing.T) {
	for name, c := range map[string]struct{ src, msg string }{
		"type":    {"Type=ext4\n", "d.volume:2: converting \"d.volume\": key Type can't be used without Device"},
		"user":    {"User=alice\n", "User=alice: not a numeric ID"},
		"noimage": {"Driver=image\n", "the key Image is mandatory when using the image driver"},
		"missing": {"Driver=image\nImage=nope.build\n", "requested Quadlet image nope.build was not found"},
		"copy":    {"Copy=maybe\n", "not a boolean"},
	} {
		t.Run(name, func(t *testing.T) {
			msg := rsrcFail(t, "d.volume", map[string]string{"d.volume": "[Volume]\n" + c.src})
			if !strings.Contains(msg, c.msg) {
				t.Errorf("%q lacks %q", msg, c.msg)
			}
		})
	}
}

func TestVolumeImage(t *testing.T) {
	svc := rsrcOK(t, "i.volume", map[string]string{"i.volume": "[Volume]\nDriver=image\nImage=localhost/imagename\nDevice=/x\n"})
	args := rsrcExec(t, svc, "ExecStart")
	rsrcContains(t, args, "--driver", "image")
	rsrcContains(t, args, "--opt", "image=localhost/imagename")
	if slices.Contains(args, "device=/x") {
		t.Errorf("Device= used with the image driver: %q", args)
	}
}

// TestVolumeImageUnit needs the .image unit type, which image.go registers.
func TestVolumeImageUnit(t *testing.T) {
	if unitTypes[".image"] == nil {
		t.Skip(".image is not registered")
	}
	svc := rsrcOK(t, "i.volume", map[string]string{
		"i.volume":           "[Volume]\nDriver=image\nImage=service-name.image\n",
		"service-name.image": "[Image]\nImage=localhost/imagename\nServiceName=basic\n",
	})
	rsrcContains(t, rsrcExec(t, svc, "ExecStart"), "--opt", "image=localhost/imagename")
	if got := svc.All("Unit", "Requires"); !slices.Equal(got, []string{"basic.service"}) {
		t.Errorf("Requires=%q", got)
	}
}
