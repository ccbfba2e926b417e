package engine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// collect is a logFilter that records what it emits as "stream:text", "..." marking
// a partial line.
func collect(o LogOptions) (*logFilter, *[]string) {
	var out []string
	return &logFilter{o: o, emit: func(l LogLine) error {
		s := l.Stream + ":" + l.Text
		if l.Partial {
			s += "..."
		}
		out = append(out, s)
		return nil
	}}, &out
}

func TestParseLogRecord(t *testing.T) {
	for _, tc := range []struct {
		rec            string
		stream, text   string
		partial, isErr bool
	}{
		{rec: "2024-05-01T10:00:00.123456789+02:00 stdout F hello world", stream: "stdout", text: "hello world"},
		{rec: "2024-05-01T10:00:00.123456789+02:00 stderr P  two  spaces ", stream: "stderr", text: " two  spaces ", partial: true},
		{rec: "2024-05-01T10:00:00Z stdout F", stream: "stdout"},
		{rec: "2024-05-01T10:00:00Z stdout F ", stream: "stdout"},
		{rec: "garbage", isErr: true},
		{rec: "yesterday stdout F x", isErr: true},
		{rec: "2024-05-01T10:00:00Z stdin F x", isErr: true},
	} {
		l, partial, err := parseLogRecord([]byte(tc.rec))
		if (err != nil) != tc.isErr || err == nil && (l.Stream != tc.stream || l.Text != tc.text || partial != tc.partial) {
			t.Errorf("parseLogRecord(%q) = %+v, %v, %v", tc.rec, l, partial, err)
		}
	}
	l, _, _ := parseLogRecord([]byte("2024-05-01T10:00:00.5+02:00 stdout F x"))
	if want := time.Date(2024, 5, 1, 8, 0, 0, 5e8, time.UTC); !l.Time.Equal(want) {
		t.Errorf("time %v, want %v", l.Time, want)
	}
}

func TestLogFilter(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	records := []struct {
		l       LogLine
		partial bool
	}{
		{LogLine{Time: at(1), Stream: "stdout", Text: "a1"}, true},
		{LogLine{Time: at(2), Stream: "stderr", Text: "e1"}, false},
		{LogLine{Time: at(3), Stream: "stdout", Text: "a2"}, false},
		{LogLine{Time: at(4), Stream: "stdout", Text: "b"}, false},
		{LogLine{Time: at(5), Stream: "stdout", Text: "c"}, true},
	}
	for _, tc := range []struct {
		name string
		o    LogOptions
		want []string
	}{
		{"all", LogOptions{Tail: -1}, []string{"stderr:e1", "stdout:a1a2", "stdout:b", "stdout:c..."}},
		{"tail 2", LogOptions{Tail: 2}, []string{"stdout:a1a2", "stdout:b", "stdout:c..."}},
		{"tail 0", LogOptions{Tail: 0}, []string{"stdout:c..."}},
		{"since", LogOptions{Tail: -1, Since: at(3)}, []string{"stdout:b", "stdout:c..."}},
		{"until", LogOptions{Tail: -1, Until: at(3)}, []string{"stderr:e1"}},
	} {
		f, out := collect(tc.o)
		for _, r := range records {
			if err := f.add(r.l, r.partial); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.flush(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(*out, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, *out, tc.want)
		}
	}
}

func TestLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	f, out := collect(LogOptions{Tail: -1})
	f.live = true
	lt := &logTail{path: path}
	defer lt.close()
	read := func() {
		t.Helper()
		if err := lt.readRecords(f); err != nil {
			t.Fatal(err)
		}
	}
	read() // no file yet
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	ts := "2024-01-01T00:00:00Z "
	write := func(s string) {
		t.Helper()
		if _, err := w.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	write(ts + "stdout F one\n" + ts + "stdout F tw")
	read()
	write("o\n")
	read()
	// Rotation: a new file takes the old one's place.
	w.Close()
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	if w, err = os.Create(path); err != nil {
		t.Fatal(err)
	}
	write(ts + "stderr F three\n")
	read()
	// Removed with its container: what the open file holds stays readable.
	write(ts + "stdout F four\n")
	w.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	read()
	if want := []string{"stdout:one", "stdout:two", "stderr:three", "stdout:four"}; !slices.Equal(*out, want) {
		t.Errorf("read %q, want %q", *out, want)
	}
}

func TestReadJournal(t *testing.T) {
	// journalctl -o json: MESSAGE as a string, or as bytes when it is not text.
	input := strings.Join([]string{
		`{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"1700000000000001","PRIORITY":"6","MESSAGE":"hello"}`,
		`{"__CURSOR":"c2","__REALTIME_TIMESTAMP":"1700000000000002","PRIORITY":"3","MESSAGE":[111,111,112,115,10]}`,
		`{"__CURSOR":"c3","__REALTIME_TIMESTAMP":"1700000000000003","PRIORITY":"6","MESSAGE":"lo","CONTAINER_PARTIAL_MESSAGE":"true"}`,
		`{"__CURSOR":"c4","__REALTIME_TIMESTAMP":"1700000000000004","PRIORITY":"6","MESSAGE":"ng"}`,
		`{"__CURSOR":"c5","__REALTIME_TIMESTAMP":"bad","MESSAGE":"skipped"}`,
	}, "\n")
	f, out := collect(LogOptions{Tail: -1})
	cursor, err := readJournal(strings.NewReader(input), f)
	if err != nil || cursor != "c5" {
		t.Fatalf("readJournal: cursor %q, %v", cursor, err)
	}
	if err := f.flush(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"stdout:hello", "stderr:oops", "stdout:long"}; !slices.Equal(*out, want) {
		t.Errorf("journal lines %q, want %q", *out, want)
	}
}
