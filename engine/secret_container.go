package engine

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-containers/berth/engine/spec"
)

// A container's --secret NAME[,type=mount|env][,target=T][,uid=U][,gid=G][,mode=M]:
// the data is copied when the container is created (into its storage folder, so that
// secret rm or --replace later do not change it, as in podman), and at each start a
// mount secret is written into the bundle and bind-mounted read-only, an env secret
// set as a variable.

// secretsRunDir is where the files are mounted from: in the bundle (the run folder).
const secretsRunDir = "secrets"

// containerSecret is one parsed --secret.
type containerSecret struct {
	Name   string
	Env    bool   // type=env
	Target string // the variable, or the path in the container
	UID    uint32
	GID    uint32
	Mode   os.FileMode
}

// parseSecretFlag reads one --secret value.
func parseSecretFlag(v string) (containerSecret, error) {
	parts := strings.Split(v, ",")
	s := containerSecret{Name: parts[0], Mode: 0o444}
	if s.Name == "" {
		return s, fmt.Errorf("--secret %q: no secret name", v)
	}
	mountOnly := ""
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			return s, fmt.Errorf("--secret %q: option %q is not KEY=VALUE", v, p)
		}
		switch k {
		case "type":
			switch val {
			case "mount":
			case "env":
				s.Env = true
			default:
				return s, fmt.Errorf("--secret %q: type %q: use mount or env", v, val)
			}
		case "target":
			s.Target = val
		case "uid", "gid":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return s, fmt.Errorf("--secret %q: %s %q is not a number", v, k, val)
			}
			if k == "uid" {
				s.UID = uint32(n)
			} else {
				s.GID = uint32(n)
			}
			mountOnly = k
		case "mode":
			n, err := strconv.ParseUint(val, 8, 32)
			if err != nil || n > 0o7777 {
				return s, fmt.Errorf("--secret %q: mode %q is not an octal file mode", v, val)
			}
			s.Mode = os.FileMode(n)
			mountOnly = k
		default:
			return s, fmt.Errorf("--secret %q: unknown option %q (use type, target, uid, gid, mode)", v, k)
		}
	}
	if s.Env && mountOnly != "" {
		return s, fmt.Errorf("--secret %q: %s is only for type=mount", v, mountOnly)
	}
	switch {
	case s.Target == "":
		s.Target = s.Name
		if !s.Env {
			s.Target = "/run/secrets/" + s.Name
		}
	case s.Env:
	case !path.IsAbs(s.Target):
		s.Target = path.Join("/run/secrets", s.Target)
	default:
		s.Target = path.Clean(s.Target)
	}
	if s.Env && strings.ContainsAny(s.Target, "=\x00") {
		return s, fmt.Errorf("--secret %q: %q is not a variable name", v, s.Target)
	}
	return s, nil
}

// secretSettings parses all of a config's --secret values.
func (c *ContainerConfig) secretSettings() ([]containerSecret, error) {
	out := make([]containerSecret, 0, len(c.Secrets))
	for _, v := range c.Secrets {
		s, err := parseSecretFlag(v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// secretCopies is the data of a new container's secrets, read before anything is
// created so that a missing secret fails first.
type secretCopies map[string][]byte

// readContainerSecrets reads the data of every secret the config names.
func (r *Runtime) readContainerSecrets(cfg *ContainerConfig) (secretCopies, error) {
	list, err := cfg.secretSettings()
	if err != nil || len(list) == 0 {
		return nil, err
	}
	out := secretCopies{}
	for _, s := range list {
		if _, ok := out[s.Name]; ok {
			continue
		}
		_, data, err := r.SecretData(s.Name)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		out[s.Name] = data
	}
	return out, nil
}

// containerSecretsDir is where a container's copies are kept: its storage folder,
// which lasts as long as the container.
func (r *Runtime) containerSecretsDir(id string) (string, error) {
	dir, err := r.store.ContainerDirectory(id)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "secrets"), nil
}

// saveContainerSecrets writes the copies, readable by root only.
func (r *Runtime) saveContainerSecrets(c *Container, copies secretCopies) error {
	if len(copies) == 0 {
		return nil
	}
	dir, err := r.containerSecretsDir(c.ID)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, data := range copies {
		if err := writeFileAtomic(filepath.Join(dir, name), data, 0o600); err != nil {
			return fmt.Errorf("copying secret %s for container %s: %w", name, shortID(c.ID), err)
		}
	}
	return nil
}

// secretSpec adds the container's secrets to the spec at start: mount secrets are
// written into the bundle with their owner and mode and bound read-only; env secrets
// become variables.
func (r *Runtime) secretSpec(c *Container, so *spec.Options) error {
	list, err := c.Config.secretSettings()
	if err != nil || len(list) == 0 {
		return err
	}
	src, err := r.containerSecretsDir(c.ID)
	if err != nil {
		return err
	}
	runDir := filepath.Join(c.Bundle, secretsRunDir)
	if err := os.MkdirAll(runDir, 0o700); err != nil {
		return err
	}
	for i, s := range list {
		data, err := os.ReadFile(filepath.Join(src, s.Name))
		if err != nil {
			return fmt.Errorf("container %s: its copy of secret %s: %w", shortID(c.ID), s.Name, err)
		}
		if s.Env {
			so.Env = append(so.Env, s.Target+"="+string(data))
			continue
		}
		// One file per --secret: the same secret may be mounted twice with other owners.
		file := filepath.Join(runDir, strconv.Itoa(i)+"-"+s.Name)
		if err := writeSecretFile(file, data, s); err != nil {
			return fmt.Errorf("container %s: writing secret %s: %w", shortID(c.ID), s.Name, err)
		}
		so.Mounts = append(so.Mounts, spec.Mount{Type: "bind", Source: file, Destination: s.Target,
			Options: []string{"bind", "ro", "rprivate", "nosuid", "nodev", "noexec"}})
	}
	return nil
}

// writeSecretFile writes data with the owner and mode the --secret asked for.
func writeSecretFile(file string, data []byte, s containerSecret) error {
	_ = os.Remove(file) // a previous start's, maybe read-only
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return err
	}
	if err := os.Chown(file, int(s.UID), int(s.GID)); err != nil {
		return err
	}
	return os.Chmod(file, s.Mode)
}

// withoutSecretEnv drops the variables that type=env secrets set from env: inspect
// shows the environment the runtime got, and a secret's value must not be in it.
func withoutSecretEnv(env []string, cfg *ContainerConfig) []string {
	list, err := cfg.secretSettings()
	if err != nil || len(list) == 0 {
		return env
	}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		secret := false
		for _, s := range list {
			secret = secret || (s.Env && s.Target == name)
		}
		if !secret {
			out = append(out, kv)
		}
	}
	return out
}
