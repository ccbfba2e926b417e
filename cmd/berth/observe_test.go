package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestObserveCommands checks ps, inspect, logs and exec against real containers: one
// running, one exited (code 3), one created.
func TestObserveCommands(t *testing.T) {
	e := newCtrEnv(t)
	id := strings.TrimSpace(e.ok(t, "run", "-d", "--name", "web", "-l", "tier=web", "-e", "FROM_CTR=1", e.ref, "sleep", "1000"))
	if r := e.run(t, "run", "--name", "done", e.ref, "sh", "-c", "echo out1; echo err1 >&2; sleep 0.1; echo out2; exit 3"); r.code != 3 {
		t.Fatalf("run done: exit %d: %s", r.code, r.stderr)
	}
	doneID := strings.TrimSpace(e.ok(t, "inspect", "--format", "{{.Id}}", "done"))
	freshID := strings.TrimSpace(e.ok(t, "create", "--name", "fresh", e.ref, "echo", "hi"))

	t.Run("ps", func(t *testing.T) { testPs(t, e, id, doneID, freshID) })
	t.Run("inspect", func(t *testing.T) { testInspect(t, e, id) })
	t.Run("logs", func(t *testing.T) { testLogs(t, e) })
	t.Run("exec", func(t *testing.T) { testExec(t, e) })
}

func testPs(t *testing.T, e *ctrEnv, id, doneID, freshID string) {
	out := e.ok(t, "ps")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := regexp.MustCompile(`^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$`)
	if len(lines) != 2 || !header.MatchString(lines[0]) {
		t.Fatalf("ps:\n%s", out)
	}
	row := regexp.MustCompile(`^` + id[:12] + ` +` + regexp.QuoteMeta(e.ref) + ` +sleep 1000 +.* ago +Up .* +web$`)
	if !row.MatchString(lines[1]) {
		t.Errorf("ps row: %q", lines[1])
	}
	if out := e.ok(t, "ps", "-q"); out != id[:12]+"\n" {
		t.Errorf("ps -q = %q", out)
	}
	if out := e.ok(t, "container", "ls", "-a", "-q", "--no-trunc"); out != freshID+"\n"+doneID+"\n"+id+"\n" {
		t.Errorf("container ls -a -q --no-trunc = %q", out)
	}
	want := "fresh created 0 \ndone exited 3 \nweb running 0 web\n"
	if out := e.ok(t, "container", "list", "-a", "--format", `{{.Names}} {{.State}} {{.ExitCode}} {{.Label "tier"}}`); out != want {
		t.Errorf("ps --format = %q, want %q", out, want)
	}
	if out := e.ok(t, "container", "ps", "-a", "--sort", "names", "--format", "table {{.ID}} {{.Names}}"); !regexp.MustCompile(
		`^CONTAINER ID +NAMES\n` + doneID[:12] + ` +done\n` + freshID[:12] + ` +fresh\n` + id[:12] + ` +web\n$`).MatchString(out) {
		t.Errorf("ps --format table --sort names:\n%s", out)
	}
	if out := e.ok(t, "ps", "--filter", "status=exited", "--format", "{{.Status}}"); !regexp.MustCompile(`^Exited \(3\) .* ago\n$`).MatchString(out) {
		t.Errorf("ps --filter status=exited = %q", out)
	}
	for args, want := range map[string]string{
		"-a --filter exited=3":               "done\n",
		"-a --filter label=tier=web":         "web\n",
		"-a --filter name=^fr":               "fresh\n",
		"-a --filter ancestor=" + e.ref:      "fresh\ndone\nweb\n",
		"-l":                                 "fresh\n",
		"-n 2":                               "fresh\ndone\n",
		"--filter status=created --no-trunc": "fresh\n",
	} {
		if out := e.ok(t, append(append([]string{"ps"}, strings.Fields(args)...), "--format", "{{.Names}}")...); out != want {
			t.Errorf("ps %s = %q, want %q", args, out, want)
		}
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(e.ok(t, "ps", "--format", "json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("ps --format json: %v, %v", err, list)
	}
	c := list[0]
	for _, k := range []string{"Id", "Names", "Image", "ImageID", "Command", "Created", "CreatedAt", "State", "Status",
		"ExitCode", "Exited", "ExitedAt", "StartedAt", "Pid", "Labels", "Mounts", "AutoRemove", "Networks", "Ports"} {
		if _, ok := c[k]; !ok {
			t.Errorf("ps --format json has no %s", k)
		}
	}
	if c["Id"] != id || c["State"] != "running" || c["Image"] != e.ref || c["Pid"].(float64) <= 0 ||
		c["Names"].([]any)[0] != "web" || c["Labels"].(map[string]any)["tier"] != "web" ||
		!strings.HasPrefix(c["Status"].(string), "Up ") {
		t.Errorf("ps --format json: %v", c)
	}
	oneLineError(t, e.run(t, "ps", "--filter", "color=red"), 125, "color=red")
	oneLineError(t, e.run(t, "ps", "-l", "-n", "2"), 125, "--latest")
}

func testInspect(t *testing.T, e *ctrEnv, id string) {
	var data []map[string]any
	if err := json.Unmarshal([]byte(e.ok(t, "inspect", "web")), &data); err != nil || len(data) != 1 {
		t.Fatalf("inspect web: %v", err)
	}
	d := data[0]
	for _, k := range []string{"Id", "Created", "Path", "Args", "State", "Image", "ImageName", "Name", "RestartCount",
		"Driver", "MountLabel", "ProcessLabel", "Config", "HostConfig", "Mounts", "NetworkSettings", "GraphDriver"} {
		if _, ok := d[k]; !ok {
			t.Errorf("inspect has no %s", k)
		}
	}
	state := d["State"].(map[string]any)
	for _, k := range []string{"Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid", "ConmonPid",
		"ExitCode", "Error", "StartedAt", "FinishedAt"} {
		if _, ok := state[k]; !ok {
			t.Errorf("inspect State has no %s", k)
		}
	}
	cfg := d["Config"].(map[string]any)
	for _, k := range []string{"Hostname", "User", "Env", "Cmd", "Entrypoint", "WorkingDir", "Labels", "Annotations", "StopSignal", "StopTimeout"} {
		if _, ok := cfg[k]; !ok {
			t.Errorf("inspect Config has no %s", k)
		}
	}
	if d["Id"] != id || d["Name"] != "web" || d["Path"] != "sleep" || state["Running"] != true {
		t.Errorf("inspect web: Id %v Name %v Path %v State %v", d["Id"], d["Name"], d["Path"], state)
	}
	pid := strings.TrimSpace(e.ok(t, "inspect", "--format", "{{.State.Pid}}", "web"))
	if n, err := strconv.Atoi(pid); err != nil || n <= 0 || !strings.Contains(readFile(t, "/proc/"+pid+"/cmdline"), "sleep") {
		t.Errorf("inspect {{.State.Pid}} = %q", pid)
	}
	if out := e.ok(t, "container", "inspect", "--format", "{{.ID}} {{.Config.Labels.tier}} {{.Config.Cmd}} {{.HostConfig.LogConfig.Type}}", id[:8]); out != id+" web [sleep 1000] k8s-file\n" {
		t.Errorf("container inspect --format = %q", out)
	}
	if out := e.ok(t, "inspect", "-l", "--format", "{{.Name}} {{.State.Status}}"); out != "fresh created\n" {
		t.Errorf("inspect -l = %q", out)
	}
	if out := e.ok(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "done"); out != "exited 3\n" {
		t.Errorf("inspect done = %q", out)
	}
	// Not a container: an image.
	if out := e.ok(t, "inspect", "--format", "{{.Id}} {{.Os}}", e.ref); !regexp.MustCompile(`^[0-9a-f]{64} linux\n$`).MatchString(out) {
		t.Errorf("inspect of an image = %q", out)
	}
	r := e.run(t, "inspect", "nope")
	oneLineError(t, r, 125, `no such object: "nope"`)
	if r.stdout != "[]\n" {
		t.Errorf("inspect nope printed %q", r.stdout)
	}
	oneLineError(t, e.run(t, "inspect", "--type", "container", e.ref), 125, "no such container")
	oneLineError(t, e.run(t, "container", "inspect", "nope"), 125, "no such container")
	// What was found is printed; the missing one is the error.
	r = e.run(t, "inspect", "--format", "{{.Name}}", "web", "nope")
	if r.code != 125 || r.stdout != "web\n" {
		t.Errorf("inspect web nope: exit %d, stdout %q", r.code, r.stdout)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%v", err)
	}
	return string(data)
}

func testLogs(t *testing.T, e *ctrEnv) {
	r := e.run(t, "logs", "done")
	if r.code != 0 || r.stdout != "out1\nout2\n" || r.stderr != "err1\n" {
		t.Errorf("logs: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := e.run(t, "container", "logs", "--tail", "1", "done"); r.code != 0 || r.stdout != "out2\n" || r.stderr != "" {
		t.Errorf("logs --tail 1: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	stamped := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) out1\n\S+ out2\n$`)
	if out := e.ok(t, "logs", "-t", "done"); !stamped.MatchString(out) {
		t.Errorf("logs -t = %q", out)
	}
	if r := e.run(t, "logs", "--since", "10m", "done"); r.stdout != "out1\nout2\n" {
		t.Errorf("logs --since 10m = %q", r.stdout)
	}
	future := time.Now().Add(time.Hour).Format(time.RFC3339)
	if r := e.run(t, "logs", "--since", future, "done"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("logs --since %s: exit %d, %q %q", future, r.code, r.stdout, r.stderr)
	}
	if r := e.run(t, "logs", "--until", "2000-01-01", "done"); r.code != 0 || r.stdout != "" {
		t.Errorf("logs --until 2000-01-01: exit %d, %q", r.code, r.stdout)
	}
	oneLineError(t, e.run(t, "logs", "--since", "someday", "done"), 125, "--since")
	oneLineError(t, e.run(t, "logs", "nope"), 125, "no such container")

	// Following ends when the container exits; lines come as they are written.
	e.ok(t, "run", "-d", "--name", "ticker", e.ref, "sh", "-c", "for i in 1 2 3; do echo tick$i; sleep 0.4; done")
	start := time.Now()
	r = e.run(t, "logs", "-f", "ticker")
	if took := time.Since(start); r.code != 0 || r.stdout != "tick1\ntick2\ntick3\n" || took > 10*time.Second {
		t.Errorf("logs -f: exit %d, stdout %q, after %v", r.code, r.stdout, took)
	}
	// An --rm container is gone when it exits: what it wrote is still followed to
	// the end.
	e.ok(t, "run", "-d", "--rm", "--name", "brief", e.ref, "sh", "-c", "echo a; sleep 0.5; echo b")
	if r := e.run(t, "logs", "-f", "brief"); r.code != 0 || r.stdout != "a\nb\n" {
		t.Errorf("logs -f of an --rm container: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// Several containers: each line names its container.
	if out := e.ok(t, "logs", "--names", "ticker", "done"); out != "ticker tick1\nticker tick2\nticker tick3\ndone out1\ndone out2\n" {
		t.Errorf("logs --names = %q", out)
	}
	tickID := strings.TrimSpace(e.ok(t, "inspect", "--format", "{{.Id}}", "ticker"))
	if out := e.ok(t, "logs", "--tail", "1", "ticker", "done"); out != tickID[:12]+" tick3\n"+doneLine(t, e)+" out2\n" {
		t.Errorf("logs of two containers = %q", out)
	}
	e.ok(t, "create", "--name", "mute", "--log-driver", "none", e.ref, "true")
	oneLineError(t, e.run(t, "logs", "mute"), 125, "not logging output")
}

func doneLine(t *testing.T, e *ctrEnv) string {
	return strings.TrimSpace(e.ok(t, "inspect", "--format", "{{.Id}}", "done"))[:12]
}

func testExec(t *testing.T, e *ctrEnv) {
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("# comment\nFROM_FILE=yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := e.ok(t, "exec", "-e", "FOO=bar", "--env-file", envFile, "-u", "nobody", "-w", "/tmp", "web",
		"sh", "-c", "echo $FOO $FROM_FILE $FROM_CTR $(id -u) $PWD")
	if out != "bar yes 1 65534 /tmp\n" {
		t.Errorf("exec -e --env-file -u -w = %q", out)
	}
	if r := e.run(t, "container", "exec", "web", "sh", "-c", "echo some; echo err >&2; exit 5"); r.code != 5 || r.stdout != "some\n" || r.stderr != "err\n" {
		t.Errorf("exec exit 5: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := e.run(t, "exec", "web", "no-such-command"); r.code != 127 {
		t.Errorf("exec of a missing command: exit %d, %q", r.code, r.stderr)
	}
	if r := e.run(t, "exec", "web", "/etc/passwd"); r.code != 126 {
		t.Errorf("exec of a file that is not executable: exit %d, %q", r.code, r.stderr)
	}
	cmd := berthCommand(t, append(append([]string{}, e.args...), "exec", "-i", "web", "sh", "-c", "cat; echo done")...)
	cmd.Stdin = strings.NewReader("from stdin\n")
	if got, err := cmd.Output(); err != nil || string(got) != "from stdin\ndone\n" {
		t.Errorf("exec -i: %q, %v", got, err)
	}
	// Without -i the process gets no input.
	cmd = berthCommand(t, append(append([]string{}, e.args...), "exec", "web", "cat")...)
	cmd.Stdin = strings.NewReader("ignored\n")
	if got, err := cmd.Output(); err != nil || string(got) != "" {
		t.Errorf("exec without -i: %q, %v", got, err)
	}
	oneLineError(t, e.run(t, "exec", "-d", "web", "true"), 125, "not supported")
	oneLineError(t, e.run(t, "exec", "done", "true"), 125, "running")
	oneLineError(t, e.run(t, "exec", "-u", "nosuchuser", "web", "true"), 125, "nosuchuser")
	// Flags after the container belong to the command.
	if out := e.ok(t, "exec", "web", "echo", "-u", "x"); out != "-u x\n" {
		t.Errorf("exec web echo -u x = %q", out)
	}
}
