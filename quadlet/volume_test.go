package quadlet

import (
	"slices"
	"testing"
)

func TestVolumeDefaults(t *testing.T) {
	svc := convertOK(t, "data.volume", map[string]string{"data.volume": "[Volume]\n"})
	wantList(t, execArgs(t, svc, "ExecStart"), "volume", "create", "--ignore", "systemd-data")
	wantKey(t, svc, "Service", "Type", "oneshot")
	wantKey(t, svc, "Service", "RemainAfterExit")
	if !svc.HasSection("X-Volume") || svc.HasSection("Volume") {
		t.Errorf("[Volume] not renamed:\n%s", svc)
	}
}

func TestVolumeNames(t *testing.T) {
	for file, want := range map[string]string{"a@.volume": "systemd-a-%i", "a@x.volume": "systemd-a-x"} {
		svc := convertOK(t, file, map[string]string{file: "[Volume]\n"})
		args := execArgs(t, svc, "ExecStart")
		wantList(t, args[len(args)-1:], want)
	}
	svc := convertOK(t, "n.volume", map[string]string{"n.volume": "[Volume]\nVolumeName=test-volume\nServiceName=basic\n"})
	wantList(t, execArgs(t, svc, "ExecStart"), "volume", "create", "--ignore", "test-volume")
	if r := convertFiles(t, Options{}, map[string]string{"n.volume": "[Volume]\nServiceName=basic\n"})["n.volume"]; r.Name != "basic.service" {
		t.Errorf("service name %q", r.Name)
	}
}

func TestVolumeLocalOptions(t *testing.T) {
	svc := convertOK(t, "d.volume", map[string]string{"d.volume": `[Volume]
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
	wantList(t, execArgs(t, svc, "ExecStart"), "--log-level=debug", "volume", "create", "--ignore",
		"--uid", "5", "--gid", "6", "--opt", "nocopy", "--opt", "device=/srv/data", "--opt", "type=bind",
		"--label", "a=b", "--label", "c=d e", "--opt", "o=uid=0,gid=11,rw,compress=zstd", "--foo", "systemd-d")
	wantKey(t, svc, "Unit", "RequiresMountsFor", "/srv/data")
}

func TestVolumeErrors(t *testing.T) {
	wantErrors(t, "d.volume", "[Volume]\n", map[string]string{
		"Type=ext4\n":                      "d.volume:2: converting \"d.volume\": key Type can't be used without Device",
		"User=alice\n":                     "User=alice: not a numeric ID",
		"Driver=image\n":                   "the key Image is mandatory when using the image driver",
		"Driver=image\nImage=nope.build\n": "requested Quadlet image nope.build was not found",
		"Copy=maybe\n":                     "not a boolean",
	})
}

func TestVolumeImage(t *testing.T) {
	svc := convertOK(t, "i.volume", map[string]string{"i.volume": "[Volume]\nDriver=image\nImage=localhost/imagename\nDevice=/x\n"})
	args := execArgs(t, svc, "ExecStart")
	wantSeq(t, args, "--driver", "image")
	wantSeq(t, args, "--opt", "image=localhost/imagename")
	if slices.Contains(args, "device=/x") {
		t.Errorf("Device= used with the image driver: %q", args)
	}
}

func TestVolumeImageUnit(t *testing.T) {
	svc := convertOK(t, "i.volume", map[string]string{
		"i.volume":           "[Volume]\nDriver=image\nImage=service-name.image\n",
		"service-name.image": "[Image]\nImage=localhost/imagename\nServiceName=basic\n",
	})
	wantSeq(t, execArgs(t, svc, "ExecStart"), "--opt", "image=localhost/imagename")
	wantKey(t, svc, "Unit", "Requires", "basic.service")
}
