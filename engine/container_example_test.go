package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/berth-containers/berth/engine"
)

// Run a container to its end, as `berth run --rm --network=none IMAGE echo hello` does.
func ExampleRuntime_RunAttached() {
	ctx := context.Background()
	rt, err := engine.New(ctx, engine.Options{Root: "/var/tmp/example/root", RunRoot: "/run/example"})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Shutdown(false)
	c, err := rt.CreateContainer(ctx, engine.CreateOptions{
		Image: "127.0.0.1:5000/busybox:latest",
		ContainerConfig: engine.ContainerConfig{
			Command:    []string{"echo", "hello"},
			Network:    engine.NetworkNone,
			AutoRemove: true,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The container's output goes to stdout; conmon's exit command (berth container
	// cleanup) and RunAttached itself remove it once it exits.
	code, err := rt.RunAttached(ctx, c.ID, engine.Streams{Stdout: logWriter{}}, engine.StartOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", code)
}

type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) { return fmt.Print(string(p)) }
