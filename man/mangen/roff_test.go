package main

import (
	"strings"
	"testing"

	"github.com/berth-containers/berth/quadlet"
)

func TestInline(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"**bold** and *italic*", `\fBbold\fR and \fIitalic\fR`},
		{"***both***", `\fB\f(BIboth\fI\fR`},
		{"`--flag 'x'`", `\fB\-\-flag \(aqx\(aq\fR`},
		{"**a `code` b**", `\fBa \fBcode\fB b\fR`},
		{"*.conf and *.d", `*.conf and *.d`},
		{"2 * 3", `2 * 3`},
		{"*a* b *", `\fIa\fR b *`},
		{`\*literal\* and a\\b`, `*literal* and a\eb`},
		{"~/x ^y", `\(ti/x \(hay`},
		{"unclosed **bold", `unclosed **bold`},
		{"café — ok", `caf\[u00E9] \[u2014] ok`},
	} {
		if got := inline(c.in); got != c.want {
			t.Errorf("inline(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseBlocks(t *testing.T) {
	src := "% x 8\n\n# NAME\n\nx - y\nz\n\n- one\n  more\n- two\n\n" +
		"**-v**\n:   verbose\n    still\n\n    second\n\n| A | B |\n|---|---|\n| 1 | a \\| b |\n\n" +
		"```\n.dot line\n\n```\n<!-- a\ncomment -->\n<!-- keys .container -->\n"
	var kinds []blockKind
	blocks := parseMarkdown(src)
	for _, b := range blocks {
		kinds = append(kinds, b.kind)
	}
	want := []blockKind{bTitle, bHeading, bPara, bList, bDef, bTable, bCode, bKeys}
	if len(kinds) != len(want) {
		t.Fatalf("kinds = %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds = %v, want %v", kinds, want)
		}
	}
	if got := blocks[2].text; got != "x - y z" {
		t.Errorf("paragraph = %q", got)
	}
	if got := blocks[3].items; len(got) != 2 || got[0] != "one more" {
		t.Errorf("list = %q", got)
	}
	if got := blocks[4].items; len(got) != 2 || got[0] != "verbose still" || got[1] != "second" {
		t.Errorf("definition = %q", got)
	}
	if got := blocks[5].rows; len(got) != 2 || got[1][1] != "a | b" {
		t.Errorf("table = %q", got)
	}
	if got := blocks[6].items; len(got) != 2 || got[0] != ".dot line" {
		t.Errorf("code = %q", got)
	}
	if blocks[7].text != ".container" {
		t.Errorf("marker = %q", blocks[7].text)
	}
}

func TestRenderProtectsRequests(t *testing.T) {
	out := render(parseMarkdown("% x 1\n\n```\n.TH not a request\n'quote\n```\n"), page{}, nil)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, ".TH not") || strings.HasPrefix(l, "'quote") {
			t.Errorf("text line read as a request: %q", l)
		}
	}
}

func TestKeyTable(t *testing.T) {
	tables := map[string]*quadlet.Table{".x": {Section: "X", Keys: []quadlet.Key{
		{Name: "Zeta", Kind: quadlet.String, Flag: "--zeta=", Arg: "z", Doc: "Last one"},
		{Name: "Alpha", Kind: quadlet.Lines, Flag: "--alpha", Arg: "a", Doc: "First (`--alpha`) for *.conf."},
		{Name: "Exec", Kind: quadlet.Words, Converter: true, Doc: "Read by the converter."},
	}}}
	k := newKeyTables(tables)
	r := &roff{}
	k.expand(r, ".x")
	k.expand(r, ".nope")
	out := r.b.String()
	for _, want := range []string{
		".TP\n\\fBAlpha=\\fR\\fIa\\fR\nFirst (\\fB\\-\\-alpha\\fR) for *.conf. Can be repeated.\n",
		".TP\n\\fBExec=\\fR\nRead by the converter.\n",
		".TP\n\\fBZeta=\\fR\\fIz\\fR\nLast one. Engine option: \\fB\\-\\-zeta\\fR.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Index(out, "Alpha") > strings.Index(out, "Zeta") {
		t.Error("keys are not in alphabetical order")
	}
	if len(k.missing) != 1 || k.missing[0] != ".nope" {
		t.Errorf("missing = %q", k.missing)
	}
}
