package units

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SplitWords splits a value into words the way systemd's extract_first_word does with
// EXTRACT_RELAX|EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE, the rules of Exec= lines and of most
// list settings: whitespace separates words, single and double quotes group (and may
// start mid-word), C escapes are decoded inside and outside quotes, an unknown escape is
// an error, and an unterminated quote or trailing backslash is tolerated.
//
// The escapes are systemd's cunescape_one: \a \b \f \n \r \t \v \\ \" \' \s (space),
// \xNN and \NNN (octal, three digits, at most \377) giving a raw byte, \uNNNN (any
// non-zero value, surrogates too) and \UNNNNNNNN (a valid, non-noncharacter code point)
// giving UTF-8; none may be zero. Exec lines' lone ";" and "\;" are config_parse_exec's
// business, not this function's: here "\;" is an unknown escape.
func SplitWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	i := 0
	for {
		for i < len(s) && isSep(s[i]) {
			i++
		}
		if i >= len(s) {
			return words, nil
		}
		w.Reset()
		var quote byte
	word:
		for i < len(s) {
			c := s[i]
			switch {
			case c == '\\':
				if i+1 >= len(s) {
					i++
					break word
				}
				dec, n, err := unescapeOne(s[i+1:])
				if err != nil {
					return words, fmt.Errorf("unsupported escape char in %q: %w", s, err)
				}
				w.WriteString(dec)
				i += 1 + n
			case quote != 0:
				if c == quote {
					quote = 0
				} else {
					w.WriteByte(c)
				}
				i++
			case c == '\'' || c == '"':
				quote = c
				i++
			case isSep(c):
				break word
			default:
				w.WriteByte(c)
				i++
			}
		}
		words = append(words, w.String())
	}
}

func isSep(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Unescape decodes the C escapes of s, as systemd's cunescape does.
func Unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		dec, n, err := unescapeOne(s[i+1:])
		if err != nil {
			return "", fmt.Errorf("unsupported escape char in %q: %w", s, err)
		}
		b.WriteString(dec)
		i += n
	}
	return b.String(), nil
}

var simpleEscapes = [256]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
	'v': '\v', '\\': '\\', '"': '"', '\'': '\'', 's': ' '}

// unescapeOne decodes the escape that follows a backslash and says how many bytes it
// used.
func unescapeOne(s string) (string, int, error) {
	if s == "" {
		return "", 0, fmt.Errorf("backslash at end of input")
	}
	if b := simpleEscapes[s[0]]; b != 0 {
		return string(b), 1, nil
	}
	switch c := s[0]; {
	case c == 'x':
		v, ok := parseDigits(s[1:], 2, 16)
		if !ok || v == 0 {
			return "", 0, fmt.Errorf(`bad \x escape`)
		}
		return string([]byte{byte(v)}), 3, nil
	case c == 'u' || c == 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		v, ok := parseDigits(s[1:], n, 16)
		// systemd checks only \U for a valid code point; \u takes any non-zero value,
		// surrogates included, and encodes it as UTF-8 would.
		if !ok || v == 0 || c == 'U' && !validUnichar(v) {
			return "", 0, fmt.Errorf(`bad \%c escape`, c)
		}
		return encodeUnichar(v), n + 1, nil
	case c >= '0' && c <= '7':
		v, ok := parseDigits(s, 3, 8)
		if !ok || v == 0 || v > 255 {
			return "", 0, fmt.Errorf("bad octal escape")
		}
		return string([]byte{byte(v)}), 3, nil
	}
	return "", 0, fmt.Errorf(`unknown escape "\%c"`, s[0])
}

// validUnichar is systemd's unichar_is_valid: a Unicode scalar value that is not a
// noncharacter.
func validUnichar(v uint32) bool {
	return v < 0x110000 && v&0xFFFFF800 != 0xD800 && !(v >= 0xFDD0 && v <= 0xFDEF) &&
		v&0xFFFE != 0xFFFE
}

// encodeUnichar encodes v as systemd's utf8_encode_unichar does, which unlike Go's
// encoder writes surrogates as three bytes instead of U+FFFD.
func encodeUnichar(v uint32) string {
	switch {
	case v < 0x80:
		return string([]byte{byte(v)})
	case v < 0x800:
		return string([]byte{0xc0 | byte(v>>6), 0x80 | byte(v&0x3f)})
	case v < 0x10000:
		return string([]byte{0xe0 | byte(v>>12), 0x80 | byte(v>>6&0x3f), 0x80 | byte(v&0x3f)})
	}
	return string([]byte{0xf0 | byte(v>>18&0x07), 0x80 | byte(v>>12&0x3f), 0x80 | byte(v>>6&0x3f),
		0x80 | byte(v&0x3f)})
}

func parseDigits(s string, n, base int) (uint32, bool) {
	if len(s) < n {
		return 0, false
	}
	var v uint32
	for i := 0; i < n; i++ {
		d := digitVal(s[i])
		if d < 0 || d >= base {
			return 0, false
		}
		v = v*uint32(base) + uint32(d)
	}
	return v, true
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// QuoteWord quotes one word so that SplitWords (and systemd's Exec= parser) read it
// back unchanged. Plain words stay as they are; specifiers (%) and variables ($) are
// not touched, since they are meant for systemd. Words that need it are double-quoted
// with C escapes, so the line never holds a line break; a NUL byte, which no argument
// can hold, comes out as \x00, which SplitWords refuses.
func QuoteWord(w string) string {
	if w != "" && w != ";" && plain(w) {
		return w
	}
	var b strings.Builder
	b.Grow(len(w) + 2)
	b.WriteByte('"')
	for i := 0; i < len(w); {
		r, size := utf8.DecodeRuneInString(w[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, w[i])
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteString(w[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

func plain(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '\\' {
			return false
		}
	}
	return utf8.ValidString(w)
}

// QuoteWords joins words into one Exec-style line.
func QuoteWords(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(QuoteWord(w))
	}
	return b.String()
}
