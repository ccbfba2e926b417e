package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/berth-containers/berth/engine"
)

// Open the engine on its own storage, pull an image and list the local images.
func ExampleNew() {
	ctx := context.Background()
	rt, err := engine.New(ctx, engine.Options{Root: "/var/tmp/example/root", RunRoot: "/run/example"})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Shutdown(false)

	no := false // the local test registry speaks plain HTTP
	if _, err := rt.Pull(ctx, "127.0.0.1:5000/busybox:latest", engine.PullOptions{Policy: "missing", TLSVerify: &no}); err != nil {
		log.Fatal(err)
	}
	images, err := rt.ListImages(ctx, engine.ListOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range images {
		fmt.Println(img.ID[:12], img.RepoTags)
	}
}
