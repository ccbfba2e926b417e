package quadlet

import "testing"

func TestBuildShape(t *testing.T) {
	svc := convertOK(t, "app.build", map[string]string{"app.build": `[Build]
ImageTag=localhost/app:v1
ImageTag=localhost/app:latest
SetWorkingDirectory=unit
`})
	wantList(t, execArgs(t, svc, "ExecStart"), "build", "--tag", "localhost/app:v1", "--tag", "localhost/app:latest", testDir)
	wantKey(t, svc, "Service", "Type", "oneshot")
	wantKey(t, svc, "Service", "RemainAfterExit", "yes")
	wantKey(t, svc, "Service", "WorkingDirectory", testDir)
}

func TestBuildKeys(t *testing.T) {
	svc := convertOK(t, "app.build", map[string]string{"app.build": `[Build]
ImageTag=localhost/app
File=https://example.com/Containerfile
Annotation=a=1 "b=2 3"
Arch=arm64
BuildArg=A=1
DNS=1.1.1.1
DNSOption=ndots:1
DNSSearch=example.com
Environment=E=1
ForceRM=false
GroupAdd=keep-groups
IgnoreFile=/ign
Label=l=1
Network=host
Pull=never
Secret=id=s,src=/s
Target=stage
Variant=v8
Volume=/src:/dst:ro
AuthFile=/a.json
Retry=2
RetryDelay=1s
TLSVerify=false
PodmanArgs=--squash
`})
	wantList(t, execArgs(t, svc, "ExecStart"), "build", "--tag", "localhost/app",
		"--annotation", "a=1", "--annotation", "b=2 3", "--arch", "arm64", "--build-arg", "A=1",
		"--dns", "1.1.1.1", "--dns-option", "ndots:1", "--dns-search", "example.com", "--env", "E=1",
		"--force-rm=false", "--group-add", "keep-groups", "--ignorefile", "/ign", "--label", "l=1",
		"--network", "host", "--pull=never", "--secret", "id=s,src=/s", "--target", "stage",
		"--variant", "v8", "-v", "/src:/dst:ro", "--authfile", "/a.json", "--retry", "2",
		"--retry-delay", "1s", "--tls-verify=false", "--squash", "--file", "https://example.com/Containerfile")
	wantKey(t, svc, "Unit", "RequiresMountsFor", "/src")
	wantKey(t, svc, "Service", "WorkingDirectory")
}

// SetWorkingDirectory= gives the build context and the folder the service runs in.
func TestBuildWorkingDirectory(t *testing.T) {
	for _, tc := range []struct {
		keys, wd string
		tail     []string
	}{
		{"File=/srv/Containerfile", "", []string{"--file", "/srv/Containerfile"}},
		{"SetWorkingDirectory=unit\nFile=sub/Containerfile", testDir, []string{"--file", "sub/Containerfile", testDir}},
		{"SetWorkingDirectory=file\nFile=/srv/app/Containerfile", "/srv/app", []string{"--file", "/srv/app/Containerfile", "/srv/app"}},
		{"SetWorkingDirectory=file\nFile=sub/Containerfile", testDir + "/sub", []string{"--file", "Containerfile", testDir + "/sub"}},
		{"SetWorkingDirectory=.\nFile=Containerfile", testDir, []string{"--file", "Containerfile", "."}},
		{"SetWorkingDirectory=ctx", testDir, []string{"ctx"}},
		{"SetWorkingDirectory=/srv/ctx", testDir, []string{"/srv/ctx"}},
		{"SetWorkingDirectory=https://github.com/a/b.git", "", []string{"https://github.com/a/b.git"}},
		{"SetWorkingDirectory=github.com/a/b.git", "", []string{"github.com/a/b.git"}},
		{"SetWorkingDirectory=git://git@example.com/x", "", []string{"git://git@example.com/x"}},
		{"SetWorkingDirectory=unit\n[Service]\nWorkingDirectory=/mine", "/mine", []string{testDir}},
		{"File=Containerfile\n[Service]\nWorkingDirectory=/mine", "/mine", []string{"--file", "Containerfile"}},
	} {
		svc := convertOK(t, "app.build", map[string]string{"app.build": "[Build]\nImageTag=x\n" + tc.keys + "\n"})
		argv := execArgs(t, svc, "ExecStart")
		wantList(t, argv[len(argv)-len(tc.tail):], tc.tail...)
		if tc.wd == "" {
			wantKey(t, svc, "Service", "WorkingDirectory")
		} else {
			wantKey(t, svc, "Service", "WorkingDirectory", tc.wd)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	wantErrors(t, "app.build", "[Build]\n", map[string]string{
		"SetWorkingDirectory=unit\n":                "no ImageTag key specified",
		"ImageTag=x\n":                              `app.build:1: converting "app.build": neither SetWorkingDirectory, nor File key specified`,
		"ImageTag=x\nFile=Containerfile\n":          "app.build:3: converting \"app.build\": relative path in File key requires SetWorkingDirectory key to be set",
		"ImageTag=x\nSetWorkingDirectory=file\n":    "SetWorkingDirectory=file requires a File key",
		"ImageTag=x\nFile=/C\nPull=sometimes\n":     "invalid Pull=sometimes",
		"ImageTag=x\nFile=/C\nForceRM=perhaps\n":    "not a boolean",
		"ImageTag=x\nFile=/C\nVolume=v.volume:/x\n": "requested Quadlet volume v.volume was not found",
	})
}

// Volume= and Network= may name .volume and .network units.
func TestBuildReferences(t *testing.T) {
	files := map[string]string{
		"app.build":   "[Build]\nImageTag=x\nFile=/C\nVolume=data.volume:/data\nVolume=./rel:/rel\nNetwork=net.network\n",
		"data.volume": "[Volume]\nVolumeName=mydata\nServiceName=data-svc\n",
		"net.network": "[Network]\nNetworkName=mynet\n",
	}
	svc := convertOK(t, "app.build", files)
	argv := execArgs(t, svc, "ExecStart")
	for _, seq := range [][]string{{"-v", "mydata:/data"}, {"-v", testDir + "/rel:/rel"}, {"--network", "mynet"}} {
		wantSeq(t, argv, seq...)
	}
	wantKey(t, svc, "Unit", "Requires", "net-network.service", "data-svc.service")
	wantKey(t, svc, "Unit", "RequiresMountsFor", testDir+"/rel")

	// An unknown .network still names podman's default network and service.
	svc = convertOK(t, "app.build", map[string]string{"app.build": "[Build]\nImageTag=x\nFile=/C\nNetwork=other.network\n"})
	wantSeq(t, execArgs(t, svc, "ExecStart"), "--network", "systemd-other")
	wantKey(t, svc, "Unit", "Requires", "other-network.service")
}

func TestBuildResource(t *testing.T) {
	files := map[string]string{
		"app.build":     "[Build]\nImageTag=localhost/app:v1\nImageTag=localhost/app:latest\nSetWorkingDirectory=unit\n",
		"web.container": "[Container]\nImage=app.build\n",
	}
	svc := convertOK(t, "web.container", files)
	argv := execArgs(t, svc, "ExecStart")
	if argv[len(argv)-1] != "localhost/app:v1" {
		t.Errorf("container runs %q", argv)
	}
	wantKey(t, svc, "Unit", "Requires", "app-build.service")
}
