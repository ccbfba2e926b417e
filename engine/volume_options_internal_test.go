package engine

import (
	"errors"
	"slices"
	"testing"
)

func TestVolumeMountArgs(t *testing.T) {
	for _, tc := range []struct {
		opts map[string]string
		want []string
		bind bool
	}{
		// uid=/gid= are tmpfs options: passed on, as podman does.
		{map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=10m,uid=1000,gid=1000,nocopy"},
			[]string{"-t", "tmpfs", "-o", "size=10m,uid=1000,gid=1000", "--", "tmpfs", "/v"}, false},
		{map[string]string{"type": "tmpfs"}, []string{"-t", "tmpfs", "--", "tmpfs", "/v"}, false},
		{map[string]string{"type": "none", "device": "/srv/x", "o": "bind"},
			[]string{"-t", "none", "-o", "bind", "--", "/srv/x", "/v"}, true},
		{map[string]string{"type": "bind", "device": "/srv/x", "o": "ro"},
			[]string{"-o", "bind,ro", "--", "/srv/x", "/v"}, true},
		// ext4 refuses uid=: berth sets the root's owner itself.
		{map[string]string{"type": "ext4", "device": "/dev/loop3", "o": "uid=5,noatime"},
			[]string{"-t", "ext4", "-o", "noatime", "--", "/dev/loop3", "/v"}, false},
		{map[string]string{"device": "/dev/sdz1"}, []string{"--", "/dev/sdz1", "/v"}, false},
	} {
		lo, err := parseLocalOptions(tc.opts)
		if err != nil || lo.mount == nil {
			t.Errorf("%v: %v %+v", tc.opts, err, lo)
			continue
		}
		if got := lo.mount.mountArgs("/v"); !slices.Equal(got, tc.want) || lo.mount.bind != tc.bind {
			t.Errorf("%v: mount %q (bind %v), want %q (bind %v)", tc.opts, got, lo.mount.bind, tc.want, tc.bind)
		}
	}

	lo, err := parseLocalOptions(map[string]string{"o": "uid=3,gid=4,nocopy,noquota"})
	if err != nil || lo.mount != nil || *lo.uid != 3 || *lo.gid != 4 || *lo.copy {
		t.Errorf("a folder with o=uid,gid,nocopy: %v %+v", err, lo)
	}
	for _, bad := range []map[string]string{
		{"o": "size=10m"}, {"o": "timeout=3"},
	} {
		if _, err := parseLocalOptions(bad); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%v: %v, want ErrUnsupported", bad, err)
		}
	}
	for _, bad := range []map[string]string{
		{"o": "noexec"}, {"type": ""}, {"type": "none", "o": "bind", "device": "rel/dir"},
		{"image": "x"}, {"copy": "", "nocopy": ""}, {"o": "uid=-1"}, {"colour": "red"},
	} {
		if _, err := parseLocalOptions(bad); !errors.Is(err, errVolumeOptions) {
			t.Errorf("%v: %v, want an option error", bad, err)
		}
	}
}

func TestVolumeDest(t *testing.T) {
	c := &ContainerConfig{
		Volumes: []string{"/host:/h", "/vols/a/_data:/a:ro"},
		Mounts:  []string{"type=bind,Destination=/b,src=/vols/b/_data"},
	}
	for data, want := range map[string]string{"/vols/a/_data": "/a", "/vols/b/_data": "/b", "/vols/c/_data": ""} {
		if got := volumeDest(c, data); got != want {
			t.Errorf("volumeDest(%s) = %q, want %q", data, got, want)
		}
	}
}
