package quadlet

import "testing"

func TestImageShape(t *testing.T) {
	svc := convertOK(t, "db.image", map[string]string{"db.image": "[Image]\nImage=quay.io/a/b:1\n"})
	wantList(t, execArgs(t, svc, "ExecStart"), "image", "pull", "quay.io/a/b:1")
	wantKey(t, svc, "Service", "Type", "oneshot")
	wantKey(t, svc, "Service", "RemainAfterExit", "yes")
	wantKey(t, svc, "Unit", "Wants", "network-online.target")
	if !svc.HasSection("X-Image") || svc.HasSection("Image") {
		t.Errorf("the [Image] section is not hidden:\n%s", svc)
	}
}

func TestImageKeys(t *testing.T) {
	svc := convertOK(t, "db.image", map[string]string{"db.image": `[Image]
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
	wantList(t, execArgs(t, svc, "ExecStart"), "--module=/m.conf", "--log-level=debug", "image", "pull",
		"--all-tags", "--arch", "aarch64", "--os", "linux", "--variant", "arm/v7", "--policy", "missing",
		"--authfile", "/a.json", "--cert-dir", "/certs", "--creds", "me:pw", "--decryption-key", "/k:pass",
		"--retry", "5", "--retry-delay", "10s", "--tls-verify=false", "--quiet", "docker-archive:/tmp/a.tar")
}

func TestImageErrors(t *testing.T) {
	wantErrors(t, "db.image", "[Image]\n", map[string]string{
		"AllTags=true\n":                "no Image key specified",
		"Image=a/b\nPolicy=sometimes\n": `db.image:3: converting "db.image": invalid Policy=sometimes`,
		"Image=a/b\nRetryDelay=soon\n":  "invalid RetryDelay=soon",
		"Image=a/b\nRetry=many\n":       "Retry=many: not an integer",
		"Image=a/b\nVolume=x:/y\n":      "unsupported key 'Volume'",
	})
	// Unlike a container's, an image's service accepts any Type=.
	convertOK(t, "db.image", map[string]string{"db.image": "[Image]\nImage=a/b\n[Service]\nType=simple"})
}

// Other units refer to a .image by the name of the image it pulls.
func TestImageResource(t *testing.T) {
	files := map[string]string{
		"a.image": "[Image]\nImage=quay.io/a:1\n",
		"b.image": "[Image]\nImage=oci-archive:/x.tar\nImageTag=quay.io/b:2\n",
	}
	r := newResolver(parseSources(t, files), Options{})
	for name, want := range map[string]string{"a.image": "quay.io/a:1", "b.image": "quay.io/b:2"} {
		if got, ok := r.Resource(name); !ok || got != want {
			t.Errorf("Resource(%s) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if got := r.ServiceName("a.image"); got != "a-image.service" {
		t.Errorf("service name %q", got)
	}
}
