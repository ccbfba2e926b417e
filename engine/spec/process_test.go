package spec

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestUsers(t *testing.T) {
	for _, tc := range []struct {
		user     string
		groupAdd []string
		uid, gid uint32
		extra    []uint32
		home     string
	}{
		{"", nil, 0, 0, nil, "/root"},
		{"nobody", nil, 65534, 65534, nil, "/nonexistent"},
		{"app", nil, 1000, 1000, []uint32{10, 63}, "/home/app"}, // its groups from /etc/group
		{"app:wheel", nil, 1000, 10, nil, "/home/app"},          // an explicit group: no others
		{"1000", nil, 1000, 1000, []uint32{10, 63}, "/home/app"},
		{"4242", nil, 4242, 0, nil, "/"}, // a uid without an entry gets gid 0, as in podman
		{"4242:4343", nil, 4242, 4343, nil, "/"},
		{"0:audio", nil, 0, 63, nil, "/root"},
		{"nobody", []string{"wheel", "777"}, 65534, 65534, []uint32{10, 777}, "/nonexistent"},
		{"app", []string{"audio", "keep-groups"}, 1000, 1000, []uint32{10, 63}, "/home/app"},
	} {
		o := opts(t, "id")
		o.User, o.GroupAdd = tc.user, tc.groupAdd
		s := generate(t, o)
		u := s.Process.User
		if u.UID != tc.uid || u.GID != tc.gid || !reflect.DeepEqual(u.AdditionalGids, tc.extra) {
			t.Errorf("--user %q --group-add %q: %d:%d %v, want %d:%d %v", tc.user, tc.groupAdd, u.UID, u.GID, u.AdditionalGids, tc.uid, tc.gid, tc.extra)
		}
		if !slices.Contains(s.Process.Env, "HOME="+tc.home) {
			t.Errorf("--user %q: env %q, want HOME=%s", tc.user, s.Process.Env, tc.home)
		}
	}
	for _, bad := range []string{"nosuchuser", "app:nosuchgroup", "-1"} {
		o := opts(t, "id")
		o.User = bad
		if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("--user %q: %v, want ErrInvalid", bad, err)
		}
	}
	o := opts(t, "id")
	o.GroupAdd = []string{"nosuchgroup"}
	if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
		t.Errorf("--group-add nosuchgroup: %v, want ErrInvalid", err)
	}
}

func TestEnvAndProcess(t *testing.T) {
	o := opts(t, "env")
	o.Env = []string{"A=1", "PATH=/bin", "A=2", "HOME=/h"}
	o.Terminal = true
	o.Hostname = "box"
	o.WorkDir = "/srv"
	o.Umask = "0077"
	o.NoNewPrivs = true
	adj := 500
	o.OOMScoreAdj = &adj
	s := generate(t, o)
	p := s.Process
	if want := []string{"A=2", "PATH=/bin", "HOME=/h", "TERM=xterm", "HOSTNAME=box"}; !reflect.DeepEqual(p.Env, want) {
		t.Errorf("env %q, want %q", p.Env, want)
	}
	if !p.Terminal || p.Cwd != "/srv" || *p.User.Umask != 0o77 || !p.NoNewPrivileges || *p.OOMScoreAdj != 500 || s.Hostname != "box" {
		t.Errorf("process %+v hostname %q", p, s.Hostname)
	}
	for _, bad := range []func(*Options){
		func(o *Options) { o.WorkDir = "relative" },
		func(o *Options) { o.Umask = "999" },
		func(o *Options) { o.Args = nil },
		func(o *Options) { o.Rootfs = "" },
	} {
		o := opts(t, "env")
		bad(&o)
		if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", o, err)
		}
	}
}

func TestInit(t *testing.T) {
	o := opts(t, "sleep", "1")
	o.Init = true
	s := generate(t, o)
	if want := []string{InitDestination, "--", "sleep", "1"}; !reflect.DeepEqual(s.Process.Args, want) {
		t.Errorf("args %q, want %q", s.Process.Args, want)
	}
	m := mountAt(s, InitDestination)
	if m == nil || m.Source != "/usr/bin/catatonit" || m.Type != "bind" || !slices.Contains(m.Options, "ro") {
		t.Errorf("init mount %+v", m)
	}
}

func TestCapabilities(t *testing.T) {
	for _, tc := range []struct {
		add, drop  []string
		has, lacks []string
	}{
		{[]string{"net_admin", "CAP_SYS_TIME"}, nil, []string{"CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_CHOWN"}, nil},
		{nil, []string{"chown", "CAP_KILL"}, []string{"CAP_SETUID"}, []string{"CAP_CHOWN", "CAP_KILL"}},
		{[]string{"net_raw"}, []string{"all"}, []string{"CAP_NET_RAW"}, []string{"CAP_CHOWN"}},
		{[]string{"all"}, []string{"setuid"}, []string{"CAP_SYS_ADMIN", "CAP_CHOWN"}, []string{"CAP_SETUID"}},
	} {
		o := opts(t, "true")
		o.CapAdd, o.CapDrop = tc.add, tc.drop
		c := generate(t, o).Process.Capabilities
		for _, cap := range tc.has {
			if !slices.Contains(c.Bounding, cap) || !slices.Contains(c.Effective, cap) {
				t.Errorf("add %q drop %q: %s missing from %q", tc.add, tc.drop, cap, c.Bounding)
			}
		}
		for _, cap := range tc.lacks {
			if slices.Contains(c.Bounding, cap) {
				t.Errorf("add %q drop %q: %s not dropped", tc.add, tc.drop, cap)
			}
		}
	}
	// Not root: the set bounds the process; only added capabilities are held, as
	// ambient ones so that they survive exec.
	o := opts(t, "true")
	o.User, o.CapAdd = "app", []string{"net_bind_service", "net_admin"}
	c := generate(t, o).Process.Capabilities
	want := []string{"CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"}
	if !slices.Contains(c.Bounding, "CAP_CHOWN") || !reflect.DeepEqual(c.Effective, want) || !reflect.DeepEqual(c.Ambient, want) || !reflect.DeepEqual(c.Inheritable, want) {
		t.Errorf("non-root capabilities %+v", c)
	}
	for _, bad := range [][2][]string{{{"CAP_BOGUS"}, nil}, {{"chown"}, {"chown"}}, {{"all"}, {"all"}}} {
		o := opts(t, "true")
		o.CapAdd, o.CapDrop = bad[0], bad[1]
		if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("add %q drop %q: %v, want ErrInvalid", bad[0], bad[1], err)
		}
	}
	o = opts(t, "true")
	o.DefaultCaps = []string{"CAP_KILL"}
	if c := generate(t, o).Process.Capabilities; !reflect.DeepEqual(c.Bounding, []string{"CAP_KILL"}) {
		t.Errorf("containers.conf default_capabilities: %q", c.Bounding)
	}
}

func TestMergeImage(t *testing.T) {
	img := &imgspec.ImageConfig{
		Entrypoint: []string{"/entry"}, Cmd: []string{"serve"},
		Env: []string{"PATH=/img/bin", "IMG=1", "BOTH=img"}, WorkingDir: "/app",
		User: "app", StopSignal: "SIGQUIT", Labels: map[string]string{"a": "img", "b": "img"},
	}
	for _, tc := range []struct {
		name string
		o    Options
		c    Command
		args []string
	}{
		{"image's", Options{}, Command{}, []string{"/entry", "serve"}},
		{"user's command", Options{}, Command{Cmd: []string{"debug"}}, []string{"/entry", "debug"}},
		{"entrypoint drops the image's cmd", Options{}, Command{Entrypoint: []string{"/bin/sh"}, EntrypointSet: true}, []string{"/bin/sh"}},
		{"empty entrypoint", Options{}, Command{EntrypointSet: true, Cmd: []string{"ls"}}, []string{"ls"}},
	} {
		o := tc.o
		if err := MergeImage(&o, img, tc.c); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(o.Args, tc.args) {
			t.Errorf("%s: args %q, want %q", tc.name, o.Args, tc.args)
		}
	}
	o := Options{Env: []string{"BOTH=user", "USER=1"}, WorkDir: "/w", User: "root", StopSignal: "TERM", Labels: map[string]string{"b": "user"}}
	if err := MergeImage(&o, img, Command{}); err != nil {
		t.Fatal(err)
	}
	want := Options{
		Args: []string{"/entry", "serve"}, Env: []string{"PATH=/img/bin", "IMG=1", "BOTH=user", "USER=1"},
		WorkDir: "/w", User: "root", StopSignal: "TERM", Labels: map[string]string{"a": "img", "b": "user"},
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("merged %+v\nwant %+v", o, want)
	}
	o = Options{}
	if err := MergeImage(&o, img, Command{}); err != nil || o.WorkDir != "/app" || o.User != "app" || o.StopSignal != "SIGQUIT" {
		t.Errorf("image defaults: %+v, %v", o, err)
	}
	if err := MergeImage(&Options{}, &imgspec.ImageConfig{}, Command{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no command at all: %v", err)
	}
	if err := MergeImage(&Options{}, nil, Command{Cmd: []string{"x"}}); err != nil {
		t.Errorf("nil image config: %v", err)
	}
}

func TestStopSignalAndAnnotations(t *testing.T) {
	o := opts(t, "true")
	o.StopSignal = "quit"
	o.Annotations = map[string]string{"x": "y"}
	s := generate(t, o)
	if want := map[string]string{"x": "y", StopSignalAnnotation: "SIGQUIT"}; !reflect.DeepEqual(s.Annotations, want) {
		t.Errorf("annotations %v, want %v", s.Annotations, want)
	}
	for in, want := range map[string]string{"15": "SIGTERM", "SIGKILL": "SIGKILL", "rtmin+3": "37", "HUP": "SIGHUP"} {
		sig, err := ParseSignal(in)
		if err != nil || SignalName(sig) != want {
			t.Errorf("ParseSignal(%q) = %v (%s), %v; want %s", in, sig, SignalName(sig), err, want)
		}
	}
	for _, bad := range []string{"", "0", "65", "SIGNOPE"} {
		if _, err := ParseSignal(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSignal(%q): %v", bad, err)
		}
	}
}
