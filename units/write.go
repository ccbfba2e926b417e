package units

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
)

// WriteTo writes the file in systemd syntax: the preamble's comments, then each section
// with its comments and entries, a blank line between sections.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriter(w)}
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
	if cw.err == nil {
		cw.err = cw.w.Flush()
	}
	return cw.n, cw.err
}

type countingWriter struct {
	w   *bufio.Writer
	n   int64
	err error
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
	} else {
		c.WriteString(l.Key)
		c.WriteString("=")
		c.WriteString(l.Value)
	}
	c.WriteString("\n")
}

// WriteFileAtomic writes data to path through a temporary file in the same folder and a
// rename, so that a reader never sees half a file.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}
