package quadlet

// .image units pull an image once (a oneshot service), so that containers and volumes
// can depend on the pull: `engine image pull [options] IMAGE`.

var imageTable = &Table{Section: "Image", Keys: concatKeys([]Key{
	{Name: "Image", Kind: String, Converter: true, Arg: "quay.io/centos/centos:latest",
		Doc: "The image to pull, in any form `image pull` accepts (required)."},
	{Name: "ImageTag", Kind: String, Converter: true, Arg: "quay.io/centos/centos:latest",
		Doc: "The image's real name, used when other units refer to this one; for archive sources."},
	{Name: "AllTags", Kind: Bool, Flag: "--all-tags", Arg: "true",
		Doc: "Pull every tagged image of the repository."},
	shared("Arch"),
	{Name: "OS", Kind: String, Flag: "--os", Arg: "windows",
		Doc: "Pull the image for this operating system instead of the host's."},
	shared("Variant"),
	{Name: "Policy", Kind: String, Flag: "--policy", Apply: applyEnum(pullPolicies), Arg: "always",
		Doc: "When to pull: always, missing, never or newer."},
	shared("AuthFile"), shared("CertDir"), shared("Creds"), shared("DecryptionKey"),
	shared("Retry"), shared("RetryDelay"), shared("TLSVerify"),
}, commonKeys)}

// pullPolicies are the values of the pull policy keys (Policy=, Pull=).
var pullPolicies = []string{"always", "missing", "never", "newer"}

func init() {
	register(&unitType{ext: ".image", table: imageTable, resource: imageName,
		convert: func(c *Conv) { convertPull(c, "Image", "image", "pull") }})
}

// imageName is the name other units use for the pulled image: ImageTag= when set (the
// source may be an archive, whose name says nothing), else Image=.
func imageName(s *Source) string {
	if v, ok := s.File.Get("Image", "ImageTag"); ok && v != "" {
		return v
	}
	v, _ := s.File.Get("Image", "Image")
	return v
}

// convertPull makes the oneshot service of a unit that pulls something once (.image,
// .artifact): `engine CMD... [options] REF`, REF being the value of the required key.
func convertPull(c *Conv, key string, cmd ...string) {
	ref, _ := c.String(key)
	if ref == "" {
		c.Errorf(key, "no %s key specified", key)
		return
	}
	c.Add(cmd...)
	c.ApplyKeys()
	c.Add(c.PodmanArgs()...)
	c.Add(ref)
	oneshotService(c, true)
}
