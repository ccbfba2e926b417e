package oci

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupRoot is where the cgroup hierarchies are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// CurrentCgroup is this process's cgroup path: the unified (v2) one when there is a
// v2 hierarchy, else the v1 name=systemd one (what systemd put the unit in). With
// --cgroups=split the container goes in a sub-cgroup of it, and conmon stays.
func CurrentCgroup() (string, error) {
	return cgroupOf("/proc/self/cgroup")
}

func cgroupOf(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var systemd string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			if parts[2] != "/" || systemd == "" {
				return parts[2], nil
			}
		case parts[1] == "name=systemd":
			systemd = parts[2]
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if systemd != "" {
		return systemd, nil
	}
	return "", fmt.Errorf("%s: no cgroup found", file)
}

// SplitCgroup is the cgroup path a --cgroups=split container gets: a sub-cgroup of
// this process's (the unit's), named as podman names it.
func SplitCgroup(id string) (string, error) {
	cur, err := CurrentCgroup()
	if err != nil {
		return "", err
	}
	return filepath.Join(cur, "libpod-payload-"+id), nil
}

// MoveToCgroup moves pid into the cgroupfs path in every mounted hierarchy (each v1
// controller and the unified one), creating it where needed. Hierarchies that refuse
// (a controller this process may not write) are skipped; it fails only if none took it.
func MoveToCgroup(pid int, path string) error {
	entries, err := os.ReadDir(cgroupRoot)
	if err != nil {
		return err
	}
	dirs := []string{cgroupRoot}
	if _, err := os.Stat(filepath.Join(cgroupRoot, "cgroup.procs")); err != nil {
		dirs = dirs[:0] // v1 or hybrid: one folder per hierarchy
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(cgroupRoot, e.Name()))
			}
		}
	}
	var errs []error
	moved := 0
	for _, d := range dirs {
		target := filepath.Join(d, path)
		if err := os.MkdirAll(target, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(target, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			errs = append(errs, err)
			continue
		}
		moved++
	}
	if moved == 0 {
		return errors.Join(errs...)
	}
	return nil
}
