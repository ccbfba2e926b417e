package engine

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// ExpandEnv resolves podman's --env forms against the host environment host
// (os.Environ()): KEY=value stays; KEY takes the host's value, or is dropped when the
// host has none; KEY* takes every host variable whose name starts with KEY.
func ExpandEnv(entries, host []string) []string {
	var out []string
	for _, e := range entries {
		if strings.Contains(e, "=") {
			out = append(out, e)
			continue
		}
		if prefix, ok := strings.CutSuffix(e, "*"); ok {
			for _, kv := range host {
				if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, prefix) {
					out = append(out, kv)
				}
			}
			continue
		}
		for _, kv := range host {
			if k, _, _ := strings.Cut(kv, "="); k == e {
				out = append(out, kv)
			}
		}
	}
	return out
}

// ReadEnvFile reads an --env-file: one KEY=value or KEY (see ExpandEnv) per line;
// blank lines and lines starting with # are skipped; values are taken as written,
// quotes included, as podman does.
func ReadEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, _, _ := strings.Cut(line, "="); k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("--env-file %s:%d: %q is not KEY=value", path, n, line)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--env-file %s: %w", path, err)
	}
	return out, nil
}
