package state

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests here re-execute the test binary as berth-like processes:
// TestHelperProcess plays the role that BERTH_STATE_HELPER names, on the store in
// BERTH_STATE_PATH, and exits.
const (
	roleEnv = "BERTH_STATE_HELPER"
	pathEnv = "BERTH_STATE_PATH"
	argEnv  = "BERTH_STATE_ARG"
)

func TestHelperProcess(t *testing.T) {
	role := os.Getenv(roleEnv)
	if role == "" {
		t.Skip("helper process for other tests")
	}
	code, err := runHelper(role, os.Getenv(pathEnv), os.Getenv(argEnv))
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper %s (pid %d): %v\n", role, os.Getpid(), err)
	}
	os.Exit(code)
}

// Exit codes of helpers.
const (
	exitOK       = 0
	exitFailed   = 3
	exitNotFound = 4
)

func runHelper(role, path, arg string) (int, error) {
	if role == "once" {
		return exitOK, once(path, arg)
	}
	s, err := Open(path, 20*time.Second)
	if err != nil {
		return exitFailed, err
	}
	c := ctrs(s)
	switch role {
	case "writer": // add one record, then bump the shared counter 50 times
		io.Copy(io.Discard, os.Stdin) // start line: the parent closes stdin
		if err := c.Add(&rec{ID: "rec-" + arg, Name: "name-" + arg}); err != nil {
			return exitFailed, err
		}
		for range 50 {
			err := c.Update("counter", func(r *rec) error {
				r.Counter++
				if r.By == nil {
					r.By = map[string]int{}
				}
				r.By[arg]++
				return nil
			})
			if err != nil {
				return exitFailed, err
			}
		}
		return exitOK, nil
	case "remove":
		io.Copy(io.Discard, os.Stdin)
		err := c.Remove(arg)
		if errors.Is(err, ErrNotFound) {
			return exitNotFound, nil
		}
		if err != nil {
			return exitFailed, err
		}
		return exitOK, nil
	case "churn": // write until killed, saying what was committed
		return exitFailed, churn(s)
	}
	return exitFailed, fmt.Errorf("unknown role %q", role)
}

// churn adds, updates and removes records in a loop, and prints "committed N" after
// each Update of the counter to N has been committed.
func churn(s *Store) error {
	c := ctrs(s)
	if err := c.Add(&rec{ID: "counter", Name: "counter"}); err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	fmt.Println("ready")
	me := strconv.Itoa(os.Getpid())
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		id := fmt.Sprintf("churn-%s-%d", me, i)
		if err := c.Add(&rec{ID: id, Name: id, Note: strings.Repeat("x", 3000)}); err != nil {
			return err
		}
		var n int
		err := c.Update("counter", func(r *rec) error { r.Counter++; n = r.Counter; return nil })
		if err != nil {
			return err
		}
		fmt.Println("committed", n)
		if i%2 == 1 {
			err := s.Update(func(tx *Tx) error { // a multi-call transaction too
				b := c.In(tx)
				if err := b.Remove(id); err != nil {
					return err
				}
				return b.Update("counter", func(r *rec) error { r.Note = id; return nil })
			})
			if err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("not killed within 10s")
}

func helperCmd(role, path, arg string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), roleEnv+"="+role, pathEnv+"="+path, argEnv+"="+arg)
	cmd.Stderr = os.Stderr
	return cmd
}

// startAll starts the commands, each blocked on its stdin, and returns a function
// that releases them all at once.
func startAll(t *testing.T, cmds []*exec.Cmd) (release func()) {
	t.Helper()
	var starts []io.Closer
	for _, c := range cmds {
		w, err := c.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill() })
		starts = append(starts, w)
	}
	return func() {
		for _, w := range starts {
			w.Close()
		}
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestConcurrentProcesses(t *testing.T) {
	const procs, rounds = 20, 50
	s := newStore(t)
	c := ctrs(s)
	mustAdd(t, c, &rec{ID: "counter", Name: "counter"})
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmds[i] = helperCmd("writer", s.Path(), strconv.Itoa(i))
	}
	release := startAll(t, cmds)
	start := time.Now()
	release()
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	el := time.Since(start)
	t.Logf("%d processes, %d write transactions in %v (%v each)",
		procs, procs*(rounds+1), el, el/time.Duration(procs*(rounds+1)))
	ctr := mustGet(t, c, "counter")
	if ctr.Counter != procs*rounds {
		t.Errorf("counter = %d, want %d: updates were lost (per writer: %v)", ctr.Counter, procs*rounds, ctr.By)
	}
	for i := range procs {
		if n := ctr.By[strconv.Itoa(i)]; n != rounds {
			t.Errorf("writer %d counted %d times, want %d", i, n, rounds)
		}
		r := mustGet(t, c, "name-"+strconv.Itoa(i))
		if r.ID != "rec-"+strconv.Itoa(i) {
			t.Errorf("name-%d resolves to %s", i, r.ID)
		}
	}
	all, err := c.List(nil)
	if err != nil || len(all) != procs+1 {
		t.Errorf("List = %d records, %v; want %d", len(all), err, procs+1)
	}
	mustCheck(t, s)
}

func TestProcessesRaceToRemove(t *testing.T) {
	s := newStore(t)
	c := ctrs(s)
	for round := range 8 {
		id := fmt.Sprintf("victim%d", round)
		mustAdd(t, c, &rec{ID: id, Name: "victim"})
		cmds := []*exec.Cmd{helperCmd("remove", s.Path(), id), helperCmd("remove", s.Path(), id)}
		startAll(t, cmds)()
		codes := map[int]int{}
		for _, cmd := range cmds {
			codes[exitCode(cmd.Wait())]++
		}
		if codes[exitOK] != 1 || codes[exitNotFound] != 1 {
			t.Fatalf("round %d: exit codes %v, want one %d (removed) and one %d (not found)",
				round, codes, exitOK, exitNotFound)
		}
		_, err := c.Get(id)
		wantErr(t, "Get of the removed record", err, ErrNotFound)
	}
	mustCheck(t, s)
}
