package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// gen is one generator under test and how it is told the engine's path.
type gen struct {
	name      string // "berth" or "podman"
	path      string
	engineEnv string // e.g. "BERTH_ENGINE=/usr/bin/berth"
}

// generators returns berth's generator (built unless given) and podman's when given or
// installed.
func generators(o options, work string) ([]gen, error) {
	berth := o.generator
	if berth == "" {
		var err error
		if berth, err = buildQuadlet(work); err != nil {
			return nil, err
		}
	} else if err := executable(berth); err != nil {
		return nil, fmt.Errorf("-generator: %w", err)
	}
	gens := []gen{{"berth", berth, "BERTH_ENGINE=/usr/bin/berth"}}
	podman := o.podman
	if podman == "" {
		if executable(podmanDefault) != nil {
			fmt.Fprintf(os.Stderr, "genbench: %s not found; measuring berth only (-podman PATH to compare)\n", podmanDefault)
			return gens, nil
		}
		podman = podmanDefault
	} else if err := executable(podman); err != nil {
		return nil, fmt.Errorf("-podman: %w", err)
	}
	return append(gens, gen{"podman", podman, "PODMAN=/usr/bin/podman"}), nil
}

func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// buildQuadlet builds cmd/quadlet of the module genbench runs in.
func buildQuadlet(work string) (string, error) {
	out := filepath.Join(work, "quadlet")
	fmt.Fprintln(os.Stderr, "genbench: building github.com/berth-containers/berth/cmd/quadlet ...")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", out, "github.com/berth-containers/berth/cmd/quadlet")
	var msg bytes.Buffer
	cmd.Stdout, cmd.Stderr = &msg, &msg
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building cmd/quadlet failed (%v); pass -generator PATH to use a built one:\n%s",
			err, strings.TrimSpace(msg.String()))
	}
	fmt.Fprintf(os.Stderr, "genbench: built in %.1fs\n", time.Since(start).Seconds())
	return out, nil
}

// env is the generator's environment: ours without variables that would change what it
// reads, plus the input folder and the engine path.
func (g gen) env(unitDirs string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "QUADLET_UNIT_DIRS", "BERTH_ENGINE", "PODMAN", runnerEnv:
			continue
		}
		out = append(out, kv)
	}
	return append(out, "QUADLET_UNIT_DIRS="+unitDirs, g.engineEnv)
}
