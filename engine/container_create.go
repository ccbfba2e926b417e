package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.podman.io/common/libimage"
	"go.podman.io/common/pkg/config"
	"go.podman.io/storage"

	"github.com/berth-containers/berth/engine/spec"
	"github.com/berth-containers/berth/engine/state"
)

// CreateOptions are podman create's: the container's settings, its image and how to
// get it.
type CreateOptions struct {
	ContainerConfig
	// Image is the image to run, as podman takes it (name, short name, ID); unused
	// (empty) with Rootfs.
	Image string
	// Pull says how to get the image; its Policy is missing when empty, as podman
	// run's --pull.
	Pull PullOptions
	// Replace removes a container that has the name first (--replace).
	Replace bool

	pod podJoin // the pod it joins (pod_join.go)
}

// CreateContainer creates a container: its image (pulled as Pull.Policy says), its
// record, and its storage container; the spec is built when it starts. Settings that
// need no image are checked before anything is pulled or created. A name in use fails
// with ErrNameInUse unless Replace.
func (r *Runtime) CreateContainer(ctx context.Context, o CreateOptions) (*Container, error) {
	r.defaultUserNS(&o.ContainerConfig)
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := r.resolvePod(ctx, &o); err != nil {
		return nil, err
	}
	defer r.podCreateDone(ctx, &o)
	if o.Rootfs == "" {
		if err := CheckImageName(o.Image); err != nil {
			return nil, err
		}
	} else if o.Image != "" {
		return nil, fmt.Errorf("--rootfs %s runs without an image; got image %q too", o.Rootfs, o.Image)
	} else if len(o.Command) == 0 && (o.Entrypoint == nil || len(*o.Entrypoint) == 0) {
		return nil, fmt.Errorf("--rootfs %s: no command given (there is no image to take one from)", o.Rootfs)
	}
	if err := r.checkCIDFile(o); err != nil {
		return nil, err
	}
	// Keys are read even when the image is there already, as podman does.
	if _, err := decryptConfig(o.Pull.DecryptionKeys); err != nil {
		return nil, err
	}
	// Secrets are read first: a missing one fails before anything is pulled or created.
	secretData, err := r.readContainerSecrets(&o.ContainerConfig)
	if err != nil {
		return nil, err
	}
	var img *Image
	if o.Rootfs == "" {
		if img, err = r.imageForContainer(ctx, o.Image, o.Pull); err != nil {
			return nil, err
		}
	}
	// Volumes are created if missing and stay locked until the record names them;
	// those made here go again if the container is not created.
	volumes, err := r.attachVolumes(ctx, &o.ContainerConfig)
	if err != nil {
		return nil, err
	}
	created := false
	defer func() { volumes.release(ctx, created) }()
	if err := r.lockPodForMember(ctx, &o); err != nil {
		return nil, err
	}
	c, err := r.newRecord(ctx, o, img)
	if err != nil {
		return nil, err
	}
	coll, err := r.containers()
	if err != nil {
		return nil, err
	}
	// Locked before the record exists: a concurrent rm of the name waits until the
	// container is complete (or gone).
	h, err := r.lockID(ctx, coll, c.ID)
	if err != nil {
		return nil, err
	}
	defer h.release()
	if err := r.addRecord(ctx, coll, c, o); err != nil {
		return nil, err
	}
	h.c = c
	if err := r.createStorage(h, c.ImageID); err != nil {
		return nil, errors.Join(err, r.removeLocked(ctx, h))
	}
	if err := r.copyUpVolumes(h, volumes.uses); err != nil {
		return nil, errors.Join(err, r.removeLocked(ctx, h))
	}
	if err := r.saveContainerSecrets(c, secretData); err != nil {
		return nil, errors.Join(err, r.removeLocked(ctx, h))
	}
	if o.CIDFile != "" {
		if err := writeFileAtomic(o.CIDFile, []byte(c.ID), 0o644); err != nil {
			err = fmt.Errorf("writing --cidfile %s: %w", o.CIDFile, err)
			return nil, errors.Join(err, r.removeLocked(ctx, h))
		}
	}
	created = true
	return c, nil
}

// imageForContainer finds the image locally or pulls it, as the pull policy says.
func (r *Runtime) imageForContainer(ctx context.Context, name string, po PullOptions) (*Image, error) {
	if po.Policy == "" {
		po.Policy = "missing"
	}
	policy, err := config.ParsePullPolicy(po.Policy)
	if err != nil {
		return nil, fmt.Errorf("--pull %q: use always, missing, newer or never", po.Policy)
	}
	if policy == config.PullPolicyMissing || policy == config.PullPolicyNever {
		img, err := r.LookupImage(name)
		if err == nil || !errors.Is(err, ErrNoSuchImage) {
			return img, err
		}
		if policy == config.PullPolicyNever {
			return nil, fmt.Errorf("%s: image not known (--pull=never): %w", name, ErrNoSuchImage)
		}
	}
	imgs, err := r.Pull(ctx, name, po)
	if err != nil {
		return nil, err
	}
	return imgs[0], nil
}

// newRecord builds the record of a new container (not stored yet); img is nil with
// --rootfs.
func (r *Runtime) newRecord(ctx context.Context, o CreateOptions, img *Image) (*Container, error) {
	id, err := newContainerID()
	if err != nil {
		return nil, err
	}
	c := &Container{
		ID: id, Name: o.Name, Image: o.Image, ImageName: o.Image,
		Created: time.Now().UTC(), Config: o.ContainerConfig,
		State: ContainerState{Status: StatusConfigured},
	}
	c.Labels = map[string]string{}
	var data *libimage.ImageData
	if img != nil {
		if data, err = img.Inspect(ctx, nil); err != nil {
			return nil, fmt.Errorf("reading image %s: %w", o.Image, err)
		}
		c.ImageID = img.ID()
		if names := img.Names(); len(names) > 0 {
			c.ImageName = names[0]
		}
	}
	if data != nil && data.Config != nil {
		for k, v := range data.Config.Labels {
			c.Labels[k] = v
		}
		c.StopSignal = data.Config.StopSignal
	}
	for k, v := range o.Labels {
		c.Labels[k] = v
	}
	if o.StopSignal != "" {
		c.StopSignal = o.StopSignal
	}
	if c.StopSignal == "" {
		c.StopSignal = "SIGTERM"
	}
	if _, err := spec.ParseSignal(c.StopSignal); err != nil {
		return nil, fmt.Errorf("stop signal of image %s: %w", o.Image, err)
	}
	if err := r.planNetwork(c, data); err != nil {
		return nil, err
	}
	if err := planHealthcheck(c, data); err != nil {
		return nil, err
	}
	if err := r.planCgroups(c); err != nil {
		return nil, err
	}
	rt, err := r.detectRuntime(ctx, c.Runtime.NoCgroups)
	if err != nil {
		return nil, err
	}
	c.Runtime.Name, c.Runtime.Path = rt.Name, rt.Path
	c.Runtime.Root = filepath.Join(r.RunDir(), "runtime", rt.Name)
	return c, nil
}

// maxNameTries bounds the retries of a generated name that is taken, and of
// --replace racing another process that takes the name again.
const maxNameTries = 20

// addRecord stores the new record, which reserves its name. A generated name that is
// taken is drawn again; with Replace, the container that has the name is removed.
func (r *Runtime) addRecord(ctx context.Context, coll *state.Collection[*Container], c *Container, o CreateOptions) error {
	for try := 0; ; try++ {
		if o.Name == "" {
			c.Name = randomName()
		}
		err := coll.Add(c)
		if !errors.Is(err, state.ErrNameInUse) {
			return err
		}
		if try >= maxNameTries {
			return fmt.Errorf("creating container: %w", err)
		}
		if o.Name == "" {
			continue
		}
		if !o.Replace {
			owner, _ := coll.Get(o.Name)
			by := ""
			if owner != nil {
				by = " by " + shortID(owner.ID)
			}
			return fmt.Errorf("the container name %q is already in use%s; remove that container or use --replace: %w",
				o.Name, by, ErrNameInUse)
		}
		err = r.RemoveContainer(ctx, o.Name, RemoveContainerOptions{Force: true, Ignore: true})
		if err != nil {
			return fmt.Errorf("replacing container %q: %w", o.Name, err)
		}
	}
}

// createStorage makes the storage container (the writable layer on the image), with
// the record's ID, and finishes the record.
func (r *Runtime) createStorage(h *held, imageID string) error {
	c := h.c
	ids, release, err := r.storageIDMappings(h, imageID)
	if err != nil {
		return err
	}
	_, err = r.store.CreateContainer(c.ID, nil, imageID, "", "", &storage.ContainerOptions{IDMappingOptions: ids})
	release()
	if err != nil {
		return fmt.Errorf("creating the storage of container %s: %w", shortID(c.ID), err)
	}
	bundle, err := r.store.ContainerRunDirectory(c.ID)
	if err != nil {
		return err
	}
	dir, err := r.store.ContainerDirectory(c.ID)
	if err != nil {
		return err
	}
	c.Bundle = bundle
	if c.Config.LogDriver == "" || c.Config.LogDriver == "k8s-file" {
		c.LogPath = filepath.Join(dir, "ctr.log")
		if st, err := c.Config.specSettings(); err == nil && st.logPath != "" {
			c.LogPath = st.logPath
		}
	}
	c.State.Status = StatusCreated
	return h.save()
}

// checkCIDFile refuses a --cidfile that names another container, as podman does; a
// file left by a container that is gone (or the one being replaced) is overwritten.
func (r *Runtime) checkCIDFile(o CreateOptions) error {
	if o.CIDFile == "" {
		return nil
	}
	data, err := os.ReadFile(o.CIDFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--cidfile %s: %w", o.CIDFile, err)
	}
	id := strings.TrimSpace(string(data))
	if id == "" {
		return nil
	}
	owner, err := r.LookupContainer(id)
	if errors.Is(err, ErrNoSuchContainer) || (err == nil && o.Replace && owner.Name == o.Name) {
		return nil
	}
	return fmt.Errorf("container ID file %s exists and names container %s; remove it or that container", o.CIDFile, shortID(id))
}

// isUnknownLayer tells storage errors that mean the layer is gone.
func isUnknownLayer(err error) bool { return errors.Is(err, storage.ErrLayerUnknown) }

// isUnknownContainer tells storage errors that mean the storage container is gone.
func isUnknownContainer(err error) bool {
	return errors.Is(err, storage.ErrContainerUnknown) || errors.Is(err, storage.ErrNotAContainer)
}
