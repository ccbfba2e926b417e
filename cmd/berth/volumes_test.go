package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/berth-containers/berth/engine"
)

func TestVolumeCommands(t *testing.T) {
	e := newImageEnv(t)

	if out := e.ok(t, "volume", "create", "--label", "app=web", "-o", "o=uid=7", "data"); out != "data\n" {
		t.Errorf("volume create printed %q", out)
	}
	oneLineError(t, e.run(t, "volume", "create", "data"), 125, "volume with name data already exists")
	if out := e.ok(t, "volume", "create", "--ignore", "data"); out != "data\n" {
		t.Errorf("create --ignore printed %q", out)
	}
	oneLineError(t, e.run(t, "volume", "create", "-o", "o=size=10m", "tmp"), 125, "not supported yet")
	e.ok(t, "volume", "create", "other")

	if out := e.ok(t, "volume", "ls"); out != "DRIVER      VOLUME NAME\nlocal       data\nlocal       other\n" {
		t.Errorf("volume ls:\n%s", out)
	}
	if out := e.ok(t, "volume", "ls", "-q", "--filter", "label=app=web"); out != "data\n" {
		t.Errorf("ls -q --filter label = %q", out)
	}
	if out := e.ok(t, "volume", "ls", "--format", "{{.Name}} {{.Label \"app\"}}", "--filter", "name=dat"); out != "data web\n" {
		t.Errorf("ls --format = %q", out)
	}
	var list []engine.VolumeInspect
	if err := json.Unmarshal([]byte(e.ok(t, "volume", "ls", "--format", "json")), &list); err != nil || len(list) != 2 {
		t.Errorf("ls --format json: %v %+v", err, list)
	}
	var vi []map[string]any
	if err := json.Unmarshal([]byte(e.ok(t, "volume", "inspect", "data")), &vi); err != nil || len(vi) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	for _, k := range []string{"Name", "Driver", "Mountpoint", "CreatedAt", "Labels", "Scope", "Options", "UID"} {
		if _, ok := vi[0][k]; !ok {
			t.Errorf("inspect has no %s: %v", k, vi[0])
		}
	}
	if out := e.ok(t, "volume", "inspect", "--format", "{{.Scope}} {{.UID}} {{.Mountpoint}}", "data"); !strings.HasPrefix(out, "local 7 "+e.opts.Root) {
		t.Errorf("inspect --format = %q", out)
	}
	if r := e.run(t, "volume", "exists", "data"); r.code != 0 {
		t.Errorf("exists data: exit %d", r.code)
	}
	if r := e.run(t, "volume", "exists", "dat"); r.code != 1 || r.stderr != "" {
		t.Errorf("exists dat: exit %d, %q", r.code, r.stderr)
	}
	oneLineError(t, e.run(t, "volume", "rm", "nope"), 1, `no volume with name "nope" found`)
	if out := e.ok(t, "volume", "prune", "-f", "--filter", "label=app=web"); out != "data\n" {
		t.Errorf("prune --filter printed %q", out)
	}
	if out := e.ok(t, "volume", "rm", "other"); out != "other\n" {
		t.Errorf("rm printed %q", out)
	}
}

// TestVolumeContainersCLI runs containers on named volumes through berth itself.
func TestVolumeContainersCLI(t *testing.T) {
	e := newCtrEnv(t)

	// -v creates the volume; the data outlives the container (rm -v keeps named volumes).
	e.ok(t, "run", "--name", "writer", "--network", "none", "-v", "data:/d", e.ref, "sh", "-c", "echo kept > /d/f")
	e.ok(t, "rm", "-v", "writer")
	if out := e.ok(t, "run", "--rm", "--network", "none", "--mount", "type=volume,source=data,destination=/x", e.ref, "cat", "/x/f"); out != "kept\n" {
		t.Errorf("second container read %q", out)
	}
	// Copy-up of the image's /etc, and none with nocopy.
	if out := e.ok(t, "run", "--rm", "--network", "none", "-v", "etc:/etc", e.ref, "cat", "/etc/passwd"); !strings.Contains(out, "root:") {
		t.Errorf("copy-up: /etc/passwd is %q", out)
	}
	if out := e.ok(t, "run", "--rm", "--network", "none", "-v", "bare:/etc:nocopy", e.ref, "ls", "/etc"); strings.Contains(out, "passwd") {
		t.Errorf("nocopy: /etc has %q", out)
	}

	id := strings.TrimSpace(e.ok(t, "create", "--network", "none", "-v", "data:/d:ro", e.ref, "true"))
	r := e.run(t, "volume", "rm", "data")
	oneLineError(t, r, 2, "volume data is being used by the following container(s): "+id[:12])
	if out := e.ok(t, "volume", "rm", "-f", "data"); out != "data\n" {
		t.Errorf("rm -f printed %q", out)
	}
	if r := e.run(t, "container", "exists", id); r.code != 1 {
		t.Errorf("the container of a volume removed with -f: exists exit %d", r.code)
	}
	// A create that fails leaves no volume it made, and keeps those it did not.
	e.ok(t, "volume", "create", "old")
	e.ok(t, "create", "--name", "taken", "--network", "none", e.ref, "true")
	r = e.run(t, "run", "--name", "taken", "--network", "none", "-v", "fresh:/d", "-v", "old:/o", "-v", "/a", e.ref, "true")
	oneLineError(t, r, 125, "already in use")
	if out := e.ok(t, "volume", "ls", "-q"); out != "bare\netc\nold\n" {
		t.Errorf("volumes after a failed create: %q", out)
	}
	e.ok(t, "rm", "taken")
	// The volumes no container uses.
	if out := e.ok(t, "volume", "prune", "-f"); out != "bare\netc\nold\n" {
		t.Errorf("prune printed %q", out)
	}

	// --rm takes its anonymous volumes along.
	e.ok(t, "run", "--rm", "--network", "none", "-v", "/anon", e.ref, "true")
	e.ok(t, "run", "--name", "anon", "--network", "none", "-v", "/anon", e.ref, "true")
	if out := e.ok(t, "volume", "ls", "-q"); len(strings.TrimSpace(out)) != 64 {
		t.Errorf("volumes after run --rm and run -v /anon: %q", out)
	}
	e.ok(t, "rm", "-v", "anon")
	if out := e.ok(t, "volume", "ls", "-q"); out != "" {
		t.Errorf("rm -v left volumes %q", out)
	}
}
