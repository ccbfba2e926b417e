// Command berth is the container engine's command line. Its commands and flags are
// podman's, so that units generated for podman run unchanged. Each command family lives
// in its own file and registers itself with addCommands; behaviour lives in package
// engine.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.podman.io/storage/pkg/reexec"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/version"
)

// globals are podman's global flags.
type globals struct {
	root, runRoot, storageDriver, runtime, cgroupManager, logLevel, tmpDir string
	storageOpts                                                            []string
	url, connection                                                        string
	modules                                                                []string
}

// families register their commands on the root command; each command file appends
// one from an init function.
var families []func(root *cobra.Command, g *globals)

func main() {
	// containers/storage re-executes the binary for some operations; that child must
	// do its job and nothing else.
	if reexec.Init() {
		return
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	g := &globals{}
	root := newRoot(g)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	code := engine.ExitCode(err)
	var ee *engine.ExitError
	if !errors.As(err, &ee) || ee.Err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
	}
	return code
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "A daemonless container engine with podman's command line",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.check(cmd)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &engine.ExitError{Code: engine.ExitEngine, Err: err}
	})
	f := root.PersistentFlags()
	f.StringVar(&g.root, "root", "", "path of the storage graph root")
	f.StringVar(&g.runRoot, "runroot", "", "path of the storage state root")
	f.StringVar(&g.storageDriver, "storage-driver", "", "storage driver (overlay, vfs)")
	f.StringArrayVar(&g.storageOpts, "storage-opt", nil, "storage driver option")
	f.StringVar(&g.runtime, "runtime", "", "OCI runtime name or path (runc, crun); detected when empty")
	f.StringVar(&g.cgroupManager, "cgroup-manager", "", "cgroup manager (systemd, cgroupfs)")
	f.StringVar(&g.logLevel, "log-level", "warn", "log level (debug, info, warn, error)")
	f.StringVar(&g.tmpDir, "tmpdir", "", "folder for temporary files")
	f.StringArrayVar(&g.modules, "module", nil, "containers.conf module to load")
	f.StringVar(&g.url, "url", "", "remote connection (not supported: berth is local only)")
	f.StringVar(&g.connection, "connection", "", "remote connection name (not supported)")
	for _, add := range families {
		add(root, g)
	}
	return root
}

// check validates the global flags before any command runs.
func (g *globals) check(cmd *cobra.Command) error {
	if g.url != "" || g.connection != "" {
		return fmt.Errorf("--url and --connection are not supported: berth runs containers on this machine only, without a service: %w", engine.ErrUnsupported)
	}
	if _, err := parseLevel(g.logLevel); err != nil {
		return err
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "trace", "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "fatal", "panic":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level %q: use debug, info, warn or error", s)
}

// options turns the global flags into the engine's options.
func (g *globals) options() (engine.Options, error) {
	level, err := parseLevel(g.logLevel)
	if err != nil {
		return engine.Options{}, err
	}
	return engine.Options{
		Root: g.root, RunRoot: g.runRoot, StorageDriver: g.storageDriver,
		StorageOpts: g.storageOpts, OCIRuntime: g.runtime, CgroupManager: g.cgroupManager,
		TmpDir: g.tmpDir, Modules: g.modules,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}, nil
}
