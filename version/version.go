// Package version holds berth's version, set at build time with
// -ldflags "-X github.com/berth-containers/berth/version.Version=...".
package version

// Version is the release of this build.
var Version = "0.1.0-dev"
