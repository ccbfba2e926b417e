package lock

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tests here re-execute the test binary as helper processes: TestHelperProcess does
// the helper's part when BERTH_LOCK_HELPER names a role.
const helperEnv = "BERTH_LOCK_HELPER"

func helper(t *testing.T, role string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+role, "BERTH_LOCK_ARGS="+strings.Join(args, "\x1f"))
	cmd.Stderr = os.Stderr
	return cmd
}

func TestHelperProcess(t *testing.T) {
	role := os.Getenv(helperEnv)
	if role == "" {
		t.Skip("helper process for other tests")
	}
	args := strings.Split(os.Getenv("BERTH_LOCK_ARGS"), "\x1f")
	if err := runHelper(role, args); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func runHelper(role string, args []string) error {
	d, err := NewDir(args[0])
	if err != nil {
		return err
	}
	switch role {
	case "hold": // take the lock, say so, and wait to be killed
		if _, err := d.Lock(context.Background(), "container", "a", Exclusive); err != nil {
			return err
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		return fmt.Errorf("not killed")
	case "count": // increment a counter file under the lock, n times
		n, _ := strconv.Atoi(args[1])
		file := filepath.Join(args[0], "counter")
		for range n {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			l, err := d.Lock(ctx, "container", "counter", Exclusive)
			cancel()
			if err != nil {
				return err
			}
			b, err := os.ReadFile(file)
			if err != nil && !os.IsNotExist(err) {
				return err
			}
			v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			if err := os.WriteFile(file, []byte(strconv.Itoa(v+1)), 0o600); err != nil {
				return err
			}
			if err := l.Unlock(); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown role %q", role)
}

func TestKilledHolderReleases(t *testing.T) {
	d := newDir(t)
	cmd := helper(t, "hold", d.Path())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	wantBlocked(t, d, "a", Exclusive)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	l, err := d.Lock(ctx, "container", "a", Exclusive)
	if err != nil {
		t.Fatalf("lock of a killed holder was not released: %v", err)
	}
	l.Unlock()
	cmd.Wait()
}

func TestProcessesExcludeEachOther(t *testing.T) {
	d := newDir(t)
	const procs, rounds = 10, 30
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmds[i] = helper(t, "count", d.Path(), strconv.Itoa(rounds))
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("helper %d: %v", i, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(d.Path(), "counter"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != strconv.Itoa(procs*rounds) {
		t.Fatalf("counter = %s, want %d: processes were in the lock together", got, procs*rounds)
	}
}
