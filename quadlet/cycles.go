package quadlet

import (
	"sort"

	"github.com/berth-containers/berth/units"
)

// orderKeys are the [Unit] keys that make one service start after another.
var orderKeys = []string{"After", "Requires", "BindsTo"}

// Dependencies returns the units a service starts after or requires, as named in its
// [Unit] section.
func Dependencies(service *units.File) []string {
	var out []string
	for _, key := range orderKeys {
		for _, v := range service.All("Unit", key) {
			words, _ := units.SplitWords(v)
			out = append(out, words...)
		}
	}
	return out
}

// Cycles finds services that depend on each other in a circle, which systemd could only
// break by dropping a dependency at random. deps maps each generated service to what it
// depends on (names outside the map are ignored). Each cycle is returned sorted.
func Cycles(deps map[string][]string) [][]string {
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	edges := make([][]int, len(names))
	for i, n := range names {
		for _, d := range deps[n] {
			if j, ok := index[d]; ok && j != i {
				edges[i] = append(edges[i], j)
			}
		}
	}
	var out [][]string
	for _, comp := range stronglyConnected(edges) {
		cycle := make([]string, len(comp))
		for k, i := range comp {
			cycle[k] = names[i]
		}
		sort.Strings(cycle)
		out = append(out, cycle)
	}
	return out
}

// stronglyConnected returns the strongly connected components of more than one node
// (Tarjan's algorithm).
func stronglyConnected(edges [][]int) [][]int {
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
