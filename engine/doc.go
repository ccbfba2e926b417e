// Package engine is berth's daemonless container engine, as a Go library: a Runtime
// holds the image and container storage (go.podman.io/storage), the image library
// (go.podman.io/common/libimage) and berth's own state store, and offers images,
// containers (and later pods, volumes and networks) the way libpod does for podman.
// cmd/berth is a thin command line over it; healthcheck and autoupdate use it too.
//
// Each berth command is a short process: state lives on disk (a bbolt store and
// per-object lock files), and every running container is supervised by its own conmon,
// so that many invocations at once, from many units at boot, are safe.
package engine
