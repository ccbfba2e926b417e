// Package state is berth's embedded, transactional state store: the records of
// containers (and later pods, volumes and networks) in one bbolt file,
// <graphroot>/berth/state.db, shared by every berth process at once with no daemon.
//
// # Opening per operation
//
// bbolt keeps an exclusive flock on its file for as long as a read-write handle is
// open, so a long command (berth run waiting for its container) must not hold it. A
// Store therefore holds nothing open: each transaction (Store.View, Store.Update, or
// one Collection call) opens the file, runs, commits and closes it. Processes queue
// on a side lock file, state.db.lock (package engine/lock): shared for View, exclusive
// for Update, with the Store's timeout. Waiting there in flock(2) hands the file over
// the moment it is free, where bbolt's own lock would poll every 50 ms; bbolt's lock
// is then free at once. A process killed at any point loses its locks with it, and
// bbolt's two meta pages make a commit all or nothing, so the file is never torn: the
// kill -9 tests prove both. A new file is built aside and renamed into place, so a
// crash while creating it leaves no half-made store.
//
// # Collections and records
//
// The record types belong to their callers (the engine's container record, ...). A
// Collection[T] stores values of a pointer type T that implements Record, as JSON, in
// an envelope that carries a schema version:
//
//	{"version":1,"kind":"container","id":"3f2a…","name":"web","record":{…T…}}
//
// A record older than its Spec.Version is passed through Spec.Migrate when it is
// read (and written back in the new version on its next Update); a newer one is
// refused with ErrNewerVersion rather than half understood.
//
// Names and ids are unique within a namespace, which kinds may share: podman's
// containers and pods share one (a pod cannot take a container's name), volumes and
// networks have their own. Layout of the file:
//
//	meta                     layout -> "1"
//	ns:<namespace>/names     name -> id
//	ns:<namespace>/ids       id -> kind
//	ns:<namespace>/kind:<k>  id -> envelope
//
// # Lookups
//
// Get resolves a reference the way podman does: a full id, else a name, else a unique
// id prefix; a prefix that matches two records is ErrAmbiguous. Update and Remove take
// the full id only: a caller resolves with Get, takes the object's lock (engine/lock),
// and then acts by id, so that a concurrent rename or --replace cannot redirect it.
//
// Errors wrap the sentinels ErrNotFound, ErrExists (an id taken), ErrNameInUse,
// ErrAmbiguous, ErrNewerVersion, ErrCorrupt (bbolt found damaged pages: a disk fault,
// never a crash) and ErrClosed; a timeout waiting for the store wraps
// context.DeadlineExceeded. Messages name the object: container "web": no such object.
// Store.Check verifies the whole file and its indexes, for a `system check`.
package state
