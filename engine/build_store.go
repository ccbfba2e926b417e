package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/sys/mountinfo"
	"go.podman.io/common/libimage"
	"go.podman.io/common/pkg/config"
	"go.podman.io/image/v5/docker/reference"
	"golang.org/x/sys/unix"
)

// seedBases copies the base images that berth has locally into buildah's store, named
// as in berth and as the Containerfile writes them, so that buildah finds them as
// podman's builds find their local images. With --pull=always buildah pulls them all
// itself, as podman does.
func (b *builder) seedBases(ctx context.Context) error {
	if p, _ := b.o.pullPolicy(); p == config.PullPolicyAlways {
		return nil
	}
	files := b.o.Files
	if len(files) == 0 {
		files = defaultContainerfile(b.o.ContextDir)
	}
	args := buildArgMap(b.o.BuildArgs)
	var bases []string
	for _, f := range files {
		refs, err := baseImagesOfFile(f, args)
		if err != nil {
			return fmt.Errorf("building: reading %s: %w", f, err)
		}
		bases = append(bases, refs...)
	}
	seeded := map[string]bool{}
	for i, ref := range bases {
		img, err := b.r.LookupImage(ref)
		if errors.Is(err, ErrNoSuchImage) {
			continue // buildah pulls it, or says it is missing
		}
		if err != nil {
			return fmt.Errorf("building: %w", err)
		}
		if !b.platformMatches(ctx, img) {
			continue // buildah pulls the platform asked for
		}
		if !seeded[img.ID()] {
			if err := b.seed(ctx, img, i); err != nil {
				return err
			}
			seeded[img.ID()] = true
		}
		if names := taggable(ref); len(names) > 0 {
			if _, err := b.output(ctx, "tag", append([]string{img.ID()}, names...)...); err != nil {
				return fmt.Errorf("building: naming the base image %s: %w", ref, err)
			}
		}
	}
	return nil
}

// seed copies one image into buildah's store through a dir: copy (uncompressed),
// with the image's names.
func (b *builder) seed(ctx context.Context, img *Image, n int) error {
	dir := filepath.Join(b.dir, fmt.Sprintf("base%d", n))
	if _, err := b.r.images.Push(ctx, img.ID(), "dir:"+dir, &libimage.PushOptions{}); err != nil {
		return &imageError{op: "building: exporting the base image", name: img.ID()[:12], err: err}
	}
	args := []string{"--quiet"}
	if sp := b.r.sys.SignaturePolicyPath; sp != "" {
		args = append(args, "--signature-policy", sp)
	}
	if _, err := b.output(ctx, "pull", append(args, "dir:"+dir)...); err != nil {
		return fmt.Errorf("building: handing the base image %.12s to buildah: %w", img.ID(), err)
	}
	var names []string
	for _, name := range img.Names() {
		names = append(names, taggable(name)...)
	}
	if len(names) > 0 {
		if _, err := b.output(ctx, "tag", append([]string{img.ID()}, names...)...); err != nil {
			return fmt.Errorf("building: naming the base image %.12s: %w", img.ID(), err)
		}
	}
	return os.RemoveAll(dir)
}

// platformMatches tells whether a local image is of the platform the build asks for
// (--arch, --os), so that it may stand for the base image. With --variant, which the
// inspect data does not show, buildah chooses itself.
func (b *builder) platformMatches(ctx context.Context, img *Image) bool {
	if b.o.Arch == "" && b.o.OS == "" && b.o.Variant == "" {
		return true
	}
	if b.o.Variant != "" {
		return false
	}
	data, err := img.Inspect(ctx, nil)
	if err != nil {
		return false
	}
	same := func(want, have string) bool { return want == "" || want == have }
	return same(b.o.Arch, data.Architecture) && same(b.o.OS, data.Os)
}

// taggable is ref as a name buildah can tag with (no digest, no ID), or nothing.
func taggable(ref string) []string {
	if strings.HasPrefix(ref, "sha256:") || isFullID(ref) {
		return nil
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil
	}
	if _, ok := named.(reference.Digested); ok {
		return nil
	}
	return []string{ref}
}

// defaultContainerfile is the file buildah reads when no -f is given.
func defaultContainerfile(contextDir string) []string {
	if contextDir == "" || strings.Contains(contextDir, "://") {
		return nil
	}
	for _, name := range []string{"Containerfile", "Dockerfile"} {
		p := filepath.Join(contextDir, name)
		if _, err := os.Stat(p); err == nil {
			return []string{p}
		}
	}
	return nil
}

// buildArgMap reads --build-arg NAME=VALUE, and NAME alone from the environment.
func buildArgMap(args []string) map[string]string {
	m := map[string]string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok {
			m[k] = v
		} else if v, ok := os.LookupEnv(a); ok {
			m[a] = v
		}
	}
	return m
}

// removeTree removes a folder that may hold mounts (buildah's overlay store leaves
// its home bind-mounted, and an interrupted build leaves layers mounted): every mount
// under it is detached, deepest first, then the tree goes.
func removeTree(dir string) error {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return err
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
	for _, m := range mounts {
		if err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			return fmt.Errorf("unmounting %s: %w", m.Mountpoint, err)
		}
	}
	return os.RemoveAll(dir)
}
