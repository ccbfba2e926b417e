package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.podman.io/common/pkg/secrets"
)

// Secrets are kept as podman keeps them, through go.podman.io/common's secrets
// manager: the metadata in <graphroot>/secrets/secrets.json and, with the file
// driver, the data in <graphroot>/secrets/filedriver/secretsdata.json. podman and
// berth sharing a graph root therefore see the same secrets.

// ErrNoSuchSecret is returned for a secret name or ID that is not known.
var ErrNoSuchSecret = secrets.ErrNoSuchSecret

// SecretDriverFile is the only driver berth supports: the data in a file under the
// graph root, unencrypted (podman's default).
const SecretDriverFile = "file"

// Secret is a secret's metadata (never its data).
type Secret struct {
	ID            string
	Name          string
	Driver        string
	DriverOptions map[string]string
	Labels        map[string]string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// SecretCreateOptions are podman secret create's flags.
type SecretCreateOptions struct {
	Driver  string            // "" or file
	Labels  map[string]string // --label
	Replace bool              // --replace: give an existing name new data
	Ignore  bool              // --ignore: keep an existing secret of that name
}

// SecretsDir is the folder of the secrets store: <graphroot>/secrets, as podman's.
func (r *Runtime) SecretsDir() string { return filepath.Join(r.store.GraphRoot(), "secrets") }

func (r *Runtime) secretsManager() (*secrets.SecretsManager, error) {
	m, err := secrets.NewManager(r.SecretsDir())
	if err != nil {
		return nil, fmt.Errorf("opening the secrets store %s: %w", r.SecretsDir(), err)
	}
	return m, nil
}

// CreateSecret stores data under name and returns the secret's ID (25 hex characters).
func (r *Runtime) CreateSecret(name string, data []byte, o SecretCreateOptions) (string, error) {
	if o.Driver != "" && o.Driver != SecretDriverFile {
		return "", fmt.Errorf("secret %s: driver %q: only the file driver is supported: %w", name, o.Driver, ErrUnsupported)
	}
	if o.Replace && o.Ignore {
		return "", fmt.Errorf("secret %s: --replace and --ignore cannot be used together", name)
	}
	m, err := r.secretsManager()
	if err != nil {
		return "", err
	}
	id, err := m.Store(name, data, SecretDriverFile, secrets.StoreOptions{
		DriverOpts: map[string]string{"path": filepath.Join(r.SecretsDir(), "filedriver")},
		Labels:     o.Labels, Replace: o.Replace, IgnoreIfExists: o.Ignore,
	})
	if err != nil {
		if strings.Contains(err.Error(), "secret name in use") {
			return "", fmt.Errorf("secret name %q is already in use; remove it or use --replace", name)
		}
		return "", fmt.Errorf("creating secret %s: %w", name, err)
	}
	return id, nil
}

// Secrets lists the secrets, by name.
func (r *Runtime) Secrets() ([]Secret, error) {
	m, err := r.secretsManager()
	if err != nil {
		return nil, err
	}
	all, err := m.List()
	if err != nil {
		return nil, fmt.Errorf("listing secrets: %w", err)
	}
	out := make([]Secret, 0, len(all))
	for i := range all {
		out = append(out, secretInfo(&all[i]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LookupSecret finds a secret by name, ID or unique ID prefix.
func (r *Runtime) LookupSecret(nameOrID string) (*Secret, error) {
	m, err := r.secretsManager()
	if err != nil {
		return nil, err
	}
	s, err := m.Lookup(nameOrID)
	if err != nil {
		return nil, secretError(nameOrID, err)
	}
	info := secretInfo(s)
	return &info, nil
}

// SecretData returns a secret's metadata and data.
func (r *Runtime) SecretData(nameOrID string) (*Secret, []byte, error) {
	m, err := r.secretsManager()
	if err != nil {
		return nil, nil, err
	}
	s, data, err := m.LookupSecretData(nameOrID)
	if err != nil {
		return nil, nil, secretError(nameOrID, err)
	}
	info := secretInfo(s)
	return &info, data, nil
}

// RemoveSecret deletes a secret and returns its ID. Containers that use it keep the
// copy they took when they were created, as in podman.
func (r *Runtime) RemoveSecret(nameOrID string) (string, error) {
	m, err := r.secretsManager()
	if err != nil {
		return "", err
	}
	id, err := m.Delete(nameOrID)
	if err != nil {
		return "", secretError(nameOrID, err)
	}
	return id, nil
}

func secretError(nameOrID string, err error) error {
	if errors.Is(err, secrets.ErrNoSuchSecret) {
		return fmt.Errorf("secret %s: %w", nameOrID, ErrNoSuchSecret)
	}
	return fmt.Errorf("secret %s: %w", nameOrID, err)
}

func secretInfo(s *secrets.Secret) Secret {
	return Secret{ID: s.ID, Name: s.Name, Driver: s.Driver, DriverOptions: s.DriverOptions,
		Labels: s.Labels, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}
