package main

import (
	"regexp"
	"strings"
)

// blockKind tells the kinds of Markdown blocks mangen understands: the small subset
// the man pages use, nothing more.
type blockKind int

const (
	bTitle   blockKind = iota // "% name section": the page's .TH line
	bHeading                  // "# NAME" (.SH) or "## Sub" (.SS)
	bPara                     // a paragraph of inline text
	bList                     // "- item" bullet items
	bCode                     // a ``` fenced block, shown verbatim
	bTable                    // a GitHub-style pipe table
	bDef                      // "term" then ":   definition" (pandoc's definition list)
	bKeys                     // "<!-- keys .container -->": a key table from package quadlet
)

// block is one parsed block. Which fields are used depends on kind.
type block struct {
	kind  blockKind
	level int        // heading level
	text  string     // heading, paragraph or definition term; the extension for bKeys
	items []string   // list items, code lines, or definition paragraphs
	rows  [][]string // table rows, the header first
	line  int        // 1-based source line, for error messages
}

var (
	keysMarker = regexp.MustCompile(`^<!--\s*keys\s+(\S+)\s*-->$`)
	listItem   = regexp.MustCompile(`^[-*]\s+`)
	tableRule  = regexp.MustCompile(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$`)
)

// parser walks the source lines once, block by block.
type parser struct {
	lines  []string
	i      int
	blocks []block
}

// parseMarkdown splits a page into blocks.
func parseMarkdown(src string) []block {
	p := &parser{lines: strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")}
	for p.i < len(p.lines) {
		p.next()
	}
	return p.blocks
}

func (p *parser) add(b block) { p.blocks = append(p.blocks, b) }

// next parses the block that starts at the current line.
func (p *parser) next() {
	l := p.lines[p.i]
	t := strings.TrimSpace(l)
	start := p.i + 1
	switch {
	case t == "":
		p.i++
	case strings.HasPrefix(t, "<!--"):
		if m := keysMarker.FindStringSubmatch(t); m != nil {
			p.add(block{kind: bKeys, text: m[1], line: start})
		}
		p.skipComment()
	case strings.HasPrefix(l, "% ") && len(p.blocks) == 0:
		p.add(block{kind: bTitle, text: strings.TrimSpace(l[2:]), line: start})
		p.i++
	case strings.HasPrefix(l, "#"):
		level := len(l) - len(strings.TrimLeft(l, "#"))
		p.add(block{kind: bHeading, level: level, text: strings.TrimSpace(l[level:]), line: start})
		p.i++
	case strings.HasPrefix(t, "```"):
		p.code(start)
	case listItem.MatchString(l):
		p.list(start)
	case strings.HasPrefix(t, "|"):
		p.table(start)
	case p.i+1 < len(p.lines) && strings.HasPrefix(p.lines[p.i+1], ": "):
		p.def(start)
	default:
		p.para(start)
	}
}

// skipComment skips an HTML comment, which may span lines.
func (p *parser) skipComment() {
	for p.i < len(p.lines) {
		done := strings.Contains(p.lines[p.i], "-->")
		p.i++
		if done {
			return
		}
	}
}

// endsPara tells whether a line ends a paragraph: a blank line or the start of another
// kind of block.
func endsPara(l string) bool {
	t := strings.TrimSpace(l)
	return t == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(t, "```") ||
		strings.HasPrefix(t, "<!--") || listItem.MatchString(l) || strings.HasPrefix(t, "|")
}

func (p *parser) para(start int) {
	var text []string
	for p.i < len(p.lines) && (len(text) == 0 || !endsPara(p.lines[p.i])) {
		text = append(text, strings.TrimSpace(p.lines[p.i]))
		p.i++
	}
	p.add(block{kind: bPara, text: strings.Join(text, " "), line: start})
}

func (p *parser) code(start int) {
	p.i++ // the opening fence
	var body []string
	for p.i < len(p.lines) && !strings.HasPrefix(strings.TrimSpace(p.lines[p.i]), "```") {
		body = append(body, p.lines[p.i])
		p.i++
	}
	p.i++ // the closing fence
	p.add(block{kind: bCode, items: body, line: start})
}

// list reads bullet items; an item goes on over indented or plain continuation lines.
func (p *parser) list(start int) {
	var items []string
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		switch {
		case listItem.MatchString(l):
			items = append(items, strings.TrimSpace(listItem.ReplaceAllString(l, "")))
		case !endsPara(l) && len(items) > 0:
			items[len(items)-1] += " " + strings.TrimSpace(l)
		default:
			p.add(block{kind: bList, items: items, line: start})
			return
		}
		p.i++
	}
	p.add(block{kind: bList, items: items, line: start})
}

// def reads "term" and ":   text" lines. The text goes on over the following lines; an
// indented line after a blank line starts another paragraph of the same definition.
func (p *parser) def(start int) {
	b := block{kind: bDef, text: strings.TrimSpace(p.lines[p.i]), line: start}
	p.i++
	cur := []string{strings.TrimSpace(strings.TrimPrefix(p.lines[p.i], ":"))}
	for p.i++; p.i < len(p.lines); p.i++ {
		l := p.lines[p.i]
		if strings.TrimSpace(l) != "" {
			if !strings.HasPrefix(l, " ") && endsPara(l) {
				break
			}
			cur = append(cur, strings.TrimSpace(l))
			continue
		}
		b.items = append(b.items, strings.Join(cur, " "))
		cur = nil
		if p.i+1 >= len(p.lines) || !strings.HasPrefix(p.lines[p.i+1], "    ") {
			break
		}
	}
	if len(cur) > 0 {
		b.items = append(b.items, strings.Join(cur, " "))
	}
	p.add(b)
}

// table reads pipe rows; the rule line under the header is dropped.
func (p *parser) table(start int) {
	b := block{kind: bTable, line: start}
	for p.i < len(p.lines) && strings.HasPrefix(strings.TrimSpace(p.lines[p.i]), "|") {
		t := strings.TrimSpace(p.lines[p.i])
		p.i++
		if tableRule.MatchString(t) {
			continue
		}
		b.rows = append(b.rows, splitRow(t))
	}
	p.add(b)
}

// splitRow splits "| a | b |" into cells; "\|" is a literal bar inside a cell.
func splitRow(t string) []string {
	t = strings.TrimSuffix(strings.TrimPrefix(t, "|"), "|")
	t = strings.ReplaceAll(t, `\|`, "\x00")
	cells := strings.Split(t, "|")
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(strings.TrimSpace(c), "\x00", "|")
	}
	return cells
}
