package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/berth-containers/berth/engine/lock"
	"github.com/berth-containers/berth/engine/state"
)

// Errors of volumes that callers tell apart with errors.Is.
var (
	ErrNoSuchVolume  = errors.New("no such volume")
	ErrVolumeExists  = errors.New("volume already exists")
	ErrVolumeInUse   = errors.New("volume is being used")
	errVolumeOptions = errors.New("invalid volume option")
)

// Volume is a named volume's record in berth's state store. Its data is the folder
// <graphroot>/volumes/<name>/_data, as in podman, bind-mounted into the containers
// that use it.
type Volume struct {
	Name      string            `json:"name"`
	Driver    string            `json:"driver"`
	Labels    map[string]string `json:"labels,omitempty"`
	Options   map[string]string `json:"options,omitempty"` // --opt as given
	CreatedAt time.Time         `json:"createdAt"`
	UID       int               `json:"uid,omitempty"` // owner of _data (--opt o=uid=)
	GID       int               `json:"gid,omitempty"`
	// NeedsCopyUp says the first container that mounts the volume while it is empty
	// copies the image's content at the mount point into it (podman's copy-up); it is
	// cleared by that first mount, or set false from the start by --opt nocopy.
	NeedsCopyUp bool `json:"needsCopyUp,omitempty"`
	// NeedsChown says the first container that mounts the volume gives its folder the
	// owner of the mount point in the container (or the container's root, as mapped by
	// its user namespace), so that a container in a user namespace can write in it;
	// false when o=uid=/gid= chose an owner.
	NeedsChown bool `json:"needsChown,omitempty"`
	// Anonymous volumes are made for a container's -v /dest (or --mount type=volume
	// without a source) and removed with it by rm -v and --rm.
	Anonymous bool `json:"anonymous,omitempty"`
	// OwnerSet says UID and GID were given (--uid/--gid, o=uid=/gid=): a file system
	// mounted on the volume gets them at every mount (volume_driver_mount.go).
	OwnerSet bool `json:"ownerSet,omitempty"`
	// NoCopyUsers are the containers that mount a volume with a file system of its
	// own with nocopy: its copy-up waits for the first start of another container,
	// as the file system is only there while containers run.
	NoCopyUsers []string `json:"noCopyUsers,omitempty"`
	// The image driver's volume is a storage container of ImageID (ImageName as
	// given), mounted on the volume's folder while used (volume_driver_image.go).
	ImageName string `json:"imageName,omitempty"`
	ImageID   string `json:"imageID,omitempty"`
	StorageID string `json:"storageID,omitempty"`
}

// ObjectID and ObjectName make Volume a state.Record: a volume's name is its id.
func (v *Volume) ObjectID() string   { return v.Name }
func (v *Volume) ObjectName() string { return "" }

var volumeSpec = state.Spec{Kind: state.KindVolume, Version: 1}

// VolumeCreateOptions are podman volume create's.
type VolumeCreateOptions struct {
	Name    string // empty: a random name (64 hex digits, as podman)
	Driver  string // "" or "local", or "image" (with Options["image"])
	Labels  map[string]string
	Options map[string]string // --opt KEY=VALUE (nocopy and copy may have no value)
	// UID and GID (--uid, --gid) own the volume's folder; unlike o=uid=, they are
	// never passed to mount(8).
	UID, GID *int
	// Ignore makes an existing name no error: the existing volume is returned
	// unchanged, as podman's --ignore.
	Ignore bool

	anonymous bool // made for a container's -v /dest, removed with it by rm -v or --rm
}

// volumeNameRule is podman's rule for volume names.
var volumeNameRule = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// CheckVolumeName refuses names podman refuses.
func CheckVolumeName(name string) error {
	if !volumeNameRule.MatchString(name) {
		return fmt.Errorf("volume name %q: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	return nil
}

// newVolumeName draws the name of an unnamed volume: 64 hex digits, as podman.
func newVolumeName() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

// volumesDir holds every volume's folder.
func (r *Runtime) volumesDir() string { return filepath.Join(r.store.GraphRoot(), "volumes") }

// VolumeMountpoint is the folder a volume's data is in (its _data).
func (r *Runtime) VolumeMountpoint(name string) string {
	return filepath.Join(r.volumesDir(), name, "_data")
}

func (r *Runtime) volumes() (*state.Collection[*Volume], error) {
	s, err := state.Open(filepath.Join(r.StateDir(), "state.db"), 0)
	if err != nil {
		return nil, err
	}
	return state.Of[*Volume](s, volumeSpec), nil
}

// lockVolume takes a volume's lock (whether or not it exists).
func (r *Runtime) lockVolume(ctx context.Context, name string) (*lock.Lock, error) {
	dir, err := r.locks()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	l, err := dir.Lock(ctx, "volume", name, lock.Exclusive)
	if err != nil {
		return nil, fmt.Errorf("locking volume %s: %w", name, err)
	}
	return l, nil
}

// getVolume reads the record of the volume with exactly this name (the store's
// lookup also takes id prefixes, which volume names must not be).
func getVolume(coll *state.Collection[*Volume], name string) (*Volume, error) {
	v, err := coll.Get(name)
	if err == nil && v.Name != name {
		err = state.ErrNotFound
	}
	if errors.Is(err, state.ErrNotFound) || errors.Is(err, state.ErrAmbiguous) {
		return nil, fmt.Errorf("no volume with name %q found: %w", name, ErrNoSuchVolume)
	}
	return v, err
}

// volumeSettings checks the driver and its options (volume_options.go) and makes
// the new volume's record.
func volumeSettings(o VolumeCreateOptions) (*Volume, error) {
	v := &Volume{Name: o.Name, Driver: o.Driver, Labels: map[string]string{}, Options: map[string]string{},
		NeedsCopyUp: true, NeedsChown: true}
	switch o.Driver {
	case "", "local":
		v.Driver = "local"
	case "image":
	default:
		return nil, unsupported("volume driver %q (volume plugins)", o.Driver)
	}
	for k, val := range o.Labels {
		v.Labels[k] = val
	}
	for k, val := range o.Options {
		v.Options[k] = val
	}
	if v.Driver == "image" {
		if o.UID != nil || o.GID != nil {
			return nil, fmt.Errorf("volume %s: --uid and --gid are for the local driver: %w", o.Name, errVolumeOptions)
		}
		if err := v.imageSettings(); err != nil {
			return nil, err
		}
		return v, nil
	}
	vo, err := parseLocalOptions(o.Options)
	if err != nil {
		return nil, err
	}
	if vo.copy != nil {
		v.NeedsCopyUp = *vo.copy
	}
	// --uid/--gid win over o=uid=/gid= (which are also mount options).
	for _, own := range []struct{ from, to *int }{{vo.uid, &v.UID}, {vo.gid, &v.GID}, {o.UID, &v.UID}, {o.GID, &v.GID}} {
		if own.from == nil {
			continue
		}
		if *own.from < 0 {
			return nil, fmt.Errorf("volume owner %d: IDs are not negative: %w", *own.from, errVolumeOptions)
		}
		*own.to, v.OwnerSet, v.NeedsChown = *own.from, true, false
	}
	if vo.mount != nil && vo.mount.bind {
		// A bind shows a host folder as it is: berth never changes its owner.
		v.NeedsChown = false
	}
	if vo.mount != nil && os.Geteuid() != 0 {
		return nil, fmt.Errorf("volume %s: mounting a file system (type=, device=) needs root", o.Name)
	}
	return v, nil
}

// CreateVolume creates a volume: its record and its empty folder. A name in use fails
// with ErrVolumeExists, unless Ignore, which returns the existing volume unchanged.
func (r *Runtime) CreateVolume(ctx context.Context, o VolumeCreateOptions) (*Volume, error) {
	v, _, err := r.createVolume(ctx, o)
	return v, err
}

// createVolume is CreateVolume; made says the volume is new.
func (r *Runtime) createVolume(ctx context.Context, o VolumeCreateOptions) (_ *Volume, made bool, _ error) {
	v, err := volumeSettings(o)
	if err != nil {
		return nil, false, err
	}
	v.Anonymous = o.anonymous
	if v.Name == "" {
		v.Name = newVolumeName()
	}
	if err := CheckVolumeName(v.Name); err != nil {
		return nil, false, err
	}
	l, err := r.lockVolume(ctx, v.Name)
	if err != nil {
		return nil, false, err
	}
	defer l.Unlock()
	coll, err := r.volumes()
	if err != nil {
		return nil, false, err
	}
	switch old, err := getVolume(coll, v.Name); {
	case err == nil && o.Ignore:
		return old, false, nil
	case err == nil:
		return nil, false, fmt.Errorf("volume with name %s already exists (--ignore uses it as it is): %w", v.Name, ErrVolumeExists)
	case !errors.Is(err, ErrNoSuchVolume):
		return nil, false, err
	}
	v.CreatedAt = time.Now().UTC()
	data := r.VolumeMountpoint(v.Name)
	// Under the lock and with no record, a folder there is a leftover of a create
	// that was killed: it is ours to reuse.
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, false, fmt.Errorf("creating volume %s: %w", v.Name, err)
	}
	undo := func(err error) error {
		if v.StorageID != "" {
			err = errors.Join(err, r.deleteVolumeStorage(v.StorageID))
		}
		return errors.Join(err, os.RemoveAll(filepath.Dir(data)))
	}
	if err := os.Chown(data, v.UID, v.GID); err != nil {
		return nil, false, undo(fmt.Errorf("creating volume %s: %w", v.Name, err))
	}
	if v.Driver == "image" {
		if err := r.makeImageVolume(v); err != nil {
			return nil, false, undo(err)
		}
	}
	if err := coll.Add(v); err != nil {
		return nil, false, undo(fmt.Errorf("creating volume %s: %w", v.Name, err))
	}
	return v, true, nil
}

// VolumeExists reports whether a volume has this name.
func (r *Runtime) VolumeExists(name string) (bool, error) {
	_, err := r.LookupVolume(name)
	if errors.Is(err, ErrNoSuchVolume) {
		return false, nil
	}
	return err == nil, err
}

// LookupVolume reads a volume's record.
func (r *Runtime) LookupVolume(name string) (*Volume, error) {
	coll, err := r.volumes()
	if err != nil {
		return nil, err
	}
	return getVolume(coll, name)
}
