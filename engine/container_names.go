package engine

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
)

// ErrInvalidName is returned for a container name that breaks podman's rule.
var ErrInvalidName = errors.New("invalid container name")

// nameRule is podman's rule for container (and pod) names.
var nameRule = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// CheckContainerName rejects a name that podman would reject.
func CheckContainerName(name string) error {
	if !nameRule.MatchString(name) {
		return fmt.Errorf("%w %q: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", ErrInvalidName, name)
	}
	return nil
}

// newContainerID is a random 64-hex ID, as storage and podman make them; one that
// is all digits is refused because it would read as a number (as storage's own
// generator does).
func newContainerID() (string, error) {
	b := make([]byte, 32)
	for {
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		id := hex.EncodeToString(b)
		for _, c := range id {
			if c > '9' {
				return id, nil
			}
		}
	}
}

// Words for generated names, adjective_noun as podman's (and Docker's) are; a
// generated name that is taken is drawn again.
var (
	nameAdjectives = []string{
		"agile", "bold", "brave", "bright", "calm", "clever", "cool", "crisp", "eager", "fair",
		"fond", "gentle", "happy", "hardy", "keen", "kind", "lively", "lucid", "merry", "modest",
		"nimble", "noble", "patient", "proud", "quick", "quiet", "rapid", "serene", "sharp", "sleepy",
		"steady", "sturdy", "swift", "tender", "tidy", "vivid", "warm", "wise", "witty", "zealous",
	}
	nameNouns = []string{
		"anchor", "bay", "beacon", "buoy", "cabin", "canal", "cove", "crane", "delta", "dock",
		"ferry", "fjord", "galley", "harbor", "hull", "inlet", "island", "jetty", "keel", "lagoon",
		"mast", "marina", "mooring", "oar", "pier", "port", "quay", "reef", "rudder", "sail",
		"shore", "skiff", "sound", "strait", "tide", "vessel", "wake", "wharf", "yacht", "yard",
	}
)

func randomName() string {
	pick := func(list []string) string {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(list))))
		if err != nil {
			return list[0]
		}
		return list[n.Int64()]
	}
	return pick(nameAdjectives) + "_" + pick(nameNouns)
}
