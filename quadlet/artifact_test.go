package quadlet

import (
	"strings"
	"testing"
)

func TestArtifact(t *testing.T) {
	svc := convertOK(t, "data.artifact", map[string]string{"data.artifact": `[Artifact]
Artifact=quay.io/a/art:1
AuthFile=/a.json
CertDir=/certs
Creds=me:pw
DecryptionKey=/k
Quiet=true
Retry=3
RetryDelay=5s
TLSVerify=false
`})
	wantList(t, execArgs(t, svc, "ExecStart"), "artifact", "pull", "--quiet", "--authfile", "/a.json",
		"--cert-dir", "/certs", "--creds", "me:pw", "--decryption-key", "/k", "--retry", "3",
		"--retry-delay", "5s", "--tls-verify=false", "quay.io/a/art:1")
	wantKey(t, svc, "Service", "Type", "oneshot")
	wantKey(t, svc, "Service", "RemainAfterExit", "yes")

	files := map[string]string{"data.artifact": "[Artifact]\nArtifact=quay.io/a/art:1\n"}
	r := newResolver(parseSources(t, files), Options{})
	if got, ok := r.Resource("data.artifact"); !ok || got != "quay.io/a/art:1" {
		t.Errorf("resource %q %v", got, ok)
	}
	if got := r.ServiceName("data.artifact"); got != "data-artifact.service" {
		t.Errorf("service name %q", got)
	}
	if got := convertFail(t, "x.artifact", map[string]string{"x.artifact": "[Artifact]\nQuiet=true\n"}); !strings.Contains(got, "no Artifact key specified") {
		t.Errorf("got %q", got)
	}
}
