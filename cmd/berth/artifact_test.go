package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-containers/berth/engine/enginetest"
)

// An artifact made with `artifact add` and pushed to the local registry is pulled by
// the exact command an .artifact unit generates, through a registry that wants
// credentials and fails once; then listed, inspected, extracted and removed.
func TestArtifactUnitCommand(t *testing.T) {
	e := newImageEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"config.txt": "artifact payload\n", "model.json": `{"w":1}` + "\n"})
	ref := enginetest.RegistryAddr() + "/berth-test/artifact:v1"
	add := e.ok(t, "artifact", "add", "--annotation", "org.example=yes", ref,
		filepath.Join(dir, "config.txt"), filepath.Join(dir, "model.json"))
	e.ok(t, "artifact", "push", ref)

	p := enginetest.RegistryProxy(t, enginetest.ProxyOptions{User: "berth", Password: "pw", FailManifests: 1})
	proxied := p.Addr + "/berth-test/artifact:v1"
	priv, _ := writeRSAKey(t, t.TempDir())
	args := unitExec(t, "/etc/containers/systemd/data.artifact", fmt.Sprintf(`[Artifact]
Artifact=%s
Quiet=true
Creds=berth:pw
DecryptionKey=%s
Retry=2
RetryDelay=200ms
TLSVerify=false
`, proxied, priv), "ExecStart")
	other := newImageEnv(t)
	oneLineError(t, other.run(t, "artifact", "pull", "--tls-verify=false", "--retry=0", proxied), 125, "unauthorized")
	if out := other.ok(t, args...); out != "" {
		t.Errorf("artifact pull --quiet printed %q", out)
	}
	if p.Failed.Load() != 1 {
		t.Errorf("the registry failed %d requests, want 1 (retried)", p.Failed.Load())
	}

	ls := other.ok(t, "artifact", "ls", "--no-trunc", "--noheading")
	if !strings.Contains(ls, p.Addr+"/berth-test/artifact") || !strings.Contains(ls, strings.TrimSpace(add)) {
		t.Errorf("artifact ls = %q, want the pulled artifact with digest %s", ls, add)
	}
	var doc struct {
		Name     string
		Digest   string
		Manifest struct {
			Layers []struct {
				Annotations map[string]string
			}
		}
	}
	if err := json.Unmarshal([]byte(other.ok(t, "artifact", "inspect", proxied)), &doc); err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, l := range doc.Manifest.Layers {
		titles = append(titles, l.Annotations["org.opencontainers.image.title"])
		if l.Annotations["org.example"] != "yes" {
			t.Errorf("layer annotations %v lack org.example", l.Annotations)
		}
	}
	if doc.Name != proxied || doc.Digest != "sha256:"+strings.TrimSpace(add) || !slices.Equal(titles, []string{"config.txt", "model.json"}) {
		t.Errorf("artifact inspect: %+v", doc)
	}
	if got := other.ok(t, "artifact", "inspect", "--format", "{{.Digest}}", strings.TrimSpace(add)[:12]); strings.TrimSpace(got) != doc.Digest {
		t.Errorf("inspect by short digest = %q", got)
	}

	out := t.TempDir()
	other.ok(t, "artifact", "extract", proxied, out)
	if b, _ := os.ReadFile(filepath.Join(out, "config.txt")); string(b) != "artifact payload\n" {
		t.Errorf("extracted config.txt holds %q", b)
	}
	one := filepath.Join(t.TempDir(), "model")
	other.ok(t, "artifact", "extract", "--title", "model.json", proxied, one)
	if b, _ := os.ReadFile(one); string(b) != `{"w":1}`+"\n" {
		t.Errorf("extracted model.json holds %q", b)
	}

	if out := other.ok(t, "artifact", "rm", proxied); out != "Deleted: "+add {
		t.Errorf("artifact rm printed %q", out)
	}
	oneLineError(t, other.run(t, "artifact", "rm", proxied), 125, "no such artifact")
	other.ok(t, "artifact", "rm", "--ignore", proxied)
	if ls := other.ok(t, "artifact", "ls", "-n"); ls != "" {
		t.Errorf("after rm, artifact ls = %q", ls)
	}
	oneLineError(t, other.run(t, "artifact", "pull", "notqualified"), 125, "full name")
}

// kube play and kube down, as .kube units run them, fail with one clear line.
func TestKubeRefused(t *testing.T) {
	unit := "[Kube]\nYaml=/etc/containers/systemd/web.yaml\nKubeDownForce=true\nPublishPort=8080:80\n"
	svc := unitService(t, "/etc/containers/systemd/web.kube", unit)
	for _, key := range []string{"ExecStart", "ExecStopPost"} {
		r := runBerth(t, execWords(t, svc, key)...)
		oneLineError(t, r, 125, "berth does not run Kubernetes YAML")
		if !strings.Contains(r.stderr, "web.yaml") || !strings.Contains(r.stderr, "not supported") {
			t.Errorf("%s: %q does not name the file and say it is not supported", key, r.stderr)
		}
	}
	oneLineError(t, runBerth(t, "play", "kube", "x.yml"), 125, "play kube x.yml")
}
