package engine_test

import (
	"context"
	"log"

	"github.com/berth-containers/berth/engine"
)

// A pod of two containers that share its network (they talk over 127.0.0.1), as
// `berth pod create --name web` then `berth run -d --pod web ...` twice do.
func ExampleRuntime_CreatePod() {
	ctx := context.Background()
	rt, err := engine.New(ctx, engine.Options{Root: "/var/tmp/example/root", RunRoot: "/run/example"})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Shutdown(false)
	pod, err := rt.CreatePod(ctx, engine.PodOptions{PodConfig: engine.PodConfig{
		Name:       "web",
		ExitPolicy: engine.PodExitStop, // the infra stops with the last container
	}})
	if err != nil {
		log.Fatal(err)
	}
	for _, cmd := range [][]string{{"httpd", "-f", "-p", "8080"}, {"sh", "-c", "echo hi | nc 127.0.0.1 8080"}} {
		_, err := rt.CreateContainer(ctx, engine.CreateOptions{
			Image:           "127.0.0.1:5000/busybox:latest",
			ContainerConfig: engine.ContainerConfig{Command: cmd, Pod: pod.Name},
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	// The infra container starts first, then the others join its namespaces.
	if _, err := rt.StartPod(ctx, pod.Name); err != nil {
		log.Fatal(err)
	}
	if err := rt.RemovePod(ctx, pod.Name, engine.RemovePodOptions{Force: true}); err != nil {
		log.Fatal(err)
	}
}
