package engine

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The local driver's --opt values, as podman-volume-create(1) has them: type=,
// device= and o= mount a file system on the volume's folder as mount(8) would
// (mount -t TYPE -o O DEVICE FOLDER); o= also takes podman's own uid=, gid= and
// nocopy, which are not mount(8) options; [no]copy sets the copy-up.

// localOptions are the local driver's options, read.
type localOptions struct {
	copy     *bool        // copy=, nocopy, o=nocopy
	uid, gid *int         // o=uid=, o=gid=
	mount    *volumeMount // nil: the volume is a plain folder
}

// volumeMount is the file system a local volume mounts on its folder while used.
type volumeMount struct {
	fsType, device string
	options        []string // mount(8)'s -o, without podman's extras
	bind           bool     // type=none o=bind (or type=bind): a host folder
}

// ownerOptionTypes are the file systems whose mount options include uid= and gid=:
// there o=uid=/gid= go to mount(8) too, as podman passes them; other file systems
// would refuse them, so berth gives the mounted root that owner itself.
var ownerOptionTypes = []string{"tmpfs", "vfat", "msdos", "fat", "exfat", "ntfs", "ntfs3", "iso9660", "udf",
	"hfs", "hfsplus", "cifs", "smb3"}

// parseLocalOptions reads the local driver's --opt map.
func parseLocalOptions(opts map[string]string) (*localOptions, error) {
	lo := &localOptions{}
	m := &volumeMount{fsType: opts["type"], device: opts["device"]}
	hasMount := m.fsType != "" || m.device != ""
	for k, val := range opts {
		switch k {
		case "copy", "nocopy":
			if _, both := opts["copy"]; both && k == "nocopy" {
				return nil, fmt.Errorf("volume options copy and nocopy contradict each other: %w", errVolumeOptions)
			}
			b := true
			if val != "" {
				var err error
				if b, err = strconv.ParseBool(val); err != nil {
					return nil, fmt.Errorf("volume option %s=%q is not a boolean: %w", k, val, errVolumeOptions)
				}
			}
			b = b == (k == "copy")
			lo.copy = &b
		case "type", "device":
			if val == "" {
				return nil, fmt.Errorf("volume option %s= has no value: %w", k, errVolumeOptions)
			}
		case "o":
		case "image":
			return nil, fmt.Errorf("volume option image= is the image driver's (--driver image): %w", errVolumeOptions)
		default:
			return nil, fmt.Errorf("volume option %q: the local driver takes type, device, o and [no]copy: %w", k, errVolumeOptions)
		}
	}
	for _, opt := range strings.Split(opts["o"], ",") {
		k, val, _ := strings.Cut(opt, "=")
		switch k {
		case "":
		case "uid", "gid":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("volume option o=%s: %s=%q is not a number: %w", opts["o"], k, val, errVolumeOptions)
			}
			if k == "uid" {
				lo.uid = &n
			} else {
				lo.gid = &n
			}
			if slices.Contains(ownerOptionTypes, m.fsType) {
				m.options = append(m.options, opt)
			}
		case "nocopy":
			b := false
			lo.copy = &b
		case "noquota":
			// berth sets no quota on a volume: there is none to turn off.
		case "timeout":
			return nil, unsupported("volume option o=%s (a timeout of volume plugins)", opt)
		case "size", "inodes":
			if !hasMount {
				return nil, unsupported("volume option o=%s on a folder (a quota needs XFS project quotas)", opt)
			}
			m.options = append(m.options, opt)
		default:
			if !hasMount {
				return nil, fmt.Errorf("volume option o=%s: mount options need type= or device=: %w", opt, errVolumeOptions)
			}
			m.bind = m.bind || k == "bind" || k == "rbind"
			m.options = append(m.options, opt)
		}
	}
	if !hasMount {
		return lo, nil
	}
	if m.fsType == "bind" {
		m.bind = true
	}
	if m.bind && !filepath.IsAbs(m.device) {
		return nil, fmt.Errorf("volume option device=%q: a bind needs the absolute path of a host folder: %w", m.device, errVolumeOptions)
	}
	lo.mount = m
	return lo, nil
}

// mountArgs are mount(8)'s arguments that mount m on target.
func (m *volumeMount) mountArgs(target string) []string {
	var args []string
	opts := m.options
	switch m.fsType {
	case "bind":
		if !slices.Contains(opts, "bind") && !slices.Contains(opts, "rbind") {
			opts = append([]string{"bind"}, opts...)
		}
	case "":
	default:
		args = append(args, "-t", m.fsType)
	}
	if len(opts) > 0 {
		args = append(args, "-o", strings.Join(opts, ","))
	}
	device := m.device
	if device == "" {
		// A file system without a device (tmpfs) still needs a source name.
		device = m.fsType
	}
	return append(args, "--", device, target)
}

// hasFileSystem says the volume's content is a file system mounted on its folder while
// used (type=/device=, or the image driver), not the folder itself.
func (v *Volume) hasFileSystem() bool {
	return v.Driver == "image" || v.Options["type"] != "" || v.Options["device"] != ""
}
