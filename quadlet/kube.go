package quadlet

import (
	"path/filepath"
	"strings"
)

// .kube units run Kubernetes YAML under systemd: `engine kube play` starts the pods
// with a service container that notifies systemd, and `engine kube down` removes them.

var kubeTable = &Table{Section: "Kube", Keys: concatKeys([]Key{
	{Name: "Yaml", Kind: Lines, Converter: true, Arg: "/tmp/kube.yaml",
		Doc: "The Kubernetes YAML file, absolute or relative to the unit file; repeatable (required)."},
	{Name: "SetWorkingDirectory", Kind: String, Converter: true, Arg: "yaml",
		Doc: "Set the service's WorkingDirectory to the folder of the YAML file (yaml) or of the unit (unit)."},
	{Name: "KubeDownForce", Kind: Bool, Converter: true, Arg: "true",
		Doc: "Also remove volumes when the service stops (kube down --force)."},
	{Name: "AutoUpdate", Kind: Lines, Flag: "--annotation", Apply: applyKubeAutoUpdate, Arg: "registry",
		Doc: "Auto-update policy, registry or local, optionally for one container: NAME/registry."},
	{Name: "ConfigMap", Kind: Lines, Flag: "--configmap", Apply: applyRelPath, Arg: "/tmp/config.map",
		Doc: "A Kubernetes ConfigMap YAML file, absolute or relative to the unit file; repeatable."},
	{Name: "ExitCodePropagation", Kind: String, Flag: "--service-exit-code-propagation=",
		Apply: applyEnum([]string{"all", "any", "none"}), Arg: "any",
		Doc: "Exit non-zero when all or any container failed, or never (none, the default)."},
	shared("LogDriver"), shared("LogOpt"), shared("Network"),
	shared("PublishPort").withDoc("Publish a container port to the host, merged with the YAML's ports (--publish)."),
	shared("UserNS"),
	shared("RemapUsers").withDoc("Deprecated, use UserNS=: auto or keep-id, refined by RemapUid=, RemapGid=, RemapUidSize=."),
	shared("RemapUid").withDoc("Deprecated: with RemapUsers=auto a uidmapping, with keep-id the uid."),
	shared("RemapGid").withDoc("Deprecated: with RemapUsers=auto a gidmapping, with keep-id the gid."),
	shared("RemapUidSize"),
}, commonKeys)}

func init() {
	register(&unitType{ext: ".kube", table: kubeTable, convert: convertKube})
}

func convertKube(c *Conv) {
	yamls := c.Lines("Yaml")
	if len(yamls) == 0 {
		c.Errorf("Yaml", "no Yaml key specified")
		return
	}
	for i, y := range yamls {
		if !isURL(y) {
			yamls[i] = resolveUnitPath(c, y)
		}
	}
	wd, ok := kubeWorkingDir(c, yamls)
	if !ok {
		return
	}
	c.Add("kube", "play", "--replace", "--service-container=true")
	c.ApplyKeys()
	// kube play has no --uidmap/--gidmap: RemapUsers=manual cannot be expressed.
	applyUserMappings(c, false)
	c.Add(c.PodmanArgs()...)
	c.Add(yamls...)

	c.Service.Add("Unit", "RequiresMountsFor", "%t/containers")
	c.SetDefault("Service", "KillMode", "mixed")
	c.Service.Add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
	// The service container tells systemd when the pods are up.
	c.SetDefault("Service", "Type", "notify")
	c.SetDefault("Service", "NotifyAccess", "all")
	c.SetDefault("Service", "SyslogIdentifier", "%N")
	if wd != "" {
		c.Service.Add("Service", "WorkingDirectory", wd)
	}
	c.Exec("ExecStart", "", c.Args...)
	down := []string{"kube", "down"}
	if c.BoolOr("KubeDownForce", false) {
		down = append(down, "--force")
	}
	c.Exec("ExecStopPost", "", append(down, yamls...)...)
}

// kubeWorkingDir returns the WorkingDirectory that SetWorkingDirectory= asks for, or ""
// when there is none or the user set WorkingDirectory= in [Service] themselves.
func kubeWorkingDir(c *Conv, yamls []string) (string, bool) {
	swd, _ := c.String("SetWorkingDirectory")
	var wd string
	switch strings.ToLower(swd) {
	case "":
		return "", true
	case "yaml":
		if len(yamls) != 1 {
			c.Errorf("SetWorkingDirectory", "SetWorkingDirectory=yaml is only supported when a single Yaml key is provided")
			return "", false
		}
		if isURL(yamls[0]) {
			c.Errorf("SetWorkingDirectory", "SetWorkingDirectory=yaml needs a local Yaml file, not a URL")
			return "", false
		}
		wd = filepath.Dir(yamls[0])
	case "unit":
		wd = filepath.Dir(c.File.Path)
	default:
		c.Errorf("SetWorkingDirectory", "unsupported value for SetWorkingDirectory: %s (use yaml or unit)", swd)
		return "", false
	}
	if userWorkingDir(c) {
		return "", true
	}
	return wd, true
}

// applyKubeAutoUpdate turns each policy into the auto-update annotation; NAME/POLICY
// sets it for one container only.
func applyKubeAutoUpdate(c *Conv, k *Key) {
	for _, v := range c.Lines(k.Name) {
		key := "io.containers.autoupdate"
		policy := v
		if name, p, ok := strings.Cut(v, "/"); ok {
			key, policy = key+"/"+name, p
		}
		if policy != "registry" && policy != "local" {
			c.Errorf(k.Name, "invalid AutoUpdate=%s: the policy must be registry or local", v)
			return
		}
		c.Flag(k.Flag, key+"="+policy)
	}
}
