package engine

import (
	"bufio"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/idtools"
	"go.podman.io/storage/types"

	"github.com/berth-containers/berth/engine/spec"
)

// User namespace modes, after parsing --userns and the mapping flags.
const (
	usernsHost   = "host"   // the caller's user namespace (root's: no mapping)
	usernsMapped = "mapped" // a new one with --uidmap/--gidmap/--subuidname/--subgidname
	usernsAuto   = "auto"   // a new one with a free range of the "containers" user's sub IDs
	usernsPath   = "ns"     // an existing one (ns:PATH)
)

// userNSSettings is a ContainerConfig's user namespace, parsed and checked.
type userNSSettings struct {
	mode           string
	path           string          // usernsPath
	uidMap, gidMap []idtools.IDMap // usernsMapped; for auto, its uidmapping=/gidmapping=
	size           int             // auto's size=; 0 lets the image decide
}

// userNSSettings parses --userns with --uidmap, --gidmap, --subuidname and
// --subgidname as podman does: a mapping makes a new user namespace, and goes only
// with the default mode ("", which is host for root) or private. keep-id and nomap
// are for rootless podman, which maps the caller's own IDs; root has none to keep, and
// podman refuses them.
func (c *ContainerConfig) userNSSettings() (*userNSSettings, error) {
	mapped := len(c.UIDMap)+len(c.GIDMap) > 0 || c.SubUIDName != "" || c.SubGIDName != ""
	mode, opts, hasOpts := strings.Cut(c.UserNS, ":")
	conflict := func() error {
		return fmt.Errorf("--userns=%s conflicts with --uidmap, --gidmap, --subuidname and --subgidname", c.UserNS)
	}
	switch mode {
	case "", "private", usernsHost:
		if hasOpts {
			return nil, fmt.Errorf("--userns=%s: %s takes no options", c.UserNS, mode)
		}
		if !mapped {
			return &userNSSettings{mode: usernsHost}, nil
		}
		if mode == usernsHost {
			return nil, conflict()
		}
		return c.explicitMappings()
	case usernsAuto:
		if mapped {
			return nil, conflict()
		}
		return parseAutoOptions(c.UserNS, opts)
	case usernsPath:
		if mapped {
			return nil, conflict()
		}
		if !filepath.IsAbs(opts) {
			return nil, fmt.Errorf("--userns=%s: want ns:PATH with an absolute path", c.UserNS)
		}
		if _, err := os.Stat(opts); err != nil {
			return nil, fmt.Errorf("--userns=%s: %w", c.UserNS, err)
		}
		return &userNSSettings{mode: usernsPath, path: filepath.Clean(opts)}, nil
	case "keep-id", "nomap":
		if os.Geteuid() == 0 {
			return nil, fmt.Errorf("%s is only supported in rootless mode", mode)
		}
		return nil, unsupported("--userns=%s (rootless containers)", c.UserNS)
	case "container":
		return nil, unsupported("--userns=%s (joining another container's user namespace)", c.UserNS)
	}
	return nil, fmt.Errorf("--userns %q: use host, private, auto[:OPTIONS], ns:PATH, or keep-id and nomap (rootless)", c.UserNS)
}

// parseAutoOptions reads auto's options: size=N, uidmapping= and gidmapping=
// CONTAINER:HOST:SIZE (repeatable), comma-separated.
func parseAutoOptions(flag, opts string) (*userNSSettings, error) {
	ns := &userNSSettings{mode: usernsAuto}
	if opts == "" {
		return ns, nil
	}
	for _, o := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "size":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("--userns=%s: size=%q is not a positive number", flag, v)
			}
			ns.size = n
		case "uidmapping", "gidmapping":
			m, err := parseIDMap("--userns="+flag, v)
			if err != nil {
				return nil, err
			}
			if k == "uidmapping" {
				ns.uidMap = append(ns.uidMap, m)
			} else {
				ns.gidMap = append(ns.gidMap, m)
			}
		default:
			return nil, fmt.Errorf("--userns=%s: unknown option %q (use size=, uidmapping=, gidmapping=)", flag, k)
		}
	}
	if err := checkIDMaps("--userns="+flag+" uidmapping", ns.uidMap); err != nil {
		return nil, err
	}
	return ns, checkIDMaps("--userns="+flag+" gidmapping", ns.gidMap)
}

// explicitMappings builds the mappings of --subuidname/--subgidname (the name's ranges
// from /etc/subuid and /etc/subgid, container IDs from 0) followed by --uidmap and
// --gidmap. As in podman, a side given alone serves for both.
func (c *ContainerConfig) explicitMappings() (*userNSSettings, error) {
	subU, subG := c.SubUIDName, c.SubGIDName
	if subG == "" {
		subG = subU
	}
	if subU == "" {
		subU = subG
	}
	uidFlags, gidFlags := c.UIDMap, c.GIDMap
	if len(gidFlags) == 0 {
		gidFlags = uidFlags
	}
	if len(uidFlags) == 0 {
		uidFlags = gidFlags
	}
	ns := &userNSSettings{mode: usernsMapped}
	if subU != "" {
		uids, err := readSubIDs(subIDFile("uid"), subU)
		if err != nil {
			return nil, fmt.Errorf("--subuidname %s: %w", subU, err)
		}
		gids, err := readSubIDs(subIDFile("gid"), subG)
		if err != nil {
			return nil, fmt.Errorf("--subgidname %s: %w", subG, err)
		}
		ns.uidMap, ns.gidMap = consecutive(uids), consecutive(gids)
	}
	for _, side := range []struct {
		flag  string
		specs []string
		out   *[]idtools.IDMap
	}{{"--uidmap", uidFlags, &ns.uidMap}, {"--gidmap", gidFlags, &ns.gidMap}} {
		for _, s := range side.specs {
			m, err := parseIDMap(side.flag, s)
			if err != nil {
				return nil, err
			}
			*side.out = append(*side.out, m)
		}
		if err := checkIDMaps(side.flag, *side.out); err != nil {
			return nil, err
		}
	}
	return ns, nil
}

// parseIDMap reads CONTAINER:HOST:SIZE.
func parseIDMap(flag, s string) (idtools.IDMap, error) {
	parts := strings.Split(s, ":")
	var n [3]int
	ok := len(parts) == 3
	for i := 0; ok && i < 3; i++ {
		v, err := strconv.ParseUint(parts[i], 10, 32)
		n[i], ok = int(v), err == nil
	}
	if !ok || n[2] == 0 {
		return idtools.IDMap{}, fmt.Errorf("%s %q: want CONTAINER_ID:HOST_ID:SIZE (numbers, SIZE > 0)", flag, s)
	}
	return idtools.IDMap{ContainerID: n[0], HostID: n[1], Size: n[2]}, nil
}

// maxIDMaps is the kernel's limit of lines in a uid_map (since Linux 4.15).
const maxIDMaps = 340

// checkIDMaps refuses mappings the kernel would refuse with a bare EINVAL: ranges that
// overlap on either side, or too many of them.
func checkIDMaps(flag string, maps []idtools.IDMap) error {
	if len(maps) > maxIDMaps {
		return fmt.Errorf("%s: %d ranges, the kernel takes at most %d", flag, len(maps), maxIDMaps)
	}
	for i, a := range maps {
		if uint64(a.ContainerID)+uint64(a.Size) > 1<<32 || uint64(a.HostID)+uint64(a.Size) > 1<<32 {
			return fmt.Errorf("%s %d:%d:%d: the range passes the largest ID", flag, a.ContainerID, a.HostID, a.Size)
		}
		for _, b := range maps[:i] {
			if overlaps(a.ContainerID, a.Size, b.ContainerID, b.Size) || overlaps(a.HostID, a.Size, b.HostID, b.Size) {
				return fmt.Errorf("%s: ranges %d:%d:%d and %d:%d:%d overlap", flag,
					b.ContainerID, b.HostID, b.Size, a.ContainerID, a.HostID, a.Size)
			}
		}
	}
	return nil
}

func overlaps(a, an, b, bn int) bool { return a < b+bn && b < a+an }

// subIDFile is /etc/subuid or /etc/subgid, or the file BERTH_SUBUID_FILE or
// BERTH_SUBGID_FILE names: tests use it, and so can a host that keeps the ranges for
// containers apart from those of its users.
func subIDFile(kind string) string {
	if p := os.Getenv("BERTH_SUB" + strings.ToUpper(kind) + "_FILE"); p != "" {
		return p
	}
	return "/etc/sub" + kind
}

// readSubIDs returns the ranges of name (or of its numeric ID) in a subuid(5) file, as
// host ranges (ContainerID unset), lowest first.
func readSubIDs(path, name string) ([]idtools.IDMap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	uid := ""
	if u, err := user.Lookup(name); err == nil {
		uid = u.Uid
	}
	var out []idtools.IDMap
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, ":")
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want NAME:START:COUNT", path, line)
		}
		if f[0] != name && (uid == "" || f[0] != uid) {
			continue
		}
		start, err1 := strconv.ParseUint(f[1], 10, 32)
		count, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil || count == 0 {
			return nil, fmt.Errorf("%s:%d: want NAME:START:COUNT with numbers", path, line)
		}
		out = append(out, idtools.IDMap{HostID: int(start), Size: int(count)})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no ranges for %q in %s", name, path)
	}
	slices.SortFunc(out, func(a, b idtools.IDMap) int { return a.HostID - b.HostID })
	return out, nil
}

// consecutive numbers host ranges from container ID 0 on, one after the other.
func consecutive(ranges []idtools.IDMap) []idtools.IDMap {
	out := make([]idtools.IDMap, len(ranges))
	next := 0
	for i, r := range ranges {
		out[i] = idtools.IDMap{ContainerID: next, HostID: r.HostID, Size: r.Size}
		next += r.Size
	}
	return out
}

// defaultUserNS is containers.conf's userns for a container that names neither a mode
// nor a mapping, as podman applies it (its PODMAN_USERNS is the flag's default).
func (r *Runtime) defaultUserNS(c *ContainerConfig) {
	if c.UserNS == "" && len(c.UIDMap)+len(c.GIDMap) == 0 && c.SubUIDName == "" && c.SubGIDName == "" {
		if v := r.cfg.Containers.UserNS; v != "" && v != usernsHost {
			c.UserNS = v
		}
	}
}

// storageIDMappings are the mappings the storage container is made with, so that its
// files belong to the container's root: storage maps them with idmapped mounts where
// the driver and kernel can (overlay here), and otherwise makes a chowned copy of the
// image (vfs). release ends the hold on the sub ID ranges that auto takes, once the
// storage container records them.
func (r *Runtime) storageIDMappings(h *held, imageID string) (o types.IDMappingOptions, release func(), err error) {
	release = func() {}
	ns, err := h.c.Config.userNSSettings()
	if err != nil {
		return o, release, err
	}
	switch ns.mode {
	case usernsMapped:
		o.UIDMap, o.GIDMap = ns.uidMap, ns.gidMap
	case usernsPath:
		if o.UIDMap, o.GIDMap, err = namespaceMappings(ns.path); err != nil {
			return o, release, fmt.Errorf("--userns=%s: %w", h.c.Config.UserNS, err)
		}
	case usernsAuto:
		return r.autoMappings(h, ns, imageID)
	default:
		o.HostUIDMapping, o.HostGIDMapping = true, true
	}
	return o, release, nil
}

// namespaceMappings reads the mappings of the user namespace at path (/proc/PID/ns/user
// or a bind mount of one) from a process that runs in it.
func namespaceMappings(path string) (uids, gids []idtools.IDMap, err error) {
	var want os.FileInfo
	if want, err = os.Stat(path); err != nil {
		return nil, nil, err
	}
	pid := ""
	if dir, base := filepath.Split(filepath.Dir(path)); filepath.Base(path) == "user" && base == "ns" {
		pid = filepath.Base(dir) // /proc/PID/ns/user
	}
	if fi, err := os.Stat(filepath.Join("/proc", pid, "ns/user")); pid == "" || err != nil || !os.SameFile(fi, want) {
		pid = ""
		procs, _ := filepath.Glob("/proc/[0-9]*/ns/user")
		for _, p := range procs {
			if fi, err := os.Stat(p); err == nil && os.SameFile(fi, want) {
				pid = filepath.Base(filepath.Dir(filepath.Dir(p)))
				break
			}
		}
	}
	if pid == "" {
		return nil, nil, fmt.Errorf("no process runs in user namespace %s to read its mappings from", path)
	}
	if uids, err = readProcIDMap(filepath.Join("/proc", pid, "uid_map")); err == nil {
		gids, err = readProcIDMap(filepath.Join("/proc", pid, "gid_map"))
	}
	if err == nil && (len(uids) == 0 || len(gids) == 0) {
		err = fmt.Errorf("user namespace %s has no mappings", path)
	}
	return uids, gids, err
}

// readProcIDMap reads /proc/PID/uid_map or gid_map.
func readProcIDMap(path string) ([]idtools.IDMap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []idtools.IDMap
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m idtools.IDMap
		if _, err := fmt.Sscan(line, &m.ContainerID, &m.HostID, &m.Size); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// userNSSpec puts the user namespace in the spec options: the mappings the storage
// container was made with, and for ns:PATH the namespace to join (runc 1.1 wants its
// mappings too). The /etc files berth writes are given to the container's root, as
// podman does, so that it can change them.
func (r *Runtime) userNSSpec(c *Container, so *spec.Options) error {
	sc, err := r.store.Container(c.ID)
	if err != nil {
		return fmt.Errorf("container %s: %w", shortID(c.ID), err)
	}
	if len(sc.UIDMap) == 0 && len(sc.GIDMap) == 0 {
		return nil
	}
	so.UIDMappings, so.GIDMappings = specMappings(sc.UIDMap), specMappings(sc.GIDMap)
	if ns, err := c.Config.userNSSettings(); err == nil && ns.mode == usernsPath {
		so.Namespaces.User = ns.path
	}
	uid, gid, err := idtools.GetRootUIDGID(sc.UIDMap, sc.GIDMap)
	if err != nil {
		// The container's root is not mapped: the files stay the host's (nobody inside).
		uid, gid = -1, -1
	}
	if err := makeTraversable(so.Rootfs, uid, gid); err != nil {
		return fmt.Errorf("container %s: %w", shortID(c.ID), err)
	}
	for _, f := range []string{so.HostnameFile, so.HostsFile, so.ResolvConfFile} {
		if f != "" && uid >= 0 {
			if err := os.Chown(f, uid, gid); err != nil {
				return fmt.Errorf("container %s: %w", shortID(c.ID), err)
			}
		}
	}
	return nil
}

// makeTraversable lets everyone pass through (o+x) each folder above path that the
// container's root (host IDs uid:gid) does not own, as podman does: the runtime mounts
// the root file system from inside the user namespace, where the storage's 0700 roots
// would otherwise stop it. Nothing becomes listable or readable that was not.
func makeTraversable(path string, uid, gid int) error {
	for p := filepath.Clean(path); p != "/"; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == uid && int(st.Gid) == gid {
			continue
		}
		if fi.Mode().Perm()&0o111 != 0o111 {
			if err := os.Chmod(p, fi.Mode().Perm()|0o111); err != nil {
				return err
			}
		}
	}
	return nil
}

func specMappings(m []idtools.IDMap) []specs.LinuxIDMapping {
	out := make([]specs.LinuxIDMapping, len(m))
	for i, x := range m {
		out[i] = specs.LinuxIDMapping{ContainerID: uint32(x.ContainerID), HostID: uint32(x.HostID), Size: uint32(x.Size)}
	}
	return out
}
