package oci

import (
	"fmt"
	"path/filepath"

	"github.com/coreos/go-systemd/v22/daemon"
)

// sd_notify for the two modes in which berth, not the container, talks to systemd.
//
// --sdnotify=conmon: once Runtime.Start returns, the caller calls NotifyReady with the
// conmon pid, so that systemd watches conmon (which lives as long as the container).
//
// --sdnotify=container: the caller sets CreateOptions.SdNotifySocket to its own
// NOTIFY_SOCKET, bind-mounts NotifyHostDir(bundle) at NotifyContainerDir in the spec
// and sets NotifySocketEnv in the container's environment. conmon relays the
// container's READY=1 (and WATCHDOG=1); the caller still sends MAINPID (NotifyMainPID)
// so that systemd follows conmon, not berth, which exits.
const (
	// NotifyContainerDir is where the container sees conmon's notify socket folder.
	NotifyContainerDir = "/run/notify"
	// NotifySocketEnv points the container's sd_notify at conmon's socket.
	NotifySocketEnv = "NOTIFY_SOCKET=" + NotifyContainerDir + "/notify.sock"
)

// NotifyHostDir is the bundle folder in which conmon binds notify.sock.
func NotifyHostDir(bundle string) string { return filepath.Join(bundle, "notify") }

// NotifyReady tells systemd (NOTIFY_SOCKET) that the service is ready and that its
// main process is conmon. It reports false when there is no NOTIFY_SOCKET.
func NotifyReady(conmonPid int) (bool, error) {
	return daemon.SdNotify(false, fmt.Sprintf("MAINPID=%d\n%s", conmonPid, daemon.SdNotifyReady))
}

// NotifyMainPID tells systemd that conmon is the main process, without READY.
func NotifyMainPID(conmonPid int) (bool, error) {
	return daemon.SdNotify(false, fmt.Sprintf("MAINPID=%d", conmonPid))
}
