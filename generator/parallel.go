package generator

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// forEach calls fn(i) for i in [0, n) on several goroutines. The work is file I/O and
// conversion of independent units, so it spreads over the cores, and I/O waits overlap.
func forEach(n int, fn func(i int)) {
	workers := min(n, 2*runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// messages collects one work item's log lines, so that they can be logged in a stable
// order after the parallel part.
type messages struct {
	errors   []string
	warnings []string
}

func (m *messages) errorf(format string, a ...any) {
	m.errors = append(m.errors, fmt.Sprintf(format, a...))
}

// dirCache creates each folder of the output once, however many links go into it.
type dirCache struct {
	mu   sync.Mutex
	made map[string]bool
}

func newDirCache(root string) *dirCache { return &dirCache{made: map[string]bool{root: true}} }

func (d *dirCache) ensure(dir string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.made[dir] {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d.made[dir] = true
	return nil
}
