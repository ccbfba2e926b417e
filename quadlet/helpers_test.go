package quadlet

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/berth-containers/berth/units"
)

// Helpers shared by the tests of every unit type. Sources live in testDir, the engine
// is testEngine.

const (
	testDir    = "/etc/containers/systemd"
	testEngine = "/usr/bin/berth"
)

// parseSources parses each file (name -> text) as if it were in testDir, in name order.
func parseSources(t *testing.T, files map[string]string) []*Source {
	t.Helper()
	var srcs []*Source
	for _, name := range slices.Sorted(maps.Keys(files)) {
		f, err := units.Parse(testDir+"/"+name, []byte(files[name]))
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		srcs = append(srcs, &Source{Name: name, File: f})
	}
	return srcs
}

// convertFiles converts files together and returns the results by file name; the
// engine is testEngine unless opts names one.
func convertFiles(t *testing.T, opts Options, files map[string]string) map[string]Result {
	t.Helper()
	if opts.Engine == "" {
		opts.Engine = testEngine
	}
	out := map[string]Result{}
	for _, r := range Convert(parseSources(t, files), opts) {
		out[r.Source.Name] = r
	}
	return out
}

// convertOK converts files and returns the service of the named one, which must succeed.
func convertOK(t *testing.T, name string, files map[string]string) *units.File {
	t.Helper()
	r := convertFiles(t, Options{}, files)[name]
	if r.Failed() {
		t.Fatalf("%s failed: %v", name, r.Diags)
	}
	return r.Service
}

// convertFail converts files and returns the diagnostics of the named one, one a line;
// it must fail.
func convertFail(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	r := convertFiles(t, Options{}, files)[name]
	if !r.Failed() {
		t.Fatalf("%s converted, want an error:\n%s", name, r.Service)
	}
	var msgs []string
	for _, d := range r.Diags {
		msgs = append(msgs, d.String())
	}
	return strings.Join(msgs, "\n")
}

// wantErrors converts name from header+text for each text of cases, and checks that it
// fails with a diagnostic that contains the text's value.
func wantErrors(t *testing.T, name, header string, cases map[string]string) {
	t.Helper()
	for text, want := range cases {
		if got := convertFail(t, name, map[string]string{name: header + text}); !strings.Contains(got, want) {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
}

// execArgs returns the argv after the engine of the last [Service] key, an Exec line
// that must run the engine.
func execArgs(t *testing.T, svc *units.File, key string) []string {
	t.Helper()
	v, ok := svc.Lookup("Service", key)
	if !ok {
		t.Fatalf("no %s in\n%s", key, svc)
	}
	w, err := units.SplitWords(v)
	if err != nil || len(w) == 0 || w[0] != testEngine {
		t.Fatalf("%s=%s does not run the engine (%v)", key, v, err)
	}
	return w[1:]
}

// wantList checks a list of words or values.
func wantList(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// wantKey checks every value of [section] key.
func wantKey(t *testing.T, svc *units.File, section, key string, want ...string) {
	t.Helper()
	if got := svc.All(section, key); !slices.Equal(got, want) {
		t.Errorf("[%s] %s = %q, want %q", section, key, got, want)
	}
}

// hasSeq tells whether seq occurs in argv, in order and adjacent.
func hasSeq(argv []string, seq ...string) bool {
	for i := 0; i+len(seq) <= len(argv); i++ {
		if slices.Equal(argv[i:i+len(seq)], seq) {
			return true
		}
	}
	return false
}

// wantSeq checks that seq occurs in argv, in order and adjacent.
func wantSeq(t *testing.T, argv []string, seq ...string) {
	t.Helper()
	if !hasSeq(argv, seq...) {
		t.Errorf("%q lacks %q", argv, seq)
	}
}
