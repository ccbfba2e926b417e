package bench

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-containers/berth/generator"
	"github.com/berth-containers/berth/quadlet"
	"github.com/berth-containers/berth/units"
)

// Run with: go test -bench . -benchmem ./test/bench/
// Profile:  go test -run '^$' -bench GenerateDryRun1000 -cpuprofile cpu.out ./test/bench/ &&
//           go tool pprof -top cpu.out

var benchOpts = quadlet.Options{Engine: "/usr/bin/berth"}

// parseAll parses files as the generator would find them in /etc/containers/systemd,
// skipping the benchmark when a unit type is not registered yet.
func parseAll(b *testing.B, files []File) []*quadlet.Source {
	b.Helper()
	srcs := make([]*quadlet.Source, 0, len(files))
	for _, f := range files {
		if !quadlet.IsQuadlet(f.Name) {
			b.Skipf("unit type %s is not registered yet", filepath.Ext(f.Name))
		}
		file, err := units.Parse("/etc/containers/systemd/"+f.Name, []byte(f.Data))
		if err != nil {
			b.Fatalf("parsing %s: %v", f.Name, err)
		}
		srcs = append(srcs, &quadlet.Source{Name: f.Name, File: file})
	}
	return srcs
}

// checkResults fails the benchmark when a unit did not convert: a broken conversion
// must not be reported as fast.
func checkResults(b *testing.B, res []quadlet.Result) {
	b.Helper()
	for _, r := range res {
		if r.Failed() {
			var msgs []string
			for _, d := range r.Diags {
				msgs = append(msgs, d.String())
			}
			b.Fatalf("%s did not convert: %s", r.Source.Name, strings.Join(msgs, "; "))
		}
	}
}

func benchConvert(b *testing.B, files []File) {
	srcs := parseAll(b, files)
	checkResults(b, quadlet.Convert(srcs, benchOpts))
	b.ReportAllocs()
	for b.Loop() {
		quadlet.Convert(srcs, benchOpts)
	}
}

// BenchmarkConvert1000 converts 1000 simple .container files in-process: the
// translation alone, without reading, writing or process start.
func BenchmarkConvert1000(b *testing.B) { benchConvert(b, Simple(1000)) }

// BenchmarkConvertMixed1000 converts 1000 files of pods, networks, volumes and
// containers that refer to each other.
func BenchmarkConvertMixed1000(b *testing.B) { benchConvert(b, Mixed(1000)) }

// BenchmarkParse1000 parses 1000 simple .container files.
func BenchmarkParse1000(b *testing.B) {
	files := Simple(1000)
	data := make([][]byte, len(files))
	for i, f := range files {
		data[i] = []byte(f.Data)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, f := range files {
			if _, err := units.Parse(f.Name, data[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkWrite1000 writes 1000 converted services to memory.
func BenchmarkWrite1000(b *testing.B) {
	res := quadlet.Convert(parseAll(b, Simple(1000)), benchOpts)
	checkResults(b, res)
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range res {
			r.Service.WriteTo(io.Discard)
		}
	}
}

// BenchmarkGenerateDryRun1000 is the generator's whole dry run over 1000 simple files
// on disk (discovery, reading, parsing, conversion, printing), in-process: what genbench
// times minus process start and exit. Profile this one to find the hot spots.
func BenchmarkGenerateDryRun1000(b *testing.B) {
	benchGenerate(b, Simple(1000), true)
}

// BenchmarkGenerateWrite1000 is the same run writing the services into a folder.
func BenchmarkGenerateWrite1000(b *testing.B) {
	benchGenerate(b, Simple(1000), false)
}

func benchGenerate(b *testing.B, files []File, dry bool) {
	if !quadlet.IsQuadlet(files[0].Name) {
		b.Skipf("unit type %s is not registered yet", filepath.Ext(files[0].Name))
	}
	in := b.TempDir()
	if err := Write(in, files); err != nil {
		b.Fatal(err)
	}
	var log strings.Builder
	o := generator.Options{DryRun: dry, OutDir: filepath.Join(outDir(b), "out"), Engine: "/usr/bin/berth",
		Env: generator.Env{UnitDirs: in}, Stdout: io.Discard, Log: generator.NewLogger(&log, dry)}
	if code := generator.Run(o); code != 0 {
		b.Fatalf("generator exit status %d:\n%s", code, log.String())
	}
	o.Log = generator.NewLogger(io.Discard, dry)
	b.ReportAllocs()
	for b.Loop() {
		generator.Run(o)
	}
}

// outDir returns a folder on tmpfs (/dev/shm) when there is one, as systemd's /run is at
// boot; a disk folder would measure the disk instead.
func outDir(b *testing.B) string {
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil && st.Type == 0x01021994 {
		if d, err := os.MkdirTemp("/dev/shm", "bench-"); err == nil {
			b.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	b.Log("/dev/shm is not tmpfs: writing to disk")
	return b.TempDir()
}
