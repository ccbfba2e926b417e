package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File is one generated Quadlet file.
type File struct {
	Name string // e.g. "web0001.container"
	Data string
}

// Set is a named input set.
type Set struct {
	Name  string // e.g. "simple-1000"
	Files []File
}

// Sets returns the input sets genbench measures: 1, 100 and 1000 simple containers and
// a mixed set of 1000 files made of apps (pod, network, volumes, containers).
func Sets() []Set {
	return []Set{
		{"simple-1", Simple(1)},
		{"simple-100", Simple(100)},
		{"simple-1000", Simple(1000)},
		{"mixed-1000", Mixed(1000)},
	}
}

// Simple returns n independent .container files of the everyday kind: an image, a few
// environment variables, a published port, a bind mount, a label, and an [Install].
func Simple(n int) []File {
	out := make([]File, n)
	for i := range out {
		out[i] = File{fmt.Sprintf("web%04d.container", i), fmt.Sprintf(`[Unit]
Description=Web server %[1]d

[Container]
Image=registry.example.com/web/nginx:1.27
Environment=APP_ENV=production
Environment=APP_ID=%[1]d "GREETING=hello world"
PublishPort=%[2]d:80
Volume=/srv/web%04[1]d:/usr/share/nginx/html:ro,Z
Label=app=web%04[1]d

[Install]
WantedBy=multi-user.target
`, i, 10000+i)}
	}
	return out
}

// appFiles is how many files one app of the mixed set has: a pod, a network, two
// volumes and six containers.
const appFiles = 10

// Mixed returns about n files (a multiple of 10) made of apps that refer to each other
// the way real deployments do: per app a .pod on a .network, two .volume files, three
// containers in the pod and three beside it on the network, all using the volumes.
func Mixed(n int) []File {
	var out []File
	for a := 0; a < (n+appFiles-1)/appFiles; a++ {
		out = append(out, app(a)...)
	}
	return out
}

func app(a int) []File {
	p := fmt.Sprintf("app%03d", a)
	files := []File{
		{p + ".network", fmt.Sprintf("[Network]\nSubnet=10.%d.%d.0/24\nGateway=10.%[1]d.%[2]d.1\nLabel=app=%s\n",
			a/256, a%256, p)},
		{p + "-data.volume", "[Volume]\nLabel=app=" + p + " tier=data\n"},
		{p + "-cache.volume", "[Volume]\nLabel=app=" + p + " tier=cache\n"},
		{p + ".pod", fmt.Sprintf(`[Unit]
Description=Pod of %[1]s

[Pod]
PodName=%[1]s
Network=%[1]s.network
PublishPort=%[2]d:8080
Volume=%[1]s-data.volume:/shared

[Install]
WantedBy=multi-user.target
`, p, 20000+a)},
	}
	for _, c := range []struct{ name, link, vol string }{
		{"web", "Pod=" + p + ".pod", p + "-data.volume:/srv"},
		{"api", "Pod=" + p + ".pod", p + "-data.volume:/var/lib/api"},
		{"worker", "Pod=" + p + ".pod", p + "-cache.volume:/cache"},
		{"db", "Network=" + p + ".network", p + "-data.volume:/var/lib/db"},
		{"cache", "Network=" + p + ".network", p + "-cache.volume:/data"},
		{"backup", "Network=" + p + ".network", p + "-data.volume:/backup:ro"},
	} {
		files = append(files, appContainer(p, c.name, c.link, c.vol))
	}
	return files
}

func appContainer(app, name, link, vol string) File {
	return File{app + "-" + name + ".container", fmt.Sprintf(`[Unit]
Description=%[2]s of %[1]s
After=local-fs.target

[Container]
Image=registry.example.com/%[1]s/%[2]s:latest
ContainerName=%[1]s-%[2]s
%[3]s
Volume=%[4]s
Volume=/etc/%[1]s/%[2]s.conf:/etc/%[2]s.conf:ro
Environment=APP=%[1]s ROLE=%[2]s
Environment=LOG_LEVEL=info
Label=app=%[1]s role=%[2]s
AutoUpdate=registry
HealthCmd=/bin/healthcheck %[2]s
HealthInterval=30s

[Service]
Restart=always
TimeoutStartSec=300

[Install]
WantedBy=multi-user.target
`, app, name, link, vol)}
}

// ServiceName is the service a Quadlet file becomes (without ServiceName=): a
// .container keeps its base name, other types get theirs appended ("db.volume" ->
// "db-volume.service").
func ServiceName(file string) string {
	ext := filepath.Ext(file)
	base := strings.TrimSuffix(file, ext)
	if ext == ".container" || ext == ".kube" {
		return base + ".service"
	}
	return base + "-" + ext[1:] + ".service"
}

// Write writes files into dir, which must exist.
func Write(dir string, files []File) error {
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), []byte(f.Data), 0o644); err != nil {
			return err
		}
	}
	return nil
}
