package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/berth-containers/berth/test/bench"
)

// expectServices fills s.expected: one service per input file.
func (s *inputSet) expectServices() {
	s.expected = make(map[string]bool, len(s.Files))
	for _, f := range s.Files {
		s.expected[bench.ServiceName(f.Name)] = true
	}
}

// writtenServices lists the regular *.service files directly in dir.
func writtenServices(dir string) map[string]bool {
	got := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".service") {
			got[e.Name()] = true
		}
	}
	return got
}

// printedServices lists the services a dry run printed, from its "---NAME---" headers.
func printedServices(stdoutPath string) map[string]bool {
	got := map[string]bool{}
	data, _ := os.ReadFile(stdoutPath)
	for _, l := range strings.Split(string(data), "\n") {
		if len(l) > 6 && strings.HasPrefix(l, "---") && strings.HasSuffix(l, "---") {
			got[l[3:len(l)-3]] = true
		}
	}
	return got
}

// checkNames says which expected services are missing from got, with the end of the
// run's stderr, or returns "" when none are.
func checkNames(s *inputSet, got map[string]bool, stderrPath string) string {
	var missing []string
	for name := range s.expected {
		if !got[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	sort.Strings(missing)
	produced := len(s.expected) - len(missing)
	list := strings.Join(missing, ", ")
	if len(missing) > 4 {
		list = fmt.Sprintf("%s and %d more", strings.Join(missing[:4], ", "), len(missing)-4)
	}
	return fmt.Sprintf("exit status 0 but produced %d of %d services; missing %s; stderr:\n%s",
		produced, len(s.expected), list, stderrTail(stderrPath))
}
