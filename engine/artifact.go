package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	"go.podman.io/common/pkg/libartifact"
	arttypes "go.podman.io/common/pkg/libartifact/types"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/manifest"
)

// OCI artifacts (podman artifact ...): files shipped through a registry as an OCI
// manifest, kept in an OCI layout under <graph root>/artifacts as podman keeps them.
// The image library's libartifact does the work; berth adds its registry settings,
// names, and errors.

// ErrNoSuchArtifact is returned for a name or digest that names no local artifact.
var ErrNoSuchArtifact = errors.New("no such artifact")

// Artifact is an artifact in the local store, as podman's artifact inspect shows it.
type Artifact struct {
	Manifest       *manifest.OCI1
	Name           string
	Digest         digest.Digest
	TotalSizeBytes int64 `json:"-"`
}

// ArtifactAddOptions are podman artifact add's options.
type ArtifactAddOptions struct {
	// Annotations are set on each file's layer (org.opencontainers.image.title names it).
	Annotations map[string]string
	// Type is the artifact's type (artifactType); FileType the files' media type,
	// detected when empty.
	Type, FileType string
	// Append adds the files to an existing artifact; Replace replaces one.
	Append, Replace bool
}

// artifactStore opens the store. Each call opens it anew: it is a folder and a lock.
func (r *Runtime) artifactStore() (*libartifact.ArtifactStore, error) {
	as, err := libartifact.NewArtifactStore(filepath.Join(r.store.GraphRoot(), "artifacts"), r.sys)
	if err != nil {
		return nil, fmt.Errorf("opening the artifact store: %w", err)
	}
	return as, nil
}

// artifactRef parses an artifact's name: a full registry reference, tagged
// (":latest" when no tag) or digested.
func artifactRef(name string) (libartifact.ArtifactReference, error) {
	ref, err := libartifact.NewArtifactReference(name)
	if err != nil {
		return ref, fmt.Errorf("%w %q: an artifact needs a full name such as quay.io/NAME:TAG: %w", ErrInvalidImageName, name, err)
	}
	return ref, nil
}

// PullArtifact copies an artifact from a registry into the local store and returns
// its manifest digest. The registry options are those of an image pull; Policy, Arch,
// OS, Variant and AllTags do not apply.
func (r *Runtime) PullArtifact(ctx context.Context, name string, o PullOptions) (digest.Digest, error) {
	if o.AllTags || o.Arch != "" || o.OS != "" || o.Variant != "" || (o.Policy != "" && o.Policy != "always") {
		return "", fmt.Errorf("pulling artifact %s: --all-tags, --arch, --os, --variant and --policy apply to images: %w", name, ErrUnsupported)
	}
	ref, err := artifactRef(name)
	if err != nil {
		return "", err
	}
	copts, err := o.copyOptions()
	if err != nil {
		return "", fmt.Errorf("pulling artifact %s: %w", name, err)
	}
	as, err := r.artifactStore()
	if err != nil {
		return "", err
	}
	d, err := as.Pull(ctx, ref, copts)
	if err != nil {
		return "", &imageError{op: "pulling artifact", name: name, err: err}
	}
	return d, nil
}

// PushArtifact copies a local artifact to a registry, to dest or to its own name
// when dest is empty, and returns the manifest digest.
func (r *Runtime) PushArtifact(ctx context.Context, name, dest string, o PullOptions) (digest.Digest, error) {
	src, err := artifactRef(name)
	if err != nil {
		return "", err
	}
	dst := src
	if dest != "" {
		if dst, err = artifactRef(strings.TrimPrefix(dest, "docker://")); err != nil {
			return "", err
		}
	}
	if _, err := r.InspectArtifact(ctx, name); err != nil {
		return "", err
	}
	copts, err := o.copyOptions()
	if err != nil {
		return "", fmt.Errorf("pushing artifact %s: %w", name, err)
	}
	as, err := r.artifactStore()
	if err != nil {
		return "", err
	}
	d, err := as.Push(ctx, src, dst, copts)
	if err != nil {
		return "", &imageError{op: "pushing artifact", name: dst.String(), err: err}
	}
	return d, nil
}

// AddArtifact makes an artifact of local files (each a layer titled with its base
// name) and returns its digest.
func (r *Runtime) AddArtifact(ctx context.Context, name string, files []string, o ArtifactAddOptions) (digest.Digest, error) {
	ref, err := artifactRef(name)
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", fmt.Errorf("adding artifact %s: no file given", name)
	}
	blobs := make([]arttypes.ArtifactBlob, 0, len(files))
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("adding artifact %s: %w", name, err)
		}
		if !st.Mode().IsRegular() {
			return "", fmt.Errorf("adding artifact %s: %s is not a regular file", name, f)
		}
		blobs = append(blobs, arttypes.ArtifactBlob{BlobFilePath: f, FileName: filepath.Base(f)})
	}
	as, err := r.artifactStore()
	if err != nil {
		return "", err
	}
	d, err := as.Add(ctx, ref, blobs, &arttypes.AddOptions{
		Annotations: o.Annotations, ArtifactMIMEType: o.Type, FileMIMEType: o.FileType,
		Append: o.Append, Replace: o.Replace,
	})
	if err != nil {
		return "", artifactError("adding artifact", name, err)
	}
	return *d, nil
}

// ListArtifacts returns the local artifacts.
func (r *Runtime) ListArtifacts(ctx context.Context) ([]*Artifact, error) {
	as, err := r.artifactStore()
	if err != nil {
		return nil, err
	}
	list, err := as.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing artifacts: %w", err)
	}
	out := make([]*Artifact, 0, len(list))
	for _, a := range list {
		out = append(out, fromLibArtifact(a))
	}
	return out, nil
}

// InspectArtifact finds a local artifact by name, or full or partial digest.
func (r *Runtime) InspectArtifact(ctx context.Context, nameOrDigest string) (*Artifact, error) {
	asr, as, err := r.artifactLookup(nameOrDigest)
	if err != nil {
		return nil, err
	}
	a, err := as.Inspect(ctx, asr)
	if err != nil {
		return nil, artifactError("inspecting artifact", nameOrDigest, err)
	}
	return fromLibArtifact(a), nil
}

// RemoveArtifact removes a local artifact and returns its digest.
func (r *Runtime) RemoveArtifact(ctx context.Context, nameOrDigest string) (digest.Digest, error) {
	asr, as, err := r.artifactLookup(nameOrDigest)
	if err != nil {
		return "", err
	}
	d, err := as.Remove(ctx, asr)
	if err != nil {
		return "", artifactError("removing artifact", nameOrDigest, err)
	}
	return *d, nil
}

// ExtractArtifact copies an artifact's files to target: a folder receives every file
// (named by title), a file path exactly one (chosen by title or digest when the
// artifact has several).
func (r *Runtime) ExtractArtifact(ctx context.Context, nameOrDigest, target, title, blobDigest string) error {
	asr, as, err := r.artifactLookup(nameOrDigest)
	if err != nil {
		return err
	}
	opts := &arttypes.ExtractOptions{FilterBlobOptions: arttypes.FilterBlobOptions{Title: title, Digest: blobDigest}}
	if err := as.Extract(ctx, asr, target, opts); err != nil {
		return artifactError("extracting artifact", nameOrDigest, err)
	}
	return nil
}

// ArtifactMount is one file of an artifact as a container mounts it: the blob's path
// in the store, and its name in the container.
type ArtifactMount struct{ Source, Name string }

// ArtifactMounts returns the files of an artifact to mount into a container (all, or
// the one with this title or digest).
func (r *Runtime) ArtifactMounts(ctx context.Context, nameOrDigest, title, blobDigest string) ([]ArtifactMount, error) {
	asr, as, err := r.artifactLookup(nameOrDigest)
	if err != nil {
		return nil, err
	}
	paths, err := as.BlobMountPaths(ctx, asr, &arttypes.BlobMountPathOptions{
		FilterBlobOptions: arttypes.FilterBlobOptions{Title: title, Digest: blobDigest}})
	if err != nil {
		return nil, artifactError("mounting artifact", nameOrDigest, err)
	}
	out := make([]ArtifactMount, len(paths))
	for i, p := range paths {
		out[i] = ArtifactMount{Source: p.SourcePath, Name: p.Name}
	}
	return out, nil
}

func (r *Runtime) artifactLookup(nameOrDigest string) (libartifact.ArtifactStoreReference, *libartifact.ArtifactStore, error) {
	asr, err := libartifact.NewArtifactStorageReference(strings.TrimPrefix(nameOrDigest, "sha256:"))
	if err != nil {
		return asr, nil, fmt.Errorf("%w %q: %w", ErrInvalidImageName, nameOrDigest, err)
	}
	as, err := r.artifactStore()
	return asr, as, err
}

func fromLibArtifact(a *libartifact.Artifact) *Artifact {
	return &Artifact{Manifest: a.Manifest, Name: a.Name, Digest: a.Digest, TotalSizeBytes: a.TotalSizeBytes()}
}

// artifactError names the artifact, and makes a missing one ErrNoSuchArtifact.
func artifactError(op, name string, err error) error {
	if errors.Is(err, arttypes.ErrArtifactNotExist) {
		return fmt.Errorf("%s %s: %w", op, name, ErrNoSuchArtifact)
	}
	return &imageError{op: op, name: name, err: err}
}

// Repository and Tag split an artifact's name for listings.
func (a *Artifact) Repository() string {
	if n, err := reference.ParseNamed(a.Name); err == nil {
		return n.Name()
	}
	return "<none>"
}

func (a *Artifact) Tag() string {
	if n, err := reference.ParseNamed(a.Name); err == nil {
		if t, ok := n.(reference.Tagged); ok {
			return t.Tag()
		}
	}
	return "<none>"
}
