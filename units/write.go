package units

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// WriteTo writes the file in systemd syntax: the preamble's comments, then each section
// with its comments and entries, a blank line between sections. Parse reads the output
// back to the same sections, entries and comments.
//
// It first checks that every line can be written so: a key, value, section name or
// comment holding a line break, a key that Parse would read differently ("a=b", "#x",
// "[x"), an entry in the preamble, or invalid UTF-8 outside comments is an error, and
// then nothing is written, so that a bad value can never inject lines into a unit.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	if err := f.Check(); err != nil {
		return 0, err
	}
	return f.write(w)
}

// Check tells whether WriteTo can write the file faithfully; see WriteTo.
func (f *File) Check() error {
	var errs []error
	bad := func(pos Pos, format string, a ...any) {
		errs = append(errs, &Error{pos, fmt.Sprintf(format, a...)})
	}
	for _, l := range f.Preamble {
		if !l.IsComment() {
			bad(l.Pos, "entry %q comes before any [section]", l.Key)
		} else if msg := checkComment(l.Comment); msg != "" {
			bad(l.Pos, "%s", msg)
		}
	}
	for _, s := range f.Sections {
		if !validSectionName(s.Name) {
			bad(s.Pos, "cannot write section name %q", s.Name)
		}
		for _, l := range s.Lines {
			msg := checkEntry(l)
			if l.IsComment() {
				msg = checkComment(l.Comment)
			}
			if msg != "" {
				bad(l.Pos, "[%s] %s", s.Name, msg)
			}
		}
	}
	return errors.Join(errs...)
}

func checkComment(c string) string {
	if c == "" || c[0] != '#' && c[0] != ';' || strings.ContainsAny(c, lineBreaks) {
		return fmt.Sprintf("cannot write comment %q", c)
	}
	return ""
}

func checkEntry(l *Line) string {
	k := l.Key
	if k == "" || strings.Trim(k, whitespace) != k || strings.ContainsAny(k, "=") ||
		k[0] == '[' || k[0] == '#' || k[0] == ';' ||
		strings.IndexFunc(k, isControl) >= 0 || !utf8.ValidString(k) {
		return fmt.Sprintf("cannot write key %q", k)
	}
	if strings.ContainsAny(l.Value, lineBreaks) || !utf8.ValidString(l.Value) {
		return fmt.Sprintf("cannot write %s=%q: line break or invalid UTF-8", k, l.Value)
	}
	return ""
}

// lineBreaks are the bytes that end a line for systemd.
const lineBreaks = "\n\r\x00"

// write writes without checking (String uses it to show even a broken file).
func (f *File) write(w io.Writer) (int64, error) {
	cw := &countingWriter{}
	switch b := w.(type) {
	case *bytes.Buffer: // in memory already: a bufio.Writer would only add a copy
		cw.w = b
	case *strings.Builder:
		cw.w = b
	default:
		bw := bufio.NewWriter(w)
		cw.w, cw.flush = bw, bw.Flush
	}
	for _, l := range f.Preamble {
		cw.line(l)
	}
	for i, s := range f.Sections {
		if i > 0 || len(f.Preamble) > 0 {
			cw.WriteString("\n")
		}
		cw.WriteString("[")
		cw.WriteString(s.Name)
		cw.WriteString("]\n")
		for _, l := range s.Lines {
			cw.line(l)
		}
	}
	if cw.err == nil && cw.flush != nil {
		cw.err = cw.flush()
	}
	return cw.n, cw.err
}

type countingWriter struct {
	w     io.StringWriter
	flush func() error
	n     int64
	err   error
}

func (c *countingWriter) WriteString(s string) {
	if c.err != nil {
		return
	}
	n, err := c.w.WriteString(s)
	c.n += int64(n)
	c.err = err
}

func (c *countingWriter) line(l *Line) {
	if l.IsComment() {
		c.WriteString(l.Comment)
		c.WriteString("\n")
		return
	}
	c.WriteString(l.Key)
	c.WriteString("=")
	c.WriteString(l.Value)
	if continues(l.Value) {
		// A value that ends in an odd number of backslashes (which Parse returns for
		// "K=x\ \" followed by an empty line) would swallow the next line. Write it
		// the same way: " \" continues onto an empty line, and the join is trimmed.
		c.WriteString(" \\\n")
	}
	c.WriteString("\n")
}

// WriteFileAtomic writes data to path through a temporary file in the same folder and a
// rename, so that a reader never sees half a file.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	// A name of our own rather than os.CreateTemp's, so that the file is created with
	// its final mode (less the umask, as os.WriteFile does) without a chmod: the
	// generator writes thousands of these at boot.
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d-%d.tmp", filepath.Base(path), os.Getpid(), tmpSeq.Add(1)))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if os.IsExist(err) { // left by a crashed process that had our pid
		os.Remove(tmp)
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

var tmpSeq atomic.Uint64
