package state

import "errors"

// Errors callers tell apart with errors.Is; the engine wraps them into its own
// (ErrNoSuchContainer, ErrNameInUse, ...).
var (
	ErrNotFound     = errors.New("no such object")
	ErrExists       = errors.New("id is already in use")
	ErrNameInUse    = errors.New("name is already in use")
	ErrAmbiguous    = errors.New("more than one object matches")
	ErrNewerVersion = errors.New("written by a newer version of berth")
	ErrClosed       = errors.New("state store is closed")
	ErrCorrupt      = errors.New("state store is damaged")
)
