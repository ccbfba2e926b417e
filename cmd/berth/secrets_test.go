package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The secret commands: create (file, stdin, --env), ls, inspect, exists, rm, in the
// layout podman uses under the graph root.
func TestSecretCommands(t *testing.T) {
	e := newImageEnv(t)
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, []byte("hunter2"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(e.ok(t, "secret", "create", "--label", "app=web", "one", file))
	if !regexp.MustCompile(`^[0-9a-f]{25}$`).MatchString(id) {
		t.Errorf("secret ID %q: want 25 hex characters", id)
	}
	cmd := berthCommand(t, append(append([]string{}, e.args...), "secret", "create", "two", "-")...)
	cmd.Stdin = strings.NewReader("from stdin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secret create from stdin: %v: %s", err, out)
	}
	t.Setenv("BERTH_TEST_SECRET", "from env")
	e.ok(t, "secret", "create", "--env", "three", "BERTH_TEST_SECRET")
	for _, f := range []string{"secrets.json", "filedriver/secretsdata.json"} {
		if _, err := os.Stat(filepath.Join(e.opts.Root, "secrets", f)); err != nil {
			t.Errorf("podman's layout: %v", err)
		}
	}

	oneLineError(t, e.run(t, "secret", "create", "one", file), 125, `secret name "one" is already in use`)
	oneLineError(t, e.run(t, "secret", "create", "bad/name", file), 125, "secret name")
	oneLineError(t, e.run(t, "secret", "create", "--driver", "pass", "p", file), 125, "only the file driver")

	if got := e.ok(t, "secret", "ls", "-q", "--filter", "name=^one$"); strings.TrimSpace(got) != id {
		t.Errorf("ls -q --filter name=^one$: %q, want %q", got, id)
	}
	if got := e.ok(t, "secret", "ls", "--format", "{{.Name}} {{.Driver}}"); got != "one file\nthree file\ntwo file\n" {
		t.Errorf("ls --format: %q", got)
	}
	if got := e.ok(t, "secret", "ls"); !strings.HasPrefix(got, "ID") || !strings.Contains(got, "NAME") || strings.Count(got, "\n") != 4 {
		t.Errorf("ls table: %q", got)
	}
	if got := e.ok(t, "secret", "ls", "-q", "--filter", "label=app=web"); strings.TrimSpace(got) != id {
		t.Errorf("ls --filter label=: %q", got)
	}

	var docs []struct {
		ID   string
		Spec struct {
			Name   string
			Labels map[string]string
			Driver struct{ Name string }
		}
		SecretData string
	}
	if err := json.Unmarshal([]byte(e.ok(t, "secret", "inspect", "one")), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect: %v %v", err, docs)
	}
	if d := docs[0]; d.ID != id || d.Spec.Name != "one" || d.Spec.Labels["app"] != "web" || d.Spec.Driver.Name != "file" || d.SecretData != "" {
		t.Errorf("inspect: %+v", d)
	}
	for name, want := range map[string]string{"one": "hunter2", "two": "from stdin", "three": "from env"} {
		if got := e.ok(t, "secret", "inspect", "--showsecret", "--format", "{{.SecretData}}", name); got != want+"\n" {
			t.Errorf("inspect --showsecret %s: %q, want %q", name, got, want)
		}
	}

	if err := os.WriteFile(file, []byte("hunter3"), 0o600); err != nil {
		t.Fatal(err)
	}
	if newID := strings.TrimSpace(e.ok(t, "secret", "create", "--replace", "one", file)); newID == id {
		t.Errorf("--replace kept ID %s", id)
	}
	if got := e.ok(t, "secret", "inspect", "--showsecret", "--format", "{{.SecretData}}", "one"); got != "hunter3\n" {
		t.Errorf("after --replace: %q", got)
	}
	if r := e.run(t, "secret", "exists", "one"); r.code != 0 {
		t.Errorf("exists one: exit %d", r.code)
	}
	if r := e.run(t, "secret", "exists", "nope"); r.code != 1 {
		t.Errorf("exists nope: exit %d, want 1", r.code)
	}
	oneLineError(t, e.run(t, "secret", "rm", "nope"), 125, "secret nope: no such secret")
	e.ok(t, "secret", "rm", "--ignore", "nope", "two")
	e.ok(t, "secret", "rm", "-a")
	if got := e.ok(t, "secret", "ls", "-q"); got != "" {
		t.Errorf("after rm -a: %q", got)
	}
}

// --secret as the generator emits it for Secret= lines: an env secret, a mount at an
// absolute path with a mode, and a default mount with an owner; the container keeps
// its copy after secret rm; a missing secret creates nothing.
func TestRunSecret(t *testing.T) {
	e := newCtrEnv(t)
	file := filepath.Join(t.TempDir(), "data")
	for name, data := range map[string]string{"mysecret": "tok3n", "other": "file data"} {
		if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		e.ok(t, "secret", "create", name, file)
	}
	got := e.ok(t, "run", "--rm", "--network", "none",
		"--secret", "mysecret,type=env,target=TOKEN", "--secret", "other,type=mount,target=/etc/x,mode=0400",
		"--secret", "other,uid=1000,gid=100", "--secret", "mysecret",
		e.ref, "sh", "-c", `echo "$TOKEN"; cat /etc/x; echo; stat -c '%a %u %g' /etc/x /run/secrets/other /run/secrets/mysecret; `+
			`cat /run/secrets/mysecret; echo; echo hi > /run/secrets/other || echo read-only`)
	want := "tok3n\nfile data\n400 0 0\n444 1000 100\n444 0 0\ntok3n\nread-only\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("in the container: %q, want %q", got, want)
	}

	// inspect shows the environment the runtime got, but not a secret's value.
	e.ok(t, "run", "--name", "envsecret", "--network", "none", "--secret", "mysecret,type=env,target=TOKEN", e.ref, "true")
	if env := e.ok(t, "inspect", "--format", "{{.Config.Env}}", "envsecret"); strings.Contains(env, "tok3n") ||
		!strings.Contains(env, "container=podman") {
		t.Errorf("inspect's environment: %q (the secret's value must not show)", env)
	}

	e.ok(t, "create", "--name", "keeps", "--network", "none", "--secret", "other", e.ref, "cat", "/run/secrets/other")
	e.ok(t, "secret", "rm", "other")
	e.ok(t, "start", "keeps")
	e.ok(t, "wait", "keeps")
	if got := e.ok(t, "logs", "keeps"); got != "file data" {
		t.Errorf("after secret rm, the container's copy: %q", got)
	}

	oneLineError(t, e.run(t, "run", "--name", "nosecret", "--secret", "other", e.ref, "true"), 125,
		"--secret: secret other: no such secret")
	if r := e.run(t, "container", "exists", "nosecret"); r.code != 1 {
		t.Errorf("a container was created for a missing secret (exists: %d)", r.code)
	}
}
