package engine

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"

	"go.podman.io/common/pkg/config"

	"github.com/berth-containers/berth/engine/spec"
)

// TestDefaultSysctls checks containers.conf's default sysctls of the network
// namespace: added to a container's own namespace, skipped with a warning where
// /proc/sys is read-only (as in a systemd-nspawn container), never over the user's.
func TestDefaultSysctls(t *testing.T) {
	cfg, err := config.New(&config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Containers.DefaultSysctls.Set([]string{"net.ipv4.ping_group_range=0 0"})
	var log bytes.Buffer
	r := &Runtime{cfg: cfg, log: slog.New(slog.NewTextHandler(&log, nil))}
	defer func(old func(string) bool) { sysctlWritable = old }(sysctlWritable)

	sysctlWritable = func(string) bool { return true }
	so := &spec.Options{Sysctls: map[string]string{}}
	r.defaultSysctls(so, NetworkBridge)
	if so.Sysctls["net.ipv4.ping_group_range"] != "0 0" {
		t.Errorf("writable /proc/sys: sysctls %v, want podman's default", so.Sysctls)
	}
	so = &spec.Options{Sysctls: map[string]string{}}
	r.defaultSysctls(so, NetworkHost)
	if len(so.Sysctls) != 0 {
		t.Errorf("host network: sysctls %v, want none (the host's are not the container's)", so.Sysctls)
	}

	sysctlWritable = func(string) bool { return false }
	so = &spec.Options{Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}}
	r.defaultSysctls(so, NetworkNone)
	if _, ok := so.Sysctls["net.ipv4.ping_group_range"]; ok || so.Sysctls["net.ipv4.ip_forward"] != "1" {
		t.Errorf("read-only /proc/sys: sysctls %v, want only the user's", so.Sysctls)
	}
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "ping_group_range") {
		t.Errorf("no warning for the skipped default: %q", log.String())
	}
	// The user's own value is kept, writable or not.
	so = &spec.Options{Sysctls: map[string]string{"net.ipv4.ping_group_range": "1 1"}}
	r.defaultSysctls(so, NetworkBridge)
	if so.Sysctls["net.ipv4.ping_group_range"] != "1 1" {
		t.Errorf("the user's sysctl became %q", so.Sysctls["net.ipv4.ping_group_range"])
	}
}

func TestNetworkRequest(t *testing.T) {
	for _, tc := range []struct {
		c    ContainerConfig
		want string // mode, then each network with its options
		err  string
	}{
		{ContainerConfig{}, "bridge [:[] []]", ""},
		{ContainerConfig{Network: "none"}, "none []", ""},
		{ContainerConfig{Network: "container:web"}, "container:web []", ""},
		{ContainerConfig{Network: "ns:/run/netns/x"}, "ns:/run/netns/x []", ""},
		{ContainerConfig{Network: "web:ip=10.89.1.5,alias=a,alias=b", Networks: []string{"db"}, NetworkAliases: []string{"c"}},
			"bridge [web:[10.89.1.5] [a b c] db:[] [c]]", ""},
		{ContainerConfig{Network: "bridge", IP: "10.88.0.9", MACAddress: "92:d0:c6:0a:29:33"}, "bridge [:[10.88.0.9] []]", ""},
		{ContainerConfig{Network: "none", Networks: []string{"web"}}, "", "cannot be combined"},
		{ContainerConfig{Network: "web", Networks: []string{"db"}, IP: "10.0.0.1"}, "", "one network"},
		{ContainerConfig{Network: "host", IP: "10.0.0.1"}, "", "needs a bridge network"},
		{ContainerConfig{Network: "web:ip=fd00::1"}, "", "not an IPv4"},
		{ContainerConfig{Network: "web:colour=red"}, "", "unknown option"},
		{ContainerConfig{Network: "ns:relative"}, "", "absolute"},
		{ContainerConfig{Network: "container:"}, "", "want container:"},
		{ContainerConfig{Network: "pasta"}, "", "not supported"},
		{ContainerConfig{Network: "web", Networks: []string{"web"}}, "", "twice"},
		{ContainerConfig{Network: "container:x", DNS: []string{"1.1.1.1"}}, "", "cannot be set with --network container"},
		{ContainerConfig{Publish: []string{"8080:80", "8080:81"}}, "", "published twice"},
	} {
		req, err := tc.c.networkRequest()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: %v, want an error with %q", tc.c, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tc.c, err)
			continue
		}
		got := req.mode
		if req.join != "" {
			got += ":" + req.join
		}
		var nets []string
		for _, n := range req.networks {
			nets = append(nets, n.Name+":"+fmtIPs(n.StaticIPs)+" "+fmtList(n.Aliases))
		}
		got += " [" + strings.Join(nets, " ") + "]"
		if got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.c, got, tc.want)
		}
	}
}

func fmtIPs(ips []net.IP) string {
	var s []string
	for _, ip := range ips {
		s = append(s, ip.String())
	}
	return "[" + strings.Join(s, " ") + "]"
}

func fmtList(l []string) string { return "[" + strings.Join(l, " ") + "]" }
