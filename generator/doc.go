// Package generator is the systemd generator program: it finds Quadlet files in the
// search paths, merges their drop-ins, converts them with package quadlet, and writes
// the services and their [Install] symlinks atomically into systemd's generator folder
// (or prints them, in dry-run mode). A bad file is reported and skipped; every other
// file is still generated.
package generator
