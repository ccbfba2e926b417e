package engine

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// The image driver (volume create --driver image --opt image=IMAGE): the volume's
// content is the image's root file system, as in podman. The volume owns a storage
// container of the image, whose layer is mounted (overlay) and bind-mounted on the
// volume's folder while containers use it (volume_driver_mount.go); what they
// write stays in that layer until the volume is removed. rmi --force of the image
// removes its volumes (and their containers), as podman's does.

// imageVolumeStorageName names the storage container of an image volume.
func imageVolumeStorageName(volume string) string { return "berth-volume-" + volume }

// imageSettings checks the image driver's options: image= only, and required.
func (v *Volume) imageSettings() error {
	for k := range v.Options {
		if k != "image" {
			return fmt.Errorf("volume option %q: the image driver takes only image=: %w", k, errVolumeOptions)
		}
	}
	v.ImageName = v.Options["image"]
	if v.ImageName == "" {
		return fmt.Errorf("the image driver needs --opt image=IMAGE: %w", errVolumeOptions)
	}
	// The content is the image's: nothing to copy up, and owners stay as they are.
	v.NeedsCopyUp, v.NeedsChown = false, false
	return nil
}

// makeImageVolume creates the storage container of a new image volume (whose lock
// is held). The image must be local, as podman wants it: a Quadlet .volume with
// Image=x.image pulls it first.
func (r *Runtime) makeImageVolume(v *Volume) error {
	img, err := r.LookupImage(v.ImageName)
	if err != nil {
		return fmt.Errorf("volume %s: image %s: %w", v.Name, v.ImageName, err)
	}
	v.ImageID = img.ID()
	name := imageVolumeStorageName(v.Name)
	// Under the lock and with no record, one of that name is a leftover of a create
	// or rm that was killed.
	if old, err := r.store.Container(name); err == nil {
		if err := r.deleteVolumeStorage(old.ID); err != nil {
			return fmt.Errorf("volume %s: %w", v.Name, err)
		}
	}
	sc, err := r.store.CreateContainer("", []string{name}, v.ImageID, "", "", nil)
	if err != nil {
		return fmt.Errorf("volume %s: creating its storage on image %s: %w", v.Name, v.ImageName, err)
	}
	v.StorageID = sc.ID
	return nil
}

// deleteVolumeStorage deletes an image volume's storage container (unmounting it).
func (r *Runtime) deleteVolumeStorage(id string) error {
	if _, err := r.store.Unmount(id, true); err != nil && !isUnknownContainer(err) && !isUnknownLayer(err) {
		return fmt.Errorf("unmounting volume storage %s: %w", shortID(id), err)
	}
	if err := r.store.DeleteContainer(id); err != nil && !isUnknownContainer(err) {
		return fmt.Errorf("deleting volume storage %s: %w", shortID(id), err)
	}
	return nil
}

// mountImageVolume mounts the volume's storage and binds it on the volume's folder.
func (r *Runtime) mountImageVolume(v *Volume, data string) error {
	p, err := r.store.Mount(v.StorageID, "")
	if err != nil {
		return fmt.Errorf("mounting volume %s (image %s): %w", v.Name, v.ImageName, err)
	}
	if err := unix.Mount(p, data, "", unix.MS_BIND, ""); err != nil {
		return errors.Join(fmt.Errorf("mounting volume %s (image %s): %w", v.Name, v.ImageName, err),
			r.unmountImageVolume(v))
	}
	return nil
}

// unmountImageVolume unmounts the volume's storage (its folder's bind is gone).
func (r *Runtime) unmountImageVolume(v *Volume) error {
	if _, err := r.store.Unmount(v.StorageID, true); err != nil && !isUnknownContainer(err) && !isUnknownLayer(err) {
		return fmt.Errorf("unmounting the storage of volume %s: %w", v.Name, err)
	}
	return nil
}

// removeImageVolumes removes the image volumes of an image, with the containers that
// use them: rmi --force does it.
func (r *Runtime) removeImageVolumes(ctx context.Context, imageID string) error {
	list, err := r.ListVolumes(nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range list {
		if v.Driver == "image" && v.ImageID == imageID {
			if err := r.RemoveVolume(ctx, v.Name, true); err != nil && !errors.Is(err, ErrNoSuchVolume) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
