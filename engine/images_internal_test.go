package engine

import "testing"

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain",
		"payload does not match:\n * oci: a\n * dir: b\n": "payload does not match: oci: a; dir: b",
		"2 errors occurred:\n\t* x\n\t* y\n\n":            "2 errors occurred: x; y",
		"first\nsecond":                                   "first; second",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
