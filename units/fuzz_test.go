package units

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// dumpNoPos renders what a file says (sections, entries and comments in order),
// without positions, for comparing a file with its rewritten self.
func dumpNoPos(f *File) string {
	var b strings.Builder
	line := func(l *Line) {
		if l.IsComment() {
			fmt.Fprintf(&b, "  comment %q\n", l.Comment)
		} else {
			fmt.Fprintf(&b, "  %q = %q\n", l.Key, l.Value)
		}
	}
	for _, l := range f.Preamble {
		line(l)
	}
	for _, s := range f.Sections {
		fmt.Fprintf(&b, "[%q]\n", s.Name)
		for _, l := range s.Lines {
			line(l)
		}
	}
	return b.String()
}

var roundTripSeeds = []string{
	"",
	"[Unit]\nDescription=web server\nAfter=network-online.target\n\n[Container]\nImage=docker.io/library/nginx\nExec=/bin/sh -c \"echo hi\"\n\n[Install]\nWantedBy=default.target\n",
	"# preamble\n; more\n[A]\n# in section\nK=v\nK=\nK=w\n",
	"[A]\nExec=/bin/x \\\n  --flag \\\n# comment inside\n  last\n",
	"[A]\nK=x\\ \\\n\nL=y\n",
	"[A]\nK=a\\\\\nL=b\\\\\\",
	"[A]\r\nK=v\r\n\r\n[B]\rL=w\x00M=x\n\r",
	"\uFEFF[A]\nK=v\n",
	"K=before\n[A]\nbad\n[B\nL=1\n[]\n[C]\n=x\n[D\"]\nM=\xff\n",
	"[ spaced name ]\n key with space = value with space \n",
	"[A]\nK=\"quoted \\\" value\" 'single'\n",
	"[Ünï]\nKéy=☕\n",
	"[A]\n\\\nK=v\n",
	"[A]\nK=v\\",
	"[A]\n[A]\n[B]\n[A]\nK=1\n",
}

func checkRoundTrip(t *testing.T, data []byte) {
	f1, _ := Parse("in", data)
	var out bytes.Buffer
	if _, err := f1.WriteTo(&out); err != nil {
		t.Fatalf("WriteTo of parsed %q: %v", data, err)
	}
	f2, err := Parse("out", out.Bytes())
	if err != nil {
		t.Fatalf("Parse(WriteTo(Parse(%q))) = Parse(%q): %v", data, out.String(), err)
	}
	if d1, d2 := dumpNoPos(f1), dumpNoPos(f2); d1 != d2 {
		t.Fatalf("round trip of %q through %q:\n%s\nwant\n%s", data, out.String(), d2, d1)
	}
	if again := f2.String(); again != out.String() {
		t.Fatalf("writing is not stable: %q then %q", out.String(), again)
	}
}

func TestRoundTripSeeds(t *testing.T) {
	for _, s := range roundTripSeeds {
		checkRoundTrip(t, []byte(s))
	}
}

// FuzzRoundTrip checks parse(write(parse(x))) == parse(x): whatever Parse accepts,
// WriteTo writes so that Parse reads it back the same, without errors.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range roundTripSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkRoundTrip)
}
