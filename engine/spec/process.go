package spec

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultPath is the PATH a container gets when neither the image nor the user set one.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// InitDestination is where --init's binary appears in the container, as in podman.
const InitDestination = "/run/podman-init"

func (g *generator) process() error {
	o, p := g.o, g.s.Process
	p.Cwd = o.WorkDir
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	if err := checkAbs("working directory", p.Cwd); err != nil {
		return err
	}
	p.Args = o.Args
	if o.Init {
		p.Args = append([]string{InitDestination, "--"}, o.Args...)
	}
	p.NoNewPrivileges = o.NoNewPrivs
	p.OOMScoreAdj = o.OOMScoreAdj
	umask := o.Umask
	if umask == "" {
		umask = "0022"
	}
	m, err := strconv.ParseUint(umask, 8, 32)
	if err != nil || m > 0o777 {
		return fmt.Errorf("%w: umask %q is not an octal mode", ErrInvalid, umask)
	}
	mask := uint32(m)
	u, err := g.resolveUser()
	if err != nil {
		return err
	}
	p.User = specs.User{UID: uint32(u.Uid), GID: uint32(u.Gid), Umask: &mask}
	for _, gid := range u.Sgids {
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(gid))
	}
	g.uid = p.User.UID
	p.Env = mergeEnv(nil, o.Env)
	defaults := []string{"PATH=" + DefaultPath, "HOME=" + u.Home}
	if o.Terminal {
		defaults = append(defaults, "TERM=xterm")
	}
	if o.Hostname != "" {
		defaults = append(defaults, "HOSTNAME="+o.Hostname)
	}
	for _, kv := range defaults {
		if _, ok := lookupEnv(p.Env, envKey(kv)); !ok {
			p.Env = append(p.Env, kv)
		}
	}
	return nil
}

// resolveUser looks o.User and o.GroupAdd up in the rootfs's /etc/passwd and
// /etc/group, as podman does: numbers need no entry (an unknown uid gets gid 0), names
// must exist; a user given without a group gets its supplementary groups too.
func (g *generator) resolveUser() (*user.ExecUser, error) {
	passwd, err := securejoin.SecureJoin(g.o.Rootfs, "/etc/passwd")
	if err != nil {
		return nil, fmt.Errorf("resolving /etc/passwd in %s: %w", g.o.Rootfs, err)
	}
	group, err := securejoin.SecureJoin(g.o.Rootfs, "/etc/group")
	if err != nil {
		return nil, fmt.Errorf("resolving /etc/group in %s: %w", g.o.Rootfs, err)
	}
	u, err := user.GetExecUserPath(g.o.User, &user.ExecUser{Home: "/"}, passwd, group)
	if err != nil {
		return nil, fmt.Errorf("%w: user %q: %w", ErrInvalid, g.o.User, err)
	}
	if u.Home == "" {
		u.Home = "/"
	}
	if len(g.o.GroupAdd) > 0 {
		var extra []string
		for _, name := range g.o.GroupAdd {
			// keep-groups is crun's way to keep the caller's groups; it needs no lookup.
			if name != "keep-groups" {
				extra = append(extra, name)
			}
		}
		gids, err := user.GetAdditionalGroupsPath(extra, group)
		if err != nil {
			return nil, fmt.Errorf("%w: --group-add %s: %w", ErrInvalid, strings.Join(extra, ","), err)
		}
		slices.Sort(gids) // the library returns them in map order
		for _, gid := range gids {
			if !slices.Contains(u.Sgids, gid) {
				u.Sgids = append(u.Sgids, gid)
			}
		}
	}
	return u, nil
}

// mergeEnv appends KEY=value entries to env, a later entry replacing an earlier one of
// the same key in place, so that the order stays the one the user gave.
func mergeEnv(env, more []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range more {
		if kv == "" {
			continue
		}
		k := envKey(kv)
		replaced := false
		for i, old := range out {
			if envKey(old) == k {
				out[i], replaced = kv, true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func envKey(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}

func lookupEnv(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

// initPath is the host binary --init bind-mounts.
func (g *generator) initPath() string {
	if g.o.InitPath != "" {
		return filepath.Clean(g.o.InitPath)
	}
	return "/usr/bin/catatonit"
}
