// Package quadlet turns Quadlet unit files (.container, .pod, .volume, .network, .image,
// .build, .kube, .artifact) into systemd service units that run a container engine.
//
// Each unit type is described once, by a table with one row per key (containerTable,
// podTable...): the row says how the value reads, which engine flag it becomes, and its
// documentation. Rows that several unit types accept are declared once, in commonKeys
// (every type) and sharedKeys (keys_shared.go), and included by name.
// The unknown-key check, "did you mean", the translation and the man page's key tables
// all come from those tables.
//
// Conversion is pure: Convert takes every parsed unit and the options (user mode, engine
// path) as arguments and returns services and diagnostics. It reads no files and no
// environment; the generator package does that.
package quadlet
