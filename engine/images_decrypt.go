package engine

import (
	"fmt"

	encconfig "github.com/containers/ocicrypt/config"
	"github.com/containers/ocicrypt/helpers"
)

// decryptConfig reads --decryption-key KEY[:PASSPHRASE] values as podman does: each
// KEY a file with a private key (PEM or DER, JWE or PKCS7) or a GPG secret key ring;
// a pull tries every key on every encrypted layer. Nil when no key is given: an
// encrypted image then fails to pull, naming the layer it cannot decrypt.
func decryptConfig(keys []string) (*encconfig.DecryptConfig, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cc, err := helpers.CreateDecryptCryptoConfig(keys, nil)
	if err != nil {
		return nil, fmt.Errorf("--decryption-key: %w", err)
	}
	return cc.DecryptConfig, nil
}
