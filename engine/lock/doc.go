// Package lock gives berth per-object locks that work across processes: every berth
// command is a short process, and at boot many of them (one per unit) act at once, so a
// container, pod or volume is guarded by a lock file, <dir>/<kind>-<id>.lock, that each
// process takes with flock(2) before it changes the object.
//
// Why flock(2) and not fcntl(2) (POSIX record) locks:
//
//   - flock locks belong to an open file description. Two goroutines of one process
//     that each open the file (each gets its own description) exclude each other as two
//     processes do. fcntl locks belong to the process: a second lock from the same
//     process always succeeds, so they cannot guard goroutines from one another.
//   - fcntl locks are all dropped when the process closes ANY descriptor of the file
//     (an innocent os.ReadFile of the lock file releases them); flock locks go only
//     with their own description.
//   - Both are released by the kernel when the holder dies, kill -9 included: the last
//     descriptor closes and the lock goes with it. Nothing survives the process, so
//     there are no stale locks to clean after a crash and no pid files to check.
//     (Open file description locks, fcntl F_OFD_SETLKW, behave like flock but are
//     Linux-only byte-range locks; they bring nothing here that flock lacks.)
//
// Descriptors are opened with O_CLOEXEC, so a program berth starts (conmon) never
// inherits a lock; Unlock calls LOCK_UN before closing, so a lock is released at once
// even if a fork in progress briefly holds a copy of the descriptor.
//
// A lock file may be removed (Lock.Remove) when its object is deleted, while the lock
// is held exclusively. A process that was waiting on the removed file notices, after
// it wins the lock, that the path no longer names its file, and starts over on the
// new one; so removal never lets two holders in at once.
//
// Locks are advisory: they only exclude processes that use this package (or flock on
// the same files). flock is not reliable on NFS; the lock folder lives in the run
// root, which is local (tmpfs /run for root).
package lock
