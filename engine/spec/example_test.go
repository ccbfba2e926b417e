package spec_test

import (
	"fmt"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-containers/berth/engine/spec"
)

// A container from an image's config and a few run flags: MergeImage fills the gaps
// with the image's values, Generate makes the spec the bundle's config.json holds.
func Example() {
	img := &imgspec.ImageConfig{Cmd: []string{"sh"}, Env: []string{"PATH=/usr/bin:/bin"}, WorkingDir: "/srv"}
	o := spec.Options{
		Rootfs:   "/var/lib/containers/storage/overlay/0123/merged", // the mounted image
		ReadOnly: true,
		Env:      []string{"MODE=prod"},
		Mounts:   []spec.Mount{{Type: "tmpfs", Destination: "/cache", Options: []string{"size=64m"}}},
		CapDrop:  []string{"all"},
	}
	if err := spec.MergeImage(&o, img, spec.Command{Cmd: []string{"sh", "-c", "echo hi"}}); err != nil {
		panic(err)
	}
	s, err := spec.Generate(o)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Process.Args, s.Process.Cwd, s.Process.Env)
	fmt.Println(s.Root.Readonly, len(s.Process.Capabilities.Bounding))
	for _, m := range s.Mounts {
		if m.Type == "tmpfs" && m.Destination != "/dev" && m.Destination != "/dev/shm" {
			fmt.Println(m.Destination, m.Options)
		}
	}
	// Output:
	// [sh -c echo hi] /srv [PATH=/usr/bin:/bin MODE=prod HOME=/]
	// true 0
	// /run [rw rprivate nosuid nodev tmpcopyup]
	// /tmp [rw rprivate nosuid nodev tmpcopyup]
	// /cache [size=64m rw noexec nosuid nodev tmpcopyup]
	// /var/tmp [rw rprivate nosuid nodev tmpcopyup]
}
