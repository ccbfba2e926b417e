package state

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The benchmarks measure what every berth command pays: with nothing held open, one
// operation is lock + open + transaction (+ commit with its fsyncs) + close.
func benchStore(b *testing.B, records int) *Collection[*rec] {
	s, err := Open(b.TempDir()+"/state.db", 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	c := ctrs(s)
	err = s.Update(func(tx *Tx) error {
		for i := range records {
			r := &rec{ID: fmt.Sprintf("%064x", i), Name: fmt.Sprintf("ctr%d", i), Note: strings.Repeat("x", 4000)}
			if err := c.In(tx).Add(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkOperation(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("Add/records=%d", n), func(b *testing.B) {
			c := benchStore(b, n)
			for i := 0; b.Loop(); i++ {
				if err := c.Add(&rec{ID: fmt.Sprintf("new%d", i), Name: fmt.Sprintf("new%d", i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Get/records=%d", n), func(b *testing.B) {
			c := benchStore(b, n)
			for b.Loop() {
				if _, err := c.Get("ctr5"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Update/records=%d", n), func(b *testing.B) {
			c := benchStore(b, n)
			id := fmt.Sprintf("%064x", 5)
			for b.Loop() {
				if err := c.Update(id, func(r *rec) error { r.Counter++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("List/records=%d", n), func(b *testing.B) {
			c := benchStore(b, n)
			for b.Loop() {
				if _, err := c.List(nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// once does what one berth command does with the store: Open and one operation; it
// prints the time both took, for BenchmarkFreshProcess.
func once(path, op string) error {
	start := time.Now()
	s, err := Open(path, 20*time.Second)
	if err != nil {
		return err
	}
	c := ctrs(s)
	id := fmt.Sprintf("%064x", 5)
	switch op {
	case "Add":
		err = c.Add(&rec{ID: fmt.Sprintf("new%d", os.Getpid()), Name: fmt.Sprintf("new%d", os.Getpid())})
	case "Get":
		_, err = c.Get("ctr5")
	case "Update":
		err = c.Update(id, func(r *rec) error { r.Counter++; return nil })
	case "List":
		_, err = c.List(nil)
	}
	if err != nil {
		return err
	}
	fmt.Println(time.Since(start).Nanoseconds())
	return nil
}

// BenchmarkFreshProcess runs each operation as the only one of a new process, as a
// berth command does: ns/op includes starting the process; in-process-ns is Open plus
// the operation, measured inside it (cold file, first page faults included).
func BenchmarkFreshProcess(b *testing.B) {
	for _, op := range []string{"Add", "Get", "Update", "List"} {
		b.Run(op, func(b *testing.B) {
			c := benchStore(b, 100)
			var inside time.Duration
			for b.Loop() {
				out, err := helperCmd("once", c.s.Path(), op).Output()
				if err != nil {
					b.Fatal(err)
				}
				ns, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
				if err != nil {
					b.Fatalf("helper said %q", out)
				}
				inside += time.Duration(ns)
			}
			b.ReportMetric(float64(inside.Nanoseconds())/float64(b.N), "in-process-ns/op")
		})
	}
}
