package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"go.podman.io/common/libimage"
	"go.podman.io/common/pkg/auth"
	"go.podman.io/common/pkg/config"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/configfile"

	"github.com/berth-containers/berth/internal/atomicfile"
)

// Runtime is one open engine: the storage, the image library on it, containers.conf,
// and the system context (registries.conf, policy.json, auth.json) every image
// operation uses. Each berth command opens one and shuts it down before it exits.
type Runtime struct {
	opts   Options
	store  storage.Store
	images *libimage.Runtime
	sys    *types.SystemContext
	cfg    *config.Config
	log    *slog.Logger

	// removeContainers removes the containers of an image for RemoveImages with Force.
	removeContainers func(imageID string) error

	shutOnce sync.Once
	shutErr  error
}

// New opens the engine with storage.conf and containers.conf defaults overridden by
// opts. The caller must call Shutdown.
func New(ctx context.Context, opts Options) (*Runtime, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// SetDefault: libimage reads config.Default() on its own (image_copy_tmp_dir), and
	// it must see the modules given here.
	cfg, err := config.New(&config.Options{Modules: opts.Modules, SetDefault: true})
	if err != nil {
		return nil, fmt.Errorf("reading containers.conf: %w", err)
	}
	so, err := storeOptions(opts)
	if err != nil {
		return nil, err
	}
	store, err := openStore(so, opts.StorageDriver != "", log)
	if err != nil {
		return nil, err
	}
	r := &Runtime{store: store, cfg: cfg, log: log}
	r.opts = opts
	r.opts.Root, r.opts.RunRoot = store.GraphRoot(), store.RunRoot()
	r.opts.StorageDriver, r.opts.StorageOpts = store.GraphDriverName(), store.GraphOptions()
	r.opts.Log = log
	fail := func(err error) (*Runtime, error) {
		_, _ = store.Shutdown(false)
		store.Free()
		return nil, err
	}
	for _, d := range []string{r.StateDir(), r.RunDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fail(err)
		}
	}
	if r.sys, err = r.systemContext(); err != nil {
		return fail(err)
	}
	// The containers-storage: transport resolves references without a store through
	// this default; make it ours, not the one of the default storage.conf.
	istorage.Transport.SetStore(store)
	r.images, err = libimage.RuntimeFromStore(store, &libimage.RuntimeOptions{SystemContext: r.sys})
	if err != nil {
		return fail(fmt.Errorf("setting up images: %w", err))
	}
	// rmi --force removes the containers of an image as rm -f does (container_remove.go).
	r.SetImageContainerRemover(r.removeImageContainers)
	return r, nil
}

// systemContext is the base of every image operation. registries.conf and auth.json
// are found by the image library itself (CONTAINERS_REGISTRIES_CONF, REGISTRY_AUTH_FILE
// and the usual paths).
func (r *Runtime) systemContext() (*types.SystemContext, error) {
	tmp, err := r.cfg.ImageCopyTmpDir()
	if err != nil {
		return nil, err
	}
	sys := &types.SystemContext{
		// Without it, root writes its blob info cache to /var/lib/containers/cache
		// whatever --root says; podman keeps it in the graph root too.
		BlobInfoCacheDir:     filepath.Join(r.store.GraphRoot(), "cache"),
		BigFilesTemporaryDir: tmp,
		AuthFilePath:         auth.GetDefaultAuthFile(),
	}
	if err := r.ensurePolicy(sys); err != nil {
		return nil, err
	}
	return sys, nil
}

// defaultPolicy is the policy.json that Debian's containers-common installs.
const defaultPolicy = `{"default":[{"type":"insecureAcceptAnything"}],` +
	`"transports":{"docker-daemon":{"":[{"type":"insecureAcceptAnything"}]}}}` + "\n"

// ensurePolicy keeps the machine's policy.json when there is one (any invalid one is an
// error). On a machine without any (no containers-common package), every pull would
// fail; berth then uses the distribution's default, written under RunDir, and says so
// at debug level.
func (r *Runtime) ensurePolicy(sys *types.SystemContext) error {
	_, err := signature.DefaultPolicy(sys)
	if err == nil {
		return nil
	}
	if sys.SignaturePolicyPath != "" || !errors.Is(err, configfile.ErrConfigFileNotFound) {
		return fmt.Errorf("reading policy.json: %w", err)
	}
	p := filepath.Join(r.RunDir(), "policy.json")
	if b, err := os.ReadFile(p); err != nil || string(b) != defaultPolicy {
		if err := writeFileAtomic(p, []byte(defaultPolicy), 0o644); err != nil {
			return fmt.Errorf("writing the default policy.json: %w", err)
		}
	}
	r.log.Debug("no policy.json on this machine: using the distribution's default (accept any image)", "path", p)
	sys.SignaturePolicyPath = p
	return nil
}

// Shutdown releases the storage. With force, it unmounts layers still mounted (say,
// of running containers); without, a mounted layer is an error and the storage stays
// as it is. Calling it again returns the first result.
func (r *Runtime) Shutdown(force bool) error {
	r.shutOnce.Do(func() {
		_, err := r.store.Shutdown(force)
		r.store.Free()
		if err != nil {
			r.shutErr = fmt.Errorf("shutting down storage: %w", err)
		}
	})
	return r.shutErr
}

// Store is the image and container storage.
func (r *Runtime) Store() storage.Store { return r.store }

// ImageRuntime is libimage's runtime on Store.
func (r *Runtime) ImageRuntime() *libimage.Runtime { return r.images }

// SystemContext returns a copy of the base system context, for the caller to change.
func (r *Runtime) SystemContext() *types.SystemContext {
	c := *r.sys
	return &c
}

// Config is containers.conf as loaded, with the modules of Options.
func (r *Runtime) Config() *config.Config { return r.cfg }

// Log is the engine's logger (never nil).
func (r *Runtime) Log() *slog.Logger { return r.log }

// Options returns the options in force: Root, RunRoot, StorageDriver and StorageOpts
// are those the store was opened with.
func (r *Runtime) Options() Options { return r.opts }

// StateDir is where berth keeps its persistent state: <graphroot>/berth.
func (r *Runtime) StateDir() string { return filepath.Join(r.store.GraphRoot(), "berth") }

// RunDir is where berth keeps state that must not survive a reboot: <runroot>/berth.
func (r *Runtime) RunDir() string { return filepath.Join(r.store.RunRoot(), "berth") }

// writeFileAtomic writes a file that other processes may read at any time.
var writeFileAtomic = atomicfile.Write
