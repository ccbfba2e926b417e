# shellcheck shell=bash disable=SC2154,SC2016 # run.sh and lib.sh set the variables; single-quoted scripts run in the sandbox
# Scenario 8, objects: a .pod, a .network, a .volume and a published port, from Quadlet
# files of its own (independent of scenario 1), under the real systemd:
#   a) a pod's two members talk over localhost: they share one network namespace;
#   b) two containers on a .network resolve each other by name and by NetworkAlias=
#      (aardvark-dns), and the network has the file's subnet;
#   c) a .volume's data survives systemctl restart (a new container) and the
#      container's removal (stop, start);
#   d) the pod's PublishPort= answers from the host; after stop no NAT rule for the
#      port is left, and NetworkDeleteOnStop=true takes the bridge away;
#   e) the time from systemctl start of the pod's service to all members active.
# Sourced by test/e2e/run.sh.

scenario 8 "objects: pod, network, volume, published port"

qdir=/etc/containers/systemd
obj_prefix=10.89.18.
obj_port=18480
# Leftovers of a run that died, in the host's network namespace the sandbox shares.
check "nothing of an earlier run in the host's network namespace (${obj_prefix}0/24)" clean_host_net "$obj_prefix"

cat >"$rootfs$qdir/e2e-obj.network" <<EOF
[Network]
NetworkName=e2e-obj
Subnet=${obj_prefix}0/24
Gateway=${obj_prefix}1
NetworkDeleteOnStop=true
EOF
cat >"$rootfs$qdir/e2e-obj.pod" <<EOF
[Pod]
PodName=e2e-obj
Network=e2e-obj.network
PublishPort=$obj_port:8080
EOF
# The server: on 127.0.0.1:8081 for the pod only, and on port 8080, published.
cat >"$rootfs$qdir/e2e-obj-web.container" <<EOF
[Container]
ContainerName=e2e-obj-web
Image=$image
Pod=e2e-obj.pod
Exec=sh -c 'mkdir -p /tmp/www && echo e2e-obj-web >/tmp/www/index.html; trap "exit 0" TERM; httpd -f -p 127.0.0.1:8081 -h /tmp/www & httpd -f -p 8080 -h /tmp/www & wait'
EOF
cat >"$rootfs$qdir/e2e-obj-client.container" <<EOF
[Container]
ContainerName=e2e-obj-client
Image=$image
Pod=e2e-obj.pod
Exec=sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
EOF
cat >"$rootfs$qdir/e2e-obj-dns-a.container" <<EOF
[Container]
ContainerName=e2e-obj-dns-a
Image=$image
Network=e2e-obj.network
NetworkAlias=e2e-obj-alias
Exec=sh -c 'mkdir -p /tmp/www && echo e2e-obj-dns-a >/tmp/www/index.html; trap "exit 0" TERM; httpd -f -p 7000 -h /tmp/www & wait'
EOF
cat >"$rootfs$qdir/e2e-obj-dns-b.container" <<EOF
[Container]
ContainerName=e2e-obj-dns-b
Image=$image
Network=e2e-obj.network
Exec=sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
EOF
cat >"$rootfs$qdir/e2e-obj-data.volume" <<EOF
[Volume]
VolumeName=e2e-obj-data
Label=e2e=objects
EOF
cat >"$rootfs$qdir/e2e-obj-vol.container" <<EOF
[Container]
ContainerName=e2e-obj-vol
Image=$image
Network=none
Volume=e2e-obj-data.volume:/data
Exec=sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
EOF
obj_files=(e2e-obj.network e2e-obj.pod e2e-obj-web.container e2e-obj-client.container
	e2e-obj-dns-a.container e2e-obj-dns-b.container e2e-obj-data.volume e2e-obj-vol.container)
echo "dropped into $qdir: ${obj_files[*]}"
check "systemctl daemon-reload" in_sb systemctl daemon-reload

pod_u=e2e-obj-pod.service
members=(e2e-obj-web.service e2e-obj-client.service)

# ---- e) start of the pod's service to all members active -------------------------------
# Polled inside the sandbox (nsenter costs more than the wait). systemctl start returns
# when the pod's job is done; the members, which the pod's unit wants, come after it.
# systemd's own timestamps give the same span from the pod's start to the last member's
# activation.
pod_start_timed() {
	local r wall ret rc first last t
	r=$(in_sb bash -c '
		now() { echo $(($(date +%s%N) / 1000000)); }
		all_active() { for u; do [ "$(systemctl show -P ActiveState "$u")" = active ] || return 1; done; }
		t0=$(now)
		systemctl start "$1"; rc=$?
		t1=$(now)
		shift
		until all_active "$@"; do
			[ $(($(now) - t0)) -gt 60000 ] && break
			sleep 0.02
		done
		echo $(($(now) - t0)) $((t1 - t0)) $rc' _ "$pod_u" "${members[@]}")
	read -r wall ret rc <<<"$r"
	if [ "$rc" != 0 ]; then
		echo "systemctl start $pod_u failed after ${ret} ms"
		why "$pod_u"
		why e2e-obj-network.service
		return 1
	fi
	active "$pod_u" "${members[@]}" || return 1
	first=$(prop "$pod_u" InactiveExitTimestampMonotonic) last=0
	for u in "${members[@]}"; do
		t=$(prop "$u" ActiveEnterTimestampMonotonic)
		[ "$t" -gt "$last" ] && last=$t
	done
	echo "info: systemctl start $pod_u returned after ${ret} ms; all members active after ${wall} ms (systemd: $(ms_between "$first" "$last") ms from the pod's start to the last member's activation)"
	echo "systemctl start $pod_u (network created, 2 members) to all members active: ${wall} ms (systemctl returned after ${ret} ms; systemd timestamps: $(ms_between "$first" "$last") ms)" >>"$work/times"
}
check "e) systemctl start $pod_u: pod and both members active (timed)" pod_start_timed

# ---- a) a pod's members talk over localhost --------------------------------------------
pod_holds_both() {
	local st n u
	st=$(B pod inspect --format '{{.State}}' e2e-obj 2>&1) || { echo "berth pod inspect e2e-obj: $st"; return 1; }
	expect "pod e2e-obj state" "$st" Running || return 1
	n=$(B pod inspect --format '{{range .Containers}}{{.Name}} {{end}}' e2e-obj 2>&1)
	if [[ " $n " != *" e2e-obj-web "* ]] || [[ " $n " != *" e2e-obj-client "* ]]; then
		echo "pod e2e-obj holds: $n"
		return 1
	fi
	main_is_conmon e2e-obj-web.service e2e-obj-web || return 1
	main_is_conmon e2e-obj-client.service e2e-obj-client || return 1
	echo "info: pod e2e-obj Running with $n"
}
check "a) pod e2e-obj runs both members, each unit's MainPID its conmon" pod_holds_both

# get_from CONTAINER HOST PORT: an HTTP/1.0 GET with busybox nc, run by berth exec.
get_from() {
	B exec "$1" sh -c 'printf "GET / HTTP/1.0\r\n\r\n" | nc "$0" "$1"' "$2" "$3"
}
over_localhost() {
	local out
	# The server needs a moment after its container started.
	wait_until 10 eval 'get_from e2e-obj-client 127.0.0.1 8081 | grep -qx e2e-obj-web' || true
	out=$(get_from e2e-obj-client 127.0.0.1 8081 2>&1)
	grep -qx e2e-obj-web <<<"${out//$'\r'/}" || { echo "berth exec e2e-obj-client: GET 127.0.0.1:8081 answered: '${out:0:300}'"; return 1; }
	echo "info: e2e-obj-client -> 127.0.0.1:8081: $(head -n1 <<<"$out" | tr -d '\r') ... e2e-obj-web"
}
check "a) berth exec e2e-obj-client: GET http://127.0.0.1:8081/ reaches e2e-obj-web" over_localhost

# netns_of CONTAINER: the inode of its pid 1's network namespace, read in the sandbox.
netns_of() {
	local pid
	pid=$(B inspect --format '{{.State.Pid}}' "$1" 2>&1) || { echo "berth inspect $1: $pid"; return 1; }
	[ "${pid:-0}" -gt 0 ] 2>/dev/null || { echo "berth inspect $1: State.Pid '$pid'"; return 1; }
	in_sb stat -L -c %i "/proc/$pid/ns/net"
}
shared_netns() {
	local web client infra sb_ns
	web=$(netns_of e2e-obj-web) || { echo "$web"; return 1; }
	client=$(netns_of e2e-obj-client) || { echo "$client"; return 1; }
	infra=$(netns_of e2e-obj-infra) || { echo "$infra"; return 1; }
	sb_ns=$(in_sb stat -L -c %i /proc/1/ns/net)
	expect "net namespace of e2e-obj-client (e2e-obj-web's is $web)" "$client" "$web" || return 1
	expect "net namespace of e2e-obj-infra (e2e-obj-web's is $web)" "$infra" "$web" || return 1
	[ "$web" != "$sb_ns" ] || { echo "the pod's network namespace is the sandbox's ($sb_ns)"; return 1; }
	echo "info: net namespace inode $web for e2e-obj-web, e2e-obj-client and e2e-obj-infra (the sandbox's is $sb_ns)"
}
check "a) e2e-obj-web, e2e-obj-client and the infra share one network namespace (/proc/PID/ns/net)" shared_netns

# ---- b) names on a .network -------------------------------------------------------------
check "b) systemctl start e2e-obj-dns-a.service e2e-obj-dns-b.service" \
	in_sb systemctl start e2e-obj-dns-a.service e2e-obj-dns-b.service
check "b) both active" active e2e-obj-dns-a.service e2e-obj-dns-b.service

obj_subnet() {
	local s g
	s=$(B network inspect --format '{{range .Subnets}}{{.Subnet}} {{end}}' e2e-obj 2>&1) || { echo "berth network inspect e2e-obj: $s"; return 1; }
	expect "network e2e-obj subnets" "${s% }" "${obj_prefix}0/24" || return 1
	g=$(B network inspect --format '{{range .Subnets}}{{.Gateway}} {{end}}' e2e-obj 2>&1)
	expect "network e2e-obj gateways" "${g% }" "${obj_prefix}1" || return 1
	echo "info: e2e-obj: subnet ${s% }, gateway ${g% }, dns_enabled $(B network inspect --format '{{.DNSEnabled}}' e2e-obj)"
}
check "b) berth network inspect e2e-obj: subnet ${obj_prefix}0/24 and gateway ${obj_prefix}1 of the file" obj_subnet

# resolves FROM NAME: busybox nslookup in FROM finds NAME at an address of the network,
# the one berth gives the container TARGET.
resolves() {
	local from=$1 name=$2 target=$3 out ip want
	want=$(B inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$target" 2>&1)
	[[ $want == "$obj_prefix"* ]] || { echo "berth inspect $target: address '$want', not in ${obj_prefix}0/24"; return 1; }
	out=$(B exec "$from" nslookup "$name" 2>&1)
	ip=$(awk '/^Name:/ {n=1; next} n && /^Address/ {print $NF; exit}' <<<"$out")
	expect "$from: nslookup $name (output: $(tr '\n' ' ' <<<"$out"))" "$ip" "$want" || return 1
	echo "info: $from: nslookup $name -> $ip (server $(awk '/^Server:/ {print $2; exit}' <<<"$out"))"
}
check "b) e2e-obj-dns-b resolves e2e-obj-dns-a by name" resolves e2e-obj-dns-b e2e-obj-dns-a e2e-obj-dns-a
check "b) e2e-obj-dns-b resolves e2e-obj-dns-a by its NetworkAlias= e2e-obj-alias" resolves e2e-obj-dns-b e2e-obj-alias e2e-obj-dns-a
check "b) e2e-obj-dns-a resolves e2e-obj-dns-b by name" resolves e2e-obj-dns-a e2e-obj-dns-b e2e-obj-dns-b
reaches_by_name() {
	local name=$1 out
	wait_until 10 eval "get_from e2e-obj-dns-b $name 7000 | grep -qx e2e-obj-dns-a" || true
	out=$(get_from e2e-obj-dns-b "$name" 7000 2>&1)
	grep -qx e2e-obj-dns-a <<<"${out//$'\r'/}" || { echo "berth exec e2e-obj-dns-b: GET $name:7000 answered: '${out:0:300}'"; return 1; }
	echo "info: e2e-obj-dns-b -> $name:7000: e2e-obj-dns-a"
}
check "b) berth exec e2e-obj-dns-b: GET http://e2e-obj-dns-a:7000/ (nc by name)" reaches_by_name e2e-obj-dns-a
check "b) berth exec e2e-obj-dns-b: GET http://e2e-obj-alias:7000/ (nc by alias)" reaches_by_name e2e-obj-alias

# ---- c) a volume's data outlives its container ------------------------------------------
vol_u=e2e-obj-vol.service
marker="written by the first container $(date +%s)"
check "c) systemctl start $vol_u (creates volume e2e-obj-data)" in_sb systemctl start $vol_u
check "c) write a marker into the volume through the container" \
	B exec e2e-obj-vol sh -c 'echo "$0" >/data/marker' "$marker"
vol_id() { B inspect --format '{{.Id}}' e2e-obj-vol; }
marker_reads() {
	local got
	got=$(B exec e2e-obj-vol cat /data/marker 2>&1)
	expect "e2e-obj-vol: /data/marker" "$got" "$marker"
}
survives_restart() {
	local id0 id1
	id0=$(vol_id 2>&1) || { echo "berth inspect e2e-obj-vol: $id0"; return 1; }
	in_sb systemctl restart $vol_u || { why $vol_u; return 1; }
	active $vol_u >/dev/null || { why $vol_u; return 1; }
	id1=$(vol_id 2>&1) || { echo "berth inspect e2e-obj-vol after the restart: $id1"; return 1; }
	[ "$id1" != "$id0" ] || { echo "the restart kept container ${id0:0:12}"; return 1; }
	marker_reads || return 1
	echo "info: container ${id0:0:12} replaced by ${id1:0:12}; the marker is there"
}
check "c) systemctl restart $vol_u: a new container reads the marker" survives_restart
survives_removal() {
	local n
	in_sb systemctl stop $vol_u || { why $vol_u; return 1; }
	n=$(names 2>&1 | grep -cx e2e-obj-vol)
	expect "containers named e2e-obj-vol after the stop" "$n" 0 || return 1
	B volume exists e2e-obj-data || { echo "volume e2e-obj-data is gone after the stop"; return 1; }
	in_sb systemctl start $vol_u || { why $vol_u; return 1; }
	marker_reads || return 1
	echo "info: stop removed the container, the volume stayed; the new container $(vol_id | cut -c1-12) reads the marker"
}
check "c) systemctl stop (container removed), start: the marker is still there" survives_removal
vol_inspected() {
	local name lbl mp
	name=$(B volume inspect --format '{{.Name}}' e2e-obj-data 2>&1) || { echo "berth volume inspect e2e-obj-data: $name"; return 1; }
	expect "volume name" "$name" e2e-obj-data || return 1
	lbl=$(B volume inspect --format '{{index .Labels "e2e"}}' e2e-obj-data 2>&1)
	expect "volume label e2e" "$lbl" objects || return 1
	mp=$(B volume inspect --format '{{.Mountpoint}}' e2e-obj-data 2>&1)
	expect "the marker in the volume's mountpoint '$mp', on the sandbox's disk" "$(in_sb cat "$mp/marker" 2>&1)" "$marker" || return 1
	echo "info: e2e-obj-data: label e2e=objects, mountpoint $mp holds the marker"
}
check "c) berth volume inspect e2e-obj-data: its label, and the marker at its mountpoint" vol_inspected
check "c) systemctl stop $vol_u" in_sb systemctl stop $vol_u

# ---- d) a published port, and what stop leaves of it --------------------------------------
published() {
	local body
	wait_until 10 bash -c "$(declare -f http_get); http_get 127.0.0.1 $obj_port / | grep -qx e2e-obj-web" || true
	body=$(http_get 127.0.0.1 "$obj_port" / 2>&1)
	expect "GET http://127.0.0.1:$obj_port/ from the host" "$body" e2e-obj-web || return 1
	echo "info: NAT rules naming port $obj_port while it runs: $(in_sb iptables -t nat -S | grep -cw -- "$obj_port")"
}
check "d) the pod's PublishPort=$obj_port:8080 answers from the host" published

# check runs its command in a subshell: the name is read here, for network_gone below.
bridge=$(B network inspect --format '{{.NetworkInterface}}' e2e-obj 2>&1) || bridge=
bridge_up() {
	[ -n "$bridge" ] || { echo "berth network inspect e2e-obj: $(B network inspect e2e-obj 2>&1 | tail -n 3)"; return 1; }
	ip -o -4 addr show dev "$bridge" 2>&1 | grep -F "inet ${obj_prefix}1/24" || { echo "bridge '$bridge' has no ${obj_prefix}1/24: $(ip -br addr show "$bridge" 2>&1)"; return 1; }
	echo "info: bridge $bridge holds ${obj_prefix}1/24"
}
check "d) while it runs, network e2e-obj's bridge is up in the host's namespace" bridge_up
obj_units=(e2e-obj-dns-a.service e2e-obj-dns-b.service "${members[@]}" "$pod_u" e2e-obj-network.service)
check "d) systemctl stop ${obj_units[*]}" in_sb systemctl stop "${obj_units[@]}"
all_down() {
	local u st bad=0
	for u in "${obj_units[@]}"; do
		st=$(prop "$u" ActiveState)
		[ "$st" = inactive ] || { echo "$u is $st: $(props "$u")"; bad=1; }
	done
	return $bad
}
check "d) every unit is inactive" all_down
no_port_rules() {
	local nat rules
	nat=$(in_sb iptables -t nat -S 2>&1) || { echo "iptables -t nat -S: $nat"; return 1; }
	rules=$(grep -w -- "$obj_port" <<<"$nat")
	[ -z "$rules" ] || { echo "NAT rules for port $obj_port left: $rules"; return 1; }
	rules=$( (in_sb iptables-save; nft list ruleset 2>/dev/null) | grep -F "$obj_prefix")
	[ -z "$rules" ] || { echo "firewall rules for ${obj_prefix}0/24 left: $rules"; return 1; }
}
check "d) no NAT rule for port $obj_port, no firewall rule for ${obj_prefix}0/24 (iptables -t nat -S in the sandbox)" no_port_rules
network_gone() {
	local n
	n=$(B network ls --format '{{.Name}}' 2>&1) || { echo "berth network ls: $n"; return 1; }
	! grep -qx e2e-obj <<<"$n" || { echo "network e2e-obj still exists"; return 1; }
	[ -n "$bridge" ] || { echo "the bridge's name was not known before the stop"; return 1; }
	# The sandbox shares the host's network namespace: the bridge is the host's.
	! ip link show "$bridge" >/dev/null 2>&1 || { echo "bridge $bridge is still there: $(ip -br addr show "$bridge")"; return 1; }
	! ip -o -4 addr show | grep -F "$obj_prefix" || { echo "an interface still has an address in ${obj_prefix}0/24"; return 1; }
	echo "info: network e2e-obj and bridge $bridge gone"
}
check "d) NetworkDeleteOnStop=true: network e2e-obj and its bridge are gone" network_gone
check "d) no container of the scenario is left (berth ps -a)" \
	expect "berth ps -a" "$(names 2>&1 | grep -c '^e2e-obj')" 0

# Leave nothing for later runs: the files, their units, the volume.
for f in "${obj_files[@]}"; do rm -f "$rootfs$qdir/$f"; done
in_sb systemctl daemon-reload
B volume rm -f e2e-obj-data >/dev/null 2>&1
