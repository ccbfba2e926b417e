package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berth-containers/berth/engine"
)

// createFlags are the flags create and run share.
type createFlags struct {
	name, cidfile, pull, cgroups, sdnotify, user, workdir, entrypoint, hostname string
	logDriver, stopSignal                                                       string
	env, envFile, labels, annotations                                           []string
	replace, rm, tty, interactive                                               bool
	stopTimeout                                                                 uint
	pf                                                                          pullFlags

	// Flags that go into the runtime spec or the /etc files (the engine parses them).
	readOnly, readOnlyTmpfs, init, envHost, httpProxy              bool
	volumes, mounts, tmpfs, capAdd, capDrop, securityOpts, devices []string
	groupAdd, sysctls, ulimits, logOpts, addHosts, dns, dnsOpts    []string
	dnsSearch, expose                                              []string
	tz, memory, shmSize, imageVolume                               string
	pidsLimit                                                      int64

	// The user namespace, --privileged and --rootfs.
	privileged, rootfs             bool
	userns, subuidname, subgidname string
	uidmap, gidmap                 []string
	decryptionKeys                 []string
	pod, podIDFile                 string // --pod, --pod-id-file (pods.go)
	net                            netFlags
	health                         healthFlags // healthcheck.go
	secrets                        []string    // --secret (engine/secret_container.go)
}

func (cf *createFlags) register(f *pflag.FlagSet) {
	f.StringVar(&cf.name, "name", "", "name of the container")
	f.BoolVar(&cf.replace, "replace", false, "replace a container that has the same name")
	f.BoolVar(&cf.rm, "rm", false, "remove the container when it exits")
	f.StringVar(&cf.cidfile, "cidfile", "", "write the container ID to this file")
	f.StringVar(&cf.pull, "pull", "missing", "pull policy: always, missing, newer, never")
	f.StringVar(&cf.cgroups, "cgroups", "", "cgroups mode: enabled, disabled, split, no-conmon (default: containers.conf's cgroups, else enabled)")
	f.StringVar(&cf.sdnotify, "sdnotify", "container", "how to tell systemd the container is ready: container, conmon, ignore")
	f.StringArrayVarP(&cf.env, "env", "e", nil, "set an environment variable (KEY=value, KEY from the host, KEY* for a prefix)")
	f.StringArrayVar(&cf.envFile, "env-file", nil, "read environment variables from a file")
	f.StringVarP(&cf.user, "user", "u", "", "user[:group] to run as")
	f.StringVarP(&cf.workdir, "workdir", "w", "", "working directory in the container")
	f.StringVar(&cf.entrypoint, "entrypoint", "", "override the image's entrypoint (a string or a JSON array)")
	f.StringVarP(&cf.hostname, "hostname", "h", "", "the container's host name")
	// -h is --hostname, as in podman; help stays --help.
	f.Bool("help", false, "help for this command")
	f.StringArrayVarP(&cf.labels, "label", "l", nil, "set a label (key=value)")
	f.StringArrayVar(&cf.annotations, "annotation", nil, "set an annotation (key=value)")
	cf.net.register(f) // containers_network_flags.go
	f.StringVar(&cf.logDriver, "log-driver", "", "log driver: k8s-file, journald, passthrough, none")
	f.StringVar(&cf.stopSignal, "stop-signal", "", "signal that stops the container (default: the image's, else SIGTERM)")
	f.UintVar(&cf.stopTimeout, "stop-timeout", 0, "seconds to wait for the stop signal before SIGKILL (default 10)")
	f.BoolVarP(&cf.tty, "tty", "t", false, "allocate a terminal for the container")
	f.BoolVarP(&cf.interactive, "interactive", "i", false, "keep the container's stdin open")
	// How the image is pulled, as in pull.
	f.StringVar(&cf.pf.creds, "creds", "", "credentials (user[:password]) for the registry")
	f.StringVar(&cf.pf.authfile, "authfile", "", "path of the authentication file")
	f.StringVar(&cf.pf.certDir, "cert-dir", "", "folder of certificates for the registry")
	f.BoolVar(&cf.pf.tlsVerify, "tls-verify", true, "require HTTPS and verify certificates (default: registries.conf)")
	f.UintVar(&cf.pf.retry, "retry", 3, "how often to retry a failed pull")
	f.StringVar(&cf.pf.retryDelay, "retry-delay", "", "delay between pull retries")
	f.StringVar(&cf.pf.arch, "arch", "", "architecture of the image to pull")
	f.StringVar(&cf.pf.os, "os", "", "operating system of the image to pull")
	f.StringVar(&cf.pf.variant, "variant", "", "architecture variant of the image to pull")
	f.StringVar(&cf.pf.platform, "platform", "", "OS/ARCH[/VARIANT] of the image to pull")
	f.BoolVarP(&cf.pf.quiet, "quiet", "q", false, "do not show the pull's progress")
	f.StringArrayVar(&cf.decryptionKeys, "decryption-key", nil, "KEY[:PASSPHRASE]: a private key that decrypts the image's encrypted layers")
	f.StringVar(&cf.pod, "pod", "", "join this pod (name or ID), or new:NAME to create it")
	f.StringVar(&cf.podIDFile, "pod-id-file", "", "join the pod whose ID this file holds")
	f.StringArrayVar(&cf.secrets, "secret", nil, "NAME[,type=mount|env][,target=,uid=,gid=,mode=]: give the container a secret")
	cf.registerSpec(f)
	cf.health.register(f)
	registerUnsupported(f)
}

// options turns the flags into engine options; every check that needs no image or
// storage happens here or in the engine's Validate, before anything is created.
func (cf *createFlags) options(cmd *cobra.Command, image string, command []string) (engine.CreateOptions, error) {
	if err := checkUnsupported(cmd.Flags()); err != nil {
		return engine.CreateOptions{}, err
	}
	o := engine.CreateOptions{Image: image, Replace: cf.replace}
	c := &o.ContainerConfig
	if cf.rootfs {
		// The first argument is the root file system's folder, with an optional :O.
		abs, err := engine.AbsRootfs(image)
		if err != nil {
			return o, err
		}
		o.Image, c.Rootfs = "", abs
	}
	c.Name, c.Command, c.User, c.WorkDir, c.Hostname = cf.name, command, cf.user, cf.workdir, cf.hostname
	c.LogDriver, c.StopSignal = cf.logDriver, cf.stopSignal
	cf.net.apply(c)
	c.AutoRemove, c.Terminal, c.Interactive = cf.rm, cf.tty, cf.interactive
	c.CgroupsMode, c.SdNotify = cf.cgroups, cf.sdnotify
	if cf.replace && cf.name == "" {
		return o, fmt.Errorf("--replace needs --name")
	}
	c.StopTimeout = ifChanged(cmd, "stop-timeout", cf.stopTimeout)
	if cf.cidfile != "" {
		abs, err := filepath.Abs(cf.cidfile)
		if err != nil {
			return o, err
		}
		c.CIDFile = abs
	}
	c.Entrypoint = ifChanged(cmd, "entrypoint", parseEntrypoint(cf.entrypoint))
	var env []string
	for _, f := range cf.envFile {
		e, err := engine.ReadEnvFile(f)
		if err != nil {
			return o, err
		}
		env = append(env, e...)
	}
	c.Env = engine.ExpandEnv(append(env, cf.env...), os.Environ())
	cf.specOptions(cmd, c)
	c.Health = cf.health.config(cmd)
	c.Secrets = cf.secrets
	var err error
	if c.Labels, err = keyValues("--label", cf.labels); err != nil {
		return o, err
	}
	if c.Annotations, err = keyValues("--annotation", cf.annotations); err != nil {
		return o, err
	}
	pf := cf.pf
	pf.policy = cf.pull
	o.Pull, err = pf.options(cmd)
	if err != nil {
		return o, fmt.Errorf("--pull: %w", err)
	}
	o.Pull.DecryptionKeys = cf.decryptionKeys
	if c.Pod, err = podFlag(cf.pod, cf.podIDFile); err != nil {
		return o, err
	}
	if err := c.Validate(); err != nil {
		return o, err
	}
	if cf.rootfs {
		return o, nil
	}
	return o, engine.CheckImageName(image)
}

// parseEntrypoint reads --entrypoint as podman does: a JSON array of strings, or one
// string that is the whole entrypoint ("" clears the image's).
func parseEntrypoint(s string) []string {
	var list []string
	if strings.HasPrefix(strings.TrimSpace(s), "[") && json.Unmarshal([]byte(s), &list) == nil {
		return list
	}
	if s == "" {
		return []string{}
	}
	return []string{s}
}

// ifChanged is &v when the flag was given and nil when not, for options where the
// engine must tell "not set" (its default, or the image's) from a zero value.
func ifChanged[T any](cmd *cobra.Command, flag string, v T) *T {
	if !cmd.Flags().Changed(flag) {
		return nil
	}
	return &v
}

// keyValues reads key=value flags (a bare key has an empty value).
func keyValues(flag string, list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(list))
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("%s %q: no key", flag, kv)
		}
		m[k] = v
	}
	return m, nil
}

func (cf *createFlags) registerSpec(f *pflag.FlagSet) {
	f.BoolVar(&cf.readOnly, "read-only", false, "mount the root file system read-only")
	f.BoolVar(&cf.readOnlyTmpfs, "read-only-tmpfs", true, "with --read-only, writable tmpfs on /run, /tmp and /var/tmp")
	f.StringArrayVarP(&cf.volumes, "volume", "v", nil, "mount a host folder or a volume: HOST-PATH:DEST[:OPTIONS], NAME:DEST[:OPTIONS] or DEST[:OPTIONS] (anonymous)")
	f.StringArrayVar(&cf.mounts, "mount", nil, "attach a mount: type=bind|volume|tmpfs,...")
	f.StringArrayVar(&cf.tmpfs, "tmpfs", nil, "mount a tmpfs: DEST[:OPTIONS]")
	f.StringArrayVar(&cf.capAdd, "cap-add", nil, "add a capability")
	f.StringArrayVar(&cf.capDrop, "cap-drop", nil, "drop a capability, or all")
	f.StringArrayVar(&cf.securityOpts, "security-opt", nil, "no-new-privileges, seccomp=, mask=, unmask=")
	f.StringArrayVar(&cf.devices, "device", nil, "add a host device: HOST[:CONTAINER][:PERMISSIONS]")
	f.StringArrayVar(&cf.groupAdd, "group-add", nil, "add a supplementary group")
	f.StringArrayVar(&cf.sysctls, "sysctl", nil, "set a namespaced kernel parameter: NAME=VALUE")
	f.StringArrayVar(&cf.ulimits, "ulimit", nil, "set a resource limit: NAME=SOFT[:HARD]")
	f.BoolVar(&cf.init, "init", false, "run an init (catatonit) as pid 1 that forwards signals and reaps processes")
	f.StringVar(&cf.tz, "tz", "", "the container's time zone, or local")
	f.StringVarP(&cf.memory, "memory", "m", "", "memory limit (512m, 2g)")
	f.Int64Var(&cf.pidsLimit, "pids-limit", 0, "the container's pids limit, -1 for none")
	f.StringVar(&cf.shmSize, "shm-size", "", "size of /dev/shm (default 64m)")
	f.StringArrayVar(&cf.logOpts, "log-opt", nil, "log driver option: path=, max-size=, tag=")
	f.StringArrayVar(&cf.addHosts, "add-host", nil, "add a line to /etc/hosts: NAME:IP")
	f.StringArrayVar(&cf.dns, "dns", nil, "DNS server for /etc/resolv.conf, or none")
	f.StringArrayVar(&cf.dnsOpts, "dns-option", nil, "option for /etc/resolv.conf")
	f.StringArrayVar(&cf.dnsSearch, "dns-search", nil, "search domain for /etc/resolv.conf")
	f.StringArrayVar(&cf.expose, "expose", nil, "record an exposed port (PORT[-PORT][/PROTOCOL])")
	f.StringVar(&cf.imageVolume, "image-volume", "bind", "the image's volumes: bind, tmpfs or ignore")
	f.BoolVar(&cf.envHost, "env-host", false, "pass the host's whole environment into the container")
	f.BoolVar(&cf.httpProxy, "http-proxy", true, "pass the host's proxy variables (http_proxy, ...) into the container")
	f.BoolVar(&cf.privileged, "privileged", false, "every capability and host device, no seccomp filter or masked paths")
	f.BoolVar(&cf.rootfs, "rootfs", false, "the first argument is a root file system folder (PATH[:O]), not an image")
	f.StringVar(&cf.userns, "userns", os.Getenv("PODMAN_USERNS"), "user namespace: host, private, auto[:size=N,uidmapping=C:H:N,gidmapping=C:H:N], ns:PATH")
	f.StringArrayVar(&cf.uidmap, "uidmap", nil, "map container UIDs to host UIDs in a new user namespace: CONTAINER:HOST:SIZE")
	f.StringArrayVar(&cf.gidmap, "gidmap", nil, "map container GIDs to host GIDs in a new user namespace: CONTAINER:HOST:SIZE")
	f.StringVar(&cf.subuidname, "subuidname", "", "map the UIDs of this name's ranges in /etc/subuid")
	f.StringVar(&cf.subgidname, "subgidname", "", "map the GIDs of this name's ranges in /etc/subgid")
}

// proxyVars are the variables --http-proxy passes on, as podman's.
var proxyVars = []string{"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY"}

// specOptions copies the spec-level flags; the host environment that --env-host and
// --http-proxy bring comes before the container's own variables, which win.
func (cf *createFlags) specOptions(cmd *cobra.Command, c *engine.ContainerConfig) {
	c.ReadOnly = cf.readOnly
	c.ReadOnlyTmpfs = ifChanged(cmd, "read-only-tmpfs", cf.readOnlyTmpfs)
	c.Volumes, c.Mounts, c.Tmpfs, c.CapAdd, c.CapDrop = cf.volumes, cf.mounts, cf.tmpfs, cf.capAdd, cf.capDrop
	c.SecurityOpts, c.Devices, c.GroupAdd, c.Sysctls, c.Ulimits = cf.securityOpts, cf.devices, cf.groupAdd, cf.sysctls, cf.ulimits
	c.Init, c.Timezone, c.Memory, c.ShmSize = cf.init, cf.tz, cf.memory, cf.shmSize
	c.PidsLimit = ifChanged(cmd, "pids-limit", cf.pidsLimit)
	c.LogOpts, c.AddHosts, c.DNS, c.DNSOptions, c.DNSSearch = cf.logOpts, cf.addHosts, cf.dns, cf.dnsOpts, cf.dnsSearch
	c.Expose = cf.expose
	c.Privileged, c.UserNS, c.UIDMap, c.GIDMap = cf.privileged, cf.userns, cf.uidmap, cf.gidmap
	c.SubUIDName, c.SubGIDName = cf.subuidname, cf.subgidname
	if cmd.Flags().Changed("image-volume") {
		c.ImageVolume = cf.imageVolume
	}
	var host []string
	switch {
	case cf.envHost:
		host = os.Environ()
	case cf.httpProxy:
		host = engine.ExpandEnv(proxyVars, os.Environ())
	}
	if len(host) > 0 {
		c.Env = append(host, c.Env...)
	}
}
