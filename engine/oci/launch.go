package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// launch is one conmon being started: the pipes of its start-up protocol.
//
// conmon reads the start pipe (_OCI_STARTPIPE) once before it does anything, so that
// its parent can first move it into a cgroup; it reports on the sync pipe
// (_OCI_SYNCPIPE) one JSON line per event, {"data": N, "message": "..."}: the
// container's pid after `runtime create` (or a negative N and the runtime's error),
// and for an exec also the exit code. With --exec-attach it also writes to the
// attach pipe (_OCI_ATTACHPIPE) once its attach socket listens, and reads the start
// pipe a second time before it runs the process.
type launch struct {
	cmd     *exec.Cmd
	syncR   *os.File
	dec     *json.Decoder
	startW  *os.File
	attachR *os.File // nil unless exec with attach
	stderrR *os.File // conmon's own stderr until it detaches; nil for passthrough
	waited  chan error
}

// start runs conmon with args, its pipes, and a clean environment.
func (c *Conmon) start(o CreateOptions, args []string, attach bool) (l *launch, err error) {
	var toClose []*os.File
	defer func() {
		for _, f := range toClose {
			f.Close()
		}
		if err != nil && l != nil {
			l.close()
		}
	}()
	pipe := func() (r, w *os.File) {
		if err != nil {
			return nil, nil
		}
		r, w, err = os.Pipe()
		return r, w
	}
	l = &launch{waited: make(chan error, 1)}
	var syncW, startR, attachW, stderrW *os.File
	l.syncR, syncW = pipe()
	startR, l.startW = pipe()
	if attach {
		l.attachR, attachW = pipe()
	}
	passthrough := o.LogDriver == LogPassthrough
	if !passthrough {
		l.stderrR, stderrW = pipe()
	}
	if err != nil {
		return l, err
	}
	toClose = append(toClose, syncW, startR)
	if attachW != nil {
		toClose = append(toClose, attachW)
	}
	if stderrW != nil {
		toClose = append(toClose, stderrW)
	}
	cmd := exec.Command(c.path(), args...)
	cmd.Env = conmonEnv(attach)
	cmd.ExtraFiles = []*os.File{syncW, startR}
	if attach {
		cmd.ExtraFiles = append(cmd.ExtraFiles, attachW)
	}
	if passthrough {
		// Only non-nil files: a nil *os.File in the interface is not "no file".
		if o.Stdio[0] != nil {
			cmd.Stdin = o.Stdio[0]
		}
		if o.Stdio[1] != nil {
			cmd.Stdout = o.Stdio[1]
		}
		if o.Stdio[2] != nil {
			cmd.Stderr = o.Stdio[2]
		}
	} else {
		cmd.Stderr = stderrW
	}
	c.log().Debug("starting conmon", "path", cmd.Path, "args", args)
	if err = cmd.Start(); err != nil {
		return l, fmt.Errorf("starting conmon: %w", err)
	}
	l.cmd = cmd
	// conmon forks and its first process exits at once; reap it.
	go func() { l.waited <- cmd.Wait() }()
	l.dec = json.NewDecoder(l.syncR)
	return l, nil
}

// conmonEnv is this process's environment without what conmon must not pass on:
// NOTIFY_SOCKET would make the runtime speak sd_notify for the container on its own
// (berth sends READY itself, or conmon relays it with --sdnotify-socket).
func conmonEnv(attach bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "NOTIFY_SOCKET" || strings.HasPrefix(k, "_OCI_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "_OCI_SYNCPIPE=3", "_OCI_STARTPIPE=4")
	if attach {
		env = append(env, "_OCI_ATTACHPIPE=5")
	}
	return env
}

// release puts conmon in its cgroup, then lets it go on.
func (l *launch) release(cgroup string) error {
	if cgroup != "" {
		if err := MoveToCgroup(l.cmd.Process.Pid, cgroup); err != nil {
			// conmon takes the start pipe's end as a go: stop it before it creates
			// a container nobody will look after.
			_ = l.cmd.Process.Kill()
			return fmt.Errorf("moving conmon to cgroup %s: %w", cgroup, err)
		}
	}
	return l.signalStart()
}

// signalStart writes the start pipe once.
func (l *launch) signalStart() error {
	if _, err := l.startW.Write([]byte{0}); err != nil {
		return fmt.Errorf("starting conmon: %w", err)
	}
	return nil
}

// syncError is conmon's report that the runtime failed.
type syncError struct {
	msg string
}

func (e *syncError) Error() string {
	if e.msg == "" {
		return "the OCI runtime failed"
	}
	return e.msg
}

// readSync returns the next number conmon reports on the sync pipe. A negative number
// is the runtime's failure, returned as an error carrying its message.
func (l *launch) readSync(ctx context.Context) (int, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = l.syncR.SetReadDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = l.syncR.SetReadDeadline(time.Now()) })
	defer stop()
	var msg struct {
		Data    *int   `json:"data"`
		Pid     *int   `json:"pid"`
		Message string `json:"message"`
	}
	if err := l.dec.Decode(&msg); err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("waiting for conmon: %w", ctx.Err())
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, l.died()
		}
		return 0, fmt.Errorf("reading conmon's sync pipe: %w", err)
	}
	n := msg.Data
	if n == nil {
		n = msg.Pid
	}
	if n == nil {
		return 0, fmt.Errorf("conmon's sync pipe: no data in its message")
	}
	if *n < 0 {
		return *n, &syncError{msg: runtimeMessage(msg.Message)}
	}
	return *n, nil
}

// died explains a conmon that closed its sync pipe without a word: its exit status
// and what it printed before it detached.
func (l *launch) died() error {
	var status error
	select {
	case status = <-l.waited:
		l.waited <- status
	case <-time.After(2 * time.Second):
	}
	var out string
	if l.stderrR != nil {
		_ = l.stderrR.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		b, _ := io.ReadAll(io.LimitReader(l.stderrR, 4096))
		out = strings.TrimSpace(string(b))
	}
	switch {
	case out != "":
		return &syncError{msg: runtimeMessage(out)}
	case status != nil:
		return fmt.Errorf("conmon failed: %w", status)
	}
	return &syncError{}
}

func (l *launch) close() {
	for _, f := range []*os.File{l.syncR, l.startW, l.attachR, l.stderrR} {
		if f != nil {
			f.Close()
		}
	}
}
