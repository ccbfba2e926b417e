package units

import (
	"fmt"
	"path"
	"strings"
)

// EscapeName escapes a string for use in a unit name as `systemd-escape` does: "/"
// becomes "-", and bytes other than ASCII letters, digits, ":", "_" and "." (or a
// leading ".") become \xNN.
func EscapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c == '.' && i == 0, !nameSafe(c):
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// EscapePath escapes a path as `systemd-escape --path` does: it is cleaned, the outer
// slashes go, and "/" alone becomes "-".
func EscapePath(p string) string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return "-"
	}
	return EscapeName(p)
}

// UnescapeName reverses EscapeName.
func UnescapeName(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '-':
			b.WriteByte('/')
		case c == '\\':
			v, ok := parseDigits(s[min(i+2, len(s)):], 2, 16)
			if !ok || s[i+1] != 'x' {
				return "", fmt.Errorf("bad escape in unit name %q", s)
			}
			b.WriteByte(byte(v))
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func nameSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == ':' || c == '_' || c == '.'
}

// unitNameChars are the characters systemd accepts in a unit name besides letters and
// digits.
const unitNameChars = ":-_.\\@"

// ValidName tells whether s is a valid unit name ("foo.service", "foo@bar.service",
// "foo@.service"), as systemd's unit_name_is_valid does.
func ValidName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 || dot == len(s)-1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte(unitNameChars, c) >= 0) {
			return false
		}
	}
	at := strings.IndexByte(s, '@')
	return at != 0 && strings.Count(s, "@") <= 1
}

// SplitTemplate splits "foo@bar.service" into "foo", "bar", ".service" and tells whether
// the name has an "@". A template "foo@.service" has an empty instance.
func SplitTemplate(name string) (prefix, instance, ext string, ok bool) {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		dot = len(name)
	}
	base, ext := name[:dot], name[dot:]
	prefix, instance, ok = strings.Cut(base, "@")
	return prefix, instance, ext, ok
}
