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
// slashes go, and "/" alone becomes "-". Where systemd-escape refuses a path with ".."
// components, EscapePath resolves them lexically ("/a/../b" -> "b"); use
// EscapePathStrict to refuse them too.
func EscapePath(p string) string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return "-"
	}
	return EscapeName(p)
}

// EscapePathStrict is EscapePath failing where `systemd-escape --path` fails: on a
// path with ".." components, which has no single meaning once symlinks are involved.
func EscapePathStrict(p string) (string, error) {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return "", fmt.Errorf("path %q is not normalized", p)
		}
	}
	return EscapePath(p), nil
}

// UnescapePath reverses EscapePath as `systemd-escape --unescape --path` does: "-" is
// "/", and a name that would give a leading or trailing slash, an empty component
// ("a--b"), "." or ".." is refused.
func UnescapePath(s string) (string, error) {
	if s == "-" {
		return "/", nil
	}
	u, err := UnescapeName(s)
	if err != nil {
		return "", err
	}
	for _, c := range strings.Split(u, "/") {
		if c == "" || c == "." || c == ".." {
			return "", fmt.Errorf("%q does not name a normalized absolute path", s)
		}
	}
	return "/" + u, nil
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

// unitTypes are the suffixes systemd knows (unit_type_from_string).
var unitTypes = map[string]bool{"service": true, "mount": true, "swap": true, "socket": true,
	"target": true, "device": true, "automount": true, "timer": true, "path": true,
	"slice": true, "scope": true}

// ValidName tells whether s is a valid unit name ("foo.service", "foo@bar.service",
// "foo@.service"), as systemd's unit_name_is_valid does: at most 255 bytes, a known
// unit type after the last ".", letters, digits and ":-_.\@" before it, and no "@"
// first. The instance runs from the first "@", so it may hold more "@"s.
func ValidName(s string) bool {
	dot := strings.LastIndexByte(s, '.')
	if len(s) > 255 || dot <= 0 || !unitTypes[s[dot+1:]] || s[0] == '@' {
		return false
	}
	for i := 0; i < dot; i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte(unitNameChars, c) >= 0) {
			return false
		}
	}
	return true
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
