package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	"go.podman.io/storage/pkg/idtools"
	"go.podman.io/storage/types"

	"github.com/berth-containers/berth/engine/lock"
)

// --userns=auto, as podman and storage do it for root: each container gets its own
// range of the sub IDs that /etc/subuid and /etc/subgid give the user "containers"
// (storage.conf's root-auto-userns-user), never one that another storage container
// maps. The size is auto's size=, else what the image needs (its highest ID in the
// layers and in /etc/passwd and /etc/group, "nobody" aside), at least storage.conf's
// auto-userns-min-size (1024) and at most auto-userns-max-size (65536).
//
// berth picks the range itself rather than through storage's AutoUserNs, which reads
// only /etc/subuid: this way BERTH_SUBUID_FILE and BERTH_SUBGID_FILE can hold the
// ranges (see subIDFile). The pick and the creation of the storage container that
// records it happen under one lock, so that concurrent creates never share a range.

const (
	autoUserDefault = "containers"
	autoMinDefault  = 1024
	autoMaxDefault  = 65536
	nobodyID        = 65534
)

// autoMappings picks the mappings of a --userns=auto container; release must be
// called once the storage container records them.
func (r *Runtime) autoMappings(h *held, ns *userNSSettings, imageID string) (o types.IDMappingOptions, release func(), err error) {
	release = func() {}
	so, err := storeOptions(r.opts)
	if err != nil {
		return o, release, err
	}
	name := cmp.Or(so.RootAutoNsUser, autoUserDefault)
	flag := "--userns=" + h.c.Config.UserNS
	var avail [2][]idtools.IDMap
	for i, kind := range []string{"uid", "gid"} {
		if avail[i], err = readSubIDs(subIDFile(kind), name); err != nil {
			return o, release, fmt.Errorf("%s needs sub IDs for the user %q (a line such as %s:2147483647:2147483648 in %s): %w",
				flag, name, name, subIDFile(kind), err)
		}
	}
	size := ns.size
	if size == 0 {
		minSize := int(cmp.Or(so.AutoNsMinSize, autoMinDefault))
		maxSize := int(cmp.Or(so.AutoNsMaxSize, autoMaxDefault))
		need, err := r.idsNeeded(h.c, imageID)
		if err != nil {
			return o, release, fmt.Errorf("%s: %w", flag, err)
		}
		if size = max(minSize, need); size > maxSize {
			return o, release, fmt.Errorf("%s: the container needs %d IDs, more than auto-userns-max-size (%d) allows; give size=", flag, size, maxSize)
		}
	}
	dir, err := r.locks()
	if err != nil {
		return o, release, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	l, err := dir.Lock(ctx, "userns", "auto", lock.Exclusive)
	if err != nil {
		return o, release, fmt.Errorf("%s: %w", flag, err)
	}
	release = func() { _ = l.Unlock() }
	usedU, usedG, err := r.mappedHostIDs()
	if err != nil {
		release()
		return o, func() {}, err
	}
	if o.UIDMap, err = pickRange(avail[0], usedU, ns.uidMap, size); err == nil {
		o.GIDMap, err = pickRange(avail[1], usedG, ns.gidMap, size)
	}
	if err == nil {
		// Sub ID ranges in many pieces could make more lines than the kernel takes.
		if err = checkIDMaps("uid map", o.UIDMap); err == nil {
			err = checkIDMaps("gid map", o.GIDMap)
		}
	}
	if err != nil {
		release()
		return o, func() {}, fmt.Errorf("%s: %w", flag, err)
	}
	return o, release, nil
}

// mappedHostIDs are the host IDs that storage containers map already.
func (r *Runtime) mappedHostIDs() (uids, gids []span, err error) {
	ctrs, err := r.store.Containers()
	if err != nil {
		return nil, nil, err
	}
	for _, c := range ctrs {
		uids = append(uids, hostSpans(c.UIDMap)...)
		gids = append(gids, hostSpans(c.GIDMap)...)
	}
	return uids, gids, nil
}

// idsNeeded is one more than the highest ID the container's files and user database
// use (so 1 for an image that only has root).
func (r *Runtime) idsNeeded(c *Container, imageID string) (int, error) {
	need := 0
	if imageID == "" {
		return usersNeed(rootfsPath(c.Config.Rootfs)), nil
	}
	img, err := r.store.Image(imageID)
	if err != nil {
		return 0, err
	}
	for id := img.TopLayer; id != ""; {
		l, err := r.store.Layer(id)
		if err != nil {
			return 0, err
		}
		for _, v := range append(slices.Clone(l.UIDs), l.GIDs...) {
			need = max(need, int(v)+1)
		}
		id = l.Parent
	}
	mnt, err := r.store.MountImage(imageID, nil, "")
	if err != nil {
		return 0, fmt.Errorf("reading the users of image %s: %w", shortID(imageID), err)
	}
	defer func() { _, _ = r.store.UnmountImage(imageID, false) }()
	return max(need, usersNeed(mnt)), nil
}

// usersNeed reads /etc/passwd and /etc/group under root: one more than the highest ID
// there, leaving out nobody (65534), which would make nearly every namespace 65535
// IDs large.
func usersNeed(root string) int {
	need := 0
	if p, err := securejoin.SecureJoin(root, "/etc/passwd"); err == nil {
		users, _ := user.ParsePasswdFile(p)
		for _, u := range users {
			if u.Name != "nobody" && u.Uid != nobodyID {
				need = max(need, u.Uid+1)
			}
			if u.Name != "nobody" && u.Gid != nobodyID {
				need = max(need, u.Gid+1)
			}
		}
	}
	if p, err := securejoin.SecureJoin(root, "/etc/group"); err == nil {
		groups, _ := user.ParseGroupFile(p)
		for _, g := range groups {
			if g.Name != "nobody" && g.Name != "nogroup" && g.Gid != nobodyID {
				need = max(need, g.Gid+1)
			}
		}
	}
	return need
}

// span is the IDs [start, end).
type span struct{ start, end int }

func hostSpans(m []idtools.IDMap) []span {
	out := make([]span, 0, len(m))
	for _, x := range m {
		out = append(out, span{x.HostID, x.HostID + x.Size})
	}
	return out
}

// minus returns the IDs of a that are in none of b, in order.
func minus(a, b []span) []span {
	b = slices.Clone(b)
	slices.SortFunc(b, func(x, y span) int { return x.start - y.start })
	var out []span
	for _, s := range a {
		for _, cut := range b {
			if cut.end <= s.start || cut.start >= s.end {
				continue
			}
			if cut.start > s.start {
				out = append(out, span{s.start, cut.start})
			}
			s.start = max(s.start, cut.end)
			if s.start >= s.end {
				break
			}
		}
		if s.start < s.end {
			out = append(out, s)
		}
	}
	return out
}

func count(s []span) int {
	n := 0
	for _, x := range s {
		n += x.end - x.start
	}
	return n
}

// pickRange maps container IDs 0..size-1, less those that forced mappings (auto's
// uidmapping=) cover, onto the first free host IDs of avail, and adds the forced ones.
func pickRange(avail []idtools.IDMap, used []span, forced []idtools.IDMap, size int) ([]idtools.IDMap, error) {
	used = append(slices.Clone(used), hostSpans(forced)...)
	free := minus(hostSpans(avail), used)
	var cont []span
	for _, f := range forced {
		cont = append(cont, span{f.ContainerID, f.ContainerID + f.Size})
	}
	want := minus([]span{{0, size}}, cont)
	if n, total := count(free), count(want); n < total {
		return nil, fmt.Errorf("%d IDs wanted, only %d of the sub IDs are not mapped by other containers", total, n)
	}
	var out []idtools.IDMap
	for _, w := range want {
		for w.start < w.end {
			n := min(w.end-w.start, free[0].end-free[0].start)
			out = append(out, idtools.IDMap{ContainerID: w.start, HostID: free[0].start, Size: n})
			w.start += n
			if free[0].start += n; free[0].start == free[0].end {
				free = free[1:]
			}
		}
	}
	out = append(out, forced...)
	slices.SortFunc(out, func(a, b idtools.IDMap) int { return a.ContainerID - b.ContainerID })
	return out, nil
}
