package quadlet

import (
	"encoding/csv"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// References from a .container to other Quadlet units: the image, volumes, mounts,
// networks and the pod. Each resolves to the name of the object the other unit makes,
// and the container's service then requires and starts after that unit's service.

// refResource resolves a reference to another Quadlet unit (kind is what it is to the
// user: "image", "volume"...), adds the dependency, and reports a missing unit as an
// error on key.
func refResource(c *Conv, key, kind, ref string) (string, bool) {
	name, ok := c.R.Resource(ref)
	if !ok {
		c.Errorf(key, "requested Quadlet %s %s was not found", kind, ref)
		return "", false
	}
	if svc := c.R.ServiceName(ref); !slices.Contains(c.Service.All("Unit", "Requires"), svc) ||
		!slices.Contains(c.Service.All("Unit", "After"), svc) {
		c.Depend(ref) // once, however many keys name the unit
	}
	return name, true
}

// containerImage returns the words that name what the container runs: the image, or
// --rootfs and a path.
func containerImage(c *Conv) ([]string, bool) {
	image, _ := c.String("Image")
	rootfs, _ := c.String("Rootfs")
	switch {
	case image == "" && rootfs == "":
		c.Errorf("", "no Image or Rootfs key specified")
		return nil, false
	case image != "" && rootfs != "":
		c.Errorf("Rootfs", "the Image and Rootfs keys conflict and cannot be used together")
		return nil, false
	case rootfs != "":
		return []string{"--rootfs", rootfs}, true
	}
	if ext := filepath.Ext(image); ext == ".image" || ext == ".build" {
		name, ok := refResource(c, "Image", "image", image)
		return []string{name}, ok
	}
	if !fullyQualified(image) {
		c.Warnf("Image", "%s specifies the image %q which not a fully qualified image name. "+
			"This is not ideal for performance and security reasons. "+
			"See the podman-pull manpage discussion of short-name-aliases.conf for details.", c.Src.Name, image)
	}
	return []string{image}, true
}

var imageID = regexp.MustCompile(`^(sha256:)?[0-9a-f]{64}$`)

// fullyQualified tells whether an image reference names its registry
// ("quay.io/x", "localhost/x", "host:5000/x"), or is an image ID.
func fullyQualified(image string) bool {
	if imageID.MatchString(image) {
		return true
	}
	first, _, found := strings.Cut(image, "/")
	if !found {
		return false
	}
	return first == "localhost" || strings.ContainsAny(first, ".:")
}

// applyPod joins the pod of a Quadlet .pod unit. The container's service is bound to the
// pod's: it stops with it, and starts after it.
func applyPod(c *Conv) {
	pod, _ := c.String("Pod")
	if pod == "" {
		return
	}
	if filepath.Ext(pod) != ".pod" {
		c.Errorf("Pod", "pod %s is not Quadlet based", pod)
		return
	}
	name, ok := c.R.Resource(pod)
	if !ok {
		c.Errorf("Pod", "requested Quadlet pod %s was not found", pod)
		return
	}
	svc := c.R.ServiceName(pod)
	c.Service.Add("Unit", "BindsTo", svc)
	c.Service.Add("Unit", "After", svc)
	c.Flag("--pod", name)
}

// applyContainerVolumes handles Volume=[SOURCE:]DEST[:OPTIONS]: a source starting with "." is a
// path relative to the unit file, an absolute one must be mounted before the service
// starts, and name.volume is the volume of that Quadlet unit.
func applyContainerVolumes(c *Conv, k *Key) {
	for _, v := range c.Lines(k.Name) {
		src, rest, hasDest := strings.Cut(v, ":")
		if hasDest && src != "" {
			var ok bool
			if src, ok = volumeSource(c, k.Name, src); !ok {
				continue
			}
			v = src + ":" + rest
		}
		c.Flag(k.Flag, v)
	}
}

func volumeSource(c *Conv, key, src string) (string, bool) {
	switch {
	case strings.HasPrefix(src, "."):
		src = resolveUnitPath(c, src)
	case strings.HasSuffix(src, ".volume"):
		return refResource(c, key, "volume", src)
	}
	if strings.HasPrefix(src, "/") {
		c.Service.Add("Unit", "RequiresMountsFor", src)
	}
	return src, true
}

// mountRefTypes are the Quadlet units that a Mount= source of each type may name.
var mountRefTypes = map[string]map[string]string{
	"volume":   {".volume": "volume"},
	"image":    {".image": "image", ".build": "image"},
	"artifact": {".artifact": "artifact"},
}

// applyMounts handles Mount=type=TYPE,...: sources naming Quadlet units are resolved,
// and bind sources are paths like Volume='s.
func applyMounts(c *Conv, k *Key) {
	for _, m := range c.Words(k.Name) {
		if out, ok := resolveMount(c, k.Name, m); ok {
			c.Flag(k.Flag, out)
		}
	}
}

func resolveMount(c *Conv, key, spec string) (string, bool) {
	r := csv.NewReader(strings.NewReader(spec))
	r.LazyQuotes = true
	fields, err := r.Read()
	if err != nil {
		c.Errorf(key, "invalid mount %q: %v", spec, err)
		return "", false
	}
	typ, srcIdx := "volume", -1
	for i, f := range fields {
		name, val, _ := strings.Cut(f, "=")
		switch name {
		case "type":
			typ = val
		case "source", "src":
			srcIdx = i
		}
	}
	if srcIdx < 0 {
		if typ == "image" || typ == "bind" || typ == "artifact" || typ == "glob" {
			c.Errorf(key, "source parameter is required for mount type %s", typ)
			return "", false
		}
		return spec, true
	}
	name, src, _ := strings.Cut(fields[srcIdx], "=")
	orig := src
	if kind, ok := mountRefTypes[typ][filepath.Ext(src)]; ok {
		if src, ok = refResource(c, key, kind, src); !ok {
			return "", false
		}
	} else if typ == "bind" {
		src = resolveUnitPath(c, src)
		c.Service.Add("Unit", "RequiresMountsFor", src)
	}
	if src == orig {
		return spec, true // keep the user's own quoting
	}
	fields[srcIdx] = name + "=" + src
	return joinCSV(fields), true
}

// joinCSV joins fields with commas, quoting those that need it.
func joinCSV(fields []string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(fields) // a strings.Builder does not fail
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// applyNetworks handles Network=MODE[:OPTIONS]: name.network is the network of that
// Quadlet unit, and name.container shares the network stack of that unit's container.
func applyNetworks(c *Conv, k *Key) {
	for _, v := range c.Lines(k.Name) {
		mode, opts, hasOpts := strings.Cut(v, ":")
		switch filepath.Ext(mode) {
		case ".network":
			name, ok := refResource(c, k.Name, "network", mode)
			if !ok {
				continue
			}
			mode = name
		case ".container":
			name, ok := refResource(c, k.Name, "container", mode)
			if !ok {
				continue
			}
			mode = "container:" + name
		}
		if hasOpts {
			mode += ":" + opts
		}
		c.Flag(k.Flag, mode)
	}
}
