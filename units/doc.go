// Package units reads, edits and writes systemd unit files without losing what a person
// wrote: sections, repeated keys in their order, comments, and the file and line of every
// entry, so that every diagnostic can point at its source.
//
// It also carries systemd's value rules: word splitting as extract_first_word does it
// (quotes, C escapes, relaxed mode), the inverse quoting used to write Exec lines, drop-in
// merging, and unit-name escaping as systemd-escape does it. Specifiers such as %n are
// left intact everywhere: expanding them is systemd's job.
//
// The package knows nothing about containers.
package units
