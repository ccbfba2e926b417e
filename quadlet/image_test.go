package quadlet

import (
	"slices"
	"strings"
	"testing"

	"github.com/berth-containers/berth/units"
)

// Helpers shared by the tests of .image, .build, .kube and .artifact units. Sources live
// in ibDir, the engine is /usr/bin/berth.

const ibDir = "/etc/containers/systemd"

// ibSources parses each file as if it were in ibDir.
func ibSources(t *testing.T, files map[string]string) map[string]*Source {
	t.Helper()
	out := map[string]*Source{}
	for name, text := range files {
		f, err := units.Parse(ibDir+"/"+name, []byte(text))
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		out[name] = &Source{Name: name, File: f}
	}
	return out
}

func ibConvert(t *testing.T, files map[string]string) map[string]Result {
	t.Helper()
	var srcs []*Source
	for _, s := range ibSources(t, files) {
		srcs = append(srcs, s)
	}
	out := map[string]Result{}
	for _, r := range Convert(srcs, Options{Engine: "/usr/bin/berth"}) {
		out[r.Source.Name] = r
	}
	return out
}

// ibOK converts files and returns the service of the named one, which must succeed.
func ibOK(t *testing.T, name string, files map[string]string) *units.File {
	t.Helper()
	r := ibConvert(t, files)[name]
	if r.Failed() {
		t.Fatalf("%s failed: %v", name, r.Diags)
	}
	return r.Service
}

// ibFail converts files and returns the diagnostics of the named one, which must fail.
func ibFail(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	r := ibConvert(t, files)[name]
	if !r.Failed() {
		t.Fatalf("%s did not fail:\n%s", name, r.Service)
	}
	var msgs []string
	for _, d := range r.Diags {
		msgs = append(msgs, d.String())
	}
	return strings.Join(msgs, "\n")
}

// ibExec returns the argv of an Exec key after the engine.
func ibExec(t *testing.T, svc *units.File, key string) []string {
	t.Helper()
	v, ok := svc.Get("Service", key)
	if !ok {
		t.Fatalf("no %s in\n%s", key, svc)
	}
	w, err := units.SplitWords(v)
	if err != nil || len(w) == 0 || w[0] != "/usr/bin/berth" {
		t.Fatalf("bad %s=%s (%v)", key, v, err)
	}
	return w[1:]
}

func ibWant(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("argv\n got %q\nwant %q", got, want)
	}
}

func ibKey(t *testing.T, svc *units.File, section, key string, want ...string) {
	t.Helper()
	if got := svc.All(section, key); !slices.Equal(got, want) {
		t.Errorf("[%s] %s = %q, want %q", section, key, got, want)
	}
}

func TestImageShape(t *testing.T) {
	svc := ibOK(t, "db.image", map[string]string{"db.image": "[Image]\nImage=quay.io/a/b:1\n"})
	ibWant(t, ibExec(t, svc, "ExecStart"), "image", "pull", "quay.io/a/b:1")
	ibKey(t, svc, "Service", "Type", "oneshot")
	ibKey(t, svc, "Service", "RemainAfterExit", "yes")
	ibKey(t, svc, "Unit", "Wants", "network-online.target")
	if !svc.HasSection("X-Image") || svc.HasSection("Image") {
		t.Errorf("the [Image] section is not hidden:\n%s", svc)
	}
}

func TestImageKeys(t *testing.T) {
	svc := ibOK(t, "db.image", map[string]string{"db.image": `[Image]
Image=docker-archive:/tmp/a.tar
ImageTag=quay.io/a/b:1
AllTags=yes
Arch=aarch64
OS=linux
Variant=arm/v7
Policy=missing
AuthFile=/a.json
CertDir=/certs
Creds=me:pw
DecryptionKey=/k:pass
Retry=5
RetryDelay=10s
TLSVerify=no
GlobalArgs=--log-level=debug
ContainersConfModule=/m.conf
PodmanArgs=--quiet
`})
	ibWant(t, ibExec(t, svc, "ExecStart"), "--module=/m.conf", "--log-level=debug", "image", "pull",
		"--all-tags", "--arch", "aarch64", "--os", "linux", "--variant", "arm/v7", "--policy", "missing",
		"--authfile", "/a.json", "--cert-dir", "/certs", "--creds", "me:pw", "--decryption-key", "/k:pass",
		"--retry", "5", "--retry-delay", "10s", "--tls-verify=false", "--quiet", "docker-archive:/tmp/a.tar")
}

func TestImageErrors(t *testing.T) {
	for text, want := range map[string]string{
		"[Image]\nAllTags=true\n":                    "no Image key specified",
		"[Image]\nImage=a/b\nPolicy=sometimes\n":     `db.image:3: converting "db.image": invalid Policy=sometimes`,
		"[Image]\nImage=a/b\nRetryDelay=soon\n":      "invalid RetryDelay=soon",
		"[Image]\nImage=a/b\nRetry=many\n":           "Retry=many: not an integer",
		"[Image]\nImage=a/b\nVolume=x:/y\n":          "unsupported key 'Volume'",
		"[Image]\nImage=a/b\n[Service]\nType=simple": "",
	} {
		if want == "" {
			ibOK(t, "db.image", map[string]string{"db.image": text})
			continue
		}
		if got := ibFail(t, "db.image", map[string]string{"db.image": text}); !strings.Contains(got, want) {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
}

// Other units refer to a .image by the name of the image it pulls.
func TestImageResource(t *testing.T) {
	files := map[string]string{
		"a.image": "[Image]\nImage=quay.io/a:1\n",
		"b.image": "[Image]\nImage=oci-archive:/x.tar\nImageTag=quay.io/b:2\n",
	}
	r := newResolver(nil, Options{})
	for name, s := range ibSources(t, files) {
		r.byName[name] = s
	}
	for name, want := range map[string]string{"a.image": "quay.io/a:1", "b.image": "quay.io/b:2"} {
		if got, ok := r.Resource(name); !ok || got != want {
			t.Errorf("Resource(%s) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if got := r.ServiceName("a.image"); got != "a-image.service" {
		t.Errorf("service name %q", got)
	}
}

func TestImageTablesComplete(t *testing.T) {
	for ext, n := range map[string]int{".image": 18, ".build": 28, ".kube": 19, ".artifact": 13} {
		if got := len(unitTypes[ext].table.Keys); got != n {
			t.Errorf("%s has %d keys, want %d", ext, got, n)
		}
		for _, k := range unitTypes[ext].table.Keys {
			if k.Doc == "" || k.Arg == "" || (k.Flag == "" && k.Apply == nil && !k.Converter) {
				t.Errorf("%s key %s is incomplete: %+v", ext, k.Name, k)
			}
		}
	}
}

// ibHas tells whether seq occurs in argv, in order and adjacent.
func ibHas(argv []string, seq ...string) bool {
	for i := 0; i+len(seq) <= len(argv); i++ {
		if slices.Equal(argv[i:i+len(seq)], seq) {
			return true
		}
	}
	return false
}
