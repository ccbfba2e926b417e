package engine

import "log/slog"

// Options configure a Runtime; they are podman's global flags. Empty fields take the
// defaults of storage.conf and containers.conf.
type Options struct {
	Root          string   // storage graph root (--root)
	RunRoot       string   // storage state root (--runroot)
	StorageDriver string   // overlay or vfs (--storage-driver)
	StorageOpts   []string // driver options (--storage-opt)
	OCIRuntime    string   // runc, crun, or a path (--runtime); detected when empty
	CgroupManager string   // systemd or cgroupfs (--cgroup-manager)
	TmpDir        string   // temporary files (--tmpdir)
	Modules       []string // containers.conf modules (--module)
	Log           *slog.Logger
}
