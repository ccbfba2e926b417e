// Package bench holds the Quadlet generator's benchmarks and the input sets they share.
//
// Two ways to measure:
//
//   - go run ./test/bench/genbench runs the generator binary (and podman's, when
//     present) over generated input sets and prints wall time and peak RSS per run,
//     next to the targets in DESIGN.md. It is a report, not a timed test.
//   - go test -bench . -benchmem ./test/bench/ runs the same conversion in-process
//     (parse, Convert, the whole dry run), to find allocation and CPU hot spots with
//     -cpuprofile/-memprofile and go tool pprof.
package bench
