package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
)

// movePauseToScope puts the pause process into a transient scope of its own under the
// user's systemd manager, as podman does with its pause process: otherwise it stays in
// the cgroup of whatever started it (a user unit's), and stopping that unit kills it,
// taking the namespace away from every later command until one makes a new one.
// Without a user manager (no session bus) it stays where it is: berth still works,
// joining a running container's conmon when the pause process is gone.
func movePauseToScope(pid int, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := sddbus.NewUserConnectionContext(ctx)
	if err != nil {
		// No session bus (no dbus-user-session): the manager's own socket.
		conn, err = sddbus.NewConnection(dialUserManager)
	}
	if err != nil {
		log.Debug("rootless mode: the pause process stays in this cgroup (no user manager)", "error", err)
		return
	}
	defer conn.Close()
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	unit := "berth-pause-" + hex.EncodeToString(suffix[:]) + ".scope"
	done := make(chan string, 1)
	props := []sddbus.Property{
		sddbus.PropDescription("berth's rootless pause process"),
		sddbus.PropPids(uint32(pid)),
	}
	if _, err := conn.StartTransientUnitContext(ctx, unit, "replace", props, done); err != nil {
		log.Debug("rootless mode: the pause process stays in this cgroup", "unit", unit, "error", err)
		return
	}
	select {
	case result := <-done:
		if result != "done" {
			log.Debug("rootless mode: moving the pause process into a scope", "unit", unit, "result", result)
			return
		}
		log.Debug("rootless mode: the pause process runs in a scope of its own", "unit", unit)
	case <-ctx.Done():
		log.Debug("rootless mode: moving the pause process into a scope", "unit", unit, "error", fmt.Errorf("no answer: %w", ctx.Err()))
	}
}

// dialUserManager connects to the user's systemd manager directly, through its private
// socket in $XDG_RUNTIME_DIR, as systemctl --user does without a session bus.
func dialUserManager() (*godbus.Conn, error) {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = fmt.Sprintf("/run/user/%d", os.Getuid())
	}
	conn, err := godbus.Dial("unix:path=" + filepath.Join(dir, "systemd", "private"))
	if err != nil {
		return nil, err
	}
	if err := conn.Auth([]godbus.Auth{godbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
