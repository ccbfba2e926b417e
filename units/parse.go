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

// Parse reads a unit file. It keeps going after a bad line so that one call reports
// every bad line; the file is returned with the good lines even when err != nil, and
// err joins one *Error per problem.
func Parse(path string, data []byte) (*File, error) {
	p := parser{f: &File{Path: path}}
	p.run(string(data))
	return p.f, errors.Join(p.errs...)
}

type parser struct {
	f    *File
	cur  *Section
	errs []error
}

func (p *parser) fail(line int, format string, a ...any) {
	p.errs = append(p.errs, &Error{Pos{p.f.Path, line}, fmt.Sprintf(format, a...)})
}

func (p *parser) run(text string) {
	var pending strings.Builder
	pendingLine := 0
	n := 0
	for len(text) > 0 {
		n++
		raw := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			raw, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		l := strings.Trim(raw, whitespace)
		// Comment lines are comments even inside a continuation, as in systemd.
		if l != "" && (l[0] == '#' || l[0] == ';') {
			p.comment(l, n)
			continue
		}
		if !utf8.ValidString(l) {
			p.fail(n, "line is not valid UTF-8")
			continue
		}
		if continues(l) {
			if pending.Len() == 0 {
				pendingLine = n
			}
			pending.WriteString(l[:len(l)-1])
			pending.WriteByte(' ')
			if len(text) > 0 {
				continue
			}
			l = ""
		}
		at := n
		if pending.Len() > 0 {
			pending.WriteString(l)
			l = strings.Trim(pending.String(), whitespace)
			pending.Reset()
			at = pendingLine
		}
		if l != "" {
			p.line(l, at)
		}
	}
}

// whitespace is systemd's WHITESPACE set.
const whitespace = " \t\n\r"

// continues tells whether a line ends in an unescaped backslash.
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
		end := strings.IndexByte(l, ']')
		if end < 0 || end != len(l)-1 {
			p.fail(n, "invalid section header %q", l)
			p.cur = &Section{} // swallow its entries rather than misfile them
			return
		}
		name := l[1:end]
		if name == "" || strings.ContainsAny(name, "[]") || strings.IndexFunc(name, isControl) >= 0 {
			p.fail(n, "invalid section name %q", name)
			p.cur = &Section{}
			return
		}
		if s := p.f.Section(name); s != nil {
			p.cur = s
			return
		}
		p.cur = &Section{Name: name, Pos: Pos{p.f.Path, n}}
		p.f.Sections = append(p.f.Sections, p.cur)
		return
	}
	eq := strings.IndexByte(l, '=')
	if eq < 0 {
		p.fail(n, "%q is not a key=value pair, a [section] header or a comment", l)
		return
	}
	key := strings.TrimRight(l[:eq], whitespace)
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
	value := strings.TrimLeft(l[eq+1:], whitespace)
	p.cur.Lines = append(p.cur.Lines, &Line{Key: key, Value: value, Pos: Pos{p.f.Path, n}})
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
