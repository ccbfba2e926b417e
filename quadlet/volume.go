package quadlet

import (
	"strconv"
	"strings"

	"github.com/berth-containers/berth/units"
)

// volumeTable is the [Volume] section of podman-volume.unit(5). Most rows without a Flag
// are options of the local driver (or the image driver's image), given as --opt words.
var volumeTable = &Table{Section: "Volume", Keys: concatKeys([]Key{
	{Name: "VolumeName", Kind: String, Converter: true, Arg: "name",
		Doc: "The name of the volume, instead of systemd-<unit name>."},
	{Name: "UID", Kind: Int, Flag: "--uid", Arg: "uid",
		Doc: "The UID that owns the volume, without passing it to the mount (--uid)."},
	{Name: "GID", Kind: Int, Flag: "--gid", Arg: "gid",
		Doc: "The GID that owns the volume, without passing it to the mount (--gid)."},
	{Name: "Driver", Kind: String, Flag: "--driver", Arg: "image",
		Doc: "The volume driver; with \"image\" the volume is backed by Image=."},
	{Name: "Image", Kind: String, Converter: true, Arg: "quay.io/centos/centos:latest",
		Doc: "The image behind an image-driver volume, or a .image/.build unit that makes it."},
	{Name: "Copy", Kind: Bool, Apply: applyVolumeCopy, Arg: "true",
		Doc: "Copy the image's content at the mount point into the volume on first use (--opt copy|nocopy)."},
	{Name: "Device", Kind: String, Apply: applyVolumeDevice, Arg: "/dev/vda1",
		Doc: "The device (or path) mounted as the volume (--opt device=)."},
	{Name: "Type", Kind: String, Apply: applyVolumeType, Arg: "btrfs",
		Doc: "The file system type of Device=, as mount -t (--opt type=)."},
	{Name: "User", Kind: String, Converter: true, Arg: "123",
		Doc: "The numeric UID (or root) owning the volume, passed as the mount option uid=."},
	{Name: "Group", Kind: String, Converter: true, Arg: "192",
		Doc: "The numeric GID (or root) owning the volume, passed as the mount option gid=."},
	{Name: "Options", Kind: String, Converter: true, Arg: "rw,compress=zstd",
		Doc: "Mount options for Device=, as mount -o (--opt o=)."},
	shared("Label"),
}, commonKeys)}

func init() {
	register(&unitType{ext: ".volume", table: volumeTable, convert: convertVolume, resource: volumeName})
}

var volumeName = namedBy("Volume", "VolumeName")

// convertVolume makes a oneshot service that creates the volume unless it exists. It
// sets no RemainAfterExit, so that starting a unit that needs the volume creates it
// again after someone removed it (podman does the same since its issue 27862).
func convertVolume(c *Conv) {
	name := volumeName(c.Src)
	c.Add("volume", "create", "--ignore")
	c.ApplyKeys()
	if volumeImageDriver(c) {
		volumeImageOpt(c)
	} else {
		volumeMountOpt(c)
	}
	c.Add(c.PodmanArgs()...)
	c.Add(name)
	oneshotService(c, false)
}

func volumeImageDriver(c *Conv) bool {
	d, _ := c.String("Driver")
	return d == "image"
}

// volumeImageOpt adds the image of an image-driver volume; a .image or .build unit
// stands for the image it pulls or builds, and the volume waits for it.
func volumeImageOpt(c *Conv) {
	img, _ := c.String("Image")
	if img == "" {
		c.Errorf("Driver", "the key Image is mandatory when using the image driver")
		return
	}
	if strings.HasSuffix(img, ".image") || strings.HasSuffix(img, ".build") {
		name, ok := c.R.Resource(img)
		if !ok {
			c.Errorf("Image", "requested Quadlet image %s was not found", img)
			return
		}
		c.Depend(img)
		img = name
	}
	c.Flag("--opt", "image="+img)
	for _, k := range []string{"Device", "Type", "Options", "User", "Group", "Copy"} {
		if v, ok := c.String(k); ok && v != "" {
			c.Warnf(k, "%s= is ignored with Driver=image", k)
		}
	}
}

// volumeMountOpt adds --opt o=... from User=, Group= and Options=, in that order.
func volumeMountOpt(c *Conv) {
	if img, ok := c.String("Image"); ok && img != "" {
		c.Warnf("Image", "Image= is ignored unless Driver=image")
	}
	var opts []string
	for _, id := range []struct{ key, opt string }{{"User", "uid"}, {"Group", "gid"}} {
		v, ok := c.String(id.key)
		if !ok || v == "" {
			continue
		}
		n, ok := volumeOwnerID(v)
		if !ok {
			c.Errorf(id.key, "%s=%s: not a numeric ID (names other than root are not resolved)", id.key, v)
			continue
		}
		opts = append(opts, id.opt+"="+n)
	}
	if o, ok := c.String("Options"); ok && o != "" {
		opts = append(opts, o)
	}
	if len(opts) > 0 {
		c.Flag("--opt", "o="+strings.Join(opts, ","))
	}
}

// volumeOwnerID reads a UID or GID: a number, or root, the one name that is the same on
// every system (the generator reads no /etc/passwd).
func volumeOwnerID(v string) (string, bool) {
	if v == "root" {
		return "0", true
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}

func applyVolumeCopy(c *Conv, k *Key) {
	v, ok := c.Bool(k.Name)
	if !ok || volumeImageDriver(c) {
		return
	}
	if v {
		c.Flag("--opt", "copy")
	} else {
		c.Flag("--opt", "nocopy")
	}
}

func applyVolumeDevice(c *Conv, k *Key) {
	if dev, _ := c.String(k.Name); dev != "" && !volumeImageDriver(c) {
		c.Flag("--opt", "device="+dev)
	}
}

// applyVolumeType adds the file system type, which only means something with a device;
// a bind "device" is a path that must be mounted before the volume is.
func applyVolumeType(c *Conv, k *Key) {
	typ, _ := c.String(k.Name)
	if typ == "" || volumeImageDriver(c) {
		return
	}
	dev, _ := c.String("Device")
	if dev == "" {
		c.Errorf(k.Name, "key Type can't be used without Device")
		return
	}
	c.Flag("--opt", "type="+typ)
	if typ == "bind" {
		c.Service.Add("Unit", "RequiresMountsFor", units.QuoteWord(dev))
	}
}
