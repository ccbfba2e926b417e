package network

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"

	"go.podman.io/common/libnetwork/types"
)

// ParsePublish reads one -p/--publish value as podman does:
// [[IP:][HOST-PORT]:]CONTAINER-PORT[/PROTOCOL], where ports may be ranges (N-M), an
// IPv6 address is in brackets, and PROTOCOL is tcp (the default), udp or sctp, or
// several of them with commas. A missing host port is 0: AssignHostPorts picks one.
func ParsePublish(s string) ([]types.PortMapping, error) {
	bad := func(why string) error {
		return fmt.Errorf("-p %q: %s (want [[IP:][HOST-PORT]:]CONTAINER-PORT[/PROTOCOL]): %w", s, why, ErrInvalid)
	}
	rest, protos, _ := strings.Cut(s, "/")
	if protos == "" {
		protos = "tcp"
	}
	var hostIP string
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return nil, bad("an IPv6 address in brackets must be followed by ':'")
		}
		hostIP, rest = rest[1:end], rest[end+2:]
		if ip := net.ParseIP(hostIP); ip == nil || ip.To4() != nil {
			return nil, bad("not an IPv6 address in brackets")
		}
	}
	parts := strings.Split(rest, ":")
	var hostPart, ctrPart string
	switch {
	case len(parts) == 1:
		ctrPart = parts[0]
	case len(parts) == 2:
		hostPart, ctrPart = parts[0], parts[1]
	case len(parts) == 3 && hostIP == "":
		hostIP, hostPart, ctrPart = parts[0], parts[1], parts[2]
		if net.ParseIP(hostIP) == nil {
			return nil, bad("not an IP address: " + hostIP)
		}
	default:
		return nil, bad("too many ':'")
	}
	if hostIP == "0.0.0.0" {
		hostIP = ""
	}
	ctrStart, ctrLen, err := portRange(ctrPart)
	if err != nil {
		return nil, bad(err.Error())
	}
	var hostStart uint16
	if hostPart != "" {
		start, n, err := portRange(hostPart)
		if err != nil {
			return nil, bad(err.Error())
		}
		if n != 1 && n != ctrLen {
			return nil, bad("the host and container port ranges differ in length")
		}
		if int(start)+int(ctrLen)-1 > 65535 {
			return nil, bad("the host port range passes 65535")
		}
		hostStart = start
	}
	var out []types.PortMapping
	for _, p := range strings.Split(protos, ",") {
		if !slices.Contains([]string{"tcp", "udp", "sctp"}, p) {
			return nil, bad("protocol " + p + " (use tcp, udp or sctp)")
		}
		out = append(out, types.PortMapping{HostIP: hostIP, ContainerPort: ctrStart, HostPort: hostStart, Range: ctrLen, Protocol: p})
	}
	return out, nil
}

// portRange reads N or N-M (1 to 65535): the first port and the count.
func portRange(s string) (uint16, uint16, error) {
	a, b, isRange := strings.Cut(s, "-")
	first, err := strconv.ParseUint(a, 10, 16)
	if err != nil || first == 0 {
		return 0, 0, fmt.Errorf("port %q is not a number from 1 to 65535", a)
	}
	if !isRange {
		return uint16(first), 1, nil
	}
	last, err := strconv.ParseUint(b, 10, 16)
	if err != nil || last < first {
		return 0, 0, fmt.Errorf("port range %q: want FIRST-LAST, FIRST <= LAST <= 65535", s)
	}
	return uint16(first), uint16(last - first + 1), nil
}

// ParseExpose reads --expose PORT[-PORT][/PROTOCOL] into ports without a host side.
func ParseExpose(s string) ([]types.PortMapping, error) {
	port, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	if !slices.Contains([]string{"tcp", "udp", "sctp"}, proto) {
		return nil, fmt.Errorf("--expose %q: protocol %s (use tcp, udp or sctp): %w", s, proto, ErrInvalid)
	}
	start, n, err := portRange(port)
	if err != nil {
		return nil, fmt.Errorf("--expose %q: %v: %w", s, err, ErrInvalid)
	}
	return []types.PortMapping{{ContainerPort: start, Range: n, Protocol: proto}}, nil
}

// CheckPorts refuses two mappings that take the same host port and protocol on the
// same address (or on all addresses); one container port may have several.
func CheckPorts(list []types.PortMapping) error {
	type key struct {
		ip    string
		port  int
		proto string
	}
	var host []key
	for _, p := range list {
		for i := range int(max(p.Range, 1)) {
			if p.HostPort != 0 {
				k := key{p.HostIP, int(p.HostPort) + i, p.Protocol}
				for _, h := range host {
					if h.port == k.port && h.proto == k.proto && (h.ip == k.ip || h.ip == "" || k.ip == "") {
						return fmt.Errorf("host port %d/%s is published twice: %w", k.port, k.proto, ErrInvalid)
					}
				}
				host = append(host, k)
			}
		}
	}
	return nil
}

// AssignHostPorts gives each mapping without a host port free ones on the host: a
// block of Range ports that nothing listens on, as podman does at create.
func AssignHostPorts(list []types.PortMapping) error {
	for i := range list {
		p := &list[i]
		if p.HostPort != 0 {
			continue
		}
		n := int(max(p.Range, 1))
		found := false
		for range 100 {
			start := 10000 + rand.IntN(55000-n)
			if portsFree(p.HostIP, p.Protocol, start, n) {
				p.HostPort, found = uint16(start), true
				break
			}
		}
		if !found {
			return fmt.Errorf("no free host port for container port %d/%s: %w", p.ContainerPort, p.Protocol, ErrInvalid)
		}
	}
	return nil
}

// portsFree tries to listen on each port.
func portsFree(ip, proto string, start, n int) bool {
	for port := start; port < start+n; port++ {
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		switch proto {
		case "udp":
			c, err := net.ListenPacket("udp", addr)
			if err != nil {
				return false
			}
			c.Close()
		default: // tcp, and sctp (which Go cannot open) checked as tcp
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return false
			}
			l.Close()
		}
	}
	return true
}
