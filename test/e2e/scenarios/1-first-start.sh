# shellcheck shell=bash disable=SC2154,SC2016 # run.sh and lib.sh set the variables; single-quoted scripts run in the sandbox
# Scenario 1, first start: the admin drops examples/ into /etc/containers/systemd (plus a
# site drop-in that deletes the app's network on stop), runs daemon-reload and starts
# the units. Every unit becomes active, each container unit's MainPID is its conmon,
# and the web app answers on its published port 8080. Sourced by test/e2e/run.sh.

scenario 1 "first start: examples/ dropped in, daemon-reload, systemctl start"

qdir=/etc/containers/systemd
# The example units that are not templates, in dependency order.
app_units=(webapp-network.service webapp-data-volume.service webapp-pod.service webapp-api.service webapp-web.service)
all_units=("${app_units[@]}" clock.service)

# engine_lacks prints the engine commands the examples need that berth does not have.
engine_lacks() {
	local c
	for c in volume network pod; do
		B "$c" --help >/dev/null 2>&1 || echo "$c"
	done
}
lacking=$(engine_lacks | tr '\n' ' ')
lacking=${lacking% }
if [ -z "$lacking" ]; then
	pass "the engine has the volume, network and pod commands the examples use"
else
	fail "the engine lacks commands the examples use: berth ${lacking// /, berth } (\"$(B "${lacking%% *}" --help 2>&1 | head -n1)\")" \
		"webapp.pod and webapp.network (and echo@.container, on webapp.network) cannot work until they exist"
fi

cp "$top"/examples/*.container "$top"/examples/*.pod "$top"/examples/*.volume "$top"/examples/*.network "$rootfs$qdir/"
mkdir -p "$rootfs$qdir/webapp.network.d"
printf '[Network]\nNetworkDeleteOnStop=true\n' >"$rootfs$qdir/webapp.network.d/50-delete-on-stop.conf"
echo "dropped into $qdir: $(cd "$top/examples" && echo *) and webapp.network.d/50-delete-on-stop.conf"
check "systemctl daemon-reload" in_sb systemctl daemon-reload

# generated UNIT...: systemd loaded each unit from the generator's output, and knows
# its Quadlet file as its source.
generated() {
	local u load src frag bad=0
	for u in "$@"; do
		load=$(prop "$u" LoadState) src=$(prop "$u" SourcePath)
		frag=${u%%@*}@.service # an instance's file is its template's
		[[ $u == *@* ]] || frag=$u
		if [ "$load" = loaded ] && [ "$(prop "$u" FragmentPath)" = "/run/systemd/generator/$frag" ]; then
			echo "info: $u <- $src"
		else
			echo "$u: LoadState=$load FragmentPath=$(prop "$u" FragmentPath)"
			bad=1
		fi
	done
	return $bad
}
check "every example became a generated unit" generated "${all_units[@]}" echo@8081.service

# timed_start UNIT: systemctl start in the sandbox; records the wall time.
timed_start() {
	local u=$1 r wall rc d
	r=$(in_sb bash -c 't0=$(date +%s%N); systemctl start "$1"; rc=$?; echo $((($(date +%s%N) - t0) / 1000000)) $rc' _ "$u")
	read -r wall rc <<<"$r"
	if [ "$rc" != 0 ]; then
		echo "systemctl start $u failed after ${wall} ms"
		why "$u"
		# A dependency that did not come up says more.
		for d in $(in_sb systemctl show -p Requires,BindsTo --value "$u"); do
			[ "$(prop "$d" ActiveState)" = active ] || oneshot_done "$d" || why "$d"
		done
		return 1
	fi
	echo "info: systemctl start $u: active after ${wall} ms"
	echo "systemctl start $u (nothing running before) to active: ${wall} ms" >>"$work/times"
}

# Started as an admin would: the web front end first, which pulls in its pod, network
# and volume; then the rest.
check "systemctl start webapp-web.service (pulls in pod, network, volume)" timed_start webapp-web.service
check "systemctl start clock.service" timed_start clock.service
check "systemctl start webapp-api.service" in_sb systemctl start webapp-api.service
check "every unit is active" active "${all_units[@]}"
check "clock.service: MainPID is conmon (systemd-clock)" main_is_conmon clock.service
check "webapp-web.service: MainPID is conmon (webapp-web)" main_is_conmon webapp-web.service webapp-web
check "webapp-api.service: MainPID is conmon (webapp-api)" main_is_conmon webapp-api.service webapp-api

# running NAME...: berth ps lists each container as running.
running() {
	local n st bad=0
	for n in "$@"; do
		st=$(B inspect --format '{{.State.Status}}' "$n" 2>&1)
		if [ "$st" = running ]; then echo "info: $n running"; else echo "$n: $st" && bad=1; fi
	done
	return $bad
}
check "berth: webapp-web, webapp-api and systemd-clock run" running webapp-web webapp-api systemd-clock

pod_ok() {
	local st n
	st=$(B pod inspect --format '{{.State}}' webapp 2>&1) || { echo "berth pod inspect webapp: $st"; return 1; }
	expect "pod webapp state" "$st" Running || return 1
	n=$(B pod inspect --format '{{range .Containers}}{{.Name}} {{end}}' webapp 2>&1) || { echo "$n"; return 1; }
	if [[ " $n " != *" webapp-web "* ]] || [[ " $n " != *" webapp-api "* ]]; then
		echo "pod webapp holds: $n"
		return 1
	fi
	echo "info: pod webapp Running with $n"
	# The pod unit's main process is its infra container's conmon.
	expect "comm of webapp-pod.service's MainPID" "$(in_sb cat "/proc/$(prop webapp-pod.service MainPID)/comm" 2>&1)" conmon
}
check "pod webapp runs both containers, its unit's MainPID is the infra's conmon" pod_ok

net_ok() {
	local s
	s=$(B network inspect --format '{{range .Subnets}}{{.Subnet}} {{end}}' webapp 2>&1) || { echo "berth network inspect webapp: $s"; return 1; }
	expect "network webapp subnets" "${s% }" 10.89.10.0/24 || return 1
	# The sandbox shares the host's network namespace: its firewall is the host's.
	echo "info: firewall rules naming 10.89.10.: $(iptables-save 2>/dev/null | grep -c 10.89.10.)"
}
check "network webapp exists with subnet 10.89.10.0/24" net_ok

vol_ok() {
	local l
	l=$(B volume inspect --format '{{.Labels.app}}' webapp-data 2>&1) || { echo "berth volume inspect webapp-data: $l"; return 1; }
	expect "volume webapp-data label app" "$l" webapp
}
check "volume webapp-data exists with its label" vol_ok

healthy() {
	local h
	h=$(B inspect --format '{{.State.Health.Status}}' webapp-web 2>&1)
	expect "webapp-web health" "$h" healthy
}
check "webapp-web is healthy (Notify=healthy)" healthy

# The API writes the page right after it starts: give it a moment.
app_answers() {
	local body
	wait_until 10 bash -c "$(declare -f http_get); http_get 127.0.0.1 8080 / | grep -q 'hello from berth'" || true
	body=$(http_get 127.0.0.1 8080 / 2>&1)
	grep -q 'hello from berth' <<<"$body" || { echo "GET http://127.0.0.1:8080/ answered: '${body:0:200}'"; return 1; }
	echo "info: GET http://127.0.0.1:8080/ -> $body"
}
check "the web app answers on http://127.0.0.1:8080/" app_answers
