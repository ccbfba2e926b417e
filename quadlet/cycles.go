package quadlet

import (
	"sort"
	"strings"

	"github.com/berth-containers/berth/units"
)

// orderKeys are the [Unit] keys that make one service start after another.
var orderKeys = []string{"After", "Requires", "BindsTo"}

// CheckCycles finds generated services that depend on each other in a circle, which
// systemd could only break by dropping a dependency at random. Every service in a cycle
// fails with a diagnostic that shows the whole circle; the others are left as they are.
func CheckCycles(results []Result) {
	index := map[string]int{}
	for i, r := range results {
		if !r.Failed() {
			index[r.Name] = i
		}
	}
	edges := make([][]int, len(results))
	for i, r := range results {
		if r.Failed() {
			continue
		}
		for _, key := range orderKeys {
			for _, v := range r.Service.All("Unit", key) {
				words, _ := units.SplitWords(v)
				for _, w := range words {
					if j, ok := index[w]; ok && j != i {
						edges[i] = append(edges[i], j)
					}
				}
			}
		}
	}
	for _, cycle := range findCycles(edges) {
		names := make([]string, 0, len(cycle))
		for _, i := range cycle {
			names = append(names, results[i].Name)
		}

		for _, i := range cycle {
			r := &results[i]
			pos := units.Pos{File: r.Source.File.Path}
			if s := r.Source.File.Section(unitTypes[ext(r.Source.Name)].table.Section); s != nil {
				pos = s.Pos
			}
			r.Diags = append(r.Diags, Diagnostic{Severity: Error, Pos: pos, Unit: r.Source.Name,
				Msg: "dependency cycle between " + strings.Join(names, ", ") + "; break it by removing one of the references"})
			r.Service = nil
		}
	}
}

func ext(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// findCycles returns the strongly connected components with more than one node
// (Tarjan's algorithm), each in a stable order.
func findCycles(edges [][]int) [][]int {
	n := len(edges)
	index, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var visit func(v int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges[v] {
			if index[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var comp []int
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			comp = append(comp, w)
			if w == v {
				break
			}
		}
		if len(comp) > 1 {
			sort.Ints(comp)
			out = append(out, comp)
		}
	}
	for v := 0; v < n; v++ {
		if index[v] < 0 {
			visit(v)
		}
	}
	return out
}
