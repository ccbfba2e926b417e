package state

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// damaged turns a panic that bbolt raised into an error wrapping ErrCorrupt, and
// panics again with any other: bbolt asserts on pages it finds damaged (a disk fault,
// or a file that was never a store: kill -9 cannot cause it, see the kill tests), and
// a berth command should then fail with a message, not a crash; but a panic in the
// caller's own function is a bug whose stack must not be hidden.
func damaged(path string, r any, stack []byte) error {
	if !raisedIn(stack, "go.etcd.io/bbolt") {
		panic(r)
	}
	return fmt.Errorf("state store %s: %v: %w", path, r, ErrCorrupt)
}

// raisedIn tells whether the innermost panic in a goroutine's stack (debug.Stack) was
// raised by a function of the package path pkg (runtime frames such as a nil
// dereference's are skipped).
func raisedIn(stack []byte, pkg string) bool {
	sc := bufio.NewScanner(bytes.NewReader(stack))
	sc.Buffer(nil, len(stack)+1)
	seenPanic := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "\t"): // a frame's file:line
		case !seenPanic:
			seenPanic = strings.HasPrefix(line, "panic(")
		case strings.HasPrefix(line, "runtime."):
		default:
			return strings.HasPrefix(line, pkg+".") || strings.HasPrefix(line, pkg+"/")
		}
	}
	return false
}
