package quadlet

import (
	"path/filepath"
	"slices"
	"strings"
)

// The Apply functions of [Container] keys whose meaning is more than "flag value".

// applyLowerWords gives each word of the key, lowercased, to the flag: capability
// names are case-insensitive and the engine lists them in lower case.
func applyLowerWords(c *Conv, k *Key) {
	for _, w := range c.Words(k.Name) {
		c.Flag(k.Flag, strings.ToLower(w))
	}
}

// applySecurityBool returns an Apply that adds "--security-opt opt" when the key is true.
func applySecurityBool(opt string) func(*Conv, *Key) {
	return func(c *Conv, k *Key) {
		if v, _ := c.Bool(k.Name); v {
			c.Flag(k.Flag, opt)
		}
	}
}

// applySecurityOpt returns an Apply that adds "--security-opt prefix<value>" for each
// value of the key.
func applySecurityOpt(prefix string) func(*Conv, *Key) {
	return func(c *Conv, k *Key) {
		vals := c.Lines(k.Name)
		if k.Kind == String {
			v, _ := c.String(k.Name)
			vals = []string{v}
		}
		for _, v := range vals {
			if v != "" {
				c.Flag(k.Flag, prefix+v)
			}
		}
	}
}

// applyBoolArg adds "--flag" when the key is true and "--flag=false" when it is false,
// so that an explicit false overrides the engine's default.
func applyBoolArg(c *Conv, k *Key) {
	v, ok := c.Bool(k.Name)
	switch {
	case !ok:
	case v:
		c.Add(k.Flag)
	default:
		c.Add(k.Flag + "=false")
	}
}

// applyRelPath gives each value to the flag as a path, relative ones resolved against
// the unit file's folder.
func applyRelPath(c *Conv, k *Key) {
	for _, v := range c.Lines(k.Name) {
		c.Flag(k.Flag, resolveUnitPath(c, v))
	}
}

// resolveUnitPath resolves a path relative to the folder of the unit file. Paths that
// start with a specifier (%h/env) are left for systemd to expand, as the docs say.
func resolveUnitPath(c *Conv, p string) string {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "%") {
		return p
	}
	return filepath.Join(filepath.Dir(c.Src.File.Path), p)
}

var containerPullPolicies = []string{"always", "missing", "never", "newer",
	// The engine's aliases for the same policies.
	"true", "false", "ifmissing", "ifnotpresent", "ifnewer"}

// applyEnum returns an Apply that checks the value against the allowed ones before
// giving it to the flag.
func applyEnum(allowed []string) func(*Conv, *Key) {
	return func(c *Conv, k *Key) {
		v, _ := c.String(k.Name)
		if v != "" && validEnum(c, k.Name, strings.ToLower(v), allowed...) {
			c.Flag(k.Flag, v)
		}
	}
}

// validEnum reports a value that is not one of the allowed ones as an error on key.
func validEnum(c *Conv, key, v string, allowed ...string) bool {
	if slices.Contains(allowed, v) {
		return true
	}
	c.Errorf(key, "invalid %s=%s (valid values: %s)", key, v, strings.Join(allowed, ", "))
	return false
}

func applyAutoUpdate(c *Conv, k *Key) {
	v, _ := c.String(k.Name)
	if v == "" {
		return
	}
	// "image" is the old name of "registry".
	if !validEnum(c, k.Name, v, "registry", "local", "image") {
		return
	}
	c.Flag("--label", "io.containers.autoupdate="+v)
}

// applyDevice adds devices; "-/dev/foo" adds /dev/foo only when it exists on the host,
// which the generator tells through Options.PathExists.
func applyDevice(c *Conv, k *Key) {
	for _, v := range c.Lines(k.Name) {
		if dev, optional := strings.CutPrefix(v, "-"); optional {
			host, _, _ := strings.Cut(dev, ":")
			if c.Opts.PathExists != nil && !c.Opts.PathExists(host) {
				continue
			}
			v = dev
		}
		c.Flag(k.Flag, v)
	}
}

// applyVolatileTmp mounts a fresh tmpfs on /tmp; a read-only container already gets
// one from ReadOnlyTmpfs=.
func applyVolatileTmp(c *Conv, k *Key) {
	if v, _ := c.Bool(k.Name); v && !c.BoolOr("ReadOnly", false) {
		c.Flag("--tmpfs", "/tmp:rw,size=512M,mode=1777")
	}
}

// applyUser adds --user uid, or uid:gid with Group=.
func applyUser(c *Conv, k *Key) {
	user, _ := c.String("User")
	if user == "" {
		return
	}
	if group, _ := c.String("Group"); group != "" {
		user += ":" + group
	}
	c.Flag("--user", user)
}

// applyGroup only checks: Group= is given to the engine together with User=.
func applyGroup(c *Conv, k *Key) {
	group, _ := c.String("Group")
	if user, _ := c.String("User"); group != "" && user == "" {
		c.Errorf("Group", "invalid Group set without User")
	}
}
