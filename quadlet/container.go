package quadlet

import (
	"path/filepath"
	"strings"

	"github.com/berth-containers/berth/units"
)

func init() {
	register(&unitType{ext: ".container", table: containerTable, convert: convertContainer,
		resource: containerResource})
}

// convertContainer builds the service of a .container file: a notify service whose
// ExecStart runs the container detached under conmon, and whose stop commands remove it.
func convertContainer(c *Conv) {
	oneshot, ok := containerServiceDefaults(c)
	if !ok {
		return
	}
	image, ok := containerImage(c)
	if !ok {
		return
	}
	name := containerName(c.File, c.Src.Name)
	c.Add("run", "--name", name, "--replace", "--rm")
	if mode, _ := c.String("CgroupsMode"); mode != "" {
		if !validEnum(c, "CgroupsMode", mode, "enabled", "disabled", "no-conmon", "split") {
			return
		}
		c.Flag("--cgroups", mode)
	} else {
		c.Add("--cgroups=split")
	}
	if !oneshot {
		// The engine stays in the background; conmon (or the container) tells systemd
		// when it is ready.
		notify, ok := notifyMode(c)
		if !ok {
			return
		}
		c.Add("--sdnotify="+notify, "-d")
	}
	applyPod(c)
	c.ApplyKeys()
	applyUserMappings(c, true)
	c.Add(c.PodmanArgs()...)
	c.Add(image...)
	if exec, ok := c.LastWords("Exec"); ok {
		c.Add(exec...)
	}
	c.Exec("ExecStart", "", c.Args...)
	containerStopCommands(c, name)
	containerReload(c, name)
}

// containerServiceDefaults fills [Unit] and [Service] with what a container service
// needs, keeping what the user set, and tells whether the service is a oneshot.
func containerServiceDefaults(c *Conv) (oneshot, ok bool) {
	// The engine's storage must be mounted before it starts.
	c.Service.Add("Unit", "RequiresMountsFor", "%t/containers")
	if mode, set := c.File.Get("Service", "KillMode"); set && mode != "mixed" && mode != "control-group" {
		c.Diags.Errorf(c.File.Last("Service", "KillMode").Pos, "invalid KillMode '%s'", mode)
		return false, false
	}
	typ, set := c.File.Get("Service", "Type")
	if set && typ != "notify" && typ != "oneshot" {
		c.Diags.Errorf(c.File.Last("Service", "Type").Pos, "invalid service Type '%s'", typ)
		return false, false
	}
	c.Service.Add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
	// mixed lets conmon stop the container itself before systemd kills what is left.
	c.SetDefault("Service", "KillMode", "mixed")
	// The runtime creates the container's cgroups below the service's (split mode).
	c.Service.Add("Service", "Delegate", "yes")
	if typ != "oneshot" {
		c.SetDefault("Service", "Type", "notify")
		c.Service.Add("Service", "NotifyAccess", "all")
	}
	c.SetDefault("Service", "SyslogIdentifier", "%N")
	return typ == "oneshot", true
}

// notifyMode reads Notify=: a boolean, or healthy.
func notifyMode(c *Conv) (string, bool) {
	v, set := c.String("Notify")
	if !set || v == "" {
		return "conmon", true
	}
	if strings.EqualFold(v, "healthy") {
		return "healthy", true
	}
	b, ok := ParseBool(v)
	if !ok {
		c.Errorf("Notify", "invalid Notify=%s (use true, false or healthy)", v)
		return "", false
	}
	if b {
		return "container", true
	}
	return "conmon", true
}

// containerStopCommands removes the container on stop, waiting StopTimeout= seconds for
// it to exit, and again after the service stopped in case conmon left it behind.
func containerStopCommands(c *Conv, name string) {
	stop := []string{"rm", "-v", "-f", "-i"}
	if t, ok := c.String("StopTimeout"); ok && t != "" {
		stop = append(stop, "--time", t)
	}
	c.Exec("ExecStop", "", append(stop, name)...)
	c.Exec("ExecStopPost", "-", "rm", "-v", "-f", "-i", name)
}

// containerReload adds ExecReload= from ReloadCmd= (exec in the container) or
// ReloadSignal= (kill with a signal).
func containerReload(c *Conv, name string) {
	cmd, hasCmd := c.LastWords("ReloadCmd")
	sig, _ := c.String("ReloadSignal")
	hasCmd = hasCmd && len(cmd) > 0
	switch {
	case hasCmd && sig != "":
		c.Errorf("ReloadSignal", "ReloadCmd and ReloadSignal are mutually exclusive but both are set")
	case hasCmd:
		c.Exec("ExecReload", "", append([]string{"exec", name}, cmd...)...)
	case sig != "":
		c.Exec("ExecReload", "", "kill", "--signal", sig, name)
	}
}

// containerName is ContainerName=, or the default: "systemd-%N", and "systemd-%p_%i"
// for templates, whose %N would contain an "@" that container names cannot.
func containerName(f *units.File, fileName string) string {
	if v, ok := f.Get("Container", "ContainerName"); ok && v != "" {
		return v
	}
	if strings.Contains(fileName, "@") {
		return "systemd-%p_%i"
	}
	return "systemd-%N"
}

// containerResource is the container's name as other units refer to it (Network=
// x.container): the name with the specifiers about the unit's own name expanded.
func containerResource(s *Source) string {
	name := containerName(s.File, s.Name)
	base := strings.TrimSuffix(s.Name, filepath.Ext(s.Name))
	if v, ok := s.File.Get("Container", "ServiceName"); ok && v != "" {
		base = v
	}
	prefix, instance, _ := strings.Cut(base, "@")
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] != '%' || i+1 == len(name) {
			b.WriteByte(name[i])
			continue
		}
		i++
		switch name[i] {
		case 'N':
			b.WriteString(base)
		case 'p':
			b.WriteString(prefix)
		case 'i':
			b.WriteString(instance)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(name[i])
		}
	}
	return b.String()
}
