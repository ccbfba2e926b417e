package units

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
)

// TestSplitWords checks systemd's extract_first_word with
// EXTRACT_RELAX|EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE, as systemd.syntax(7) "Quoting" and
// systemd's escape.c/extract-word.c define it.
func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" \t\r\n ", nil},
		{"a b  c", []string{"a", "b", "c"}},
		{"  lead trail  ", []string{"lead", "trail"}},
		{"a\tb\nc\rd", []string{"a", "b", "c", "d"}},
		{"a\u00a0b", []string{"a\u00a0b"}}, // only ASCII whitespace separates
		{`"a b" 'c d'`, []string{"a b", "c d"}},
		{`--opt="a b"`, []string{"--opt=a b"}},              // a quote may start mid-word
		{`"a"'b'c"d e"f`, []string{"abcd ef"}},              // adjacent quoted parts join
		{`'' ""`, []string{"", ""}},                         // empty words survive
		{`a '' b`, []string{"a", "", "b"}},                  // ... in the middle too
		{`"it's" 'say "hi"'`, []string{"it's", `say "hi"`}}, // the other quote is plain
		{`\a\b\f\n\r\t\v\\\"\'\s`, []string{"\a\b\f\n\r\t\v\\\"' "}},
		{`"\a\n\t\"\\\'\s"`, []string{"\a\n\t\"\\' "}},        // escapes inside double quotes
		{`'\n\x41'`, []string{"\nA"}},                         // ... and single quotes
		{`a\sb`, []string{"a b"}},                             // \s is a space, not a separator
		{`\x41\x7f\xff\xC3\xA9`, []string{"A\x7f\xff\u00e9"}}, // \xNN is a raw byte
		{`\101\377\001`, []string{"A\xff\x01"}},               // octal, exactly three digits
		{`\u00e9\u20AC`, []string{"é€"}},
		{`\uD800`, []string{"\xed\xa0\x80"}}, // \u is not checked; systemd encodes surrogates
		{`\uFFFE`, []string{"\xef\xbf\xbe"}},
		{`\U0001F600\U0010FFFD`, []string{"😀\U0010FFFD"}},
		{`abc\`, []string{"abc"}},         // trailing backslash dropped (relax)
		{`a \`, []string{"a", ""}},        // ... it still starts a word
		{`"abc\`, []string{"abc"}},        // ... inside quotes too
		{`"abc def`, []string{"abc def"}}, // unterminated quote (relax)
		{`a "`, []string{"a", ""}},
		{`'x`, []string{"x"}},
		{`$FOO ${BAR} %n %%`, []string{"$FOO", "${BAR}", "%n", "%%"}}, // left for systemd
		{`-x ; --`, []string{"-x", ";", "--"}},
	} {
		got, err := SplitWords(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSplitWordsErrors(t *testing.T) {
	for _, in := range []string{
		`\q`, `a\ b`, `"\;"`, `\;`, // unknown escapes (Exec's lone \; is config_parse_exec's)
		`\x00`, `\xg1`, `\x4`, `\x`, `"\x4"`,
		`\u0000`, `\u12`, `\u12g4`, `\U0000`, `\U00000000`,
		`\U00110000`, `\U0000D800`, `\U0000FDD0`, `\U0000FFFF`, `\U0010FFFF`, `\UFFFFFFFF`,
		`\000`, `\400`, `\18x`, `\7`, `\X41`,
	} {
		if got, err := SplitWords("ok " + in); err == nil {
			t.Errorf("SplitWords(%q) = %q, want an error", in, got)
		}
	}
}

func TestUnescape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{`a\nb\tc`, "a\nb\tc"},
		{`\x41\102\u00e9\U0001F600\s`, "ABé😀 "},
		{`"quotes" 'stay'`, `"quotes" 'stay'`},
		{`\\\"`, `\"`},
		{`\xff`, "\xff"},
	} {
		if got, err := Unescape(tc.in); err != nil || got != tc.want {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`\q`, `a\`, `\x00`, `\x4`, `\U0000FFFE`} {
		if got, err := Unescape(in); err == nil {
			t.Errorf("Unescape(%q) = %q, want an error", in, got)
		}
	}
}

func TestQuoteWord(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain", "plain"},
		{"/usr/bin/berth", "/usr/bin/berth"},
		{"--name=systemd-%N", "--name=systemd-%N"}, // specifiers are for systemd
		{"$HOME", "$HOME"},
		{"é☕", "é☕"},
		{"a b", `"a b"`},
		{"it's", `"it's"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{"a\nb\tc\rd", `"a\nb\tc\rd"`},
		{"\x01\x7f", `"\x01\x7f"`},
		{"\xff", `"\xff"`},
		{"é\xc3", `"é\xc3"`},
		{";", `";"`},
	} {
		if got := QuoteWord(tc.in); got != tc.want {
			t.Errorf("QuoteWord(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := QuoteWords([]string{"/bin/sh", "-c", "echo $X; exit 1", ""}); got != `/bin/sh -c "echo $X; exit 1" ""` {
		t.Errorf("QuoteWords = %s", got)
	}
}

// pieces are the fragments random argv words are built from: everything systemd's
// splitter treats specially, plus text that must pass through untouched.
var pieces = []string{"", " ", "  ", "\t", "\n", "\r", "\v", "\f", `"`, "'", `\`, `\\`, "$",
	"${X}", "$$", "%", "%n", "%%", ";", `\;`, "-", "--flag=", "@", "+", "!", "a", "bc", "/usr/bin",
	"é", "☕", "\U0001F600", "\u00a0", "\xff", "\xc3", "\xed\xa0\x80", "\x01", "\x7f", `\x41`, `\n`, "=",
	"#", "[", "]"}

func randomWord(r *rand.Rand) string {
	var b strings.Builder
	for n := r.Intn(6); n > 0; n-- {
		if r.Intn(5) == 0 {
			b.WriteByte(byte(1 + r.Intn(255))) // any byte but NUL
		} else {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
	}
	return b.String()
}

// checkQuoteRoundTrip tells why SplitWords(QuoteWords(argv)) differs from argv, or "".
func checkQuoteRoundTrip(argv []string) string {
	line := QuoteWords(argv)
	if strings.ContainsAny(line, lineBreaks) {
		return fmt.Sprintf("QuoteWords(%q) = %q holds a line break", argv, line)
	}
	got, err := SplitWords(line)
	if err != nil {
		return fmt.Sprintf("SplitWords(QuoteWords(%q)) = SplitWords(%q): %v", argv, line, err)
	}
	if len(got) != len(argv) || len(argv) > 0 && !reflect.DeepEqual(got, argv) {
		return fmt.Sprintf("SplitWords(%q) = %q, want %q", line, got, argv)
	}
	return ""
}

func TestQuoteWordsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		argv := make([]string, r.Intn(5))
		for j := range argv {
			argv[j] = randomWord(r)
		}
		if msg := checkQuoteRoundTrip(argv); msg != "" {
			t.Fatal(msg)
		}
	}
	// And Go's own generator of arbitrary strings, NUL bytes removed.
	prop := func(argv []string) bool {
		for i := range argv {
			argv[i] = strings.ReplaceAll(argv[i], "\x00", "")
		}
		msg := checkQuoteRoundTrip(argv)
		if msg != "" {
			t.Log(msg)
		}
		return msg == ""
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 2000, Rand: rand.New(rand.NewSource(2))}); err != nil {
		t.Error(err)
	}
}

// FuzzQuoteWords checks SplitWords(QuoteWords(argv)) == argv; NUL separates the words
// of the input, as it cannot be in an argument.
func FuzzQuoteWords(f *testing.F) {
	for _, s := range []string{"", "a\x00b c", "\x00", "it's\x00\"q\"\x00\\\x00$X %n", "\xff\x00\t\n\r", ";\x00--x=a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if msg := checkQuoteRoundTrip(strings.Split(s, "\x00")); msg != "" {
			t.Fatal(msg)
		}
	})
}

// FuzzSplitWords checks that splitting never panics and that whatever it splits,
// quoting and splitting again gives back.
func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{`a "b c" 'd'`, `\x41\u00e9`, `"unterminated`, `trailing\`, `x"y"z`, `\q`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitWords(s)
		if err != nil {
			return
		}
		for _, w := range words {
			if strings.Contains(w, "\x00") && !strings.Contains(s, "\x00") {
				t.Fatalf("SplitWords(%q) made a NUL: %q", s, words)
			}
		}
		if strings.Contains(s, "\x00") {
			return
		}
		if msg := checkQuoteRoundTrip(words); msg != "" {
			t.Fatal(msg)
		}
	})
}
