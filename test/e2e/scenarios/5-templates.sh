# shellcheck shell=bash disable=SC2154,SC2016 # run.sh and lib.sh set the variables; single-quoted scripts run in the sandbox
# Scenario 5, templates: two instances of one template run side by side, each its own
# active unit with its own container and conmon, each answering on its own port:
# web@.container (host network, one port per instance) and the example
# echo@.container (on webapp.network). Sourced by test/e2e/run.sh.

scenario 5 "templates: two instances side by side"

qdir=/etc/containers/systemd
cat >"$rootfs$qdir/web@.container" <<EOF
# A web server per instance, serving its instance name on port %i.
[Container]
Image=$image
Network=host
Exec=sh -c 'mkdir -p /tmp/www && echo %i >/tmp/www/index.html; trap "exit 0" TERM; httpd -f -p 127.0.0.1:%i -h /tmp/www & wait'
Label=instance=%i
EOF
check "systemctl daemon-reload (web@.container dropped in)" in_sb systemctl daemon-reload

# two_instances TEMPLATE A B: both instances active, distinct containers and conmons,
# labelled with their instance.
two_instances() {
	local t=$1 a=$2 b=$3 i id ids='' mains='' lbl
	for i in "$a" "$b"; do
		active "$t@$i.service" || return 1
		main_is_conmon "$t@$i.service" "systemd-${t}_$i" || return 1
		id=$(B inspect --format '{{.Id}}' "systemd-${t}_$i" 2>&1) || { echo "$id"; return 1; }
		lbl=$(B inspect --format '{{index .Config.Labels "instance"}}' "systemd-${t}_$i" 2>&1)
		expect "label instance of systemd-${t}_$i" "$lbl" "$i" || return 1
		ids+=" ${id:0:12}" mains+=" $(prop "$t@$i.service" MainPID)"
	done
	read -r x y <<<"$ids"
	[ "$x" != "$y" ] || { echo "both instances run container $x"; return 1; }
	read -r x y <<<"$mains"
	[ "$x" != "$y" ] || { echo "both instances have MainPID $x"; return 1; }
	echo "info: $t@$a and $t@$b: containers$ids, conmons$mains"
}

answers() {
	local port=$1 want=$2 body
	wait_until 5 bash -c "$(declare -f http_get); http_get 127.0.0.1 $port / | grep -qx $want" || true
	body=$(http_get 127.0.0.1 "$port" / 2>&1)
	expect "GET http://127.0.0.1:$port/" "$body" "$want"
}

check "systemctl start web@18081.service web@18082.service" in_sb systemctl start web@18081.service web@18082.service
check "web@: both active, each its own container and conmon" two_instances web 18081 18082
check "web@18081 answers on port 18081" answers 18081 18081
check "web@18082 answers on port 18082" answers 18082 18082
check "systemctl stop both" in_sb systemctl stop web@18081.service web@18082.service
check "nothing left of web@ (berth ps -a)" expect "containers named systemd-web_*" "$(names | grep -c '^systemd-web_')" 0

# echo@.container from examples/ is on webapp.network: reached at the container's
# address, it echoes a line back.
echoes() {
	local i=$1 ip got
	ip=$(B inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "systemd-echo_$i" 2>&1) ||
		{ echo "berth inspect systemd-echo_$i: $ip"; return 1; }
	[ -n "$ip" ] || { echo "systemd-echo_$i has no address on webapp.network"; return 1; }
	got=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"; echo "ping $2" >&3; read -r l <&3; echo "$l"' _ "$ip" "$i" 2>&1)
	expect "echo from $ip:$i" "$got" "ping $i" || return 1
	echo "info: $ip:$i echoed '$got'"
}
check "systemctl start echo@8081.service echo@8082.service" in_sb systemctl start echo@8081.service echo@8082.service
check "echo@ (examples/): both active, each its own container and conmon" two_instances echo 8081 8082
check "echo@8081 echoes on 8081" echoes 8081
check "echo@8082 echoes on 8082" echoes 8082
check "systemctl stop both" in_sb systemctl stop echo@8081.service echo@8082.service webapp-network.service
check "nothing left of echo@ (berth ps -a)" expect "containers named systemd-echo_*" "$(names | grep -c '^systemd-echo_')" 0
