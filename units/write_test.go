package units

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteTo(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"normalizes spacing and merges sections",
			"# top\n\n[Unit]\n  Description = web \n[Service]\nExecStart=/bin/x \\\n  --y\n\n\n[Unit]\n;c\nAfter=a\n",
			"# top\n\n[Unit]\nDescription=web\n;c\nAfter=a\n\n[Service]\nExecStart=/bin/x    --y\n"},
		{"no preamble, empty section", "[A]\n[B]\nK=\n", "[A]\n\n[B]\nK=\n"},
		{"comments inside a continuation come first", "[A]\nK=a \\\n# c\nb\n", "[A]\n# c\nK=a  b\n"},
		{"value ending in a backslash", "[A]\nK=x\\ \\\n\nL=y\n", "[A]\nK=x\\ \\\n\nL=y\n"},
		{"value of three backslashes", "[A]\nK=\\\\\\ \\\n", "[A]\nK=\\\\\\ \\\n\n"},
		{"CRLF becomes LF", "[A]\r\nK=v\r\n", "[A]\nK=v\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, "in", tc.in)
			var b bytes.Buffer
			n, err := f.WriteTo(&b)
			if err != nil || b.String() != tc.want || n != int64(b.Len()) {
				t.Fatalf("WriteTo = %q, %d, %v; want %q", b.String(), n, err, tc.want)
			}
			if f.String() != tc.want {
				t.Errorf("String() = %q", f.String())
			}
			again := mustParse(t, "out", b.String())
			if d1, d2 := dumpNoPos(f), dumpNoPos(again); d1 != d2 {
				t.Errorf("reparse differs:\n%s\nwant\n%s", d2, d1)
			}
		})
	}
}

func TestWriteRefusesWhatItCannotWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(f *File)
		want string
	}{
		{"newline in value", func(f *File) { f.Add("A", "K", "a\nExecStartPre=/bin/evil") }, `cannot write K="a\nExecStartPre=/bin/evil"`},
		{"CR in value", func(f *File) { f.Add("A", "K", "a\rb") }, "cannot write K="},
		{"NUL in value", func(f *File) { f.Add("A", "K", "a\x00b") }, "cannot write K="},
		{"invalid UTF-8 value", func(f *File) { f.Add("A", "K", "\xff") }, "cannot write K="},
		{"= in key", func(f *File) { f.Add("A", "K=x", "v") }, `cannot write key "K=x"`},
		{"empty comment (a Line with neither key nor comment)", func(f *File) { f.Section("A").Lines = append(f.Section("A").Lines, &Line{}) }, `cannot write comment ""`},
		{"comment-like key", func(f *File) { f.Add("A", "#K", "v") }, `cannot write key "#K"`},
		{"section-like key", func(f *File) { f.Add("A", "[K", "v") }, `cannot write key "[K"`},
		{"key with spaces around", func(f *File) { f.Add("A", " K", "v") }, `cannot write key " K"`},
		{"control character in key", func(f *File) { f.Add("A", "K\tL", "v") }, `cannot write key "K\tL"`},
		{"bad section name", func(f *File) { f.Add("A]", "K", "v") }, `cannot write section name "A]"`},
		{"empty section name", func(f *File) { f.Add("", "K", "v") }, `cannot write section name ""`},
		{"comment without #", func(f *File) { f.Preamble = append(f.Preamble, &Line{Comment: "text"}) }, `cannot write comment "text"`},
		{"comment with a newline", func(f *File) {
			f.Section("A").Lines = append(f.Section("A").Lines, &Line{Comment: "# a\nK=v"})
		}, `cannot write comment "# a\nK=v"`},
		{"entry in the preamble", func(f *File) { f.Preamble = append(f.Preamble, &Line{Key: "K", Value: "v"}) }, `entry "K" comes before`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, "x.service", "[A]\nGood=1\n")
			tc.edit(f)
			var b bytes.Buffer
			n, err := f.WriteTo(&b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WriteTo error = %v, want %q", err, tc.want)
			}
			if n != 0 || b.Len() != 0 {
				t.Errorf("WriteTo wrote %q despite the error", b.String())
			}
			if f.Check() == nil {
				t.Error("Check accepted what WriteTo refused")
			}
			if !strings.Contains(f.String(), "Good=1") {
				t.Error("String() does not show a file WriteTo refuses")
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteToReportsWriterErrors(t *testing.T) {
	f := mustParse(t, "x", "[A]\nK=v\n")
	if _, err := f.WriteTo(failWriter{}); err == nil || err.Error() != "disk full" {
		t.Errorf("err = %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "web.service")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	st, _ := os.Stat(p)
	if err != nil || string(data) != "new\n" || st.Mode().Perm() != 0o644 {
		t.Errorf("file = %q, %v, mode %v", data, err, st.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o644); err == nil {
		t.Error("no error for a missing folder")
	}
}
