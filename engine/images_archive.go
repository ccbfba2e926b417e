package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"go.podman.io/common/libimage"
)

// Load stores the images of an archive or layout at path: an OCI archive, a
// docker-archive (docker save), an OCI layout folder or a dir: folder. It returns the
// names of the loaded images (their IDs when the archive names none). A failed load
// leaves no layer of its own behind.
func (r *Runtime) Load(ctx context.Context, path string) ([]string, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	var names []string
	err := r.guardLayers(func() error {
		var err error
		names, err = r.images.Load(ctx, path, &libimage.LoadOptions{})
		return err
	})
	if err != nil {
		return nil, &imageError{op: "loading", name: path, err: err}
	}
	return names, nil
}

// Save formats.
const (
	FormatOCIArchive    = "oci-archive"
	FormatDockerArchive = "docker-archive"
)

// Save writes local images to an archive at path: format oci-archive (one image) or
// docker-archive (one or more). The archive appears whole or not at all: it is
// written next to path and renamed.
func (r *Runtime) Save(ctx context.Context, names []string, format, path string) error {
	switch format {
	case "":
		format = FormatDockerArchive
	case FormatOCIArchive, FormatDockerArchive:
	default:
		return fmt.Errorf("save format %q: use %s or %s", format, FormatOCIArchive, FormatDockerArchive)
	}
	if len(names) == 0 {
		return fmt.Errorf("saving: no image named")
	}
	for _, n := range names {
		if _, err := r.LookupImage(n); err != nil {
			return fmt.Errorf("saving: %w", err)
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.MkdirTemp(dir, "."+base+".")
	if err != nil {
		return fmt.Errorf("saving to %s: %w", path, err)
	}
	defer os.RemoveAll(tmp)
	part := filepath.Join(tmp, "archive.tar")
	if err := r.images.Save(ctx, names, format, part, &libimage.SaveOptions{}); err != nil {
		return &imageError{op: "saving", name: fmt.Sprint(names), err: err}
	}
	if err := os.Rename(part, path); err != nil {
		return fmt.Errorf("saving to %s: %w", path, err)
	}
	return nil
}
