package quadlet

import (
	"path/filepath"
	"strings"

	"github.com/berth-containers/berth/units"
)

// .build units build an image once (a oneshot service), so that containers and volumes
// can use a locally built image: `engine build [options] [--file F] [CONTEXT]`.

var buildTable = &Table{Section: "Build", Keys: concatKeys([]Key{
	{Name: "ImageTag", Kind: Lines, Converter: true, Arg: "localhost/imagename",
		Doc: "Name of the built image, as --tag; repeat for more names (at least one required)."},
	{Name: "File", Kind: String, Converter: true, Arg: "/path/to/Containerfile",
		Doc: "The Containerfile: a path (relative needs SetWorkingDirectory=) or an http(s) URL."},
	{Name: "SetWorkingDirectory", Kind: String, Converter: true, Arg: "unit",
		Doc: "Build context: unit or file (their folder, also the service's WorkingDirectory), a path or a URL."},
	shared("Annotation"), shared("Arch"),
	{Name: "BuildArg", Kind: KeyValue, Flag: "--build-arg", Arg: "name=value",
		Doc: "Set build-time variables (ARG) of the Containerfile."},
	shared("DNS").withDoc("A DNS server for RUN instructions (--dns)."),
	shared("DNSOption").withDoc("A resolv.conf option for RUN instructions (--dns-option)."),
	shared("DNSSearch").withDoc("A DNS search domain for RUN instructions (--dns-search)."),
	shared("Environment").withDoc("Environment variables set in the built image (--env)."),
	{Name: "ForceRM", Kind: BoolValue, Flag: "--force-rm", Arg: "false",
		Doc: "Remove intermediate containers even when the build fails (default true)."},
	shared("GroupAdd").withDoc("A supplementary group for RUN instructions, or keep-groups (--group-add)."),
	{Name: "IgnoreFile", Kind: String, Flag: "--ignorefile", Arg: "/path/to/.containerignore",
		Doc: "Use this ignore file instead of the context's .containerignore."},
	shared("Label"),
	{Name: "Network", Kind: String, Flag: "--network", Apply: applyBuildNetwork, Arg: "host",
		Doc: "Network mode for RUN instructions; NAME.network uses that unit's network."},
	{Name: "Pull", Kind: String, Flag: "--pull=", Apply: applyEnum(append(pullPolicies, "true", "false")),
		Arg: "never", Doc: "When to pull base images: always, missing, never or newer."},
	{Name: "Secret", Kind: Lines, Flag: "--secret", Arg: "id=mysecret,src=path",
		Doc: "Pass a secret to the build, for RUN --mount=type=secret."},
	{Name: "Target", Kind: String, Flag: "--target", Arg: "my-app",
		Doc: "Build up to this stage of a multi-stage Containerfile."},
	shared("Variant"),
	shared("Volume").withDoc("Mount a host path or volume into RUN instructions; NAME.volume uses that unit's volume (--volume)."),
	shared("AuthFile"), shared("Retry"), shared("RetryDelay"), shared("TLSVerify"),
}, commonKeys)}

func init() {
	register(&unitType{ext: ".build", table: buildTable, convert: convertBuild, resource: builtImageName})
}

// builtImageName is the name other units use for the built image: its first tag.
func builtImageName(s *Source) string {
	if tags := s.File.All("Build", "ImageTag"); len(tags) > 0 {
		return units.TrimQuotes(tags[0])
	}
	return ""
}

func convertBuild(c *Conv) {
	tags := c.Lines("ImageTag")
	if len(tags) == 0 {
		c.Errorf("ImageTag", "no ImageTag key specified")
		return
	}
	file, _ := c.String("File")
	context, file, ok := buildContext(c, file)
	if !ok {
		return
	}
	c.Add("build")
	for _, t := range tags {
		c.Flag("--tag", t)
	}
	c.ApplyKeys()
	c.Add(c.PodmanArgs()...)
	if file != "" {
		c.Flag("--file", file)
	}
	if context != "" {
		c.Add(context)
	}
	oneshotService(c, true)
}

// buildContext works out the build's context argument from SetWorkingDirectory= and
// sets the service's WorkingDirectory (unless the user set one), so that relative paths
// of the unit resolve against the unit's folder. It also returns the File= to pass.
func buildContext(c *Conv, file string) (context, fileArg string, ok bool) {
	swd, _ := c.String("SetWorkingDirectory")
	userWD := userWorkingDir(c)
	relFile := file != "" && !isURL(file) && resolveUnitPath(c, file) != file
	if swd == "" {
		switch {
		case file == "" && !userWD:
			c.Errorf("", "neither SetWorkingDirectory, nor File key specified")
			return "", "", false
		case relFile && !userWD:
			c.Errorf("File", "relative path in File key requires SetWorkingDirectory key to be set")
			return "", "", false
		}
		return "", file, true
	}
	dir, fileArg := filepath.Dir(c.File.Path), file
	switch strings.ToLower(swd) {
	case "unit":
		context = dir
	case "file":
		if file == "" || isURL(file) {
			c.Errorf("SetWorkingDirectory", "SetWorkingDirectory=file requires a File key with a local path")
			return "", "", false
		}
		dir = filepath.Dir(resolveUnitPath(c, file))
		context = dir
		if relFile {
			// The service runs in the file's folder, so the file is named from there.
			fileArg = filepath.Base(file)
		}
	default:
		if isURL(swd) {
			// The engine fetches the context itself; there is no local folder to run in.
			return swd, file, true
		}
		// A path, passed as written: the service runs in the unit's folder, which is
		// what a relative path is relative to.
		context = swd
	}
	if !userWD {
		c.Service.Add("Service", "WorkingDirectory", dir)
	}
	return context, fileArg, true
}

// userWorkingDir tells whether the user set WorkingDirectory= in [Service], which wins
// over the one that SetWorkingDirectory= asks for.
func userWorkingDir(c *Conv) bool {
	v, set := c.File.Lookup("Service", "WorkingDirectory")
	return set && v != ""
}

// isURL tells whether a build context or Containerfile is remote: an http(s) URL (a
// Containerfile or an archive) or a git repository.
func isURL(s string) bool {
	for _, p := range []string{"http://", "https://", "git://", "github.com/", "git@"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// applyBuildNetwork translates Network=, resolving a .network unit to its network.
func applyBuildNetwork(c *Conv, k *Key) {
	if v, _ := c.String(k.Name); v != "" {
		c.Flag(k.Flag, buildNetworkRef(c, v))
	}
}

// buildNetworkRef resolves Network=NAME.network to that unit's network, with a
// dependency on its service. As documented for .build, a .network file that is not
// known still gives podman's default name, systemd-NAME, and NAME-network.service.
func buildNetworkRef(c *Conv, v string) string {
	if filepath.Ext(v) != ".network" {
		return v
	}
	c.Depend(v)
	if name, ok := c.R.Resource(v); ok && name != "" {
		return name
	}
	return "systemd-" + strings.TrimSuffix(v, ".network")
}
