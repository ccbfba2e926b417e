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
	"strconv"
	"strings"
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
}

// ObjectID and ObjectName make Volume a state.Record: a volume's name is its id.
func (v *Volume) ObjectID() string   { return v.Name }
func (v *Volume) ObjectName() string { return "" }

var volumeSpec = state.Spec{Kind: state.KindVolume, Version: 1}

// VolumeCreateOptions are podman volume create's.
type VolumeCreateOptions struct {
	Name    string // empty: a random name (64 hex digits, as podman)
	Driver  string // "" or "local"
	Labels  map[string]string
	Options map[string]string // --opt KEY=VALUE (nocopy and copy may have no value)
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

// volumeSettings checks the driver and its options: the local driver's o=uid=/gid=
// and [no]copy. Mounting a file system (type=, device=, other o= options) and the
// image driver are not supported yet.
func volumeSettings(o VolumeCreateOptions) (*Volume, error) {
	v := &Volume{Name: o.Name, Driver: o.Driver, Labels: map[string]string{}, Options: map[string]string{}, NeedsCopyUp: true}
	switch o.Driver {
	case "", "local":
		v.Driver = "local"
	case "image":
		return nil, unsupported("volume driver %q", o.Driver)
	default:
		return nil, unsupported("volume driver %q (volume plugins)", o.Driver)
	}
	for k, val := range o.Labels {
		v.Labels[k] = val
	}
	v.NeedsChown = true
	for k, val := range o.Options {
		v.Options[k] = val
		switch k {
		case "copy", "nocopy":
			b := true
			if val != "" {
				var err error
				if b, err = strconv.ParseBool(val); err != nil {
					return nil, fmt.Errorf("volume option %s=%q is not a boolean: %w", k, val, errVolumeOptions)
				}
			}
			v.NeedsCopyUp = b == (k == "copy")
		case "type", "device":
			return nil, unsupported("volume option %s= (mounting a file system on the volume)", k)
		case "o":
			if err := v.mountOptions(val); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("volume option %q: the local driver takes type, device, o and [no]copy: %w", k, errVolumeOptions)
		}
	}
	return v, nil
}

// mountOptions reads o=: uid= and gid= set the owner of the volume's folder; the
// options of a mount need type= and device=, which are not supported yet.
func (v *Volume) mountOptions(list string) error {
	for _, opt := range strings.Split(list, ",") {
		k, val, _ := strings.Cut(opt, "=")
		switch k {
		case "uid", "gid":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return fmt.Errorf("volume option o=%s: %s=%q is not a number: %w", list, k, val, errVolumeOptions)
			}
			if k == "uid" {
				v.UID = n
			} else {
				v.GID = n
			}
			v.NeedsChown = false
		case "":
		default:
			return unsupported("volume option o=%s (mount options)", opt)
		}
	}
	return nil
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
	if err := os.Chown(data, v.UID, v.GID); err != nil {
		return nil, false, errors.Join(fmt.Errorf("creating volume %s: %w", v.Name, err), os.RemoveAll(filepath.Dir(data)))
	}
	if err := coll.Add(v); err != nil {
		return nil, false, errors.Join(fmt.Errorf("creating volume %s: %w", v.Name, err), os.RemoveAll(filepath.Dir(data)))
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
