package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine/enginetest"
	"github.com/berth-containers/berth/quadlet"
	"github.com/berth-containers/berth/units"
)

// The flags of `pull` that .image units emit, each checked by its effect on the local
// registry (or a proxy in front of it that asks for credentials, speaks TLS or fails).

// unitExec converts one Quadlet unit (its path and text) as the generator does and
// returns the words of key (ExecStart...) after the engine's path.
func unitExec(t *testing.T, path, text, key string) []string {
	t.Helper()
	return execWords(t, unitService(t, path, text), key)
}

// unitService converts one Quadlet unit as the generator does.
func unitService(t *testing.T, path, text string) *units.File {
	t.Helper()
	f, err := units.Parse(path, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(path)
	res := quadlet.Convert([]*quadlet.Source{{Name: name, File: f}}, quadlet.Options{Engine: "/usr/bin/berth"})
	if len(res) != 1 || res[0].Failed() {
		t.Fatalf("converting %s: %+v", name, res)
	}
	return res[0].Service
}

// execWords are the words of a service's key (ExecStart...) after the engine's path.
func execWords(t *testing.T, svc *units.File, key string) []string {
	t.Helper()
	v, ok := svc.Get("Service", key)
	if !ok {
		t.Fatalf("the service has no %s", key)
	}
	words, err := units.SplitWords(v)
	if err != nil || len(words) < 2 || words[0] != "/usr/bin/berth" {
		t.Fatalf("%s=%s: %v", key, v, err)
	}
	return words[1:]
}

// repoTags are the names of the images in e, sorted.
func (e *imageEnv) repoTags(t *testing.T) []string {
	t.Helper()
	out := strings.Fields(e.ok(t, "images", "--format", "{{.Repository}}:{{.Tag}}"))
	slices.Sort(out)
	return out
}

// labelled pushes a busybox whose config carries label round=n to the local registry
// as repo:tag: a new image ID each round.
func labelled(t *testing.T, repoTag string, n int) {
	t.Helper()
	enginetest.PushVariant(t, "busybox:latest", repoTag, func(cfg map[string]any) {
		c, _ := cfg["config"].(map[string]any)
		if c == nil {
			c = map[string]any{}
			cfg["config"] = c
		}
		labels, _ := c["Labels"].(map[string]any)
		if labels == nil {
			labels = map[string]any{}
			c["Labels"] = labels
		}
		labels["round"] = fmt.Sprint(n)
	})
}

// An .image unit with many keys: the exact command it generates pulls every tag, for
// the platform asked, with the registry settings given.
func TestImageUnitCommand(t *testing.T) {
	e := newImageEnv(t)
	reg := enginetest.RegistryAddr()
	e.ok(t, "pull", "-q", enginetest.BusyboxRef())
	for _, tag := range []string{"one", "two"} {
		e.ok(t, "push", "-q", enginetest.BusyboxRef(), reg+"/berth-test/unit:"+tag)
	}
	dir := t.TempDir()
	auth := filepath.Join(dir, "auth.json")
	if err := os.WriteFile(auth, []byte(`{"auths":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := unitExec(t, "/etc/containers/systemd/full.image", fmt.Sprintf(`[Image]
Image=%s/berth-test/unit
AllTags=true
Arch=amd64
OS=linux
Policy=always
AuthFile=%s
CertDir=%s
Retry=2
RetryDelay=1s
TLSVerify=false
PodmanArgs=--quiet
`, reg, auth, dir), "ExecStart")
	for _, want := range []string{"--all-tags", "--arch", "--os", "--policy", "--authfile", "--cert-dir", "--retry", "--retry-delay", "--tls-verify=false", "--quiet"} {
		if !slices.Contains(args, want) {
			t.Errorf("generated command %v lacks %s", args, want)
		}
	}
	other := newImageEnv(t)
	out := other.ok(t, args...)
	if ids := strings.Fields(out); len(ids) != 2 || len(ids[0]) != 64 {
		t.Errorf("pull --all-tags printed %q, want two image IDs", out)
	}
	if got, want := other.repoTags(t), []string{reg + "/berth-test/unit:one", reg + "/berth-test/unit:two"}; !slices.Equal(got, want) {
		t.Errorf("after the unit's pull: images %v, want %v", got, want)
	}
}

func TestPullAllTags(t *testing.T) {
	e := newImageEnv(t)
	reg := enginetest.RegistryAddr()
	e.ok(t, "pull", "-q", enginetest.BusyboxRef())
	for _, tag := range []string{"a", "b", "c"} {
		e.ok(t, "push", "-q", enginetest.BusyboxRef(), reg+"/berth-test/alltags:"+tag)
	}
	other := newImageEnv(t)
	other.ok(t, "pull", "-a", reg+"/berth-test/alltags")
	want := []string{reg + "/berth-test/alltags:a", reg + "/berth-test/alltags:b", reg + "/berth-test/alltags:c"}
	if got := other.repoTags(t); !slices.Equal(got, want) {
		t.Errorf("pull --all-tags: images %v, want %v", got, want)
	}
	oneLineError(t, other.run(t, "pull", "--all-tags", reg+"/berth-test/alltags:a"), 125, "without a tag")
	oneLineError(t, other.run(t, "pull", "--all-tags", "oci-archive:/nonexistent.tar"), 125, "registry only")
}

// --policy: missing and never use the local image without the network, always pulls,
// newer pulls only when the registry's digest changed.
func TestPullPolicy(t *testing.T) {
	e := newImageEnv(t)
	id := strings.TrimSpace(e.ok(t, "pull", "-q", enginetest.BusyboxRef()))
	offline := "127.0.0.1:1/berth-test/offline:v1" // nothing listens on port 1
	e.ok(t, "tag", id, offline)
	for _, p := range []string{"missing", "never"} {
		if out := strings.TrimSpace(e.ok(t, "pull", "--policy", p, offline)); out != id {
			t.Errorf("--policy %s of a local image printed %q, want %s", p, out, id)
		}
	}
	oneLineError(t, e.run(t, "pull", "--policy", "always", "--retry", "0", offline), 125, "127.0.0.1:1")
	oneLineError(t, e.run(t, "pull", "--policy", "never", "127.0.0.1:1/berth-test/absent:v1"), 125, "absent")

	ref := enginetest.RegistryAddr() + "/berth-test/policy:latest"
	round := int(time.Now().UnixNano())
	labelled(t, ref[len(enginetest.RegistryAddr())+1:], round)
	first := strings.TrimSpace(e.ok(t, "pull", "-q", ref))
	labelled(t, ref[len(enginetest.RegistryAddr())+1:], round+1)
	if got := strings.TrimSpace(e.ok(t, "pull", "-q", "--policy", "missing", ref)); got != first {
		t.Errorf("--policy missing pulled again: %s, had %s", got, first)
	}
	second := strings.TrimSpace(e.ok(t, "pull", "-q", "--policy", "newer", ref))
	if second == first {
		t.Errorf("--policy newer kept %s though the registry has a new image", first)
	}
	label := strings.TrimSpace(e.ok(t, "image", "inspect", "--format", "{{.Labels.round}}", ref))
	if label != fmt.Sprint(round+1) {
		t.Errorf("after --policy newer the image has round %s, want %d", label, round+1)
	}
	if got := strings.TrimSpace(e.ok(t, "pull", "-q", "--policy", "newer", ref)); got != second {
		t.Errorf("--policy newer without a change gave %s, want %s", got, second)
	}
}

// --arch, --os, --variant and --platform pick the entry of a manifest list.
func TestPullPlatform(t *testing.T) {
	e := newImageEnv(t)
	var entries []enginetest.Platform
	for _, p := range [][3]string{{"linux", "amd64", ""}, {"linux", "arm64", "v8"}, {"linux", "arm", "v7"}, {"linux", "arm", "v6"}} {
		tag := p[1] + p[2]
		m := enginetest.PushVariant(t, "busybox:latest", "berth-test/multi:"+tag, func(cfg map[string]any) {
			cfg["os"], cfg["architecture"] = p[0], p[1]
			if p[2] != "" {
				cfg["variant"] = p[2]
			} else {
				delete(cfg, "variant")
			}
		})
		entries = append(entries, enginetest.Platform{Manifest: m, OS: p[0], Arch: p[1], Variant: p[2]})
	}
	enginetest.PushIndex(t, "berth-test/multi:latest", entries)
	ref := enginetest.RegistryAddr() + "/berth-test/multi:latest"
	for _, c := range []struct {
		flags []string
		want  int // entry
	}{
		{nil, 0},
		{[]string{"--arch", "arm64"}, 1},
		{[]string{"--arch", "arm", "--variant", "v6"}, 3},
		{[]string{"--os", "linux", "--arch", "arm", "--variant", "v7"}, 2},
		{[]string{"--platform", "linux/arm/v6"}, 3},
	} {
		id := strings.TrimSpace(e.ok(t, append(append([]string{"pull", "-q"}, c.flags...), ref)...))
		want := entries[c.want]
		if "sha256:"+id != want.Config {
			t.Errorf("pull %v: image %s, want %s (%s/%s)", c.flags, id, want.Config, want.Arch, want.Variant)
		}
		if arch := strings.TrimSpace(e.ok(t, "image", "inspect", "--format", "{{.Architecture}}", id)); arch != want.Arch {
			t.Errorf("pull %v: architecture %s, want %s", c.flags, arch, want.Arch)
		}
	}
	oneLineError(t, e.run(t, "pull", "--arch", "s390x", ref), 125, "s390x")
}

// --creds and --authfile reach a registry that wants credentials; --tls-verify=false
// allows plain HTTP; --cert-dir trusts a registry's own authority.
func TestPullRegistryAccess(t *testing.T) {
	e := newImageEnv(t)
	p := enginetest.RegistryProxy(t, enginetest.ProxyOptions{User: "berth", Password: "s3cret"})
	ref := p.Addr + "/busybox:latest"
	oneLineError(t, e.run(t, "pull", "--retry", "0", ref), 125, "HTTPS")
	oneLineError(t, e.run(t, "pull", "--retry", "0", "--tls-verify=false", ref), 125, "unauthorized")
	oneLineError(t, e.run(t, "pull", "--retry", "0", "--tls-verify=false", "--creds", "berth:wrong", ref), 125, "unauthorized")
	e.ok(t, "pull", "--tls-verify=false", "--creds", "berth:s3cret", ref)
	e.ok(t, "rmi", ref)

	auth := filepath.Join(t.TempDir(), "auth.json")
	conf := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, p.Addr, base64.StdEncoding.EncodeToString([]byte("berth:s3cret")))
	if err := os.WriteFile(auth, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok(t, "pull", "--tls-verify=false", "--authfile", auth, ref)
	oneLineError(t, e.run(t, "pull", "--authfile", filepath.Join(t.TempDir(), "none.json"), ref), 125, "credential file")

	tp := enginetest.RegistryProxy(t, enginetest.ProxyOptions{TLS: true})
	tref := tp.Addr + "/busybox:latest"
	oneLineError(t, e.run(t, "pull", "--retry", "0", tref), 125, "certificate")
	e.ok(t, "pull", "--cert-dir", tp.CertDir, tref)
	e.ok(t, "rmi", tref)
	e.ok(t, "pull", "--tls-verify=false", tref)
}

// --retry and --retry-delay: a registry that fails twice is tried again after the
// delay; with --retry 0 the first failure ends the pull.
func TestPullRetry(t *testing.T) {
	e := newImageEnv(t)
	p := enginetest.RegistryProxy(t, enginetest.ProxyOptions{FailManifests: 1})
	ref := p.Addr + "/busybox:latest"
	oneLineError(t, e.run(t, "pull", "--tls-verify=false", "--retry", "0", ref), 125, "503")

	p = enginetest.RegistryProxy(t, enginetest.ProxyOptions{FailManifests: 2})
	ref = p.Addr + "/busybox:latest"
	start := time.Now()
	e.ok(t, "pull", "-q", "--tls-verify=false", "--retry", "2", "--retry-delay", "400ms", ref)
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Errorf("two retries 400ms apart took %s", d)
	}
	if n := p.Failed.Load(); n != 2 {
		t.Errorf("the registry failed %d requests, want 2", n)
	}
}

// writeRSAKey writes a new RSA key pair into dir, as PEM files, and returns their
// paths.
func writeRSAKey(t *testing.T, dir string) (priv, pub string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	priv, pub = filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	for path, block := range map[string]*pem.Block{
		priv: {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)},
		pub:  {Type: "PUBLIC KEY", Bytes: pubDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return priv, pub
}

// --decryption-key: an image pushed with encrypted layers (berth push
// --encryption-key) pulls with the private key, and not without it.
func TestPullDecryptionKey(t *testing.T) {
	e := newImageEnv(t)
	dir := t.TempDir()
	priv, pub := writeRSAKey(t, dir)
	enc := enginetest.RegistryAddr() + "/berth-test/pull-encrypted:latest"
	e.ok(t, "pull", "-q", enginetest.BusyboxRef())
	e.ok(t, "push", "-q", "--encryption-key", "jwe:"+pub, enginetest.BusyboxRef(), enc)

	var manifest struct {
		Layers []struct{ MediaType string } `json:"layers"`
	}
	if err := json.Unmarshal(enginetest.ManifestOf(t, "berth-test/pull-encrypted:latest"), &manifest); err != nil ||
		len(manifest.Layers) == 0 || !strings.HasSuffix(manifest.Layers[0].MediaType, "+encrypted") {
		t.Fatalf("push --encryption-key left layers %+v (%v)", manifest.Layers, err)
	}
	other := newImageEnv(t)
	oneLineError(t, other.run(t, "pull", enc), 125, "DiffID")
	oneLineError(t, other.run(t, "pull", "--decryption-key", filepath.Join(dir, "nope.pem"), enc), 125, "--decryption-key")
	other.ok(t, "pull", "-q", "--decryption-key", priv, enc)
	other.ok(t, "image", "exists", enc)
}
