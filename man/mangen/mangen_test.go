package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/berth-containers/berth/quadlet"
	"github.com/berth-containers/berth/units"
)

// pages are the man pages of the project, relative to this package.
var pages = []string{"../berth-quadlet.5.md", "../quadlet.8.md"}

// renderPage runs mangen on a page as the build does and returns the roff.
func renderPage(t *testing.T, src string, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(src), ".md"))
	var stderr bytes.Buffer
	if code := run(append(extra, "-o", out, src), &stderr); code != 0 {
		t.Fatalf("mangen %s: exit %d\n%s", src, code, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("mangen %s warned:\n%s", src, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestEveryKeyDocumented fails when a key the generator accepts is not in the unit-file
// page, whichever table it is in: the page's key lists are generated, so this catches a
// unit type without a marker, or a marker for a type that does not exist.
func TestEveryKeyDocumented(t *testing.T) {
	roff := renderPage(t, pages[0], "-strict")
	tables := quadlet.Tables()
	exts := make([]string, 0, len(tables))
	for ext := range tables {
		exts = append(exts, ext)
	}
	sort.Strings(exts)
	n := 0
	for _, ext := range exts {
		for _, k := range tables[ext].Keys {
			n++
			// The tag line of the key's entry, as roff: a bold "Name=".
			tag := "\n\\fB" + strings.ReplaceAll(k.Name, "-", `\-`) + "=\\fR"
			if !strings.Contains(roff, tag) {
				t.Errorf("%s key %s= is not documented in %s", ext, k.Name, pages[0])
			}
		}
	}
	if n == 0 {
		t.Fatal("quadlet.Tables() has no keys at all")
	}
	t.Logf("%d keys of %d tables documented", n, len(exts))
}

// TestEveryUnitTypeHasASection checks the prose side: each registered type is named in
// the synopsis and has its own section with a key list.
func TestEveryUnitTypeHasASection(t *testing.T) {
	src, err := os.ReadFile(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range quadlet.Extensions() {
		if !strings.Contains(string(src), "*name*"+ext) {
			t.Errorf("%s is not in the SYNOPSIS of %s", ext, pages[0])
		}
		if !strings.Contains(string(src), "<!-- keys "+ext+" -->") {
			t.Errorf("%s has no key list in %s", ext, pages[0])
		}
	}
}

// TestRoffIsClean formats both pages with groff, and with man(1) as a user would read
// them, and fails on any warning.
func TestRoffIsClean(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff is not installed")
	}
	for _, src := range pages {
		roff := renderPage(t, src)
		file := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(src), ".md"))
		if err := os.WriteFile(file, []byte(roff), 0o644); err != nil {
			t.Fatal(err)
		}
		text := format(t, src, "groff", "-t", "-man", "-Tutf8", "-ww", "-P-cbou", file)
		if !strings.Contains(text, "NAME") || strings.Contains(text, `\f`) {
			t.Errorf("%s: groff output looks wrong:\n%.400s", src, text)
		}
		if _, err := exec.LookPath("man"); err == nil {
			format(t, src, "man", "--warnings", "-l", file)
		}
	}
}

// format runs a formatter and fails the test on anything it says on stderr.
func format(t *testing.T, src, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("%s %s: %v\n%s", name, src, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("%s warns about %s:\n%s", name, src, stderr.String())
	}
	return stdout.String()
}

// TestExamplesConvert converts the unit files shown in the EXAMPLES of the unit-file
// page (code blocks whose first line names a file under /etc/containers/systemd), so
// that the examples use only keys and values the generator accepts.
func TestExamplesConvert(t *testing.T) {
	data, err := os.ReadFile(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	var srcs []*quadlet.Source
	var dropins []*units.File
	for _, b := range parseMarkdown(string(data)) {
		if b.kind != bCode || len(b.items) == 0 || !strings.HasPrefix(b.items[0], "# /etc/containers/systemd/") {
			continue
		}
		path := strings.TrimPrefix(b.items[0], "# ")
		f, err := units.Parse(path, []byte(strings.Join(b.items[1:], "\n")+"\n"))
		if err != nil {
			t.Fatalf("example %s: %v", path, err)
		}
		if strings.HasSuffix(path, ".conf") {
			dropins = append(dropins, f)
			continue
		}
		srcs = append(srcs, &quadlet.Source{Name: filepath.Base(path), File: f})
	}
	if len(srcs) == 0 {
		t.Fatal("no examples found")
	}
	for _, s := range srcs {
		for _, d := range dropins {
			if filepath.Base(filepath.Dir(d.Path)) == strings.TrimPrefix(filepath.Ext(s.Name), ".")+".d" {
				s.File.Merge(d)
			}
		}
	}
	for _, r := range quadlet.Convert(srcs, quadlet.Options{Engine: "/usr/bin/berth"}) {
		for _, d := range r.Diags {
			t.Errorf("example %s: %s", r.Source.Name, d)
		}
	}
}
