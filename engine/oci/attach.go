package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Streams conmon tags attach messages with (their first byte); what a client sends is
// the container's stdin, untagged.
const (
	streamStdout = 2
	streamStderr = 3
)

// attachBufSize is conmon's stdio buffer (8192) plus the stream byte.
const attachBufSize = 8192 + 1

// Attachment is a connection to a container's conmon attach socket. Dial it before
// Runtime.Start to get all the output: conmon does not replay what was written before.
type Attachment struct {
	conn     *net.UnixConn
	finished atomic.Bool // see Finish
}

// DialAttach connects to conmon's attach socket (a SOCK_SEQPACKET unix socket, see
// AttachSocket). Paths longer than a socket address allows are reached through
// /proc/self/fd.
func DialAttach(socketPath string) (*Attachment, error) {
	addr := socketPath
	var dir *os.File
	if len(addr) >= len(unix.RawSockaddrUnix{}.Path) {
		var err error
		dir, err = os.OpenFile(filepath.Dir(socketPath), unix.O_PATH, 0)
		if err != nil {
			return nil, fmt.Errorf("attach socket %s: %w", socketPath, err)
		}
		defer dir.Close()
		addr = fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(socketPath))
	}
	conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: addr, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("attaching to %s: %w", socketPath, err)
	}
	return &Attachment{conn: conn}, nil
}

// Copy streams until the container's output ends (conmon closes the socket when the
// container is gone) or ctx is done: conmon's stdout and stderr messages to stdout
// and stderr (either may be nil to discard), and stdin, if not nil, to the container;
// stdin's end is passed on, so that conmon closes the container's stdin (unless it runs
// with LeaveStdinOpen). With a terminal, all output arrives as stdout.
func (a *Attachment) Copy(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	stop := context.AfterFunc(ctx, func() { a.conn.Close() })
	defer stop()
	if stdin != nil {
		go a.feed(stdin)
	}
	buf := make([]byte, attachBufSize)
	for {
		n, err := a.conn.Read(buf)
		if n > 0 {
			if werr := demux(buf[:n], stdout, stderr); werr != nil {
				return werr
			}
		}
		if err != nil || n == 0 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if a.finished.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
				return a.drain(buf, stdout, stderr)
			}
			if err == nil || errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("attach: %w", err)
		}
	}
}

// demux writes one message from conmon to the stream its first byte names.
func demux(msg []byte, stdout, stderr io.Writer) error {
	var w io.Writer
	switch msg[0] {
	case streamStdout:
		w = stdout
	case streamStderr:
		w = stderr
	}
	if w != nil {
		if _, err := w.Write(msg[1:]); err != nil {
			return fmt.Errorf("attach: writing output: %w", err)
		}
	}
	return nil
}

// finishGrace is how long Copy keeps waiting for output after Finish; what conmon
// sent before is read however long writing it out takes (drain).
const finishGrace = 2 * time.Millisecond

// Finish ends Copy once it has read what conmon has sent. Call it when the
// container's exit file exists: conmon writes that only after passing all of the
// container's output on, but closes the socket only when it exits itself, after its
// exit command (a whole `berth container cleanup` process) has run.
func (a *Attachment) Finish() {
	a.finished.Store(true)
	_ = a.conn.SetReadDeadline(time.Now().Add(finishGrace))
}

// drain reads, without waiting, the messages still queued on the socket.
func (a *Attachment) drain(buf []byte, stdout, stderr io.Writer) error {
	if err := a.conn.SetReadDeadline(time.Time{}); err != nil {
		return nil // closed meanwhile: nothing more to read
	}
	rc, err := a.conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	for {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), buf)
			return !errors.Is(rerr, unix.EINTR)
		}); err != nil {
			return nil
		}
		if rerr != nil || n <= 0 {
			return nil // EAGAIN: all read; or the end
		}
		if err := demux(buf[:n], stdout, stderr); err != nil {
			return err
		}
	}
}

// feed sends stdin to conmon, one packet per read, then half-closes the socket.
func (a *Attachment) feed(stdin io.Reader) {
	buf := make([]byte, 8192)
	for {
		n, err := stdin.Read(buf)
		if n > 0 {
			if _, werr := a.conn.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			_ = a.conn.CloseWrite()
			return
		}
	}
}

// Close ends the attachment; the container keeps running.
func (a *Attachment) Close() error { return a.conn.Close() }

// Resize tells conmon the terminal's new size (its ctl fifo in the bundle, message
// type 1), which it applies to the container's pty.
func Resize(bundle string, height, width uint16) error {
	f, err := os.OpenFile(filepath.Join(bundle, "ctl"), os.O_WRONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("resizing the terminal: %w", err)
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "1 %d %d\n", height, width)
	return err
}

// Attach dials conmon's attach socket and streams until the container's output ends:
// DialAttach then Copy, for callers that dial after the container already runs.
func Attach(ctx context.Context, socketPath string, stdin io.Reader, stdout, stderr io.Writer) error {
	a, err := DialAttach(socketPath)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Copy(ctx, stdin, stdout, stderr)
}
