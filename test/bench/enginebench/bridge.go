package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// The default network of both engines: the same bridge and subnet, which is why they
// must never have containers on it at the same time.
const (
	bridgeName   = "podman0"
	bridgeSubnet = "10.88."
	keeperName   = "enginebench-keeper"
)

// hostNet is what the host shows of the default network.
type hostNet struct {
	bridge bool  // podman0 exists
	nat    int   // lines of `iptables -t nat -S` naming 10.88.x.x
	natErr error // iptables could not be read
}

func readHostNet() hostNet {
	h := hostNet{bridge: bridgeUp()}
	h.nat, h.natErr = natRules()
	return h
}

func bridgeUp() bool {
	_, err := net.InterfaceByName(bridgeName)
	return err == nil
}

// natRules counts the NAT rules that name the default subnet.
func natRules() (int, error) {
	out, err := exec.Command("iptables", "-t", "nat", "-S").Output()
	if err != nil {
		return 0, fmt.Errorf("iptables -t nat -S: %w", err)
	}
	return strings.Count(string(out), bridgeSubnet), nil
}

// busy says why the bridge measurements must not run: podman0 or its NAT rules exist
// already (another engine, or a sandbox sharing the host's network): measuring would
// not be measuring a user's first container, and tearing ours down could touch theirs.
func (h hostNet) busy() string {
	switch {
	case h.bridge:
		return bridgeName + " is up"
	case h.natErr != nil:
		return h.natErr.Error()
	case h.nat > 0:
		return fmt.Sprintf("%d NAT rules name %s0.0/16", h.nat, bridgeSubnet)
	}
	return ""
}

// waitBridgeGone waits up to two seconds for podman0 to go (netavark deletes it when
// its last container leaves), and notes it once per engine when it stays.
func (b *bencher) waitBridgeGone(e *engine, after string) {
	deadline := time.Now().Add(2 * time.Second)
	for bridgeUp() {
		if time.Now().After(deadline) {
			b.noteOnce(fmt.Sprintf("%s: %s still up 2 s after %s", e.name, bridgeName, after))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (b *bencher) noteOnce(note string) {
	if !slices.Contains(b.notes, note) {
		b.notes = append(b.notes, note)
		fmt.Fprintln(os.Stderr, "enginebench:", note)
	}
}

// measureBridge runs the measurements on the default network: run --rm alone,
// run --rm with the bridge kept up, and the pod.
func (b *bencher) measureBridge() {
	if b.stopped() {
		return
	}
	if why := readHostNet().busy(); why != "" {
		b.notes = append(b.notes, "bridge and pod measurements skipped: "+why+
			" before they started (not this benchmark's: left alone)")
		fmt.Fprintln(os.Stderr, "enginebench:", b.notes[len(b.notes)-1])
		return
	}
	b.alternate(mBridge, func(e *engine, i int, measured bool) error {
		s, err := b.do(e, mBridge, nil, b.bridgeArgs("--rm", b.opts.image, "true")...)
		settle()
		b.waitBridgeGone(e, "run --rm")
		if err == nil && measured {
			b.record(e, mBridge, s)
		}
		return err
	})
	b.measureBridgeKept()
	b.measurePod()
}

// measureBridgeKept measures run --rm while an idle container keeps the bridge up.
// The idle container must be the only other one, so the engines run in blocks, each
// with its own idle container started before and removed after: ABBA, half the runs
// (and the warm-ups) in the first round.
func (b *bencher) measureBridgeKept() {
	fmt.Fprintf(os.Stderr, "enginebench: %s, %d+%d runs per engine, in blocks\n", mBridgeKept, b.opts.warmups, b.opts.runs)
	first := (b.opts.runs + 1) / 2
	order := slices.Clone(b.engines)
	for round, runs := range []int{first, b.opts.runs - first} {
		warmups := 0
		if round == 0 {
			warmups = b.opts.warmups
		}
		for _, e := range order {
			if b.stopped() || b.failed(e, mBridgeKept) || warmups+runs == 0 {
				continue
			}
			if err := b.keptBlock(e, warmups, runs); err != nil {
				b.fail(e, mBridgeKept, err)
			}
		}
		slices.Reverse(order)
	}
}

// keptBlock starts the idle container, runs run --rm warmups+runs times, and removes
// the idle container, even on failure.
func (b *bencher) keptBlock(e *engine, warmups, runs int) (err error) {
	if _, err := b.do(e, "keeper", nil, b.bridgeArgs("-d", "--name", keeperName, b.opts.image, "sleep", "1000")...); err != nil {
		return err
	}
	defer func() {
		if _, rmErr := e.quiet(b.opts.timeout, "rm", "-f", "-t", "0", keeperName); rmErr != nil && err == nil {
			err = rmErr
		}
		settle()
		b.waitBridgeGone(e, "the idle container went")
	}()
	for i := range warmups + runs {
		if b.stopped() {
			return nil
		}
		s, err := b.do(e, mBridgeKept, nil, b.bridgeArgs("--rm", b.opts.image, "true")...)
		settle()
		if err != nil {
			return err
		}
		if !bridgeUp() {
			return fmt.Errorf("%s went with run --rm although %s runs", bridgeName, keeperName)
		}
		if i >= warmups {
			b.record(e, mBridgeKept, s)
		}
	}
	return nil
}

// checkHostNet warns when the benchmark leaves podman0 or NAT rules for its subnet,
// unless they were there before it started.
func (b *bencher) checkHostNet(w io.Writer) {
	after := readHostNet()
	switch {
	case after.natErr != nil:
		fmt.Fprintf(w, "\nwarning: cannot check the NAT rules: %v\n", after.natErr)
	case b.host.busy() != "":
		if after.bridge || after.nat > 0 {
			fmt.Fprintf(w, "\nnote: %s up: %v, NAT rules for %s0.0/16: %d; they were there before (up: %v, %d): not this benchmark's\n",
				bridgeName, after.bridge, bridgeSubnet, after.nat, b.host.bridge, b.host.nat)
		}
	case after.bridge || after.nat > 0:
		fmt.Fprintf(w, "\nwarning: left behind: %s up: %v, NAT rules for %s0.0/16: %d (see `ip link show %s`, `iptables -t nat -S`)\n",
			bridgeName, after.bridge, bridgeSubnet, after.nat, bridgeName)
	default:
		fmt.Fprintf(w, "\nafter cleanup: no %s, no NAT rules for %s0.0/16\n", bridgeName, bridgeSubnet)
	}
}
