package main

import (
	"sort"
	"strings"

	"github.com/berth-containers/berth/quadlet"
)

// keyTables renders the key-table markers from the tables the generator itself uses,
// so that the documented keys are exactly the accepted ones.
type keyTables struct {
	tables  map[string]*quadlet.Table
	used    map[string]bool // tables a marker asked for
	missing []string        // markers that name no table in this build
}

func newKeyTables(t map[string]*quadlet.Table) *keyTables {
	return &keyTables{tables: t, used: map[string]bool{}}
}

// expand writes the table of ext (".container", or "[Quadlet]") as tagged paragraphs,
// one per key in alphabetical order: "Key=ARG", its documentation, the engine flag it
// becomes when it is a plain flag, and whether it may be repeated.
func (k *keyTables) expand(r *roff, ext string) {
	k.used[ext] = true
	t := k.tables[ext]
	if t == nil || len(t.Keys) == 0 {
		k.missing = append(k.missing, ext)
		r.req(".PP")
		r.text(esc("This build of the generator accepts no keys here.", false))
		return
	}
	keys := append([]quadlet.Key(nil), t.Keys...)
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].Name < keys[j].Name })
	for _, key := range keys {
		r.req(".TP")
		r.text(keyTag(key))
		r.text(strings.TrimSpace(docText(docSentence(key.Doc)) + " " + keyNotes(key)))
	}
}

// keyTag is "\fBName=\fR\fIARG\fR".
func keyTag(k quadlet.Key) string {
	tag := `\fB` + esc(k.Name, false) + `=\fR`
	if k.Arg != "" {
		tag += `\fI` + esc(k.Arg, false) + `\fR`
	}
	return tag
}

// keyNotes names the engine flag a key becomes, unless its doc already does, and says
// when it can be repeated. Keys the converter reads itself may treat repeats their own
// way (Exec= takes the last value), so only table-driven keys are called repeatable.
func keyNotes(k quadlet.Key) string {
	var notes []string
	if f := strings.TrimSuffix(k.Flag, "="); f != "" && !strings.Contains(k.Doc, f) {
		notes = append(notes, `Engine option: \fB`+esc(f, true)+`\fR.`)
	}
	switch k.Kind {
	case quadlet.Lines, quadlet.Words, quadlet.KeyValue:
		if !k.Converter && !strings.Contains(strings.ToLower(k.Doc), "repeat") {
			notes = append(notes, "Can be repeated.")
		}
	}
	return strings.Join(notes, " ")
}

// docText renders a key's doc: plain text in which only `code` spans are marked up,
// since docs name globs such as *.conf that are not emphasis.
func docText(doc string) string {
	var b strings.Builder
	for i, part := range strings.Split(doc, "`") {
		if i%2 == 1 && i < strings.Count(doc, "`") {
			b.WriteString(`\fB` + esc(part, true) + `\fR`)
			continue
		}
		if i%2 == 1 {
			b.WriteString(esc("`", false))
		}
		b.WriteString(esc(part, false))
	}
	return b.String()
}

// docSentence ends a one-line doc with a full stop, so that the notes after it read well.
func docSentence(doc string) string {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return "(undocumented)"
	}
	if !strings.HasSuffix(doc, ".") && !strings.HasSuffix(doc, ")") {
		doc += "."
	}
	return doc
}

// unused returns the tables that have keys but no marker in the page, sorted.
func (k *keyTables) unused() []string {
	var out []string
	for ext, t := range k.tables {
		if !k.used[ext] && t != nil && len(t.Keys) > 0 {
			out = append(out, ext)
		}
	}
	sort.Strings(out)
	return out
}
