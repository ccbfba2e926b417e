package quadlet

import "strings"

// applyUserMappings handles the user namespace keys: UserNS=, UIDMap=, GIDMap=,
// SubUIDMap= and SubGIDMap=, or else the deprecated RemapUsers= family, which may not be
// mixed with them. allowManual tells whether RemapUsers=manual is supported by the
// unit type. Unit types whose table lacks some of these keys simply never see them set.
func applyUserMappings(c *Conv, allowManual bool) {
	explicit := false
	flag := func(f, v string) {
		if v != "" {
			c.Flag(f, v)
			explicit = true
		}
	}
	userns, _ := c.String("UserNS")
	flag("--userns", userns)
	for _, m := range c.Lines("UIDMap") {
		flag("--uidmap", m)
	}
	for _, m := range c.Lines("GIDMap") {
		flag("--gidmap", m)
	}
	subuid, _ := c.String("SubUIDMap")
	flag("--subuidname", subuid)
	subgid, _ := c.String("SubGIDMap")
	flag("--subgidname", subgid)

	if !explicit {
		applyRemap(c, allowManual)
		return
	}
	for _, k := range []string{"RemapUsers", "RemapUid", "RemapGid", "RemapUidSize"} {
		if v, _ := c.String(k); v != "" {
			c.Errorf(k, "deprecated Remap keys are set along with explicit mapping keys")
			return
		}
	}
}

// applyRemap translates the deprecated RemapUsers= (with RemapUid=, RemapGid= and
// RemapUidSize=) into the equivalent --userns, --uidmap and --gidmap flags.
func applyRemap(c *Conv, allowManual bool) {
	mode, _ := c.String("RemapUsers")
	mode = strings.TrimSpace(mode)
	uids, gids := c.Lines("RemapUid"), c.Lines("RemapGid")
	size, _ := c.String("RemapUidSize")
	switch mode {
	case "":
	case "manual":
		if !allowManual {
			c.Errorf("RemapUsers", "RemapUsers=manual is not supported")
			return
		}
		for _, m := range uids {
			c.Flag("--uidmap", m)
		}
		for _, m := range gids {
			c.Flag("--gidmap", m)
		}
	case "auto":
		var opts []string
		for _, m := range uids {
			opts = append(opts, "uidmapping="+m)
		}
		for _, m := range gids {
			opts = append(opts, "gidmapping="+m)
		}
		if size != "" {
			opts = append(opts, "size="+size)
		}
		c.Flag("--userns", withOptions("auto", opts))
	case "keep-id":
		var opts []string
		if len(uids) > 0 {
			opts = append(opts, "uid="+uids[len(uids)-1])
		}
		if len(gids) > 0 {
			opts = append(opts, "gid="+gids[len(gids)-1])
		}
		if size != "" {
			opts = append(opts, "size="+size)
		}
		c.Flag("--userns", withOptions("keep-id", opts))
	default:
		c.Errorf("RemapUsers", "unsupported RemapUsers option '%s' (use manual, auto or keep-id)", mode)
	}
}

// withOptions renders "mode" or "mode:opt,opt".
func withOptions(mode string, opts []string) string {
	if len(opts) == 0 {
		return mode
	}
	return mode + ":" + strings.Join(opts, ",")
}
