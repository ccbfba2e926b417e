package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.podman.io/common/libimage"
	"go.podman.io/storage"
)

// ErrImageInUse is returned when an image cannot be removed because a container or a
// child image uses it (podman rmi exits 2 then).
var ErrImageInUse = errors.New("image is in use")

// ImageData is podman's image inspect document (Id, Digest, RepoTags, RepoDigests,
// Created, Config, Architecture, Os, Size, Labels, RootFS, History, ...).
type ImageData = libimage.ImageData

// ImageSummary is one image of ListImages, shaped as podman images --format json.
type ImageSummary struct {
	ID          string            `json:"Id"`
	ParentID    string            `json:"ParentId"`
	RepoTags    []string          `json:"RepoTags"`
	RepoDigests []string          `json:"RepoDigests"`
	Size        int64             `json:"Size"`
	SharedSize  int               `json:"SharedSize"`
	VirtualSize int64             `json:"VirtualSize"`
	Labels      map[string]string `json:"Labels"`
	Containers  int               `json:"Containers"`
	ReadOnly    bool              `json:"ReadOnly,omitempty"`
	Dangling    bool              `json:"Dangling,omitempty"`
	Names       []string          `json:"Names,omitempty"`
	Digest      string            `json:"Digest,omitempty"`
	History     []string          `json:"History,omitempty"`
	Created     int64             `json:"Created"`
	CreatedAt   time.Time         `json:"CreatedAt"`
}

// ListOptions select the images ListImages returns.
type ListOptions struct {
	// All includes intermediate images (untagged parents of other images).
	All bool
	// Filters are podman's (reference=, dangling=, label=, before=, since=, id=, ...).
	Filters []string
}

// ListImages returns the local images, newest first.
func (r *Runtime) ListImages(ctx context.Context, o ListOptions) ([]ImageSummary, error) {
	filters := o.Filters
	if !o.All {
		filters = append(filters[:len(filters):len(filters)], "intermediate=false")
	}
	imgs, err := r.images.ListImages(ctx, &libimage.ListImagesOptions{Filters: filters, SetListData: true})
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	ctrs, err := r.containersPerImage()
	if err != nil {
		return nil, err
	}
	out := make([]ImageSummary, 0, len(imgs))
	for _, img := range imgs {
		s, err := summarize(ctx, img, ctrs[img.ID()])
		if err != nil {
			return nil, fmt.Errorf("listing image %s: %w", img.ID(), err)
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func (r *Runtime) containersPerImage() (map[string]int, error) {
	ctrs, err := r.store.Containers()
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	n := make(map[string]int)
	for _, c := range ctrs {
		n[c.ImageID]++
	}
	return n, nil
}

func summarize(ctx context.Context, img *libimage.Image, containers int) (ImageSummary, error) {
	s := ImageSummary{
		ID: img.ID(), Containers: containers, ReadOnly: img.IsReadOnly(),
		Names: img.Names(), Digest: img.Digest().String(), History: img.NamesHistory(),
		Created: img.Created().Unix(), CreatedAt: img.Created(),
	}
	var err error
	if s.RepoTags, err = img.RepoTags(); err != nil {
		return s, err
	}
	if s.RepoDigests, err = img.RepoDigests(); err != nil {
		return s, err
	}
	if s.Size, err = img.Size(); err != nil {
		return s, err
	}
	s.VirtualSize = s.Size
	if s.Labels, err = img.Labels(ctx); err != nil {
		return s, err
	}
	if d := img.ListData.IsDangling; d != nil {
		s.Dangling = *d
	}
	if p := img.ListData.Parent; p != nil {
		s.ParentID = p.ID()
	}
	return s, nil
}

// LookupImage finds a local image by name, short name, ID or ID prefix, or digest.
// A missing image is ErrNoSuchImage.
func (r *Runtime) LookupImage(name string) (*Image, error) {
	img, _, err := r.images.LookupImage(name, nil)
	if err != nil {
		if errors.Is(err, storage.ErrImageUnknown) {
			return nil, kindError{err, ErrNoSuchImage}
		}
		return nil, fmt.Errorf("looking up image %s: %w", name, err)
	}
	return &Image{img}, nil
}

// ImageExists reports whether a local image has this name (or ID).
func (r *Runtime) ImageExists(name string) (bool, error) {
	ok, err := r.images.Exists(name)
	if err != nil {
		return false, fmt.Errorf("looking up image %s: %w", name, err)
	}
	return ok, nil
}

// InspectImage returns podman's inspect document of a local image, size included.
func (r *Runtime) InspectImage(ctx context.Context, name string) (*ImageData, error) {
	img, err := r.LookupImage(name)
	if err != nil {
		return nil, err
	}
	data, err := img.Inspect(ctx, &libimage.InspectOptions{WithSize: true, WithParent: true})
	if err != nil {
		return nil, fmt.Errorf("inspecting image %s: %w", name, err)
	}
	return data, nil
}

// Tag adds names to a local image. Short names get the localhost/ prefix, as podman's.
func (r *Runtime) Tag(name string, tags ...string) error {
	img, err := r.LookupImage(name)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if err := img.Tag(t); err != nil {
			return fmt.Errorf("tagging %s as %s: %w", name, t, err)
		}
	}
	return nil
}

// Untag removes names from a local image; the image stays.
func (r *Runtime) Untag(name string, tags ...string) error {
	img, err := r.LookupImage(name)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if err := img.Untag(t); err != nil {
			return fmt.Errorf("untagging %s from %s: %w", t, name, err)
		}
	}
	return nil
}

// RemoveOptions are podman rmi's options.
type RemoveOptions struct {
	// Force removes the containers that use the images (through the remover set with
	// SetImageContainerRemover) and untags images with several names.
	Force bool
	// All removes every image.
	All bool
	// Ignore skips names that are not there.
	Ignore bool
}

// RemoveReport says what RemoveImages did, in podman's terms.
type RemoveReport struct {
	Untagged []string
	Deleted  []string
}

// SetImageContainerRemover gives RemoveImages with Force a way to remove the
// containers that use an image: the container layer knows its own state, which the
// image library does not. Without one, Force refuses images that containers use.
func (r *Runtime) SetImageContainerRemover(fn func(imageID string) error) {
	r.removeContainers = fn
}

// RemoveImages removes local images by name or ID (or all of them), with their
// intermediate parents. Errors of several names are joined; a missing image is
// ErrNoSuchImage and one in use ErrImageInUse.
func (r *Runtime) RemoveImages(ctx context.Context, names []string, o RemoveOptions) (RemoveReport, error) {
	var rep RemoveReport
	if o.All && len(names) > 0 {
		return rep, errors.New("when using the --all switch, you may not pass any images names or IDs")
	}
	if !o.All && len(names) == 0 {
		return rep, errors.New("image name or ID must be specified")
	}
	lo := &libimage.RemoveImagesOptions{Force: o.Force, Ignore: o.Ignore}
	lo.RemoveContainerFunc = func(imageID string) error {
		if n, err := r.containersPerImage(); err != nil || n[imageID] == 0 {
			return err
		}
		if r.removeContainers == nil {
			return fmt.Errorf("image %s: containers use it and this engine cannot remove them: %w", imageID, ErrImageInUse)
		}
		return r.removeContainers(imageID)
	}
	reports, errs := r.images.RemoveImages(ctx, names, lo)
	for _, x := range reports {
		rep.Untagged = append(rep.Untagged, x.Untagged...)
		if x.Removed {
			rep.Deleted = append(rep.Deleted, x.ID)
		}
	}
	for i, err := range errs {
		switch {
		case errors.Is(err, storage.ErrImageUnknown):
			errs[i] = kindError{err, ErrNoSuchImage}
		case errors.Is(err, storage.ErrImageUsedByContainer):
			errs[i] = kindError{err, ErrImageInUse}
		}
	}
	return rep, errors.Join(errs...)
}

// kindError keeps the library's message ("nope: image not known") and makes it match
// one of the engine's sentinel errors too.
type kindError struct {
	err  error
	kind error
}

func (e kindError) Error() string   { return oneLine(e.err.Error()) }
func (e kindError) Unwrap() []error { return []error{e.err, e.kind} }
