package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-containers/berth/engine/enginetest"
)

// newBuildEnv is an image environment for builds: it gates on buildah and the
// registry, and has the busybox fixture pulled.
func newBuildEnv(t *testing.T) *imageEnv {
	t.Helper()
	enginetest.RequireBinary(t, "buildah")
	enginetest.RequireBinary(t, "conmon")
	e := newImageEnv(t)
	e.ok(t, "pull", "-q", enginetest.BusyboxRef())
	return e
}

// runIn runs berth in dir, as a unit with WorkingDirectory= does, with TMPDIR=tmp: a
// build keeps its store there.
func (e *imageEnv) runIn(t *testing.T, dir, tmp string, args ...string) result {
	t.Helper()
	cmd := berthCommand(t, append(append([]string{}, e.args...), args...)...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A .build unit with most keys: the exact command it generates, run in the folder the
// unit's WorkingDirectory names, builds an image whose content and metadata show
// every key's effect; `berth run` then reads it.
func TestBuildUnitCommand(t *testing.T) {
	e := newBuildEnv(t)
	// Other tests make and delete interfaces meanwhile: only the lasting ones, here
	// before the build and still after it, must have been seen by its RUN steps.
	ifsBefore := hostInterfaces(t)
	dir := t.TempDir()
	vol, secret := t.TempDir(), filepath.Join(t.TempDir(), "secret")
	writeFiles(t, vol, map[string]string{"vol.txt": "from the volume\n"})
	writeFiles(t, filepath.Dir(secret), map[string]string{"secret": "s3cret\n"})
	writeFiles(t, dir, map[string]string{
		"greeting.txt": "hello from the context\n",
		"ignored.txt":  "must not be copied\n",
		"myignore":     "ignored.txt\n",
		"Containerfile": `FROM ` + enginetest.BusyboxRef() + ` AS base
ARG WHO=nobody
RUN echo "built by $WHO" > /built.txt
RUN --mount=type=secret,id=mysecret cat /run/secrets/mysecret > /secret-copy.txt
RUN cp /mnt/vol.txt /from-volume.txt && cat /etc/resolv.conf > /resolv.txt && cat /proc/net/dev > /netdev.txt
COPY . /ctx/
FROM base AS final
RUN echo final > /stage.txt
FROM base AS unwanted
RUN echo unwanted > /stage.txt
`,
	})
	unit := filepath.Join(dir, "web.build")
	svc := unitService(t, unit, fmt.Sprintf(`[Build]
ImageTag=localhost/unitbuilt:1
ImageTag=unitbuilt:latest
File=Containerfile
SetWorkingDirectory=unit
Annotation=org.example.note=annotated
Arch=amd64
BuildArg=WHO=quadlet
DNS=192.0.2.53
DNSOption=ndots:3
DNSSearch=example.org
Environment=GREETING=hi
ForceRM=true
IgnoreFile=%s/myignore
Label=org.example.label=labelled
Network=host
Pull=never
Secret=id=mysecret,src=%s
Target=final
Volume=%s:/mnt:ro
Retry=1
RetryDelay=1s
TLSVerify=false
`, dir, secret, vol))
	if wd, _ := svc.Get("Service", "WorkingDirectory"); wd != dir {
		t.Fatalf("WorkingDirectory=%s, want %s", wd, dir)
	}
	args := execWords(t, svc, "ExecStart")
	tmp := t.TempDir()
	r := e.runIn(t, dir, tmp, args...)
	if r.code != 0 {
		t.Fatalf("berth %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	id := lines[len(lines)-1]
	if len(id) != 64 || !strings.Contains(r.stdout, "STEP") {
		t.Errorf("build output does not show the steps and end with the ID:\n%s", r.stdout)
	}
	for _, name := range []string{"localhost/unitbuilt:1", "localhost/unitbuilt:latest"} {
		if got := strings.TrimSpace(e.ok(t, "image", "inspect", "--format", "{{.Id}}", name)); got != id {
			t.Errorf("%s is %q, want the built %s", name, got, id)
		}
	}
	meta := e.ok(t, "image", "inspect", "--format",
		"{{.Labels}} {{.Config.Env}} {{.Annotations}} {{.Architecture}}", "unitbuilt")
	for _, want := range []string{"org.example.label:labelled", "GREETING=hi", "org.example.note:annotated", "amd64"} {
		if !strings.Contains(meta, want) {
			t.Errorf("image metadata %q lacks %s", meta, want)
		}
	}
	out := e.ok(t, "run", "--rm", "--network", "none", "unitbuilt",
		"cat", "/built.txt", "/secret-copy.txt", "/from-volume.txt", "/stage.txt", "/ctx/greeting.txt", "/resolv.txt", "/netdev.txt")
	// Network=host: RUN steps saw the host's interfaces.
	wants := []string{"built by quadlet", "s3cret", "from the volume", "final", "hello from the context",
		"nameserver 192.0.2.53", "search example.org", "ndots:3"}
	ifsAfter := hostInterfaces(t)
	for _, ifc := range ifsBefore {
		// Bridges and veths of container networks come and go with other tests'
		// containers (a bridge goes with its last one), even between the two looks.
		transient := strings.HasPrefix(ifc, "podman") || strings.HasPrefix(ifc, "veth") ||
			strings.HasPrefix(ifc, "berth") || strings.HasPrefix(ifc, "cni")
		if !transient && slices.Contains(ifsAfter, ifc) {
			wants = append(wants, ifc+":")
		}
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("the built image lacks %q:\n%s", want, out)
		}
	}
	if r := e.run(t, "run", "--rm", "--network", "none", "unitbuilt", "ls", "/ctx"); strings.Contains(r.stdout, "ignored.txt") ||
		!strings.Contains(r.stdout, "greeting.txt") {
		t.Errorf("IgnoreFile= not applied: /ctx holds %q", r.stdout)
	}
	if r := e.run(t, "run", "--rm", "--network", "none", "unitbuilt", "ls", "/run/secrets/mysecret"); r.code == 0 {
		t.Errorf("the secret stayed in the image")
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("the build left %s in its temporary folder", left[0].Name())
	}
}

// hostInterfaces are the network interfaces /proc/net/dev lists here.
func hostInterfaces(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if name, _, ok := strings.Cut(l, ":"); ok {
			out = append(out, strings.TrimSpace(name))
		}
	}
	return out
}

// A build starts from a local image no registry serves (one built before, named short
// through an ARG); --iidfile and -q; a failed build ends with one Error line and
// stores nothing.
func TestBuildLocalBaseAndErrors(t *testing.T) {
	e := newBuildEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Containerfile": "FROM " + enginetest.BusyboxRef() + "\nRUN echo one > /layers.txt\n",
	})
	first := strings.TrimSpace(e.runIn(t, dir, t.TempDir(), "build", "-q", "-t", "berth-base:v1", ".").stdout)
	if len(first) != 64 {
		t.Fatalf("build -q printed %q, want an ID", first)
	}
	second := t.TempDir()
	writeFiles(t, second, map[string]string{
		"Dockerfile": "ARG BASE=berth-base\nFROM ${BASE}:v1 AS one\nRUN echo two >> /layers.txt\nFROM one\nLABEL chained=yes\n",
	})
	iid := filepath.Join(t.TempDir(), "iid")
	r := e.run(t, "build", "--iidfile", iid, "-t", "berth-chained", second)
	if r.code != 0 {
		t.Fatalf("chained build: exit %d: %s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(iid)
	if got := strings.TrimSpace(e.ok(t, "image", "inspect", "--format", "sha256:{{.Id}}", "berth-chained")); got != string(b) {
		t.Errorf("--iidfile holds %q, the image is %s", b, got)
	}
	if out := e.ok(t, "run", "--rm", "--network", "none", "berth-chained", "cat", "/layers.txt"); out != "one\ntwo\n" {
		t.Errorf("chained image holds %q", out)
	}

	before := e.repoTags(t)
	writeFiles(t, dir, map[string]string{"Containerfile": "FROM " + enginetest.BusyboxRef() + "\nRUN exit 3\n"})
	oneLineError(t, e.run(t, "build", "-t", "broken", dir), 125, "exit status 3")
	oneLineError(t, e.run(t, "build", "--pull=never", "-t", "broken", "--build-arg", "BASE=nope", second), 125, "nope:v1")
	oneLineError(t, e.run(t, "build", "-f", filepath.Join(dir, "missing"), dir), 125, "missing")
	oneLineError(t, e.run(t, "build", "--group-add", "keep-groups", dir), 125, "--group-add")
	oneLineError(t, e.run(t, "build", "--network", "mynet", dir), 125, "--network mynet")
	oneLineError(t, e.run(t, "build", "--pull=sometimes", dir), 125, "--pull=sometimes")
	if after := e.repoTags(t); !slices.Equal(before, after) {
		t.Errorf("failed builds changed the images: %v, then %v", before, after)
	}

	// Without buildah the command says what is missing.
	cmd := berthCommand(t, append(append([]string{}, e.args...), "build", dir)...)
	cmd.Env = append(cmd.Env, "PATH="+t.TempDir())
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "needs buildah") || strings.Count(string(out), "\n") != 1 {
		t.Errorf("build without buildah: %q", out)
	}
}
