package generator

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// tree writes files (name → content; content "->target" makes a symlink) under dir.
func tree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(content, "->"); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

type outcome struct {
	status int
	log    string
	out    string // output folder
}

func generate(t *testing.T, files map[string]string, user bool, dirs ...string) outcome {
	t.Helper()
	src := t.TempDir()
	tree(t, src, files)
	unitDirs := src
	for _, d := range dirs {
		unitDirs += ":" + filepath.Join(src, d)
	}
	out := filepath.Join(t.TempDir(), "out")
	var log bytes.Buffer
	status := Run(Options{User: user, OutDir: out, Engine: "/usr/bin/berth",
		Env: Env{UnitDirs: unitDirs}, Stdout: &bytes.Buffer{}, Log: NewLogger(&log, false)})
	return outcome{status, strings.ReplaceAll(log.String(), src+"/", ""), out}
}

func (o outcome) has(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(o.out, name))
	if err != nil {
		t.Fatalf("%s not generated: %v\nlog:\n%s", name, err, o.log)
	}
	return string(data)
}

func (o outcome) hasNot(t *testing.T, name string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(o.out, name)); err == nil {
		t.Fatalf("%s was generated, but should not be", name)
	}
}

func (o outcome) logMatches(t *testing.T, pattern string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(o.log) {
		t.Errorf("log does not match %q:\n%s", pattern, o.log)
	}
}

const good = "[Container]\nImage=localhost/good\n"

// Each kind of bad input is reported with file and line, fails the run, and leaves
// every other unit generated.
func TestBadInputIsReportedAndIsolated(t *testing.T) {
	cases := []struct {
		name, file, content, want string
	}{
		{"unknown key", "bad.container", "[Container]\nImage=x\nImagee=y\n",
			`bad\.container:3: converting "bad\.container": unsupported key 'Imagee' in group 'Container' in .*bad\.container \(did you mean 'Image'\?\)`},
		{"bad value", "bad.container", "[Container]\nImage=x\nReadOnly=maybe\n",
			`bad\.container:3: converting "bad\.container": ReadOnly=maybe: not a boolean`},
		{"line without =", "bad.container", "[Container]\nImage=x\njust words\n",
			`bad\.container:3: "just words" is not a key=value pair`},
		{"key before section", "bad.container", "Image=x\n[Container]\nImage=x\n",
			`bad\.container:1: key "Image" comes before any \[section\] header`},
		{"missing reference", "bad.container", "[Container]\nImage=x\nNetwork=nowhere.network\n",
			`bad\.container:3: converting "bad\.container": .*nowhere\.network`},
		{"unreadable file", "bad.container", "->/nonexistent/target",
			`bad\.container: cannot read: no such file or directory`},
		{"odd file name", "my web.container", good,
			`my web\.container: converting "my web\.container": "my web\.service" is not a valid unit name`},
		{"non-ASCII file name", "café.container", good, `"café\.service" is not a valid unit name`},
		{"bad section header", "bad.container", "[Container\nImage=x\n",
			`bad\.container:1: invalid section header "\[Container"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := generate(t, map[string]string{c.file: c.content, "good.container": good}, false)
			if o.status != 1 {
				t.Errorf("exit status %d, want 1", o.status)
			}
			o.logMatches(t, c.want)
			o.has(t, "good.service")
			svc := strings.TrimSuffix(c.file, filepath.Ext(c.file)) + ".service"
			o.hasNot(t, svc)
		})
	}
}

func TestDependencyCycleFailsOnlyTheCycle(t *testing.T) {
	o := generate(t, map[string]string{
		"a.container":    "[Container]\nImage=x\nNetwork=b.container\n",
		"b.container":    "[Container]\nImage=x\nNetwork=a.container\n",
		"good.container": good,
	}, false)
	if o.status != 1 {
		t.Errorf("exit status %d, want 1", o.status)
	}
	o.logMatches(t, `a\.container:1: converting "a\.container": dependency cycle between a\.service, b\.service`)
	o.hasNot(t, "a.service")
	o.hasNot(t, "b.service")
	o.has(t, "good.service")
}

func TestWritesAtomicallyAndReplaces(t *testing.T) {
	o := generate(t, map[string]string{"good.container": good}, false)
	if o.status != 0 {
		t.Fatalf("exit status %d:\n%s", o.status, o.log)
	}
	entries, _ := os.ReadDir(o.out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	if !strings.Contains(o.has(t, "good.service"), "ExecStart=/usr/bin/berth run ") {
		t.Errorf("good.service lacks the engine's run line")
	}
}

// Drop-ins apply from every form of folder, in file-name order, and a more specific
// folder's file hides a same-named one in a less specific folder.
func TestDropinPrecedence(t *testing.T) {
	o := generate(t, map[string]string{
		"foo-bar.container":                    "[Container]\nImage=base\n",
		"foo-bar.container.d/10-env.conf":      "[Container]\nEnvironment=SPECIFIC=1\n",
		"foo-.container.d/10-env.conf":         "[Container]\nEnvironment=TRUNCATED=1\n",
		"foo-.container.d/20-label.conf":       "[Container]\nLabel=from=truncated\n",
		"container.d/05-image.conf":            "[Container]\nImage=toplevel\n",
		"container.d/30-image.conf":            "[Container]\nEnvironment=TOP=1\n",
		"other.container":                      "[Container]\nImage=other\n",
		"other.container.d/99-late.conf":       "[Container]\nImage=other-late\n",
		"sub/ignored.container.d/x.conf":       "[Container]\nImage=never\n",
		"unrelated-x.container.d/zz.conf":      "[Container]\nImage=never\n",
		"foo-bar.container.d/notconf.txt":      "[Container]\nImage=never\n",
		"foo-bar.container.d/.hidden.conf":     "[Container]\nImage=never\n",
		"sub/deeper/nested.container":          good,
		"sub/deeper/nested.container.d/a.conf": "[Container]\nEnvironment=NESTED=1\n",
	}, false)
	if o.status != 0 {
		t.Fatalf("exit status %d:\n%s", o.status, o.log)
	}
	svc := o.has(t, "foo-bar.service")
	for _, want := range []string{"SPECIFIC=1", "from=truncated", "TOP=1", " toplevel\n"} {
		if !strings.Contains(svc, want) {
			t.Errorf("foo-bar.service lacks %q:\n%s", want, svc)
		}
	}
	if strings.Contains(svc, "TRUNCATED=1") || strings.Contains(svc, "never") {
		t.Errorf("foo-bar.service has a hidden or foreign drop-in:\n%s", svc)
	}
	if s := o.has(t, "other.service"); !strings.Contains(s, " other-late\n") {
		t.Errorf("other.service: the later drop-in should set the image:\n%s", s)
	}
	if s := o.has(t, "nested.service"); !strings.Contains(s, "NESTED=1") {
		t.Errorf("nested.service: drop-in beside a unit in a sub-folder not applied:\n%s", s)
	}
}

// The first search folder that has a file name wins.
func TestSearchPathPrecedence(t *testing.T) {
	o := generate(t, map[string]string{
		"web.container":        "[Container]\nImage=first\n",
		"second/web.container": "[Container]\nImage=second\n",
		"second/db.container":  "[Container]\nImage=db\n",
	}, false, "second")
	if s := o.has(t, "web.service"); !strings.Contains(s, " first\n") {
		t.Errorf("web.service should come from the first folder:\n%s", s)
	}
	o.has(t, "db.service")
}

func TestInstallLinks(t *testing.T) {
	o := generate(t, map[string]string{
		"app.container":     good + "[Install]\nWantedBy=multi-user.target default.target\nRequiredBy=x.target\nUpheldBy=y.target\nAlias=web.service sub/dir/alias.service\n",
		"tpl@.container":    good + "[Install]\nWantedBy=multi-user.target\nDefaultInstance=one\n",
		"tpl@two.container": good + "[Install]\nWantedBy=multi-user.target\n",
	}, false)
	if o.status != 0 {
		t.Fatalf("exit status %d:\n%s", o.status, o.log)
	}
	want := map[string]string{
		"multi-user.target.wants/app.service":     "../app.service",
		"default.target.wants/app.service":        "../app.service",
		"x.target.requires/app.service":           "../app.service",
		"y.target.upholds/app.service":            "../app.service",
		"web.service":                             "app.service",
		"sub/dir/alias.service":                   "../../app.service",
		"multi-user.target.wants/tpl@one.service": "../tpl@.service",
		"multi-user.target.wants/tpl@two.service": "../tpl@two.service",
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		got, err := os.Readlink(filepath.Join(o.out, n))
		if err != nil || got != want[n] {
			t.Errorf("link %s -> %q (%v), want %q", n, got, err, want[n])
		}
	}
}

func TestSearchPaths(t *testing.T) {
	env := Env{UID: 1000, Home: "/home/u", XDGRuntimeDir: "/run/user/1000"}
	got := strings.Join(SearchPaths(env, true), " ")
	want := "/run/user/1000/containers/systemd /home/u/.config/containers/systemd /etc/containers/systemd/users/1000 /etc/containers/systemd/users"
	if got != want {
		t.Errorf("user paths\n got %s\nwant %s", got, want)
	}
	env.XDGConfigHome = "/xdg"
	if got := SearchPaths(env, true)[1]; got != "/xdg/containers/systemd" {
		t.Errorf("XDG_CONFIG_HOME ignored: %s", got)
	}
	if got := strings.Join(SearchPaths(Env{}, false), " "); got != "/run/containers/systemd /etc/containers/systemd /usr/share/containers/systemd" {
		t.Errorf("system paths: %s", got)
	}
	if got := SearchPaths(Env{UnitDirs: "/a::/b/"}, false); strings.Join(got, " ") != "/a /b" {
		t.Errorf("QUADLET_UNIT_DIRS: %q", got)
	}
	if !skipDir("/etc/containers/systemd/users", "users", false) || skipDir("/etc/containers/systemd/users", "users", true) {
		t.Error("the users folder is for user mode only")
	}
	if !skipDir("/etc/containers/systemd/users/1001", "1001", true) {
		t.Error("another user's folder must be skipped in user mode")
	}
}

func TestDropinDirNames(t *testing.T) {
	got := strings.Join(dropinDirNames("foo-bar-baz@inst.container"), " ")
	want := "foo-bar-baz@inst.container.d foo-bar-baz@.container.d foo-bar-.container.d foo-.container.d container.d"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
