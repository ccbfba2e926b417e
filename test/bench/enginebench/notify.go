package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// readyStats are the READY=1 figures of one engine.
type readyStats struct {
	after      []time.Duration // command start to READY=1 received
	mainConmon int             // runs in which MAINPID named a conmon process
	mainOther  []string        // what MAINPID named otherwise
}

// notification is what arrived on the notify socket until READY=1.
type notification struct {
	at      time.Time
	mainPID int
	err     error
}

// listenNotify binds a unixgram socket as systemd's NOTIFY_SOCKET would be, and
// reports READY=1 (with the last MAINPID seen) on the channel.
func listenNotify(path string) (*net.UnixConn, <-chan notification, error) {
	os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan notification, 1)
	go func() {
		buf := make([]byte, 4096)
		mainPID := 0
		for {
			n, _, err := conn.ReadFromUnix(buf)
			at := time.Now()
			if err != nil {
				ch <- notification{err: err}
				return
			}
			ready := false
			for line := range strings.Lines(string(buf[:n])) {
				k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
				switch k {
				case "MAINPID":
					mainPID, _ = strconv.Atoi(v)
				case "READY":
					ready = v == "1"
				}
			}
			if ready {
				ch <- notification{at: at, mainPID: mainPID}
				return
			}
		}
	}()
	return conn, ch, nil
}

// readyOnce runs `run -d --sdnotify=conmon IMG sleep 100` with NOTIFY_SOCKET set,
// measures until READY=1, checks that MAINPID is conmon, and removes the container
// (that removal is measured as rm -f).
func (b *bencher) readyOnce(e *engine, i int, measured bool) error {
	sock := filepath.Join(b.work, "notify-"+e.name+".sock")
	conn, ch, err := listenNotify(sock)
	if err != nil {
		return err
	}
	defer conn.Close()
	name := fmt.Sprintf("enginebench-ready-%d", i)
	s, err := b.do(e, mReady, []string{"NOTIFY_SOCKET=" + sock},
		b.runArgs("-d", "--sdnotify=conmon", "--name", name, b.opts.image, "sleep", "100")...)
	if err != nil {
		return err
	}
	var n notification
	select {
	case n = <-ch:
	case <-time.After(10 * time.Second):
		n.err = errors.New("no READY=1 within 10 s after the command exited")
	}
	comm := readTrim(fmt.Sprintf("/proc/%d/comm", n.mainPID))
	rm, rmErr := b.do(e, mRm, nil, "rm", "-f", "-t", "0", name)
	settle()
	switch {
	case n.err != nil:
		return fmt.Errorf("%s: %w", name, n.err)
	case rmErr != nil:
		return rmErr
	case !measured:
		return nil
	}
	if b.ready == nil {
		b.ready = map[string]*readyStats{}
	}
	r := b.ready[e.name]
	if r == nil {
		r = &readyStats{}
		b.ready[e.name] = r
	}
	r.after = append(r.after, n.at.Sub(s.start))
	if comm == "conmon" {
		r.mainConmon++
	} else {
		r.mainOther = append(r.mainOther, fmt.Sprintf("MAINPID=%d (%s)", n.mainPID, comm))
	}
	b.record(e, mRunD, s)
	b.record(e, mRm, rm)
	return nil
}

func readTrim(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(data))
}
