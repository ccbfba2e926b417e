package enginetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Helpers that shape what the local registry serves, over its HTTP API: image variants
// with another config (another platform, a label), manifest lists, and a proxy in
// front of the registry that asks for credentials, speaks TLS or fails on purpose.

// Manifest is one manifest the registry serves. Config is its config's digest (the
// image ID, after "sha256:") when PushVariant made it.
type Manifest struct {
	Digest, MediaType, Config string
	Size                      int64
}

// PushVariant copies the manifest src ("repo:tag" in the local registry) to dst
// ("repo:tag"), with its config changed by mutate: a new image ID on the same layers.
func PushVariant(t testing.TB, src, dst string, mutate func(config map[string]any)) Manifest {
	t.Helper()
	srcRepo, srcTag := splitRepoTag(t, src)
	dstRepo, dstTag := splitRepoTag(t, dst)
	body, mt := registryGet(t, "/v2/"+srcRepo+"/manifests/"+srcTag,
		"application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	var m struct {
		Config struct {
			Digest string `json:"digest"`
			Size   int64  `json:"size"`
		} `json:"config"`
		Layers []struct {
			Digest string `json:"digest"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("manifest of %s: %v", src, err)
	}
	cfgBytes, _ := registryGet(t, "/v2/"+srcRepo+"/blobs/"+m.Config.Digest, "")
	var cfg map[string]any
	if err := json.Unmarshal(cfgBytes, &cfg); err != nil {
		t.Fatalf("config of %s: %v", src, err)
	}
	mutate(cfg)
	newCfg, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgDigest := PushBlob(t, dstRepo, newCfg)
	for _, l := range m.Layers {
		mountBlob(t, dstRepo, srcRepo, l.Digest)
	}
	// Swap the config descriptor in the raw manifest, keeping the rest as it is.
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	c := raw["config"].(map[string]any)
	c["digest"], c["size"] = cfgDigest, len(newCfg)
	out, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	pushed := PutManifest(t, dstRepo+":"+dstTag, mt, out)
	pushed.Config = cfgDigest
	return pushed
}

// ManifestOf is the manifest the registry serves for repoTag ("repo:tag"), OCI or
// Docker schema 2.
func ManifestOf(t testing.TB, repoTag string) []byte {
	t.Helper()
	repo, tag := splitRepoTag(t, repoTag)
	body, _ := registryGet(t, "/v2/"+repo+"/manifests/"+tag,
		"application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	return body
}

// Platform is one entry of a manifest list.
type Platform struct {
	Manifest
	OS, Arch, Variant string
}

// PushIndex writes an OCI image index of entries (manifests of repo) as dst
// ("repo:tag").
func PushIndex(t testing.TB, dst string, entries []Platform) Manifest {
	t.Helper()
	type platform struct {
		OS      string `json:"os"`
		Arch    string `json:"architecture"`
		Variant string `json:"variant,omitempty"`
	}
	type desc struct {
		MediaType string   `json:"mediaType"`
		Digest    string   `json:"digest"`
		Size      int64    `json:"size"`
		Platform  platform `json:"platform"`
	}
	idx := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Manifests     []desc `json:"manifests"`
	}{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json"}
	for _, e := range entries {
		idx.Manifests = append(idx.Manifests, desc{e.MediaType, e.Digest, e.Size, platform{e.OS, e.Arch, e.Variant}})
	}
	body, err := json.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	return PutManifest(t, dst, idx.MediaType, body)
}

// PutManifest stores a manifest as ref ("repo:tag" or "repo@digest").
func PutManifest(t testing.TB, ref, mediaType string, body []byte) Manifest {
	t.Helper()
	repo, tag := splitRepoTag(t, ref)
	req, err := http.NewRequest(http.MethodPut, registryURL("/v2/"+repo+"/manifests/"+tag), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mediaType)
	resp := registryDo(t, req, http.StatusCreated)
	return Manifest{Digest: resp.Header.Get("Docker-Content-Digest"), MediaType: mediaType, Size: int64(len(body))}
}

// PushBlob uploads data to repo (one monolithic upload) and returns its digest.
func PushBlob(t testing.TB, repo string, data []byte) string {
	t.Helper()
	dg := fmt.Sprintf("sha256:%x", sha256.Sum256(data))
	req, _ := http.NewRequest(http.MethodPost, registryURL("/v2/"+repo+"/blobs/uploads/"), nil)
	resp := registryDo(t, req, http.StatusAccepted)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	q.Set("digest", dg)
	loc.RawQuery = q.Encode()
	if !loc.IsAbs() {
		loc, _ = url.Parse(registryURL(loc.String()))
	}
	req, _ = http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	registryDo(t, req, http.StatusCreated)
	return dg
}

// mountBlob makes a blob of repo from available in repo to, without copying it.
func mountBlob(t testing.TB, to, from, digest string) {
	t.Helper()
	if to == from {
		return
	}
	req, _ := http.NewRequest(http.MethodPost,
		registryURL("/v2/"+to+"/blobs/uploads/?mount="+url.QueryEscape(digest)+"&from="+url.QueryEscape(from)), nil)
	registryDo(t, req, http.StatusCreated)
}

func splitRepoTag(t testing.TB, ref string) (repo, tag string) {
	t.Helper()
	if r, d, ok := strings.Cut(ref, "@"); ok {
		return r, d
	}
	i := strings.LastIndex(ref, ":")
	if i < 0 {
		t.Fatalf("%q: want repo:tag", ref)
	}
	return ref[:i], ref[i+1:]
}

func registryURL(path string) string { return "http://" + RegistryAddr() + path }

func registryGet(t testing.TB, path, accept string) ([]byte, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, registryURL(path), nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp := registryDo(t, req, http.StatusOK)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return body, resp.Header.Get("Content-Type")
}

// registryDo sends req and fails the test unless the registry answers with want. The
// body stays open for the caller on success.
func registryDo(t testing.TB, req *http.Request, want int) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("registry %s %s: %v", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("registry %s %s: %s, want %d: %s", req.Method, req.URL.Path, resp.Status, want, b)
	}
	return resp
}

// ProxyOptions say how a RegistryProxy differs from the registry behind it.
type ProxyOptions struct {
	// User and Password, when set, are required (HTTP basic authentication).
	User, Password string
	// TLS serves HTTPS with a certificate of the test's own authority (see CertDir).
	TLS bool
	// FailManifests answers this many manifest requests with 503 before passing them.
	FailManifests int32
}

// Proxy is a registry in front of the local one.
type Proxy struct {
	// Addr is its host:port.
	Addr string
	// CertDir holds ca.crt, the authority of a TLS proxy, as --cert-dir wants it.
	CertDir string
	// Failed counts the manifest requests it failed on purpose.
	Failed atomic.Int32
}

// RegistryProxy starts a proxy to the local registry, stopped when the test ends.
func RegistryProxy(t testing.TB, o ProxyOptions) *Proxy {
	t.Helper()
	RequireRegistry(t)
	target, _ := url.Parse("http://" + RegistryAddr())
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &Proxy{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.User != "" {
			u, pw, ok := r.BasicAuth()
			if !ok || u != o.User || pw != o.Password {
				w.Header().Set("WWW-Authenticate", `Basic realm="berth-test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintln(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
		}
		if strings.Contains(r.URL.Path, "/manifests/") && p.Failed.Load() < o.FailManifests {
			p.Failed.Add(1)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	})
	var srv *httptest.Server
	if o.TLS {
		srv = httptest.NewTLSServer(handler)
		p.CertDir = t.TempDir()
		ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		if err := os.WriteFile(filepath.Join(p.CertDir, "ca.crt"), ca, 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		srv = httptest.NewServer(handler)
	}
	t.Cleanup(srv.Close)
	p.Addr = strings.TrimPrefix(strings.TrimPrefix(srv.URL, "https://"), "http://")
	return p
}
