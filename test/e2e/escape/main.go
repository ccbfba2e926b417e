// Command escape is the e2e suite's helper for its escaping scenario
// (test/e2e/scenarios/6-escaping.sh). From one table of hostile values it writes
// Quadlet files that pass every value through Exec=, Environment=, Label=, PodmanArgs=
// and Volume=, each encoded as podman-systemd.unit(5) says a user writes it; and it
// checks, byte for byte, what the containers received under systemd.
//
//	escape gen ROOTFS               the units (ROOTFS/etc/containers/systemd/esc-*.container)
//	                                and ROOTFS/e2e-esc/{out/dump.sh,src/*}
//	escape check argv FILE          FILE: /proc/1/cmdline of esc-exec's container
//	escape check env PREFIX FILE    FILE: /proc/1/environ; variables PREFIXnn
//	escape check labels PREFIX FILE FILE: berth inspect's .Config.Labels as JSON; labels PREFIXnn
//	escape check volumes FILE       FILE: "path\0content\0" of each /v/*/id in esc-volume
//
// The encoding is written here on purpose, apart from the units/ package that the
// generator uses, so that the two are checked against systemd rather than each other.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// values are the hostile values, each meant to arrive as it is here.
var values = []string{
	"",
	"two words",
	"  leading and trailing  ",
	"   ",
	`"double quoted"`,
	`'single quoted'`,
	`it's`,
	`say "hi"`,
	`a"b'c\d`,
	`'"'`,
	`back\slash`,
	`\\two`,
	`trailing\`,
	`\x41 not an escape`,
	`\n not a newline`,
	"$HOME",
	"${HOME}",
	"$$",
	"cost: $5",
	"$1 $@ $*",
	"%h",
	"100%",
	"%%",
	"%n %i %%n",
	"\t",
	"a\tb",
	"line\nbreak",
	"cr\rlf\n",
	"bell\a vt\v ff\f bs\b",
	"\x01\x1f\x7f",
	"héllo wörld",
	"日本語のテキスト",
	"emoji 🚀 ok",
	"e\u0301 combining",
	"\u00a0nbsp\u2028ls",
	"-dash",
	"--long=option",
	"-",
	"--",
	"-e",
	";",
	"a;b",
	"a ; b",
	"`backtick`",
	"*glob?[x]",
	"#hash",
	"a=b=c",
	"=",
	"{braces}",
	"(parens)",
	"<>|&",
	"~tilde",
	"!bang",
	`C:\path\to\file`,
	"x=$(id)",
	strings.Repeat("long ", 60) + "end",
	"mixed: 'q' \"d\" \\ $V %p \t end",
}

// volumeNames are single path components for Volume=, whose value is taken as written
// (no quotes, no escapes) and split at ':'.
var volumeNames = []string{
	"with space",
	"tab\there",
	`quote"d`,
	"it's",
	`back\slash`,
	`\t not a tab`,
	"dollar$HOME",
	"brace${HOME}",
	"pct%h",
	"pct%%",
	"ünïcödé",
	"日本語",
	"🚀rocket",
	"-dash",
	"--",
	"semi;colon",
	"a=b",
	"#hash",
	"star*?",
	"comma,list",
	"(paren)",
	"amp&pipe|",
	"<lt>",
	"~tilde",
	"`tick`",
	"!bang",
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "escape:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 2 && args[0] == "gen":
		return gen(args[1])
	case len(args) == 3 && args[0] == "check" && args[1] == "argv":
		return checkArgv(args[2])
	case len(args) == 4 && args[0] == "check" && args[1] == "env":
		return checkEnv(args[2], args[3])
	case len(args) == 4 && args[0] == "check" && args[1] == "labels":
		return checkLabels(args[2], args[3])
	case len(args) == 3 && args[0] == "check" && args[1] == "volumes":
		return checkVolumes(args[2])
	}
	return fmt.Errorf("usage: escape gen ROOTFS | check argv FILE | check env PREFIX FILE | check labels PREFIX FILE | check volumes FILE")
}

// ---- encoding, as podman-systemd.unit(5) and systemd.syntax(7) have it ----------------

// unitText protects what systemd itself reads in the generated service, where every
// one of these values ends up (in ExecStart=, as with podman's Quadlet): % starts a
// specifier and $ a variable, so they are doubled.
func unitText(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "%", "%%"), "$", "$$")
}

// word encodes s as one word of a systemd command line or list (Exec=, Environment=,
// Label=, PodmanArgs=), in one of three styles so that each rule is used: double
// quotes, single quotes, or no quotes with backslash escapes (where unicode is written
// as \u escapes too).
func word(s string, style int) string {
	s = unitText(s)
	var b strings.Builder
	switch style % 3 {
	case 0:
		b.WriteByte('"')
		escape(&b, s, `"\`, false)
		b.WriteByte('"')
	case 1:
		b.WriteByte('\'')
		escape(&b, s, `'\`, false)
		b.WriteByte('\'')
	default:
		if s == "" {
			return `""`
		}
		escape(&b, s, `"'\; `, true)
	}
	return b.String()
}

// escape writes s with C escapes for control characters and for the bytes in special
// (a space as \s, ';' as \x3b, others with a backslash); with uni, runes beyond ASCII
// as \u or \U escapes.
func escape(b *strings.Builder, s, special string, uni bool) {
	names := map[rune]string{'\a': `\a`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`,
		'\t': `\t`, '\v': `\v`, ' ': `\s`, ';': `\x3b`}
	for _, r := range s {
		switch {
		case strings.ContainsRune(special, r) && (r == ' ' || r == ';'):
			b.WriteString(names[r])
		case strings.ContainsRune(special, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			if n, ok := names[r]; ok {
				b.WriteString(n)
			} else {
				fmt.Fprintf(b, `\x%02x`, r)
			}
		case uni && r > 0xffff:
			fmt.Fprintf(b, `\U%08x`, r)
		case uni && r > 0x7f:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
}

// ---- the units --------------------------------------------------------------------

const image = "127.0.0.1:5000/busybox:latest"

// dumpScript runs as each container's pid 1 and writes what the container received.
const dumpScript = `#!/bin/sh
# dump.sh NAME [ARGS...]: writes pid 1's argv and environment (this script's, as the
# engine started it) and the markers of the volumes under /v into /out/NAME.*, for
# test/e2e/escape to compare. Then waits, and exits on SIGTERM.
n=$1
cat /proc/1/cmdline >"/out/$n.argv"
cat /proc/1/environ >"/out/$n.env"
for f in /v/*/id; do
	[ -e "$f" ] && printf '%s\0%s\0' "$f" "$(cat "$f")"
done >"/out/$n.vol"
: >"/out/$n.done"
trap 'exit 0' TERM
sleep 1000 &
wait
`

func header(name, what string) string {
	return fmt.Sprintf(`# Generated by test/e2e/escape: %s
[Container]
Image=%s
Network=none
Volume=/e2e-esc/out:/out
`, what, image)
}

func gen(root string) error {
	qdir := filepath.Join(root, "etc/containers/systemd")
	base := filepath.Join(root, "e2e-esc")
	if err := os.RemoveAll(base); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(base, "out"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(base, "out/dump.sh"), []byte(dumpScript), 0o755); err != nil {
		return err
	}

	var exec strings.Builder
	exec.WriteString(header("esc-exec", fmt.Sprintf("%d values as Exec= arguments", len(values))))
	exec.WriteString("Exec=/out/dump.sh esc-exec")
	for i, v := range values {
		exec.WriteString(" " + word(v, i))
	}
	exec.WriteString("\n")

	// Environment= and Label=: some lines hold one item, some several.
	list := func(key, prefix string) string {
		var b strings.Builder
		for i, v := range values {
			if i%4 == 0 {
				if i > 0 {
					b.WriteString("\n")
				}
				b.WriteString(key + "=")
			} else {
				b.WriteString(" ")
			}
			b.WriteString(word(fmt.Sprintf("%s%02d=%s", prefix, i, v), i))
		}
		return b.String() + "\n"
	}
	env := header("esc-env", fmt.Sprintf("%d values in Environment=", len(values))) +
		"Exec=/out/dump.sh esc-env\n" + list("Environment", "E2E_")
	label := header("esc-label", fmt.Sprintf("%d values in Label=", len(values))) +
		"Exec=/out/dump.sh esc-label\n" + list("Label", "e2e.")

	var args strings.Builder
	args.WriteString(header("esc-args", fmt.Sprintf("%d values as --env and --label in PodmanArgs=", len(values))))
	args.WriteString("Exec=/out/dump.sh esc-args\n")
	for i, v := range values {
		fmt.Fprintf(&args, "PodmanArgs=%s --label %s\n",
			word(fmt.Sprintf("--env=PA_%02d=%s", i, v), i), word(fmt.Sprintf("pa.%02d=%s", i, v), i+1))
	}

	var vol strings.Builder
	vol.WriteString(header("esc-volume", fmt.Sprintf("%d host paths and container paths in Volume=", len(volumeNames))))
	vol.WriteString("Exec=/out/dump.sh esc-volume\n")
	for i, n := range volumeNames {
		src := filepath.Join(base, "src", n)
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(src, "id"), []byte(fmt.Sprint(i)), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&vol, "Volume=%s:%s\n", unitText("/e2e-esc/src/"+n), unitText("/v/"+n))
	}

	for name, text := range map[string]string{"esc-exec": exec.String(), "esc-env": env,
		"esc-label": label, "esc-args": args.String(), "esc-volume": vol.String()} {
		if err := os.WriteFile(filepath.Join(qdir, name+".container"), []byte(text), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("%d values through Exec=, Environment=, Label=, PodmanArgs=; %d through Volume=\n",
		len(values), len(volumeNames))
	return nil
}

// ---- checks -------------------------------------------------------------------------

// mismatches collects differences and reports them as one error.
type mismatches []string

func (m *mismatches) add(what string, want, got any) {
	*m = append(*m, fmt.Sprintf("%s: want %s, got %s", what, show(want), show(got)))
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%+q", s)
	}
	return fmt.Sprint(v)
}

func (m mismatches) err(total int, what string) error {
	if len(m) == 0 {
		fmt.Printf("info: %d of %d %s byte-equal\n", total, total, what)
		return nil
	}
	if len(m) > 12 {
		m = append(m[:12], fmt.Sprintf("... and %d more", len(m)-12))
	}
	return fmt.Errorf("%d of %d %s differ:\n%s", len(m), total, what, strings.Join(m, "\n"))
}

func nulFields(data []byte) []string {
	data = bytes.TrimSuffix(data, []byte{0})
	if len(data) == 0 {
		return nil
	}
	return strings.Split(string(data), "\x00")
}

func checkArgv(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	argv := nulFields(data)
	// The kernel ran the script through its #! line: /bin/sh /out/dump.sh NAME ARGS...
	i := 0
	for i < len(argv) && argv[i] != "/out/dump.sh" {
		i++
	}
	if i+1 >= len(argv) {
		return fmt.Errorf("no /out/dump.sh NAME in argv %q", argv)
	}
	got := argv[i+2:]
	var m mismatches
	if len(got) != len(values) {
		m.add("argument count", len(values), len(got))
	}
	for j, v := range values {
		if j >= len(got) {
			break
		}
		if got[j] != v {
			m.add(fmt.Sprintf("argument %d", j), v, got[j])
		}
	}
	return m.err(len(values), "arguments")
}

func checkEnv(prefix, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	env := map[string]string{}
	for _, kv := range nulFields(data) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var m mismatches
	for i, v := range values {
		k := fmt.Sprintf("%s%02d", prefix, i)
		got, ok := env[k]
		if !ok {
			m.add(k, v, "(unset)")
		} else if got != v {
			m.add(k, v, got)
		}
	}
	return m.err(len(values), "environment variables")
}

func checkLabels(prefix, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var labels map[string]string
	if err := json.Unmarshal(bytes.TrimSpace(data), &labels); err != nil {
		return fmt.Errorf("labels in %s: %v (%.200q)", file, err, data)
	}
	var m mismatches
	for i, v := range values {
		k := fmt.Sprintf("%s%02d", prefix, i)
		got, ok := labels[k]
		if !ok {
			m.add(k, v, "(no such label)")
		} else if got != v {
			m.add(k, v, got)
		}
	}
	return m.err(len(values), "labels")
}

func checkVolumes(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	f := nulFields(data)
	got := map[string]string{}
	for i := 0; i+1 < len(f); i += 2 {
		got[f[i]] = f[i+1]
	}
	var m mismatches
	for i, n := range volumeNames {
		p := "/v/" + n + "/id"
		id, ok := got[p]
		switch {
		case !ok:
			m.add(fmt.Sprintf("%+q", p), fmt.Sprint(i), "(missing)")
		case id != fmt.Sprint(i):
			m.add(fmt.Sprintf("%+q holds the marker of another source", p), fmt.Sprint(i), id)
		}
		delete(got, p)
	}
	for p := range got {
		if utf8.ValidString(p) {
			m.add("unexpected mount", "(none)", p)
		}
	}
	return m.err(len(volumeNames), "volume paths")
}
