// Command mangen renders berth's man pages from Markdown to roff. Where a page has a
// marker line "<!-- keys .container -->", it inserts the key table of that unit type
// from package quadlet, the same table the generator uses, so that the documented keys
// cannot drift from the accepted ones. It understands only the Markdown the pages use.
//
//	go run ./man/mangen -o berth-quadlet.5 man/berth-quadlet.5.md
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/berth-containers/berth/quadlet"
	"github.com/berth-containers/berth/version"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("mangen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("o", "", "output `file` (default: standard output)")
	date := fl.String("date", "", "date in the page footer (default: $SOURCE_DATE_EPOCH, else none)")
	strict := fl.Bool("strict", false, "fail when a marker names no table, or a table has no marker")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: mangen [-o OUT] [-date YYYY-MM-DD] [-strict] PAGE.md")
		return 2
	}
	src := fl.Arg(0)
	data, err := os.ReadFile(src)
	if err != nil {
		fmt.Fprintln(stderr, "mangen:", err)
		return 1
	}
	keys := newKeyTables(quadlet.Tables())
	p := page{date: pageDate(*date), source: "berth " + version.Version, srcName: filepath.Base(src)}
	text := render(parseMarkdown(string(data)), p, keys.expand)
	if problems := report(stderr, src, keys); problems && *strict {
		return 1
	}
	if *out == "" {
		_, err = io.WriteString(os.Stdout, text)
	} else {
		err = writeFile(*out, text)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mangen:", err)
		return 1
	}
	return 0
}

// report warns about markers without a table and, for pages that have markers, tables
// without a marker; it tells whether there was anything to say.
func report(w io.Writer, src string, k *keyTables) bool {
	for _, ext := range k.missing {
		fmt.Fprintf(w, "mangen: %s: no keys are registered for %q in this build\n", src, ext)
	}
	if len(k.used) == 0 {
		return len(k.missing) > 0
	}
	unused := k.unused()
	for _, ext := range unused {
		fmt.Fprintf(w, "mangen: %s: the keys of %q are not documented: add a line <!-- keys %s -->\n", src, ext, ext)
	}
	return len(k.missing) > 0 || len(unused) > 0
}

// pageDate is the explicit date, else SOURCE_DATE_EPOCH's (for reproducible builds),
// else none: a build's own clock would make every build's pages differ.
func pageDate(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC().Format("2006-01-02")
		}
	}
	return ""
}

// writeFile writes through a temporary file and a rename, so that a failed run never
// leaves half a page behind for the build to install.
func writeFile(path, text string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
