package units

import (
	"strings"
	"testing"
)

// The expected values below are the output of systemd-escape from systemd 252.

func TestEscapeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"foo/bar baz", `foo-bar\x20baz`},
		{".hidden", `\x2ehidden`},
		{"..", `\x2e.`},
		{"/.x", "-.x"},
		{"a.", "a."},
		{"x.y", "x.y"},
		{"a-b", `a\x2db`},
		{`a\b`, `a\x5cb`},
		{"ünï", `\xc3\xbcn\xc3\xaf`},
		{"", ""},
		{"/", "-"},
		{"foo@bar", `foo\x40bar`},
		{"a:b_c.d", "a:b_c.d"},
		{"Ab9", "Ab9"},
		{" lead", `\x20lead`},
		{"tab\tx", `tab\x09x`},
		{"%i~", `\x25i\x7e`},
		{"\x7f", `\x7f`},
	} {
		if got := EscapeName(tc.in); got != tc.want {
			t.Errorf("EscapeName(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if back, err := UnescapeName(tc.want); err != nil || back != tc.in {
			t.Errorf("UnescapeName(%s) = %q, %v; want %q", tc.want, back, err, tc.in)
		}
	}
}

func TestEscapePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/var/lib/x", "var-lib-x"},
		{"/", "-"},
		{"", "-"},
		{"//a//b//", "a-b"},
		{"/.dot/x", `\x2edot-x`},
		{"/.x/.y", `\x2ex-.y`},
		{"/a/./b", "a-b"},
		{"/a//b/./", "a-b"},
		{"rel/path", "rel-path"},
		{"/a-b/c d", `a\x2db-c\x20d`},
		{"/ü", `\xc3\xbc`},
	} {
		if got := EscapePath(tc.in); got != tc.want {
			t.Errorf("EscapePath(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if got, err := EscapePathStrict(tc.in); err != nil || got != tc.want {
			t.Errorf("EscapePathStrict(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	// systemd-escape --path refuses ".." components; EscapePath resolves them.
	for in, lexical := range map[string]string{"/a/../b": "b", "..": "-", "/a/..": "-"} {
		if got := EscapePath(in); got != lexical {
			t.Errorf("EscapePath(%q) = %s, want %s", in, got, lexical)
		}
		if got, err := EscapePathStrict(in); err == nil {
			t.Errorf("EscapePathStrict(%q) = %s, want an error", in, got)
		}
	}
}

func TestUnescapeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`foo-bar\x20baz`, "foo/bar baz"},
		{"-", "/"},
		{"a--b", "a//b"},
		{`\x2ehidden`, ".hidden"},
		{`\x41\x4a`, "AJ"},
	} {
		if got, err := UnescapeName(tc.in); err != nil || got != tc.want {
			t.Errorf("UnescapeName(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`bad\x`, `bad\q`, `a\X41`, `a\x4`, `\`, `\x4g`} {
		if got, err := UnescapeName(in); err == nil {
			t.Errorf("UnescapeName(%s) = %q, want an error", in, got)
		}
	}
}

func TestUnescapePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"var-lib-x", "/var/lib/x"},
		{"-", "/"},
		{`\x2edot-x`, "/.dot/x"},
		{`a\x2e`, "/a."},
	} {
		if got, err := UnescapePath(tc.in); err != nil || got != tc.want {
			t.Errorf("UnescapePath(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"-a", "a-", "a--b", "", `\x2e`, "a/./b", `a-\x2e\x2e-b`, `bad\q`} {
		if got, err := UnescapePath(in); err == nil {
			t.Errorf("UnescapePath(%s) = %q, want an error", in, got)
		}
	}
}

func TestValidName(t *testing.T) {
	long := strings.Repeat("a", 255-len(".service")) + ".service"
	for _, name := range []string{"foo.service", "foo@bar.service", "foo@.service", "foo@a@b.service",
		"-.mount", "-.slice", `dev-disk-by\x2duuid-1.device`, "a:b_c.d.socket", "x.target",
		"y.timer", "z.path", "s.scope", "sw.swap", "am.automount", long} {
		if !ValidName(name) {
			t.Errorf("ValidName(%q) = false", name)
		}
	}
	for _, name := range []string{"", "foo", ".service", "foo.", "foo.bar", "foo.container",
		"foo.Service", "@foo.service", "@.service", "foo bar.service", "föo.service",
		"foo/bar.service", "systemd-%N.service", "a\x00.service", "x" + long} {
		if ValidName(name) {
			t.Errorf("ValidName(%q) = true", name)
		}
	}
}

func TestSplitTemplate(t *testing.T) {
	for _, tc := range []struct {
		name, prefix, instance, ext string
		ok                          bool
	}{
		{"foo@bar.service", "foo", "bar", ".service", true},
		{"foo@.service", "foo", "", ".service", true},
		{"foo.service", "foo", "", ".service", false},
		{"a@b@c.service", "a", "b@c", ".service", true}, // the instance runs from the first @
		{"foo.d@x.service", "foo.d", "x", ".service", true},
		{"web@1.container", "web", "1", ".container", true},
		{"foo", "foo", "", "", false},
		{"foo@bar", "foo", "bar", "", true},
	} {
		p, i, e, ok := SplitTemplate(tc.name)
		if p != tc.prefix || i != tc.instance || e != tc.ext || ok != tc.ok {
			t.Errorf("SplitTemplate(%q) = %q %q %q %v; want %q %q %q %v", tc.name, p, i, e, ok,
				tc.prefix, tc.instance, tc.ext, tc.ok)
		}
	}
}
