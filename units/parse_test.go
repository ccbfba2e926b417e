package units

import (
	"fmt"
	"strings"
	"testing"
)

// dump renders a parsed file with every line's position, one item a line:
// "3 # text" for a comment, "[Name] 2" for a section, "4 Key=\"value\"" for an entry.
func dump(f *File) string {
	var b strings.Builder
	line := func(l *Line) {
		if l.IsComment() {
			fmt.Fprintf(&b, "%d %s\n", l.Pos.Line, l.Comment)
		} else {
			fmt.Fprintf(&b, "%d %s=%q\n", l.Pos.Line, l.Key, l.Value)
		}
	}
	for _, l := range f.Preamble {
		line(l)
	}
	for _, s := range f.Sections {
		fmt.Fprintf(&b, "[%s] %d\n", s.Name, s.Pos.Line)
		for _, l := range s.Lines {
			line(l)
		}
	}
	return b.String()
}

// errLines renders Parse's errors as "line: message", one a line.
func errLines(err error) string {
	var b strings.Builder
	for _, e := range Errors(err) {
		fmt.Fprintf(&b, "%d: %s\n", e.Pos.Line, e.Msg)
	}
	return b.String()
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		errs           []string // "line: substring of the message", in order
	}{
		{name: "empty", in: "", want: ""},
		{name: "sections and repeated keys in order",
			in: "[Unit]\nDescription=web\nAfter=a.service\n\n[Service]\nExecStart=/bin/x\nAfter=b\n[Unit]\nAfter=c.service\n",
			want: `[Unit] 1
2 Description="web"
3 After="a.service"
9 After="c.service"
[Service] 5
6 ExecStart="/bin/x"
7 After="b"
`},
		{name: "comments kept with positions",
			in: "# head\n; also head\n[A]\n  # indented   \nK=v\n;semi\n",
			want: `1 # head
2 ; also head
[A] 3
4 # indented
5 K="v"
6 ;semi
`},
		{name: "whitespace around key, = and value",
			in:   "[A]\n \tKey \t= \t value with  inner  space \t\nK2=a=b\nK3=\n",
			want: "[A] 1\n2 Key=\"value with  inner  space\"\n3 K2=\"a=b\"\n4 K3=\"\"\n"},
		{name: "continuation keeps the first line and joins raw lines",
			in: "[A]\nExec=/bin/x \\\n    --flag \\\n  last\nNext=1\n",
			want: `[A] 1
2 Exec="/bin/x      --flag    last"
5 Next="1"
`},
		{name: "backslash replaced by a space, no space before it",
			in:   "[A]\nK=a\\\nb\n",
			want: "[A] 1\n2 K=\"a b\"\n"},
		{name: "comment lines inside a continuation",
			in: "[A]\nK=one \\\n# skipped by the join\n; and this\n  two\nL=x\n",
			want: `[A] 1
3 # skipped by the join
4 ; and this
2 K="one    two"
6 L="x"
`},
		{name: "an empty line ends a continuation",
			in:   "[A]\nExec=true \\\n\n# anything\nK=v\n",
			want: "[A] 1\n2 Exec=\"true\"\n4 # anything\n5 K=\"v\"\n"},
		{name: "continuation at end of file",
			in:   "[A]\nK=v \\",
			want: "[A] 1\n2 K=\"v\"\n"},
		{name: "even backslashes do not continue",
			in:   "[A]\nK=a\\\\\nL=b\n",
			want: "[A] 1\n2 K=\"a\\\\\\\\\"\n3 L=\"b\"\n"},
		{name: "backslash then whitespace continues, as in podman (not systemd)",
			in:   "[A]\nExec=\"/some/binary file\" --arg1 \\ \t\n  \"arg 2\"\nL=b\n",
			want: "[A] 1\n2 Exec=\"\\\"/some/binary file\\\" --arg1    \\\"arg 2\\\"\"\n4 L=\"b\"\n"},
		{name: "a value may end in a backslash",
			in:   "[A]\nK=x\\ \\\n\nL=1\n",
			want: "[A] 1\n2 K=\"x\\\\\"\n4 L=\"1\"\n"},
		{name: "a comment ending in a backslash does not continue",
			in:   "[A]\n# c \\\nK=v\n",
			want: "[A] 1\n2 # c \\\n3 K=\"v\"\n"},
		{name: "CRLF",
			in:   "[A]\r\nK=v\r\n\r\nL=w \\\r\n x\r\n",
			want: "[A] 1\n2 K=\"v\"\n4 L=\"w   x\"\n"},
		{name: "lone CR, NUL and LF CR end lines as in systemd",
			in:   "[A]\rK=v\n\rL=w\x00M=x\r\n\x00N=y",
			want: "[A] 1\n2 K=\"v\"\n3 L=\"w\"\n4 M=\"x\"\n5 N=\"y\"\n"},
		{name: "byte order mark",
			in:   "\uFEFF[A]\nK=v\n",
			want: "[A] 1\n2 K=\"v\"\n"},
		{name: "no trailing newline",
			in:   "[A]\nK=v",
			want: "[A] 1\n2 K=\"v\"\n"},
		{name: "quotes are kept raw",
			in:   "[A]\nK=\"a b\" 'c'\n",
			want: "[A] 1\n2 K=\"\\\"a b\\\" 'c'\"\n"},
		{name: "unicode",
			in:   "[Ünï]\nDescription=café ☕\n",
			want: "[Ünï] 1\n2 Description=\"café ☕\"\n"},
		{name: "key before any section",
			in:   "# c\nK=v\n[A]\nL=w\n",
			want: "1 # c\n[A] 3\n4 L=\"w\"\n",
			errs: []string{`2: key "K" comes before any [section] header`}},
		{name: "line without =",
			in:   "[A]\nnoequals\nK=v\n",
			want: "[A] 1\n3 K=\"v\"\n",
			errs: []string{`2: "noequals" is not a key=value pair`}},
		{name: "missing key",
			in:   "[A]\n = v\n",
			want: "[A] 1\n",
			errs: []string{"2: missing key name"}},
		{name: "control character in key",
			in:   "[A]\nK\x01=v\n",
			want: "[A] 1\n",
			errs: []string{`2: invalid key name "K\x01"`}},
		{name: "bad section headers swallow their entries",
			in: "[A]\nK=1\n[B\nL=2\n[C] x\nM=3\n[]\n[D\"q\"]\n[E\\]\n[F[G]\n[H]\nN=4\n",
			want: `[A] 1
2 K="1"
[H] 11
12 N="4"
`,
			errs: []string{
				`3: invalid section header "[B"`,
				`5: invalid section header "[C] x"`,
				`7: invalid section name ""`,
				`8: invalid section name "D\"q\""`,
				`9: invalid section name "E\\"`,
				`10: invalid section name "F[G"`,
			}},
		{name: "invalid UTF-8",
			in:   "[A]\nK=\xff\n# comment \xff kept\nL=ok\nM=a \\\n\xfe\nN=ok\n",
			want: "[A] 1\n3 # comment \xff kept\n4 L=\"ok\"\n7 N=\"ok\"\n",
			errs: []string{"2: line is not valid UTF-8", "5: line is not valid UTF-8"}},
		{name: "several errors in one call, in order, good lines kept",
			in:   "K=0\n[A]\nbad\nK=1\n=x\n[B\nL=2\n[C]\nM=3\nworse\n",
			want: "[A] 2\n4 K=\"1\"\n[C] 8\n9 M=\"3\"\n",
			errs: []string{"1: key \"K\" comes before", "3: \"bad\" is not", "5: missing key name",
				"6: invalid section header", "10: \"worse\" is not"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("x.container", []byte(tc.in))
			if got := dump(f); got != tc.want {
				t.Errorf("Parse(%q) =\n%s\nwant\n%s", tc.in, got, tc.want)
			}
			got := Errors(err)
			if len(got) != len(tc.errs) {
				t.Fatalf("Parse(%q) errors:\n%s\nwant %d: %q", tc.in, errLines(err), len(tc.errs), tc.errs)
			}
			for i, e := range got {
				if s := fmt.Sprintf("%d: %s", e.Pos.Line, e.Msg); !strings.HasPrefix(s, tc.errs[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, s, tc.errs[i])
				}
				if e.Pos.File != "x.container" {
					t.Errorf("error %d has file %q", i, e.Pos.File)
				}
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	_, err := Parse("/etc/containers/systemd/web.container", []byte("[A]\nbad\n\nworse\n"))
	want := "/etc/containers/systemd/web.container:2: \"bad\" is not a key=value pair, a [section] header or a comment\n" +
		"/etc/containers/systemd/web.container:4: \"worse\" is not a key=value pair, a [section] header or a comment"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if Errors(nil) != nil {
		t.Error("Errors(nil) != nil")
	}
}

func TestPosString(t *testing.T) {
	for _, tc := range []struct {
		p    Pos
		want string
	}{{Pos{"a.container", 3}, "a.container:3"}, {Pos{"a.container", 0}, "a.container"}, {Pos{"", 7}, "line 7"}} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func mustParse(t *testing.T, name, text string) *File {
	t.Helper()
	f, err := Parse(name, []byte(text))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return f
}

func TestGetAndTrimQuotes(t *testing.T) {
	f := mustParse(t, "a.container", `[C]
Image="docker.io/x"
Name=first
Name=second
Quoted="a" "b"
Half="open
Single='x'
Empty=""
Lone="
`)
	for _, tc := range []struct {
		key, want, raw string
		ok             bool
	}{
		{"Image", "docker.io/x", `"docker.io/x"`, true},
		{"Name", "second", "second", true},
		{"Quoted", `a" "b`, `"a" "b"`, true}, // one surrounding pair, as podman's Lookup
		{"Half", `"open`, `"open`, true},
		{"Single", "'x'", "'x'", true}, // only double quotes
		{"Empty", "", `""`, true},
		{"Lone", `"`, `"`, true},
		{"Missing", "", "", false},
	} {
		got, ok := f.Get("C", tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Get(%s) = %q, %v; want %q, %v", tc.key, got, ok, tc.want, tc.ok)
		}
		if raw, _ := f.Lookup("C", tc.key); raw != tc.raw {
			t.Errorf("Lookup(%s) = %q, want %q", tc.key, raw, tc.raw)
		}
	}
	if _, ok := f.Get("Nope", "Image"); ok {
		t.Error("Get in a missing section found something")
	}
	if l := f.Last("C", "Name"); l == nil || l.Pos.Line != 4 {
		t.Errorf("Last(Name) = %+v, want line 4", l)
	}
}

func TestAllLinesReset(t *testing.T) {
	f := mustParse(t, "a.container", "[C]\nVolume=a\nVolume=b\n# c\nVolume=\nVolume=c\nOther=x\nVolume=d\n")
	got := f.All("C", "Volume")
	if strings.Join(got, ",") != "c,d" {
		t.Errorf("All = %q, want [c d]", got)
	}
	lines := f.AllLines("C", "Volume")
	if len(lines) != 2 || lines[0].Pos.Line != 6 || lines[1].Pos.Line != 8 {
		t.Errorf("AllLines positions wrong: %+v", lines)
	}
	f = mustParse(t, "a.container", "[C]\nVolume=a\nVolume=\n")
	if got := f.All("C", "Volume"); len(got) != 0 {
		t.Errorf("All after a final reset = %q", got)
	}
	if got := f.All("X", "Volume"); got == nil || len(got) != 0 {
		t.Errorf("All of a missing section = %#v, want empty", got)
	}
}

func TestMergeDropins(t *testing.T) {
	base := mustParse(t, "web.container", "[Unit]\nDescription=base\n[Container]\nImage=a\nVolume=/base:/b\n")
	d1 := mustParse(t, "container.d/10-a.conf", "[Container]\nVolume=\nVolume=/d1:/d1\n[Service]\nRestart=always\n")
	d2 := mustParse(t, "web.container.d/20-b.conf", "[Container]\nImage=b\nVolume=/d2:/d2\n[Unit]\nDescription=dropin\n")
	base.Merge(d1)
	base.Merge(d2)
	if v, _ := base.Get("Container", "Image"); v != "b" {
		t.Errorf("Image = %q, want the last drop-in's", v)
	}
	if v, _ := base.Get("Unit", "Description"); v != "dropin" {
		t.Errorf("Description = %q", v)
	}
	vols := base.AllLines("Container", "Volume")
	if len(vols) != 2 || vols[0].Value != "/d1:/d1" || vols[1].Value != "/d2:/d2" {
		t.Fatalf("Volume after reset = %v", base.All("Container", "Volume"))
	}
	// Positions point at the drop-in that set the value.
	if p := vols[0].Pos; p.File != "container.d/10-a.conf" || p.Line != 3 {
		t.Errorf("Volume pos = %v", p)
	}
	// New sections come after the existing ones, in drop-in order.
	var names []string
	for _, s := range base.Sections {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "Unit,Container,Service" {
		t.Errorf("sections = %v", names)
	}
	// Merge copies: editing the merged file leaves the drop-in alone.
	base.Set("Service", "Restart", "no")
	base.Section("Container").Lines[0].Value = "changed"
	if v, _ := d1.Get("Service", "Restart"); v != "always" {
		t.Errorf("drop-in changed through the merged file: %q", v)
	}
	if d1.Section("Container").Lines[0].Value != "" {
		t.Error("drop-in line shared with the merged file")
	}
}

func TestEditing(t *testing.T) {
	f := New("x.service")
	f.Add("Service", "ExecStart", "/bin/a")
	f.Add("Unit", "After", "a.target")
	f.Add("Unit", "After", "b.target")
	f.Add("Unit", "Wants", "c.target")
	f.Set("Unit", "After", "z.target")
	if got := strings.Join(f.Keys("Unit"), ","); got != "Wants,After" {
		t.Errorf("Keys = %s", got)
	}
	if got := f.All("Unit", "After"); len(got) != 1 || got[0] != "z.target" {
		t.Errorf("After after Set = %q", got)
	}
	f.Unset("Unit", "Wants")
	f.Unset("Nope", "Wants")
	c := f.Clone()
	f.RenameSection("Unit", "Service") // merges into the existing one
	if f.HasSection("Unit") || len(f.Entries("Service")) != 2 {
		t.Errorf("RenameSection into an existing section: %q", f.String())
	}
	f.RenameSection("Service", "X-Service")
	f.RenameSection("Missing", "Y")
	if !f.HasSection("X-Service") || f.HasSection("Y") {
		t.Errorf("RenameSection: %q", f.String())
	}
	if f.EnsureSection("X-Service") != f.Section("X-Service") {
		t.Error("EnsureSection made a second section")
	}
	f.RemoveSection("X-Service")
	if len(f.Sections) != 0 {
		t.Errorf("RemoveSection left %d sections", len(f.Sections))
	}
	want := "[Service]\nExecStart=/bin/a\n\n[Unit]\nAfter=z.target\n"
	if got := c.String(); got != want {
		t.Errorf("clone changed with the original:\n%s\nwant\n%s", got, want)
	}
}

// TestParseLargeInputs guards against quadratic work: many sections, one huge
// continued line, many repeated keys.
func TestParseLargeInputs(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&b, "[S%d]\nK=v\n", i)
	}
	b.WriteString("[Big]\nExec=start")
	for i := 0; i < 20000; i++ {
		b.WriteString(" arg \\\n")
	}
	b.WriteString("\n")
	for i := 0; i < 20000; i++ {
		b.WriteString("Volume=x\n")
	}
	f := mustParse(t, "big", b.String())
	if len(f.Sections) != 20001 || len(f.All("Big", "Volume")) != 20000 {
		t.Fatalf("got %d sections", len(f.Sections))
	}
	if w, _ := SplitWords(f.Last("Big", "Exec").Value); len(w) != 20001 {
		t.Errorf("Exec has %d words", len(w))
	}
}
