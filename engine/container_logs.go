package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/berth-containers/berth/engine/oci"
)

// ErrNoLogs: the container's log driver keeps nothing berth can read back.
var ErrNoLogs = errors.New("this container is not logging output")

// LogOptions are podman logs's.
type LogOptions struct {
	// Follow keeps reading until the container exits (or ctx ends).
	Follow bool
	// Since and Until keep lines written after Since and before Until; zero means no
	// bound.
	Since, Until time.Time
	// Tail keeps the last Tail lines of what was written so far (then, with Follow,
	// every new one); negative means all.
	Tail int
}

// LogLine is one line a container wrote. Pieces of a long line (conmon writes
// "partial" records) come joined.
type LogLine struct {
	Time          time.Time
	Stream        string // "stdout" or "stderr"; with a terminal, all is stdout
	Text          string // without its newline
	Partial       bool   // no newline ends it: the container has not finished it (yet)
	ContainerID   string
	ContainerName string
}

// logPoll is how often a followed log file is read again.
const logPoll = 100 * time.Millisecond

// ContainerLogs reads the logs of the containers refs and calls emit for each line,
// one container after the other, or all at once with Follow (emit is never called
// concurrently). A container whose log driver is none or passthrough fails with
// ErrNoLogs; every ref is resolved before anything is read.
func (r *Runtime) ContainerLogs(ctx context.Context, refs []string, o LogOptions, emit func(LogLine) error) error {
	var list []*Container
	for _, ref := range refs {
		c, err := r.ObservedContainer(ref)
		if err != nil {
			return err
		}
		switch d := c.Config.LogDriver; d {
		case oci.LogNone, oci.LogPassthrough:
			return fmt.Errorf("container %s uses the %q log driver, cannot read logs: %w", c.Name, d, ErrNoLogs)
		}
		list = append(list, c)
	}
	if !o.Follow || len(list) == 1 {
		for _, c := range list {
			if err := r.containerLogs(ctx, c, o, emit); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	locked := func(l LogLine) error {
		mu.Lock()
		defer mu.Unlock()
		return emit(l)
	}
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, c := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = r.containerLogs(ctx, c, o, locked); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *Runtime) containerLogs(ctx context.Context, c *Container, o LogOptions, emit func(LogLine) error) error {
	f := &logFilter{o: o, emit: func(l LogLine) error {
		l.ContainerID, l.ContainerName = c.ID, c.Name
		return emit(l)
	}}
	var err error
	if c.Config.LogDriver == oci.LogJournald {
		err = r.journalLogs(ctx, c, f)
	} else {
		err = r.fileLogs(ctx, c, f)
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil // interrupted follow
	}
	return err
}

// exited reports whether a followed container no longer runs (or is gone).
func (r *Runtime) exited(id string) bool {
	c, err := r.ObservedContainer(id)
	return err != nil || !c.Running()
}

// logFilter applies Since, Until and Tail to the lines of one container: lines before
// end() are history (of which the last Tail are kept), lines after it are new.
type logFilter struct {
	o       LogOptions
	emit    func(LogLine) error
	live    bool
	ring    []LogLine
	pending map[string]*LogLine // partial pieces per stream
}

// add takes one record: a whole line, or a piece of one (partial).
func (f *logFilter) add(l LogLine, partial bool) error {
	if f.pending == nil {
		f.pending = map[string]*LogLine{}
	}
	if p := f.pending[l.Stream]; p != nil {
		l.Text = p.Text + l.Text
		delete(f.pending, l.Stream)
	}
	if partial {
		f.pending[l.Stream] = &l
		return nil
	}
	return f.line(l)
}

func (f *logFilter) line(l LogLine) error {
	if !f.o.Since.IsZero() && !l.Time.After(f.o.Since) || !f.o.Until.IsZero() && !l.Time.Before(f.o.Until) {
		return nil
	}
	if f.live || f.o.Tail < 0 {
		return f.emit(l)
	}
	if f.o.Tail == 0 {
		return nil
	}
	if len(f.ring) == f.o.Tail {
		f.ring = f.ring[1:]
	}
	f.ring = append(f.ring, l)
	return nil
}

// endHistory sends the kept tail; what comes next is sent as it comes.
func (f *logFilter) endHistory() error {
	f.live = true
	for _, l := range f.ring {
		if err := f.emit(l); err != nil {
			return err
		}
	}
	f.ring = nil
	return nil
}

// flush sends unfinished lines, as they are, at the very end.
func (f *logFilter) flush() error {
	if err := f.endHistory(); err != nil {
		return err
	}
	for _, s := range []string{"stdout", "stderr"} {
		if p := f.pending[s]; p != nil {
			p.Partial = true
			delete(f.pending, s)
			if err := f.line(*p); err != nil {
				return err
			}
		}
	}
	return nil
}

// untilPassed says a followed log can stop: nothing newer is wanted.
func (f *logFilter) untilPassed() bool { return !f.o.Until.IsZero() && time.Now().After(f.o.Until) }

// fileLogs reads the k8s-file log conmon writes: one record per line,
// "<RFC3339Nano time> <stdout|stderr> <F|P> <text>", P marking a piece of a longer
// line. With Follow, it keeps reading until the container has exited, reopening the
// file when conmon rotated it (--log-size-max).
func (r *Runtime) fileLogs(ctx context.Context, c *Container, f *logFilter) error {
	path := c.LogPath
	if path == "" {
		path = oci.LogPath(c.Bundle)
	}
	t := &logTail{path: path}
	defer t.close()
	if err := t.readRecords(f); err != nil {
		return err
	}
	if err := f.endHistory(); err != nil {
		return err
	}
	for f.o.Follow && !f.untilPassed() {
		done := r.exited(c.ID)
		// Read after looking at the state: the exit comes after the last output.
		if err := t.readRecords(f); err != nil {
			return err
		}
		if done {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(logPoll):
		}
	}
	return f.flush()
}

// logTail reads a log file from where it stopped last time.
type logTail struct {
	path   string
	file   *os.File
	offset int64
	rest   []byte // an unfinished record at the end of the file
}

func (t *logTail) close() {
	if t.file != nil {
		t.file.Close()
	}
}

// readRecords passes every complete record written since the last call to f.
func (t *logTail) readRecords(f *logFilter) error {
	if err := t.reopenIfRotated(); err != nil {
		return err
	}
	if t.file == nil {
		return nil
	}
	if _, err := t.file.Seek(t.offset, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(t.file, 64<<10)
	for {
		chunk, err := br.ReadBytes('\n')
		t.offset += int64(len(chunk))
		if errors.Is(err, io.EOF) {
			t.rest = append(t.rest, chunk...)
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading log %s: %w", t.path, err)
		}
		rec := chunk
		if len(t.rest) > 0 {
			rec = append(t.rest, chunk...)
			t.rest = nil
		}
		l, partial, err := parseLogRecord(rec[:len(rec)-1])
		if err != nil {
			continue // a record cut by a crash: skip it, as podman does not choke on it
		}
		if err := f.add(l, partial); err != nil {
			return err
		}
	}
}

// reopenIfRotated opens the file on first use, and again from its start when it is
// a new file or shorter than what was read (conmon rotates by replacing it).
func (t *logTail) reopenIfRotated() error {
	fi, err := os.Stat(t.path)
	if errors.Is(err, os.ErrNotExist) {
		// Nothing written yet, or removed with its container: what is open stays
		// readable.
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading log %s: %w", t.path, err)
	}
	if t.file != nil {
		cur, err := t.file.Stat()
		if err == nil && os.SameFile(fi, cur) && fi.Size() >= t.offset {
			return nil
		}
		t.file.Close()
		t.file, t.offset, t.rest = nil, 0, nil
	}
	file, err := os.Open(t.path)
	if err != nil {
		return fmt.Errorf("reading log %s: %w", t.path, err)
	}
	t.file = file
	return nil
}

// parseLogRecord reads one k8s-file record (without its newline).
func parseLogRecord(rec []byte) (LogLine, bool, error) {
	fields := bytes.SplitN(rec, []byte{' '}, 4)
	if len(fields) < 3 {
		return LogLine{}, false, fmt.Errorf("%q is not a log record", rec)
	}
	ts, err := time.Parse(time.RFC3339Nano, string(fields[0]))
	if err != nil {
		return LogLine{}, false, fmt.Errorf("log record time %q: %w", fields[0], err)
	}
	stream := string(fields[1])
	if stream != "stdout" && stream != "stderr" {
		return LogLine{}, false, fmt.Errorf("log record stream %q", stream)
	}
	l := LogLine{Time: ts, Stream: stream}
	if len(fields) == 4 {
		l.Text = string(fields[3])
	}
	return l, string(fields[2]) == "P", nil
}

// journalLogs reads what conmon sent to the journal for the container
// (CONTAINER_ID_FULL=<id>), through journalctl: the history first, then, with
// Follow, what comes after its last record until the container has exited.
func (r *Runtime) journalLogs(ctx context.Context, c *Container, f *logFilter) error {
	match := []string{"--no-pager", "--output=json", "--all", "CONTAINER_ID_FULL=" + c.ID}
	args := match
	if !f.o.Since.IsZero() {
		// Whole seconds, rounded down: the exact bound is applied to each line.
		args = append(args[:len(args):len(args)], "--since=@"+strconv.FormatInt(f.o.Since.Unix(), 10))
	}
	cursor, err := journalPass(ctx, args, f)
	if err != nil {
		return err
	}
	if err := f.endHistory(); err != nil {
		return err
	}
	if f.o.Follow {
		args = append(match[:len(match):len(match)], "--follow", "--lines=all")
		if cursor != "" {
			args = append(args, "--after-cursor="+cursor)
		}
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			r.waitExit(fctx, c.ID, f)
			// Let journalctl pass on what conmon sent just before the exit.
			select {
			case <-fctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
			cancel()
		}()
		if _, err := journalPass(fctx, args, f); err != nil && fctx.Err() == nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return f.flush()
}

// waitExit returns once the container no longer runs, Until has passed, or ctx ends.
func (r *Runtime) waitExit(ctx context.Context, id string, f *logFilter) {
	for !r.exited(id) && !f.untilPassed() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(logPoll):
		}
	}
}

// journalPass runs journalctl once and passes its records to f; it returns the
// cursor of the last one.
func journalPass(ctx context.Context, args []string, f *logFilter) (string, error) {
	out, wait, err := startJournalctl(ctx, args)
	if err != nil {
		return "", err
	}
	cursor, err := readJournal(out, f)
	if werr := wait(); err == nil {
		err = werr
	}
	return cursor, err
}

// startJournalctl runs journalctl with args; wait reaps it. It is the journal's only
// edge: the records are parsed by readJournal.
func startJournalctl(ctx context.Context, args []string) (io.Reader, func() error, error) {
	path, err := exec.LookPath("journalctl")
	if err != nil {
		return nil, nil, fmt.Errorf("reading the journal: %w", err)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("reading the journal: %w", err)
	}
	wait := func() error {
		if err := cmd.Wait(); err != nil && ctx.Err() == nil {
			return fmt.Errorf("journalctl: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
		return nil
	}
	return out, wait, nil
}

// journalEntry holds the fields of a journal record that logs use. MESSAGE is a
// string, or an array of bytes when it is not valid text.
type journalEntry struct {
	Message  json.RawMessage `json:"MESSAGE"`
	Realtime string          `json:"__REALTIME_TIMESTAMP"`
	Cursor   string          `json:"__CURSOR"`
	Priority string          `json:"PRIORITY"`
	Partial  string          `json:"CONTAINER_PARTIAL_MESSAGE"`
}

// readJournal passes journalctl's JSON records (one object per line) to f until out
// ends, and returns the last record's cursor.
func readJournal(out io.Reader, f *logFilter) (string, error) {
	dec := json.NewDecoder(out)
	var cursor string
	for {
		var e journalEntry
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
			return cursor, nil
		}
		if err != nil {
			return cursor, fmt.Errorf("reading the journal: %w", err)
		}
		if e.Cursor != "" {
			cursor = e.Cursor
		}
		l, partial, err := e.line()
		if err != nil {
			continue
		}
		if err := f.add(l, partial); err != nil {
			return cursor, err
		}
	}
}

func (e journalEntry) line() (LogLine, bool, error) {
	usec, err := strconv.ParseInt(e.Realtime, 10, 64)
	if err != nil {
		return LogLine{}, false, fmt.Errorf("journal record time %q", e.Realtime)
	}
	// conmon sends stdout at priority 6 (info) and stderr at 3 (err).
	l := LogLine{Time: time.UnixMicro(usec), Stream: "stdout"}
	if e.Priority == "3" {
		l.Stream = "stderr"
	}
	var text string
	if err := json.Unmarshal(e.Message, &text); err != nil {
		var nums []int
		if json.Unmarshal(e.Message, &nums) != nil {
			return LogLine{}, false, fmt.Errorf("journal MESSAGE %s", e.Message)
		}
		raw := make([]byte, 0, len(nums))
		for _, n := range nums {
			raw = append(raw, byte(n))
		}
		text = string(raw)
	}
	l.Text = strings.TrimSuffix(text, "\n")
	return l, e.Partial == "true", nil
}
