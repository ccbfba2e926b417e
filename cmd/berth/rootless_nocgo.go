//go:build !cgo

package main

// canJoin: without cgo there is no constructor to enter berth's user namespace
// (rootless_join.go), so rootless mode is refused.
const canJoin = false
