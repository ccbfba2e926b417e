package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.podman.io/common/libimage"
	"go.podman.io/common/pkg/config"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/transports/alltransports"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage/pkg/fileutils"
)

// ErrInvalidImageName is returned, before any network access, for a name that is no
// image reference.
var ErrInvalidImageName = errors.New("invalid image name")

// Image is an image in local storage. The embedded libimage.Image gives its ID,
// names, digest, top layer, config and the rest.
type Image struct {
	*libimage.Image
}

// PullOptions are podman pull's options.
type PullOptions struct {
	// Policy is always (the default), missing, newer or never.
	Policy string
	// Creds is "user[:password]" for the registry.
	Creds string
	// AuthFile replaces the default auth.json (REGISTRY_AUTH_FILE, then the usual paths).
	AuthFile string
	// CertDir holds *.crt, *.cert and *.key files for the registry.
	CertDir string
	// TLSVerify, when set, overrides registries.conf: false allows plain HTTP and
	// certificates that do not verify.
	TLSVerify *bool
	// Retry is how often a failing transfer is tried again (containers.conf's retry,
	// 3, when nil); RetryDelay the first pause between tries (exponential when 0).
	Retry      *uint
	RetryDelay time.Duration
	// Arch, OS and Variant choose an image of a manifest list other than this
	// machine's.
	Arch, OS, Variant string
	// AllTags pulls every tag of the repository.
	AllTags bool
	// DecryptionKeys are --decryption-key KEY[:PASSPHRASE]: private keys (files) that
	// decrypt encrypted layers (images_decrypt.go).
	DecryptionKeys []string
	// Quiet drops the progress, whatever Progress is.
	Quiet bool
	// Progress receives the copy's report; bars are drawn only when it is a terminal.
	// Nil means quiet.
	Progress io.Writer
}

// Pull copies an image from a registry (or any transport: oci-archive:, docker-archive:,
// oci:, dir: ...) into local storage and returns the images it stored. A name is
// checked before any network access. A pull that fails leaves no layer of its own
// behind.
func (r *Runtime) Pull(ctx context.Context, name string, o PullOptions) ([]*Image, error) {
	if err := CheckImageName(name); err != nil {
		return nil, err
	}
	policy := config.PullPolicyAlways
	if o.Policy != "" {
		p, err := config.ParsePullPolicy(o.Policy)
		if err != nil {
			return nil, fmt.Errorf("pull policy %q: use always, missing, newer or never", o.Policy)
		}
		policy = p
	}
	copts, err := o.copyOptions()
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", name, err)
	}
	var imgs []*libimage.Image
	err = r.guardLayers(func() error {
		var err error
		if o.AllTags {
			imgs, err = r.pullAllTags(ctx, name, policy, copts)
		} else {
			imgs, err = r.images.Pull(ctx, name, policy, &libimage.PullOptions{CopyOptions: copts})
		}
		return err
	})
	if err != nil {
		return nil, &imageError{op: "pulling", name: name, err: err}
	}
	out := make([]*Image, len(imgs))
	for i, img := range imgs {
		out[i] = &Image{img}
	}
	return out, nil
}

func (o PullOptions) copyOptions() (libimage.CopyOptions, error) {
	c := libimage.CopyOptions{
		Credentials:  o.Creds,
		AuthFilePath: o.AuthFile,
		CertDirPath:  o.CertDir,
		MaxRetries:   o.Retry,
		Architecture: o.Arch,
		OS:           o.OS,
		Variant:      o.Variant,
	}
	if o.AuthFile != "" {
		if err := fileutils.Exists(o.AuthFile); err != nil {
			return c, fmt.Errorf("credential file is not accessible: %w", err)
		}
	}
	if o.Creds != "" && strings.HasPrefix(o.Creds, ":") {
		return c, fmt.Errorf("--creds: user name must not be empty")
	}
	if o.TLSVerify != nil {
		c.InsecureSkipTLSVerify = types.NewOptionalBool(!*o.TLSVerify)
	}
	if o.RetryDelay > 0 {
		d := o.RetryDelay
		c.RetryDelay = &d
	}
	if !o.Quiet && o.Progress != nil {
		c.Writer = o.Progress
	}
	var err error
	c.OciDecryptConfig, err = decryptConfig(o.DecryptionKeys)
	return c, err
}

// CheckImageName rejects a name that is no image reference, without network access:
// a transport-qualified name ("oci-archive:/x.tar") must parse for its transport, and
// a plain one must be a valid (possibly short) registry reference.
func CheckImageName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidImageName)
	}
	if t, rest, ok := strings.Cut(name, ":"); ok && isTransport(t) {
		if strings.TrimLeft(rest, "/") == "" {
			return fmt.Errorf("%w %q: nothing after the transport", ErrInvalidImageName, name)
		}
		if _, err := alltransports.ParseImageName(name); err != nil {
			return fmt.Errorf("%w %q: %w", ErrInvalidImageName, name, err)
		}
		return nil
	}
	// sha256:<hex> and full IDs name local images (run pulls with policy missing).
	if strings.HasPrefix(name, "sha256:") || isFullID(name) {
		return nil
	}
	if _, err := reference.ParseNormalizedNamed(name); err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalidImageName, name, err)
	}
	return nil
}

func isFullID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isTransport(t string) bool {
	return alltransports.TransportFromImageName(t+":") != nil
}

// imageError names the image an operation failed on and keeps the message on one
// line: the image library joins the errors of several tries with newlines.
type imageError struct {
	op, name string
	err      error
}

func (e *imageError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.op, e.name, repeats.ReplaceAllString(oneLine(e.err.Error()), ""))
}

// repeats are the image library's wrappers that only name the image again.
var repeats = regexp.MustCompile(`(unable to copy from source|initializing source) [^ ]+: `)

func (e *imageError) Unwrap() error { return e.err }

// oneLine folds a multi-line message (a list of "* reason" lines) into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\n\r") {
		return s
	}
	var b strings.Builder
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*"))
		if l == "" {
			continue
		}
		if b.Len() > 0 {
			if strings.HasSuffix(b.String(), ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(l)
	}
	return b.String()
}
