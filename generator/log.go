package generator

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Logger writes the generator's messages: to the kernel log (/dev/kmsg) when running as
// a real generator, since systemd shows nothing of a generator's stderr at boot, and to
// stderr otherwise.
type Logger struct {
	mu      sync.Mutex
	w       io.Writer
	kmsg    bool // prefix each line with a syslog priority and the program's tag
	tag     string
	Verbose bool
}

// NewLogger logs to w (stderr, typically).
func NewLogger(w io.Writer, verbose bool) *Logger { return &Logger{w: w, Verbose: verbose} }

// NewKmsgLogger logs to /dev/kmsg, or returns nil when it cannot be opened.
func NewKmsgLogger(tag string, verbose bool) *Logger {
	f, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
	if err != nil {
		return nil
	}
	return &Logger{w: f, kmsg: true, tag: fmt.Sprintf("%s[%d]: ", tag, os.Getpid()), Verbose: verbose}
}

// syslog priorities used in kmsg lines.
const (
	prioErr   = 3
	prioWarn  = 4
	prioInfo  = 6
	prioDebug = 7
)

func (l *Logger) log(prio int, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kmsg {
		// One write per message: the kernel takes each write as one record.
		fmt.Fprintf(l.w, "<%d>%s%s\n", prio, l.tag, msg)
		return
	}
	fmt.Fprintln(l.w, msg)
}

// Errorf logs an error.
func (l *Logger) Errorf(format string, a ...any) { l.log(prioErr, format, a...) }

// Warnf logs a warning.
func (l *Logger) Warnf(format string, a ...any) { l.log(prioWarn, format, a...) }

// Infof logs what happens only in verbose mode.
func (l *Logger) Infof(format string, a ...any) {
	if l.Verbose {
		l.log(prioInfo, format, a...)
	}
}
