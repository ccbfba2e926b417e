package engine

import (
	"errors"
	"fmt"
)

// Errors callers tell apart with errors.Is.
var (
	ErrNoSuchContainer = errors.New("no such container")
	ErrNoSuchImage     = errors.New("no such image")
	ErrNameInUse       = errors.New("name is already in use")
	ErrInvalidState    = errors.New("container state improper")
	ErrUnsupported     = errors.New("not supported")
)

// Exit codes as podman uses them.
const (
	ExitEngine        = 125 // the engine itself failed
	ExitNotExecutable = 126 // the container's command cannot be run
	ExitNotFound      = 127 // the container's command does not exist
)

// ExitError carries the status a command must exit with: a container's own exit code,
// or one of the Exit* codes above.
type ExitError struct {
	Code int
	Err  error // nil when the code is a container's own status
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode returns the status a command that failed with err should exit with: the
// code of an *ExitError, else ExitEngine.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitEngine
}
