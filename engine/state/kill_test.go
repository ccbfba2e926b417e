package state

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledWritersLeaveAConsistentStore kills writing processes with SIGKILL at
// random points, 30 times, and then checks the store: bbolt's page structure, the
// indexes, and that no transaction the writer saw committed was lost (the counter is
// at least the last value it printed, and at most one more, for a commit it made but
// was killed before printing). Every fifth round starts a new store, so that kills
// also land while the file is being created. BERTH_STATE_KILLS=n runs n rounds.
func TestKilledWritersLeaveAConsistentStore(t *testing.T) {
	kills := 30
	if n, err := strconv.Atoi(os.Getenv("BERTH_STATE_KILLS")); err == nil && n > 0 {
		kills = n
	}
	dir := t.TempDir()
	path := ""
	midWrite := 0
	for round := range kills {
		fresh := round%5 == 0
		if fresh {
			path = filepath.Join(dir, strconv.Itoa(round), "state.db")
		}
		last := killChurn(t, path, fresh)
		if last > 0 {
			midWrite++
		}
		s, err := Open(path, 5*time.Second)
		if err != nil {
			t.Fatalf("round %d: reopening after kill -9: %v", round, err)
		}
		if err := s.Check(); err != nil {
			t.Fatalf("round %d: after kill -9: %v", round, err)
		}
		c := ctrs(s)
		ctr, err := c.Get("counter")
		switch {
		case errors.Is(err, ErrNotFound) && last == 0:
			continue // killed before its first commit
		case err != nil:
			t.Fatalf("round %d: %v", round, err)
		case ctr.Counter < last || ctr.Counter > last+1:
			t.Fatalf("round %d: counter = %d, but the writer saw %d committed", round, ctr.Counter, last)
		}
		// The store takes writes again.
		if err := c.Update("counter", func(r *rec) error { r.Counter = 0; return nil }); err != nil {
			t.Fatalf("round %d: writing after kill -9: %v", round, err)
		}
	}
	t.Logf("%d kills, %d of them after at least one commit", kills, midWrite)
	if midWrite < kills/2 {
		t.Errorf("only %d of %d kills landed among writes; the test proves little", midWrite, kills)
	}
}

// killChurn runs a churn helper, kills it at a random point (early: from its start;
// else after its first commit), and returns the last counter value it reported
// committed (0 if none).
func killChurn(t *testing.T, path string, early bool) int {
	t.Helper()
	cmd := helperCmd("churn", path, "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	last := 0
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	if early { // anywhere from exec to the first writes, file creation included
		time.Sleep(time.Duration(rand.IntN(15_000)) * time.Microsecond)
	} else {
		// After its first commit, so that the kill lands among writes however slow
		// the machine is.
		for l := range lines {
			if n, ok := strings.CutPrefix(l, "committed "); ok {
				last, _ = strconv.Atoi(n)
				break
			}
		}
		time.Sleep(time.Duration(rand.IntN(25_000)) * time.Microsecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	for l := range lines {
		if n, ok := strings.CutPrefix(l, "committed "); ok {
			last, _ = strconv.Atoi(n)
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("churn helper ended with %v, not by our SIGKILL", err)
	}
	return last
}
