package spec

import (
	"fmt"
	"syscall"

	"go.podman.io/common/pkg/signal"
	"golang.org/x/sys/unix"
)

// ParseSignal reads a signal as podman's --stop-signal and kill take it: a name with or
// without SIG (TERM, SIGRTMIN+3) or a number.
func ParseSignal(s string) (syscall.Signal, error) {
	sig, err := signal.ParseSignalNameOrNumber(s)
	if err != nil || sig < 1 || sig > 64 {
		return 0, fmt.Errorf("%w: invalid signal %q", ErrInvalid, s)
	}
	return sig, nil
}

// SignalName is a signal's name with SIG (SIGTERM), or its number for the real-time
// signals that have no name of their own.
func SignalName(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	return fmt.Sprint(int(sig))
}
