package units

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a problem found at a position of a unit file.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors lists the *Error values inside err (as Parse and WriteTo return them, joined),
// so that a caller can report or count them one by one.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// Parse reads a unit file the way systemd's config parser does. It keeps going after a
// bad line so that one call reports every bad line; the file is returned with the good
// lines even when err != nil, and err joins one *Error per problem.
//
// Lines end at "\n", "\r" or NUL (and their combinations such as "\r\n"), as in
// systemd's read_line. A line ending in an odd number of backslashes continues on the
// next one, the backslash becoming a space; comment lines inside a continuation are
// kept as comments and skipped by it. The entry's Pos is its first line.
//
// One deliberate difference: whitespace after the final backslash still continues the
// line, as podman's Quadlet parser does (its line-continuation-whitespace case), where
// systemd would end the line. Files written by WriteTo never have such whitespace, so
// systemd reads them the same way.
func Parse(path string, data []byte) (*File, error) {
	p := parser{f: &File{Path: path}}
	p.run(strings.TrimPrefix(string(data), bom))
	return p.f, errors.Join(p.errs...)
}

// bom is the UTF-8 byte order mark, which systemd skips at the start of a file.
const bom = "\uFEFF"

type parser struct {
	f      *File
	cur    *Section
	byName map[string]*Section // f's sections, so that many headers stay linear
	errs   []error
}

func (p *parser) fail(line int, format string, a ...any) {
	p.errs = append(p.errs, &Error{Pos{p.f.Path, line}, fmt.Sprintf(format, a...)})
}

func (p *parser) run(text string) {
	var pending strings.Builder // a continued line so far, raw, as systemd joins it
	pendingLine := 0
	for n := 1; text != ""; n++ {
		var raw string
		raw, text = nextLine(text)
		// Comment lines are comments even inside a continuation, as in systemd.
		if l := strings.Trim(raw, whitespace); l != "" && (l[0] == '#' || l[0] == ';') {
			p.comment(l, n)
			continue
		}
		if pending.Len() == 0 {
			pendingLine = n
		}
		if t := strings.TrimRight(raw, whitespace); continues(t) {
			pending.WriteString(t[:len(t)-1])
			pending.WriteByte(' ')
			if text != "" {
				continue
			}
			raw = ""
		}
		pending.WriteString(raw)
		l := strings.Trim(pending.String(), whitespace)
		pending.Reset()
		if l == "" {
			continue
		}
		if !utf8.ValidString(l) {
			p.fail(pendingLine, "line is not valid UTF-8")
			continue
		}
		p.line(l, pendingLine)
	}
}

// nextLine cuts the first line off text. Like systemd's read_line, it ends at "\n",
// "\r" or NUL; one "\n" and one "\r" in either order, then one NUL, make a single end.
func nextLine(text string) (line, rest string) {
	i := strings.IndexAny(text, "\n\r\x00")
	if i < 0 {
		return text, ""
	}
	line = text[:i]
	var seen byte
	for ; i < len(text); i++ {
		c := text[i]
		if c != '\n' && c != '\r' && c != 0 || seen&eolBit(c) != 0 || seen&eolBit(0) != 0 {
			break
		}
		seen |= eolBit(c)
	}
	return line, text[i:]
}

func eolBit(c byte) byte {
	switch c {
	case '\n':
		return 1
	case '\r':
		return 2
	}
	return 4
}

// whitespace is systemd's WHITESPACE set.
const whitespace = " \t\n\r"

// continues tells whether a line ends in an unescaped backslash: the last run of
// backslashes has an odd length.
func continues(l string) bool {
	n := 0
	for i := len(l) - 1; i >= 0 && l[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func (p *parser) comment(text string, n int) {
	line := &Line{Comment: text, Pos: Pos{p.f.Path, n}}
	if p.cur == nil {
		p.f.Preamble = append(p.f.Preamble, line)
		return
	}
	p.cur.Lines = append(p.cur.Lines, line)
}

func (p *parser) line(l string, n int) {
	if l[0] == '[' {
		p.header(l, n)
		return
	}
	key, value, ok := strings.Cut(l, "=")
	if !ok {
		p.fail(n, "%q is not a key=value pair, a [section] header or a comment", l)
		return
	}
	key = strings.TrimRight(key, whitespace)
	if key == "" {
		p.fail(n, "missing key name before '='")
		return
	}
	if strings.IndexFunc(key, isControl) >= 0 {
		p.fail(n, "invalid key name %q", key)
		return
	}
	if p.cur == nil {
		p.fail(n, "key %q comes before any [section] header", key)
		return
	}
	if p.cur.Name == "" { // inside a rejected section
		return
	}
	value = strings.TrimLeft(value, whitespace)
	p.cur.Lines = append(p.cur.Lines, &Line{Key: key, Value: value, Pos: Pos{p.f.Path, n}})
}

func (p *parser) header(l string, n int) {
	end := strings.IndexByte(l, ']')
	if end != len(l)-1 {
		p.fail(n, "invalid section header %q", l)
		p.cur = &Section{} // swallow its entries rather than misfile them
		return
	}
	name := l[1:end]
	if !validSectionName(name) {
		p.fail(n, "invalid section name %q", name)
		p.cur = &Section{}
		return
	}
	if s := p.byName[name]; s != nil {
		p.cur = s
		return
	}
	p.cur = &Section{Name: name, Pos: Pos{p.f.Path, n}}
	p.f.Sections = append(p.f.Sections, p.cur)
	if p.byName == nil {
		p.byName = map[string]*Section{}
	}
	p.byName[name] = p.cur
}

// validSectionName refuses what systemd refuses in a header (control characters,
// quotes, backslashes: its string_is_safe) and, beyond systemd, empty names and
// brackets, which can only be typing errors.
func validSectionName(name string) bool {
	return name != "" && utf8.ValidString(name) && !strings.ContainsAny(name, "[]\"'\\") &&
		strings.IndexFunc(name, isControl) < 0
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
