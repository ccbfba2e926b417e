// Package engine is berth's daemonless container engine, as a Go library: a Runtime
// holds the image and container storage (go.podman.io/storage), the image library
// (go.podman.io/common/libimage) and berth's own state store, and offers images,
// containers, pods, volumes and networks the way libpod does for podman.
// cmd/berth is a thin command line over it; healthcheck and autoupdate use it too.
//
// The API families, each a set of Runtime methods (New opens a Runtime, Shutdown
// releases it):
//   - images: Pull, Push, Load, Save, ListImages, LookupImage, ImageExists, InspectImage,
//     Tag, Untag, RemoveImages (images*.go); Build, which drives buildah (build*.go);
//   - OCI artifacts: PullArtifact, PushArtifact, AddArtifact, ListArtifacts,
//     InspectArtifact, ExtractArtifact, ArtifactMounts, RemoveArtifact (artifact.go);
//   - containers: CreateContainer, StartContainer, RunAttached, StopContainer,
//     KillContainer, RestartContainer, WaitContainer, RemoveContainer, ListContainers,
//     LookupContainer, ContainerExists (container*.go);
//   - pods: CreatePod, StartPod, StopPod, KillPod, RestartPod, RemovePod, LookupPod,
//     PodExists, ListPods, PodList, ObservedPod, InspectPod, and PodMemberExited for
//     the exit policy; containers join one with ContainerConfig.Pod (pod*.go);
//   - volumes: CreateVolume, LookupVolume, VolumeExists, ListVolumes, InspectVolume(s),
//     RemoveVolume, PruneVolumes, MountVolume, UnmountVolume (volume*.go); the local
//     driver's type=/device=/o= file systems and the image driver are mounted while
//     containers use them (volume_driver_*.go);
//   - networks: CreateNetwork, InspectNetwork, NetworkExists, ListNetworks,
//     RemoveNetwork, PruneNetworks (network_ops.go), on netavark (subpackage
//     network); a container's network (--network, -p) in container_network*.go and
//     container_netns.go;
//   - exec, logs and inspect of containers: ExecContainer, ContainerLogs,
//     InspectContainer, ObservedContainer (container_exec.go, container_logs.go,
//     container_inspect*.go).
//
// Subpackages hold the edges: oci (conmon and the OCI runtime), network (netavark,
// network files, addresses, namespaces), spec (the runtime spec), state (the bbolt
// store), lock (per-object lock files) and enginetest (test gates and temporary
// runtimes).
//
// Each berth command is a short process: state lives on disk (a bbolt store and
// per-object lock files), and every running container is supervised by its own conmon,
// so that many invocations at once, from many units at boot, are safe.
package engine
