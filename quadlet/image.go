package quadlet

import "time"

// .image units pull an image once (a oneshot service), so that containers and volumes
// can depend on the pull: `engine image pull [options] IMAGE`.

var imageTable = &Table{Section: "Image", Keys: concatKeys(
	[]Key{
		{Name: "Image", Kind: String, Converter: true, Arg: "quay.io/centos/centos:latest",
			Doc: "The image to pull, in any form `image pull` accepts (required)."},
		{Name: "ImageTag", Kind: String, Converter: true, Arg: "quay.io/centos/centos:latest",
			Doc: "The image's real name, used when other units refer to this one; for archive sources."},
		{Name: "AllTags", Kind: Bool, Flag: "--all-tags", Arg: "true",
			Doc: "Pull every tagged image of the repository."},
		{Name: "Arch", Kind: String, Flag: "--arch", Arg: "aarch64",
			Doc: "Pull the image for this architecture instead of the host's."},
		{Name: "OS", Kind: String, Flag: "--os", Arg: "windows",
			Doc: "Pull the image for this operating system instead of the host's."},
		{Name: "Variant", Kind: String, Flag: "--variant", Arg: "arm/v7",
			Doc: "Pull this architecture variant instead of the host's."},
		{Name: "Policy", Kind: String, Flag: "--policy", Apply: applyEnum(pullPolicies), Arg: "always",
			Doc: "When to pull: always, missing, never or newer."},
	},
	registryKeys("AuthFile", "CertDir", "Creds", "DecryptionKey", "Retry", "RetryDelay", "TLSVerify"),
	common("ContainersConfModule", "GlobalArgs", "PodmanArgs", "ServiceName"),
)}

// pullPolicies are the values of the pull policy keys (Policy=, Pull=).
var pullPolicies = []string{"always", "missing", "never", "newer"}

func init() {
	register(&unitType{ext: ".image", table: imageTable, convert: convertImage, resource: imageName})
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

func convertImage(c *Conv) {
	image, _ := c.String("Image")
	if image == "" {
		c.Errorf("Image", "no Image key specified")
		return
	}
	c.Add("image", "pull")
	c.ApplyKeys()
	c.Add(c.PodmanArgs()...)
	c.Add(image)
	oneshotService(c)
}

// oneshotService finishes the services that make something once and then count as
// active (.image, .build, .artifact): they stay "active" so that dependents start.
func oneshotService(c *Conv) {
	c.Exec("ExecStart", "", c.Args...)
	resourceServiceDefaults(c, true)
}

// registryRowsAll are the keys about talking to a registry, shared by the unit types
// that pull (.image, .artifact) or may pull (.build).
var registryRowsAll = []Key{
	{Name: "AuthFile", Kind: String, Flag: "--authfile", Arg: "/etc/registry/auth.json",
		Doc: "Path of the registry authentication file."},
	{Name: "CertDir", Kind: String, Flag: "--cert-dir", Arg: "/etc/registry/certs",
		Doc: "Folder of certificates (*.crt, *.cert, *.key) for the registry."},
	{Name: "Creds", Kind: String, Flag: "--creds", Arg: "myname:mypassword",
		Doc: "Credentials, [username[:password]], for the registry."},
	{Name: "DecryptionKey", Kind: String, Flag: "--decryption-key", Arg: "/etc/registry.key",
		Doc: "Key[:passphrase] to decrypt encrypted images with."},
	{Name: "Retry", Kind: Int, Flag: "--retry", Arg: "5",
		Doc: "How many times to retry a failed pull (default 3)."},
	{Name: "RetryDelay", Kind: String, Flag: "--retry-delay", Apply: durationFlag, Arg: "10s",
		Doc: "Fixed delay between retries, instead of an exponential back-off."},
	{Name: "TLSVerify", Kind: BoolValue, Flag: "--tls-verify", Arg: "false",
		Doc: "Require HTTPS and verify the registry's certificates (default true)."},
}

// registryKeys returns the rows of registryRowsAll with the given names.
func registryKeys(names ...string) []Key {
	var out []Key
	for _, n := range names {
		for _, k := range registryRowsAll {
			if k.Name == n {
				out = append(out, k)
			}
		}
	}
	return out
}

// concatKeys joins groups of rows into one table's rows.
func concatKeys(groups ...[]Key) []Key {
	var out []Key
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// durationFlag is an Apply for keys holding a Go duration ("10s", "1m30s"), as the
// engine's flags read them.
func durationFlag(c *Conv, k *Key) {
	v, _ := c.String(k.Name)
	if v == "" {
		return
	}
	if _, err := time.ParseDuration(v); err != nil {
		c.Errorf(k.Name, "invalid %s=%s: not a duration such as 10s or 1m30s", k.Name, v)
		return
	}
	c.Flag(k.Flag, v)
}
