package oci

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestClassify(t *testing.T) {
	for msg, want := range map[string]error{
		`runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH`: ErrCommandNotFound,
		`runc create failed: unable to start container process: exec: "/x": stat /x: no such file or directory`:   ErrCommandNotFound,
		"executable file `nope` not found in $PATH: No such file or directory":                                    ErrCommandNotFound,
		`runc create failed: unable to start container process: exec: "/etc": permission denied`:                  ErrCommandNotExecutable,
		`exec: "/bin/bad": exec format error`:                                                                     ErrCommandNotExecutable,
		"container does not exist":                                                                                ErrNotExist,
		"error opening file `/run/crun/x/status`: No such file or directory":                                      ErrNotExist,
		"container not running": ErrNotRunning,
	} {
		if err := classify(msg); !errors.Is(err, want) || err.Error() != msg {
			t.Errorf("classify(%q) = %v, want %v", msg, err, want)
		}
	}
	if err := classify("cgroups in hybrid mode not supported"); errors.Unwrap(err) != nil {
		t.Errorf("an unknown message is classified: %v", errors.Unwrap(err))
	}
}

func TestRuntimeMessage(t *testing.T) {
	for in, want := range map[string]string{
		`time="2026-01-01T00:00:00Z" level=error msg="container \"x\" does not exist"` + "\n": `container "x" does not exist`,
		"first\nplain last line\n": "plain last line",
		"":                         "",
	} {
		if got := runtimeMessage(in); got != want {
			t.Errorf("runtimeMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCgroupOf(t *testing.T) {
	for content, want := range map[string]string{
		"0::/system.slice/web.service\n":                                                     "/system.slice/web.service",
		"12:pids:/x\n1:name=systemd:/system.slice/db.service\n0::/\n":                        "/system.slice/db.service", // hybrid, unified not used
		"12:pids:/x\n1:name=systemd:/system.slice/db.service\n0::/system.slice/db.service\n": "/system.slice/db.service",
		"4:memory:/a\n0::/\n": "/",
	} {
		f := filepath.Join(t.TempDir(), "cgroup")
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := cgroupOf(f); err != nil || got != want {
			t.Errorf("cgroupOf(%q) = %q, %v; want %q", content, got, err, want)
		}
	}
	if _, err := CurrentCgroup(); err != nil {
		t.Errorf("CurrentCgroup: %v", err)
	}
}

func TestCreateArgs(t *testing.T) {
	c := &Conmon{Runtime: &Runtime{Name: "crun", Path: "/usr/bin/crun", Root: "/run/x", NoCgroups: true, SystemdCgroup: true}, LogLevel: "debug"}
	args := c.createArgs(CreateOptions{
		ID: "abc", Name: "web", Bundle: "/b", ExitDir: "/e", PersistDir: "/p", LogDriver: LogJournald, LogTag: "t",
		Terminal: true, Stdin: true, ExitCommand: "/usr/bin/berth", ExitCommandArgs: []string{"cleanup", "abc"},
		SdNotifySocket: "/run/systemd/notify", NoPivot: true,
	})
	want := []string{
		"--api-version", "1", "-c", "abc", "-u", "abc", "-r", "/usr/bin/crun", "-b", "/b", "--full-attach",
		"--runtime-arg", "--root", "--runtime-arg", "/run/x", "--runtime-arg", "--systemd-cgroup",
		"--runtime-arg", "--cgroup-manager", "--runtime-arg", "disabled",
		"--runtime-arg", "--log", "--runtime-arg", "/b/oci-log", "--runtime-arg", "--log-format", "--runtime-arg", "json",
		"--log-level", "debug",
		"-p", "/b/pidfile", "--conmon-pidfile", "/b/conmon.pid", "--exit-dir", "/e", "--socket-dir-path", "/b",
		"-n", "web", "--persist-dir", "/p", "-l", "journald:", "--log-tag", "t", "-t", "-i", "--no-pivot",
		"--sdnotify-socket", "/run/systemd/notify",
		"--exit-command", "/usr/bin/berth", "--exit-command-arg", "cleanup", "--exit-command-arg", "abc",
	}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("args\n%q\nwant\n%q", args, want)
	}
}
