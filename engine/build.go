package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"go.podman.io/common/libimage"
	"go.podman.io/common/pkg/config"
)

// BuildOptions are podman build's options that berth supports. Builds are done by
// buildah (Debian's package) in a store of its own, then imported: see Build.
type BuildOptions struct {
	// ContextDir is the build context: a folder, or a URL buildah fetches.
	ContextDir string
	// Files are the Containerfiles (-f), paths or URLs; empty means the context's
	// Containerfile, else Dockerfile.
	Files []string
	// Tags name the image (-t); short names get localhost/.
	Tags []string
	// BuildArgs are NAME=VALUE (or NAME, taken from the environment) for ARG.
	BuildArgs []string
	// Labels, Annotations and Env (KEY=VALUE) are set on the image.
	Labels, Annotations, Env []string
	// Unsetenv removes variables from the image's environment.
	Unsetenv []string
	// Pull is the policy for base images: missing (the default), always, never, newer
	// (true means always, false never, as podman reads them).
	Pull string
	// Target is the stage to stop at.
	Target string
	// Network is the network of RUN steps: private (the default), host, none or
	// ns:PATH. Named networks are refused: buildah does not know berth's.
	Network string
	// Secrets (id=ID,src=PATH) and Volumes ([SRC:]DEST[:OPTS]) reach RUN steps. A
	// volume source that is no path names a berth volume.
	Secrets, Volumes []string
	// IgnoreFile replaces the context's .containerignore / .dockerignore.
	IgnoreFile string
	// What RUN steps see: DNS, hosts, capabilities, security options, limits.
	DNS, DNSOptions, DNSSearch, AddHosts   []string
	CapAdd, CapDrop, SecurityOpts, Ulimits []string
	ShmSize                                string
	// GroupAdd is refused: buildah 1.28 has no --group-add.
	GroupAdd []string
	// NoCache, Squash, Quiet mean what they mean for podman build.
	NoCache, Squash, Quiet bool
	// Format is the image format: oci (the default) or docker.
	Format string
	// Arch, OS and Variant set the image's platform (and choose the base images').
	Arch, OS, Variant string
	// IIDFile receives the image ID.
	IIDFile string
	// Registry holds the registry settings for base images: Creds, AuthFile, CertDir,
	// TLSVerify, Retry, RetryDelay, DecryptionKeys. Its other fields are unused.
	Registry PullOptions
	// Stdout and Stderr receive buildah's output (steps, and errors but the last,
	// which becomes Build's error). Stdin is RUN --stdin's and "-f -"'s input.
	Stdout, Stderr io.Writer
	Stdin          io.Reader
}

// Builder is the program that builds images.
const Builder = "buildah"

// Build builds an image from a Containerfile and stores it under the given tags. It
// drives buildah in a store of its own under the temporary folder (buildah's older
// storage library must not write berth's store): the base images berth has are
// copied in first, buildah builds, and the result is copied back into berth's store.
// The temporary store is removed afterwards, even when the build fails.
func (r *Runtime) Build(ctx context.Context, o BuildOptions) (*Image, error) {
	bin, err := exec.LookPath(Builder)
	if err != nil {
		return nil, fmt.Errorf("berth build needs buildah (Debian package buildah), which is not installed: %w", ErrUnsupported)
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	ociRT, err := r.detectRuntime(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("building: %w", err)
	}
	tmp, err := r.buildTmpDir()
	if err != nil {
		return nil, err
	}
	b := &builder{r: r, bin: bin, dir: tmp, o: o}
	defer b.cleanup()
	if err := r.resolveBuildVolumes(&b.o); err != nil {
		return nil, err
	}
	if err := b.seedBases(ctx); err != nil {
		return nil, err
	}
	args := []string{"--runtime", ociRT.Path, "--iidfile", filepath.Join(tmp, "iid")}
	if sp := r.sys.SignaturePolicyPath; sp != "" {
		args = append(args, "--signature-policy", sp)
	}
	b.stdin = o.Stdin
	err = b.run(ctx, o.Stdout, "build", append(args, b.o.buildArgs()...)...)
	b.stdin = nil
	if err != nil {
		return nil, fmt.Errorf("building: %w", err)
	}
	id, err := os.ReadFile(filepath.Join(tmp, "iid"))
	if err != nil {
		return nil, fmt.Errorf("building: buildah wrote no image ID: %w", err)
	}
	img, err := b.importImage(ctx, strings.TrimPrefix(strings.TrimSpace(string(id)), "sha256:"))
	if err != nil {
		return nil, err
	}
	if o.IIDFile != "" {
		if err := writeFileAtomic(o.IIDFile, []byte("sha256:"+img.ID()), 0o644); err != nil {
			return nil, fmt.Errorf("--iidfile: %w", err)
		}
	}
	return img, nil
}

// check refuses what buildah cannot do for berth, before any work.
func (o *BuildOptions) check() error {
	if len(o.GroupAdd) > 0 {
		return fmt.Errorf("build --group-add: the builder (buildah 1.28) cannot add groups to RUN steps: %w", ErrUnsupported)
	}
	switch n := o.Network; {
	case n == "", n == "private", n == "bridge", n == "host", n == "none", strings.HasPrefix(n, "ns:"):
	default:
		return fmt.Errorf("build --network %s: builds run RUN steps on the private, host or none network only: %w", n, ErrUnsupported)
	}
	switch o.Format {
	case "", "oci", "docker":
	default:
		return fmt.Errorf("build --format %q: use oci or docker", o.Format)
	}
	if _, err := o.pullPolicy(); err != nil {
		return err
	}
	return nil
}

// pullPolicy reads Pull as podman does and gives it in buildah 1.28's words, where
// "true" means newer and anything unknown means missing.
func (o *BuildOptions) pullPolicy() (config.PullPolicy, error) {
	switch strings.ToLower(o.Pull) {
	case "", "missing", "ifmissing":
		return config.PullPolicyMissing, nil
	case "always", "true":
		return config.PullPolicyAlways, nil
	case "never", "false":
		return config.PullPolicyNever, nil
	case "newer", "ifnewer":
		return config.PullPolicyNewer, nil
	}
	return 0, fmt.Errorf("build --pull=%s: use always, missing, never or newer", o.Pull)
}

// buildahPull is the --pull value buildah 1.28 reads as policy p.
func buildahPull(p config.PullPolicy) string {
	switch p {
	case config.PullPolicyAlways:
		return "always"
	case config.PullPolicyNever:
		return "never"
	case config.PullPolicyNewer:
		return "true"
	}
	return "missing"
}

// buildArgs are buildah build's arguments for o, the context last.
func (o *BuildOptions) buildArgs() []string {
	var a []string
	list := func(flag string, vals []string) {
		for _, v := range vals {
			a = append(a, flag, v)
		}
	}
	one := func(flag, v string) {
		if v != "" {
			a = append(a, flag, v)
		}
	}
	list("--tag", o.Tags)
	list("--file", o.Files)
	list("--build-arg", o.BuildArgs)
	list("--label", o.Labels)
	list("--annotation", o.Annotations)
	list("--env", o.Env)
	list("--unsetenv", o.Unsetenv)
	list("--secret", o.Secrets)
	list("--volume", o.Volumes)
	list("--dns", o.DNS)
	list("--dns-option", o.DNSOptions)
	list("--dns-search", o.DNSSearch)
	list("--add-host", o.AddHosts)
	list("--cap-add", o.CapAdd)
	list("--cap-drop", o.CapDrop)
	list("--security-opt", o.SecurityOpts)
	list("--ulimit", o.Ulimits)
	p, _ := o.pullPolicy()
	a = append(a, "--pull="+buildahPull(p))
	one("--target", o.Target)
	if o.Network == "bridge" {
		o.Network = "private"
	}
	one("--network", o.Network)
	one("--ignorefile", o.IgnoreFile)
	one("--shm-size", o.ShmSize)
	one("--format", o.Format)
	one("--arch", o.Arch)
	one("--os", o.OS)
	one("--variant", o.Variant)
	for flag, on := range map[string]bool{"--no-cache": o.NoCache, "--squash": o.Squash, "--quiet": o.Quiet} {
		if on {
			a = append(a, flag)
		}
	}
	a = append(a, registryArgs(o.Registry)...)
	if o.ContextDir != "" {
		a = append(a, o.ContextDir)
	}
	return a
}

// registryArgs are buildah's flags for a pull's registry settings.
func registryArgs(p PullOptions) []string {
	var a []string
	if p.TLSVerify != nil {
		a = append(a, fmt.Sprintf("--tls-verify=%t", *p.TLSVerify))
	}
	if p.Creds != "" {
		a = append(a, "--creds", p.Creds)
	}
	if p.AuthFile != "" {
		a = append(a, "--authfile", p.AuthFile)
	}
	if p.CertDir != "" {
		a = append(a, "--cert-dir", p.CertDir)
	}
	if p.Retry != nil {
		a = append(a, fmt.Sprintf("--retry=%d", *p.Retry))
	}
	if p.RetryDelay > 0 {
		a = append(a, "--retry-delay", p.RetryDelay.String())
	}
	for _, k := range p.DecryptionKeys {
		a = append(a, "--decryption-key", k)
	}
	return a
}

// resolveBuildVolumes turns a --volume whose source names a berth volume into a bind
// mount of the volume's folder: buildah knows only paths.
func (r *Runtime) resolveBuildVolumes(o *BuildOptions) error {
	for i, v := range o.Volumes {
		src, rest, ok := strings.Cut(v, ":")
		if !ok || src == "" || strings.HasPrefix(src, "/") || strings.HasPrefix(src, ".") {
			continue
		}
		if _, err := r.LookupVolume(src); err != nil {
			return fmt.Errorf("build --volume %s: %w", v, err)
		}
		o.Volumes[i] = r.VolumeMountpoint(src) + ":" + rest
	}
	return nil
}

// builder is one build: buildah's store under dir.
type builder struct {
	r     *Runtime
	bin   string
	dir   string
	o     BuildOptions
	stdin io.Reader // of the next run
}

// buildTmpDir makes the folder of one build's store where big temporary files of
// image copies go: $TMPDIR, else containers.conf's image_copy_tmp_dir (/var/tmp).
func (r *Runtime) buildTmpDir() (string, error) {
	base, err := r.cfg.ImageCopyTmpDir()
	if err != nil {
		return "", err
	}
	d, err := os.MkdirTemp(base, "berth-build-")
	if err != nil {
		return "", fmt.Errorf("building: %w", err)
	}
	return d, nil
}

// globalArgs point buildah at the build's own store, with berth's storage driver and
// options and cgroup manager.
func (b *builder) globalArgs() []string {
	a := []string{"--root", filepath.Join(b.dir, "root"), "--runroot", filepath.Join(b.dir, "run"),
		"--storage-driver", b.r.store.GraphDriverName(), "--cgroup-manager", b.r.cgroupManager()}
	for _, so := range b.r.store.GraphOptions() {
		a = append(a, "--storage-opt", so)
	}
	if b.r.log.Enabled(context.Background(), slog.LevelDebug) {
		a = append(a, "--log-level", "debug")
	}
	return a
}

// run runs buildah's command sub with args on the build's store; its standard output
// goes to stdout (discarded when nil) and its standard error to the build's.
func (b *builder) run(ctx context.Context, stdout io.Writer, sub string, args ...string) error {
	args = append(append(b.globalArgs(), sub), args...)
	cmd := exec.CommandContext(ctx, b.bin, args...)
	errs := &errorLines{w: b.o.Stderr}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = b.stdin, stdout, errs
	// Interrupted, buildah gets SIGTERM and a moment to remove its containers.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10e9
	b.r.log.Debug("running the builder", "args", args)
	err := cmd.Run()
	errs.flush()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if errs.last != "" {
			return fmt.Errorf("%s (buildah %s, exit %d)", errs.last, sub, ee.ExitCode())
		}
		return fmt.Errorf("buildah %s failed (exit %d)", sub, ee.ExitCode())
	}
	return err
}

// errorLines passes buildah's standard error on to w (nil drops it), line by line,
// except its "Error: " lines: the last one becomes berth's own error, so that a failed
// build ends with one Error line, as every berth command does.
type errorLines struct {
	w    io.Writer
	buf  []byte
	last string
}

func (e *errorLines) Write(p []byte) (int, error) {
	e.buf = append(e.buf, p...)
	for {
		i := bytes.IndexByte(e.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		e.line(e.buf[:i+1])
		e.buf = e.buf[i+1:]
	}
}

func (e *errorLines) line(l []byte) {
	if msg, ok := bytes.CutPrefix(l, []byte("Error: ")); ok {
		e.last = strings.TrimSpace(string(msg))
		return
	}
	if e.w != nil {
		_, _ = e.w.Write(l)
	}
}

func (e *errorLines) flush() {
	if len(e.buf) > 0 {
		e.line(e.buf)
		e.buf = nil
	}
}

// output runs buildah's command sub and returns its standard output.
func (b *builder) output(ctx context.Context, sub string, args ...string) (string, error) {
	var out strings.Builder
	err := b.run(ctx, &out, sub, args...)
	return strings.TrimSpace(out.String()), err
}

// importImage copies the built image from buildah's store into berth's, named with
// the tags.
func (b *builder) importImage(ctx context.Context, id string) (*Image, error) {
	out := filepath.Join(b.dir, "out")
	args := []string{"--quiet"}
	if sp := b.r.sys.SignaturePolicyPath; sp != "" {
		args = append(args, "--signature-policy", sp)
	}
	if _, err := b.output(ctx, "push", append(args, id, "dir:"+out)...); err != nil {
		return nil, fmt.Errorf("exporting the built image %.12s: %w", id, err)
	}
	var imgs []*libimage.Image
	err := b.r.guardLayers(func() error {
		var err error
		imgs, err = b.r.images.Pull(ctx, "dir:"+out, config.PullPolicyAlways, &libimage.PullOptions{})
		return err
	})
	if err != nil {
		return nil, &imageError{op: "storing the built image", name: id[:12], err: err}
	}
	img := &Image{imgs[0]}
	for _, t := range b.o.Tags {
		if err := img.Tag(t); err != nil {
			return nil, fmt.Errorf("tagging the built image as %s: %w", t, err)
		}
	}
	return img, nil
}

// cleanup removes the build's store, mounts first.
func (b *builder) cleanup() {
	if err := removeTree(b.dir); err != nil {
		b.r.log.Warn("removing the build's temporary store", "path", b.dir, "error", err)
	}
}
