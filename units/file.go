package units

import (
	"fmt"
	"strings"
)

// Pos is where something was read: a file and a 1-based line. A zero Line means the
// position is the file as a whole (or the entry was made by a program, not read).
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	switch {
	case p.File == "":
		return fmt.Sprintf("line %d", p.Line)
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Line is one logical line of a section: a comment or a key=value entry. Continuation
// lines are joined into one entry whose Pos is the first physical line.
type Line struct {
	Comment string // the comment text including its leading '#' or ';', when Key is ""
	Key     string
	Value   string // raw: quotes and escapes are kept; see Get, All and Words
	Pos     Pos
}

// IsComment tells a comment line from an entry.
func (l *Line) IsComment() bool { return l.Key == "" }

// Section is a [Name] group. Sections of the same name in one file are merged, as
// systemd and podman do.
type Section struct {
	Name  string
	Pos   Pos
	Lines []*Line
}

// File is a parsed unit file.
type File struct {
	Path     string
	Preamble []*Line // comments before the first section
	Sections []*Section
}

// New returns an empty file that claims to come from path.
func New(path string) *File { return &File{Path: path} }

// Section returns the named section, or nil.
func (f *File) Section(name string) *Section {
	for _, s := range f.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// HasSection tells whether the file has the named section.
func (f *File) HasSection(name string) bool { return f.Section(name) != nil }

// EnsureSection returns the named section, appending an empty one when missing.
func (f *File) EnsureSection(name string) *Section {
	if s := f.Section(name); s != nil {
		return s
	}
	s := &Section{Name: name}
	f.Sections = append(f.Sections, s)
	return s
}

// RenameSection renames a section; merging into an existing one of the new name.
func (f *File) RenameSection(from, to string) {
	src := f.Section(from)
	if src == nil || from == to {
		return
	}
	if dst := f.Section(to); dst != nil {
		dst.Lines = append(dst.Lines, src.Lines...)
		f.RemoveSection(from)
		return
	}
	src.Name = to
}

// RemoveSection drops a section and everything in it.
func (f *File) RemoveSection(name string) {
	out := f.Sections[:0]
	for _, s := range f.Sections {
		if s.Name != name {
			out = append(out, s)
		}
	}
	f.Sections = out
}

// Add appends key=value to a section, creating the section if needed.
func (f *File) Add(section, key, value string) {
	s := f.EnsureSection(section)
	s.Lines = append(s.Lines, &Line{Key: key, Value: value})
}

// Set replaces every entry of key by a single key=value.
func (f *File) Set(section, key, value string) {
	f.Unset(section, key)
	f.Add(section, key, value)
}

// Unset removes every entry of key from a section.
func (f *File) Unset(section, key string) {
	s := f.Section(section)
	if s == nil {
		return
	}
	out := s.Lines[:0]
	for _, l := range s.Lines {
		if l.Key != key {
			out = append(out, l)
		}
	}
	s.Lines = out
}

// Entries returns the entries (not comments) of a section in order.
func (f *File) Entries(section string) []*Line {
	s := f.Section(section)
	if s == nil {
		return nil
	}
	out := make([]*Line, 0, len(s.Lines))
	for _, l := range s.Lines {
		if !l.IsComment() {
			out = append(out, l)
		}
	}
	return out
}

// Last returns the last entry of key, or nil.
func (f *File) Last(section, key string) *Line {
	s := f.Section(section)
	if s == nil {
		return nil
	}
	for i := len(s.Lines) - 1; i >= 0; i-- {
		if s.Lines[i].Key == key {
			return s.Lines[i]
		}
	}
	return nil
}

// Lookup returns the raw value of the last entry of key.
func (f *File) Lookup(section, key string) (string, bool) {
	if l := f.Last(section, key); l != nil {
		return l.Value, true
	}
	return "", false
}

// Get returns the last value of key with one pair of surrounding double quotes removed,
// which is how podman reads single-valued Quadlet keys.
func (f *File) Get(section, key string) (string, bool) {
	v, ok := f.Lookup(section, key)
	if !ok {
		return "", false
	}
	return TrimQuotes(v), true
}

// TrimQuotes removes one pair of surrounding double quotes.
func TrimQuotes(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// AllLines returns the entries of key that are in effect: an empty assignment resets
// the list, as systemd does for list-valued settings.
func (f *File) AllLines(section, key string) []*Line {
	s := f.Section(section)
	if s == nil {
		return nil
	}
	var out []*Line
	for _, l := range s.Lines {
		if l.Key != key {
			continue
		}
		if l.Value == "" {
			out = out[:0]
			continue
		}
		out = append(out, l)
	}
	return out
}

// All returns the raw values of AllLines.
func (f *File) All(section, key string) []string {
	lines := f.AllLines(section, key)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Value
	}
	return out
}

// Keys returns the distinct keys of a section in order of first appearance.
func (f *File) Keys(section string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range f.Entries(section) {
		if !seen[l.Key] {
			seen[l.Key] = true
			out = append(out, l.Key)
		}
	}
	return out
}

// Clone returns a deep copy.
func (f *File) Clone() *File {
	c := &File{Path: f.Path, Preamble: cloneLines(f.Preamble)}
	c.Sections = make([]*Section, len(f.Sections))
	for i, s := range f.Sections {
		c.Sections[i] = &Section{Name: s.Name, Pos: s.Pos, Lines: cloneLines(s.Lines)}
	}
	return c
}

func cloneLines(ls []*Line) []*Line {
	if ls == nil {
		return nil
	}
	out := make([]*Line, len(ls))
	for i, l := range ls {
		c := *l
		out[i] = &c
	}
	return out
}

// Merge appends the sections of a drop-in to f: entries of a section that exists are
// added after its own, so that later assignments win and empty ones reset lists.
func (f *File) Merge(dropin *File) {
	for _, s := range dropin.Sections {
		dst := f.Section(s.Name)
		if dst == nil {
			dst = &Section{Name: s.Name, Pos: s.Pos}
			f.Sections = append(f.Sections, dst)
		}
		dst.Lines = append(dst.Lines, cloneLines(s.Lines)...)
	}
}

// String renders the file as WriteTo does, but without its checks, so that even a file
// WriteTo refuses can be shown.
func (f *File) String() string {
	var b strings.Builder
	f.write(&b)
	return b.String()
}
