package engine

import (
	"context"
	"fmt"

	"github.com/containers/ocicrypt/helpers"
	"github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/common/libimage"
	"go.podman.io/image/v5/manifest"
)

// PushOptions are podman push's options. The registry options (Creds, AuthFile,
// CertDir, TLSVerify, Retry, RetryDelay, Quiet, Progress) mean what they mean for a
// pull; Arch, OS, Variant, AllTags and DecryptionKeys do not apply to a push.
type PushOptions struct {
	PullOptions
	// Format is the manifest type to write: oci, v2s2 or v2s1; "" keeps the image's.
	Format string
	// RemoveSignatures drops the image's signatures instead of copying them.
	RemoveSignatures bool
	// EncryptionKeys are --encryption-key PROTOCOL:KEYFILE recipients (jwe:pub.pem,
	// pgp:..., pkcs7:cert.pem); EncryptLayers the layer indexes to encrypt (negative
	// from the last), all layers when empty.
	EncryptionKeys []string
	EncryptLayers  []int
}

// manifestFormats maps podman's --format names to manifest types.
var manifestFormats = map[string]string{
	"oci":  imgspec.MediaTypeImageManifest,
	"v2s2": manifest.DockerV2Schema2MediaType,
	"v2s1": manifest.DockerV2Schema1SignedMediaType,
}

// Push copies a local image to dest (a registry reference, or any transport: oci:,
// oci-archive:, dir: ...); dest "" pushes to the registry the image's own name
// points at. It returns the digest of the manifest written.
func (r *Runtime) Push(ctx context.Context, source, dest string, o PushOptions) (digest.Digest, error) {
	if dest != "" {
		if err := CheckImageName(dest); err != nil {
			return "", err
		}
	}
	if o.AllTags || o.Arch != "" || o.OS != "" || o.Variant != "" || len(o.DecryptionKeys) > 0 {
		return "", fmt.Errorf("pushing %s: --all-tags, --arch, --os, --variant and --decryption-key apply to pulls: %w", source, ErrUnsupported)
	}
	if _, err := r.LookupImage(source); err != nil {
		return "", fmt.Errorf("pushing: %w", err)
	}
	copts, err := o.copyOptions()
	if err != nil {
		return "", fmt.Errorf("pushing %s: %w", source, err)
	}
	if o.Format != "" {
		mt, ok := manifestFormats[o.Format]
		if !ok {
			return "", fmt.Errorf("pushing %s: --format %q: use oci, v2s2 or v2s1", source, o.Format)
		}
		copts.ManifestMIMEType = mt
	}
	copts.RemoveSignatures = o.RemoveSignatures
	if len(o.EncryptionKeys) > 0 {
		cc, err := helpers.CreateCryptoConfig(o.EncryptionKeys, nil)
		if err != nil {
			return "", fmt.Errorf("pushing %s: --encryption-key: %w", source, err)
		}
		layers := append([]int{}, o.EncryptLayers...)
		copts.OciEncryptConfig, copts.OciEncryptLayers = cc.EncryptConfig, &layers
	} else if len(o.EncryptLayers) > 0 {
		return "", fmt.Errorf("pushing %s: --encrypt-layer needs --encryption-key", source)
	}
	m, err := r.images.Push(ctx, source, dest, &libimage.PushOptions{CopyOptions: copts})
	if err != nil {
		name := dest
		if name == "" {
			name = source
		}
		return "", &imageError{op: "pushing", name: name, err: err}
	}
	return manifest.Digest(m)
}
