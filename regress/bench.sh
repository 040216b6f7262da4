#!/bin/sh
#
# Copyright (c) 2026 the smtpdane authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# bench.sh: `make bench`.  How fast smtpdane checks N mail hosts, and
# what it costs, against a bench lab of its own: N hosts, each on its
# own loopback address with its own TLSA record in a DNSSEC-signed
# zone served by NSD, half DANE-EE (3 1 1), half DANE-TA (2 1 1, a
# CA-issued leaf naming the host), all served by one regress/benchsmtpd
# that holds back every reply and every TLS flight for a delay, the
# stand-in for network latency.  Everything runs in a private network
# namespace (regress/netns.sh); nothing is left running afterwards.
#
# For each N: regress/nullclient (one process connecting to every host
# at once: SMTP, STARTTLS and the TLS handshake, no DNS, no DANE, no
# fork) as the lab's ceiling; the same with a child forked per host,
# -j at the default ("forknull": the ceiling of any checker shaped as
# smtpdane is, still without DNS, DANE or a sandbox, and forked from
# a far smaller process than smtpdane's forker); then smtpdane at each
# -j ("default" is no -j at all).  Each run is repeated and the median
# of each figure reported.  Columns:
#
#   wall s	wall seconds
#   chk/s	checks per second (N / wall)
#   %null	checks per second as a share of the null client's
#   floor s	the network floor: REPLIES delayed replies per check x
#		the delay x ceil(N / J) (the null client: one round)
#   /floor	wall / floor
#   cpu ms	user+sys milliseconds per check of smtpdane and every
#		descendant (wait4's rusage, via regress/benchrun)
#   rss MB	the parent's own peak RSS (VmHWM at its exit)
#   pss MB	peak PSS of the whole process tree (sampled from /proc)
#   dns q	DNS queries per check that reached NSD (nsd-control stats)
#   srv ms	the server's CPU milliseconds per check
#   srv rt	delayed rounds per connection (output released at one
#		time is one): banner, EHLO, STARTTLS, the TLS flight, then
#		for smtpdane the EHLO over TLS and QUIT; the server's TLS 1.3
#		session tickets, which no client waits for, count as one
#		more unless they leave with the EHLO reply
#   load	1-minute load average when the row started (the machine
#		is shared: figures are noisy while it is busy)
#
# Figures, not assertions: nothing here passes or fails.  The results
# go to regress/bench.out (BENCH_OUT) as well as to standard output,
# with the server's TLS parameters (version, cipher, group, key share,
# HelloRetryRequests, session tickets) at the end.
#
# Environment (defaults in brackets):
#   BENCH_N		host counts to run [300 1000 2000]
#   BENCH_J		-j values, "default" for none [default 64 300 512]
#			(a J above N, or above smtpdane's 512, is skipped;
#			"none" runs no smtpdane)
#   BENCH_RUNS		runs per row, the median is reported [5]
#   BENCH_RUNS_LARGE	runs per row for N above 300 [3]
#   BENCH_DELAY_MS	server delay before each reply and flight [20]
#   BENCH_REPLIES	delayed replies per check in the floor [4: banner,
#			EHLO, STARTTLS, TLS flight; what decides a verdict]
#   BENCH_TICKETS	0: the server sends no TLS 1.3 session tickets [1]
#   BENCH_SMTPDANE	the programs to measure [./smtpdane]; with more
#			than one (before and after a change), their runs
#			take turns and each has its rows
#   BENCH_LABELS	their names in the table [smtpdane#1 ...]
#   BENCH_ARGS		extra smtpdane options []
#   BENCH_GO		path to the Go smtpdane: also run it, with a
#			validating unbound(8) as its resolver [], in two
#			rows: go-cold right after unbound started, go-warm
#			once more at once, on unbound's warm cache (unbound's
#			own CPU is in neither row; its queries to NSD are)
#   BENCH_PSS_MS	PSS sampling interval in ms [10]
#   BENCH_PERF		a path prefix: after the table, one more smtpdane
#			run (the first N, -j BENCH_PERF_J [64]) under
#			perf record -g, the server recorded at the same
#			time; PREFIX.smtpdane.data and PREFIX.server.data,
#			and where the CPU went, by library, in the results
#			(BENCH_PERF_OPTS: perf record's options for smtpdane
#			[-g]; "--call-graph dwarf" for callers in libraries
#			built without frame pointers)
#   BENCH_OUT		results file [regress/bench.out]
#   BENCH_EXEC		instead of measuring, run this shell command in
#			the lab, with BENCH_WORK, BENCH_ANCHOR, BENCH_HOSTS
#			(the hosts file: name, address, usage) and
#			DNS_RESOLVER set
#   BENCH_KEEP		1: keep the work directory (its path is printed)

set -u
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
if [ "${SMTPDANE_NETNS:-}" != 1 ]; then
	exec sh regress/netns.sh sh regress/bench.sh "$@"
fi

BENCH_N=${BENCH_N:-300 1000 2000}
BENCH_J=${BENCH_J:-default 64 300 512}
RUNS=${BENCH_RUNS:-5}
RUNS_LARGE=${BENCH_RUNS_LARGE:-3}
DELAY=${BENCH_DELAY_MS:-20}
REPLIES=${BENCH_REPLIES:-4}
SMTPDANE=${BENCH_SMTPDANE:-./smtpdane}
ARGS=${BENCH_ARGS:-}
GO=${BENCH_GO:-}
PSS_MS=${BENCH_PSS_MS:-10}
OUT=${BENCH_OUT:-$TOP/regress/bench.out}
DEFJ=$(sed -n 's/^#define[ 	]*DEFAULT_JOBS[ 	]*\([0-9]*\).*/\1/p' \
    smtpdane.c)
NS=127.53.0.1
UNBOUND_ADDR=127.53.0.2

for t in nsd nsd-control ldns-keygen ldns-signzone ldns-key2ds drill; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "bench.sh: $t not found (regress/install-deps.sh)" >&2
		exit 2
	fi
done
for p in $SMTPDANE regress/benchsmtpd regress/nullclient \
    regress/benchrun; do
	if [ ! -x "$p" ]; then
		echo "bench.sh: $p not built (make bench)" >&2
		exit 2
	fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/smtpdane-bench.XXXXXX") || exit 2
mkdir -p "$W/keys" "$W/nsd" "$W/runs"
SMTPD_PID=

# stop PIDFILE NAME: end a daemon we started, wait until it is gone
stop()
{
	[ -s "$1" ] || return 0
	_p=$(cat "$1")
	case $_p in ''|*[!0-9]*) return 0 ;; esac
	kill "$_p" 2>/dev/null || return 0
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	kill -9 "$_p" 2>/dev/null || :
	rm -f "$1"
}

cleanup()
{
	stop "$W/nsd.pid"
	stop "$W/unbound.pid"
	if [ -n "$SMTPD_PID" ]; then
		kill "$SMTPD_PID" 2>/dev/null
		wait "$SMTPD_PID" 2>/dev/null
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench.sh: work directory $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die()
{
	echo "bench.sh: $*" >&2
	exit 2
}

# --- the bench lab --------------------------------------------------

NMAX=0
for n in $BENCH_N; do
	[ "$n" -gt "$NMAX" ] && NMAX=$n
done
[ "$NMAX" -gt 0 ] || die "BENCH_N names no host count"

# The hosts, their keys and certificates: the server makes them.
tickets=
[ "${BENCH_TICKETS:-1}" = 0 ] && tickets=-x
regress/benchsmtpd -n "$NMAX" -d "$DELAY" -w "$W" -P "$W/smtpd.pid" \
    $tickets 2>"$W/smtpd.log" &
SMTPD_PID=$!
i=0
until [ -s "$W/smtpd.pid" ]; do
	kill -0 $SMTPD_PID 2>/dev/null ||
	    die "benchsmtpd did not start: $(cat "$W/smtpd.log")"
	i=$((i + 1))
	[ $i -lt 600 ] || die "benchsmtpd did not start in 30 s"
	sleep 0.05
done

# keygen ZONE [-k]: a key pair in keys/, its base name on stdout
keygen()
{
	(cd "$W/keys" && ldns-keygen -a ECDSAP256SHA256 "$@") ||
	    die "ldns-keygen $* failed"
}

# sign ZONE FILE: FILE.in signed into FILE.zone, its DS into FILE.ds,
# as regress/lab/lab.sh signs its zones
sign()
{
	_ksk=$(keygen -k "$1")
	_zsk=$(keygen "$1")
	(cd "$W/keys" && ldns-signzone -i "$FROM" -e "$UNTIL" -o "$1" \
	    -f "$W/nsd/$2.zone" "$W/nsd/$2.in" "$_ksk" "$_zsk") ||
	    die "ldns-signzone $1 failed"
	ldns-key2ds -n -2 "$W/keys/$_ksk.key" | awk '{
		for (i = 2; i < NF && $i != "DS"; i++)
			;
		printf "%s\t3600\tIN\tDS", $1
		for (i++; i <= NF; i++)
			printf " %s", $i
		print ""
	}' >"$W/nsd/$2.ds"
}

# zone_head ZONE: SOA and NS
zone_head()
{
	echo "\$TTL 3600"
	echo "$1	3600	IN	SOA	ns1.test. hostmaster.test. 1 3600 900 604800 300"
	echo "$1	3600	IN	NS	ns1.test."
}

FROM=$(date -u -d '-1 hour' +%Y%m%d%H%M%S)
UNTIL=$(date -u -d '+30 days' +%Y%m%d%H%M%S)
{
	zone_head bench.test.
	cat "$W/records"
} >"$W/nsd/bench.test.in"
sign bench.test. bench.test
{
	zone_head test.
	echo "ns1.test.	3600	IN	A	$NS"
	echo "bench.test.	3600	IN	NS	ns1.test."
	cat "$W/nsd/bench.test.ds"
} >"$W/nsd/test.in"
sign test. test
{
	zone_head .
	echo "test.	3600	IN	NS	ns1.test."
	echo "ns1.test.	3600	IN	A	$NS"
	cat "$W/nsd/test.ds"
} >"$W/nsd/root.in"
sign . root
ANCHOR=$W/nsd/root.ds

cat >"$W/nsd.conf" <<EOF
server:
	ip-address: $NS
	port: 53
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$W/nsd"
	pidfile: "$W/nsd.pid"
	xfrdfile: "$W/nsd/xfrd.state"
	xfrdir: "$W/nsd"
	zonelistfile: "$W/nsd/zone.list"
	logfile: "$W/nsd.log"
	verbosity: 0
	server-count: 1
	do-ip6: no
	hide-version: yes
	# Bursts of a few hundred children at once: no lost queries.
	receive-buffer-size: 8388608
	send-buffer-size: 8388608
	# No response rate limiting.  NSD's default (200 answers a second
	# to a /24, every NODATA of a zone counted as one stream) dropped
	# or truncated a third of the AAAA answers of a 1000-host run,
	# each one a retransmission or a retry over TCP for the checker:
	# 3.42 queries per check instead of 3.
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: yes
	control-interface: "$W/nsd.sock"
zone:
	name: "."
	zonefile: "root.zone"
zone:
	name: "test."
	zonefile: "test.zone"
zone:
	name: "bench.test."
	zonefile: "bench.test.zone"
EOF
nsd -c "$W/nsd.conf" >"$W/nsd.start" 2>&1 ||
    die "nsd did not start: $(cat "$W/nsd.start" "$W/nsd.log" 2>/dev/null)"
i=0
until drill @$NS "h0000.bench.test" A 2>/dev/null | grep -q 'IN.A'; do
	i=$((i + 1))
	[ $i -lt 200 ] || die "NSD does not answer: $(cat "$W/nsd.log")"
	sleep 0.05
done

# DNS queries NSD has answered so far
dns_queries()
{
	nsd-control -c "$W/nsd.conf" stats_noreset 2>/dev/null |
	    sed -n 's/^num\.queries=//p'
}
[ -n "$(dns_queries)" ] || die "nsd-control gives no statistics"

# The server's counters: SIGUSR1, then wait for the new file.
server_stats()
{
	_seq=$(sed -n 's/^seq //p' "$W/stats")
	kill -USR1 $SMTPD_PID
	_i=0
	while [ "$(sed -n 's/^seq //p' "$W/stats")" = "$_seq" ]; do
		_i=$((_i + 1))
		[ $_i -lt 200 ] || die "benchsmtpd does not answer SIGUSR1"
		sleep 0.01
	done
	cp "$W/stats" "$1"
}

# A validating unbound for the Go checker, which trusts the AD bit.
if [ -n "$GO" ]; then
	command -v unbound >/dev/null 2>&1 ||
	    die "BENCH_GO needs unbound(8) (apt-get install unbound)"
	cat >"$W/unbound.conf" <<EOF
server:
	interface: $UNBOUND_ADDR
	port: 53
	username: ""
	chroot: ""
	directory: "$W"
	pidfile: "$W/unbound.pid"
	use-syslog: no
	logfile: "$W/unbound.log"
	do-ip6: no
	trust-anchor-file: "$ANCHOR"
	local-zone: "test." transparent
	num-threads: 1
	so-rcvbuf: 8m
	so-sndbuf: 8m
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
remote-control:
	control-enable: no
stub-zone:
	name: "."
	stub-addr: $NS
EOF
fi

# (Re)start that unbound: a cold cache.
unbound_start()
{
	stop "$W/unbound.pid"
	unbound -c "$W/unbound.conf" >"$W/unbound.start" 2>&1 ||
	    die "unbound did not start: $(cat "$W/unbound.start")"
	_i=0
	until drill @$UNBOUND_ADDR . SOA >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 200 ] || die "unbound does not answer"
		sleep 0.05
	done
}

# Only a look inside: the lab as it is, a command of the user's.
if [ -n "${BENCH_EXEC:-}" ]; then
	BENCH_WORK=$W BENCH_ANCHOR=$ANCHOR BENCH_HOSTS=$W/hosts \
	    DNS_RESOLVER=$NS sh -c "$BENCH_EXEC"
	exit
fi

# --- measuring ------------------------------------------------------

# median of the numbers on stdin
median()
{
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# field NAME FILE: the value after NAME on a benchrun line
field()
{
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' \
	    "$2"
}

# counter NAME FILE: a counter of a server stats file
counter()
{
	sed -n "s/^$1 //p" "$2"
}

# one_run TAG N J COMMAND...: measure once into runs/TAG.RUN.*
one_run()
{
	_tag=$1 _n=$2 _j=$3
	shift 3
	_r=$W/runs/$_tag.$RUN
	server_stats "$_r.s0"
	_q0=$(dns_queries)
	_d0=$(udp_drops)
	regress/benchrun -i "$PSS_MS" -o "$_r.m" "$@" >"$_r.out" \
	    2>"$_r.err"
	echo $? >"$_r.rc"
	_q1=$(dns_queries)
	_d1=$(udp_drops)
	server_stats "$_r.s1"
	echo $((_q1 - _q0)) >"$_r.dns"
	echo $((_d1 - _d0)) >"$_r.drops"
}

# UDP datagrams dropped in this namespace for want of buffer space
udp_drops()
{
	awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $6; exit }' /proc/net/snmp
}

# row TAG LABEL N J: one line of the table from the runs of TAG
row()
{
	_tag=$1 _label=$2 _n=$3 _j=$4
	for f in wall user sys hwm_kb peak_pss_kb; do
		for m in "$W/runs/$_tag".*.m; do
			field $f "$m"
		done | median >"$W/med.$f"
	done
	for d in "$W/runs/$_tag".*.dns; do
		cat "$d"
	done | median >"$W/med.dns"
	for s in "$W/runs/$_tag".*.s1; do
		s0=${s%.s1}.s0
		echo "$(($(counter cpu_us "$s") - $(counter cpu_us "$s0"))) \
		    $(($(counter accepted "$s") - $(counter accepted "$s0"))) \
		    $(($(counter rounds "$s") - $(counter rounds "$s0")))"
	done >"$W/srv"
	awk '{ print $1 / ($2 ? $2 : 1) / 1000 }' "$W/srv" | median \
	    >"$W/med.srv"
	awk '{ print $3 / ($2 ? $2 : 1) }' "$W/srv" | median >"$W/med.rt"
	_bad=0
	for rc in "$W/runs/$_tag".*.rc; do
		[ "$(cat "$rc")" = 0 ] || _bad=$((_bad + 1))
	done
	_drops=$(cat "$W/runs/$_tag".*.drops | awk '{ n += $1 } END { print n }')
	awk -v tag="$_label" -v n="$_n" -v j="$_j" -v delay="$DELAY" \
	    -v replies="$REPLIES" -v nullrate="$NULLRATE" -v load="$LOAD" \
	    -v bad="$_bad" -v drops="$_drops" -v rows="$W/rows" \
	    -v runs="$(cat "$W/runs/$_tag".*.rc | wc -l)" \
	    -v wall="$(cat "$W/med.wall")" -v user="$(cat "$W/med.user")" \
	    -v sys="$(cat "$W/med.sys")" -v hwm="$(cat "$W/med.hwm_kb")" \
	    -v pss="$(cat "$W/med.peak_pss_kb")" -v dns="$(cat "$W/med.dns")" \
	    -v srv="$(cat "$W/med.srv")" -v rt="$(cat "$W/med.rt")" '
	BEGIN {
		jj = j ~ /^[0-9]+$/ ? j : n
		rounds = int((n + jj - 1) / jj)
		floor = replies * delay / 1000 * rounds
		rate = n / wall
		printf "%-10s %5d %4s %7.2f %7.1f %5.0f%% %7.2f %6.2f " \
		    "%6.2f %6.1f %6.1f %5.2f %6.2f %5.2f %5s%s\n", tag, n, j,
		    wall, rate, (nullrate > 0 ? 100 * rate / nullrate : 100),
		    floor, wall / floor, (user + sys) * 1000 / n, hwm / 1024,
		    pss / 1024, dns / n, srv, rt, load,
		    (bad ? sprintf("  (%d of %d runs failed)", bad, runs) : "") \
		    (drops ? sprintf("  (%d UDP datagrams dropped)", drops) : "")
		# for the summary
		printf "%s %d %s %.6f %.6f %.1f %.1f %.4f %d\n", tag, n, j,
		    rate, (user + sys) * 1000 / n, hwm, pss, dns / n,
		    (nullrate > 0 ? 100 * rate / nullrate : 100) >> rows
	}' | tee -a "$OUT"
}

header()
{
	printf "%-10s %5s %4s %7s %7s %6s %7s %6s %6s %6s %6s %5s %6s %5s %5s\n" \
	    run N J "wall s" "chk/s" "%null" "floor s" /floor "cpu ms" \
	    "rss MB" "pss MB" "dns q" "srv ms" "srv rt" load | tee -a "$OUT"
}

# label K: the name of the Kth program in the table
label()
{
	_k=$1
	if [ -z "${BENCH_LABELS:-}" ]; then
		# shellcheck disable=SC2086
		[ "$(echo $SMTPDANE | wc -w)" -eq 1 ] && echo smtpdane ||
		    echo "smtpdane#$_k"
		return
	fi
	# shellcheck disable=SC2086
	set -- $BENCH_LABELS
	[ "$_k" -le $# ] || { echo "smtpdane#$_k"; return; }
	shift $((_k - 1))
	echo "$1"
}

load()
{
	cut -d' ' -f1 /proc/loadavg
}

: >"$OUT"
{
	echo "smtpdane bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r)," \
	    "$(nproc) cores, $(git describe --always --dirty 2>/dev/null ||
	    echo unknown commit)"
	echo "delay ${DELAY} ms before each reply and TLS flight;" \
	    "floor = $REPLIES replies x delay x ceil(N/J);" \
	    "default -j is ${DEFJ:-?}; runs: median of $RUNS (N <= 300)," \
	    "$RUNS_LARGE (N > 300)"
	echo "command: PROGRAM -A ANCHOR $ARGS [-j J] HOST ...," \
	    "DNS_RESOLVER=$NS; PROGRAM: $SMTPDANE"
} | tee "$OUT"
header
export DNS_RESOLVER=$NS
for n in $BENCH_N; do
	runs=$RUNS
	[ "$n" -gt 300 ] && runs=$RUNS_LARGE
	head -n "$n" "$W/hosts" >"$W/hosts.$n"
	# shellcheck disable=SC2046 # host names have no blanks
	set -- $(cut -d' ' -f1 "$W/hosts.$n")
	LOAD=$(load)
	RUN=1
	while [ $RUN -le "$runs" ]; do
		one_run "null.$n" "$n" "$n" regress/nullclient "$W/hosts.$n"
		RUN=$((RUN + 1))
	done
	NULLRATE=0
	row "null.$n" nullclient "$n" all
	NULLRATE=$(echo "$n $(cat "$W/med.wall")" | awk '{ print $1 / $2 }')
	if [ -n "$DEFJ" ]; then
		LOAD=$(load)
		RUN=1
		while [ $RUN -le "$runs" ]; do
			one_run "fork.$n" "$n" "$DEFJ" regress/nullclient \
			    -j "$DEFJ" "$W/hosts.$n"
			RUN=$((RUN + 1))
		done
		row "fork.$n" forknull "$n" "$DEFJ"
	fi
	for j in $BENCH_J; do
		if [ "$j" = default ]; then
			jopt=
			jj=${DEFJ:-default}
		else
			case $j in ''|*[!0-9]*) continue ;; esac
			if [ "$j" -gt "$n" ] || [ "$j" -gt 512 ]; then
				continue
			fi
			jopt="-j $j"
			jj=$j
		fi
		LOAD=$(load)
		RUN=1
		while [ $RUN -le "$runs" ]; do
			# the programs take turns, so that all see the same load
			k=0
			for prog in $SMTPDANE; do
				k=$((k + 1))
				# shellcheck disable=SC2086
				one_run "smtpdane$k.$n.$jj" "$n" "$jj" "$prog" \
				    -A "$ANCHOR" $ARGS $jopt "$@"
			done
			RUN=$((RUN + 1))
		done
		k=0
		for prog in $SMTPDANE; do
			k=$((k + 1))
			row "smtpdane$k.$n.$jj" "$(label $k)" "$n" "$jj"
		done
	done
	if [ -n "$GO" ]; then
		LOAD=$(load)
		RUN=1
		while [ $RUN -le "$runs" ]; do
			unbound_start
			one_run "gocold.$n" "$n" all env \
			    DNS_RESOLVER=$UNBOUND_ADDR "$GO" "$@"
			one_run "gowarm.$n" "$n" all env \
			    DNS_RESOLVER=$UNBOUND_ADDR "$GO" "$@"
			RUN=$((RUN + 1))
		done
		row "gocold.$n" go-cold "$n" all
		row "gowarm.$n" go-warm "$n" all
	fi
done
# What the rows say about issue 9's targets, per program: at the
# smallest N and default -j, the share of the null client's rate, CPU
# and PSS; between the smallest and the largest N at each -j, how the
# rate holds up and how much the parent's RSS grows per target.
summary()
{
	[ -s "$W/rows" ] || return 0
	awk -v defj="${DEFJ:-x}" '
	$1 == "forknull" {
		if (fn == "" || $2 < fn) {
			fn = $2; fline = $0
		}
		next
	}
	$1 == "nullclient" || $1 ~ /^go-/ { next }
	{
		k = $1 " " $3
		if (!(k in nmin) || $2 < nmin[k]) {
			nmin[k] = $2; rmin[k] = $4; hmin[k] = $6
		}
		if (!(k in nmax) || $2 > nmax[k]) {
			nmax[k] = $2; rmax[k] = $4; hmax[k] = $6
		}
		if (!($1 in small) || $2 < small[$1])
			small[$1] = $2
		if ($3 == defj)
			at[$1 " " $2] = $0
		if (!($1 in seen)) {
			seen[$1] = 1
			order[++nl] = $1
		}
		if (!(k in keys))
			korder[++nk] = k
		keys[k] = 1
	}
	END {
		if (fline != "") {
			split(fline, f, " ")
			printf "forknull (a child per host, no DNS, no DANE, no" \
			    " sandbox): N=%d -j %s: %.0f%% of the null client," \
			    " %.2f ms CPU per check\n", f[2], f[3], f[9], f[5]
		}
		for (i = 1; i <= nl; i++) {
			l = order[i]
			printf "%s:", l
			if ((l " " small[l]) in at) {
				split(at[l " " small[l]], f, " ")
				printf " N=%d -j %s: %.0f%% of the null client" \
				    " (target 55%%), %.2f ms CPU per check" \
				    " (target 2), peak PSS %.1f MB (target 40)," \
				    " %.2f DNS queries per check;", f[2], f[3],
				    f[9], f[5], f[7] / 1024, f[8]
			}
			printf "\n"
			for (m = 1; m <= nk; m++) {
				k = korder[m]
				split(k, f, " ")
				if (f[1] != l || nmax[k] == nmin[k])
					continue
				printf "\t-j %s, N=%d to %d: checks/s %+.0f%%" \
				    " (target within 15%%), parent RSS %+.1f KB" \
				    " per target (target 4)\n", f[2], nmin[k],
				    nmax[k], 100 * (rmax[k] / rmin[k] - 1),
				    (hmax[k] - hmin[k]) / (nmax[k] - nmin[k])
			}
		}
	}' "$W/rows"
}

# perf_dso FILE: the share of CPU per program or library in FILE
perf_dso()
{
	perf report -i "$1" --no-children --sort dso --stdio 2>/dev/null |
	    awk '/^ *[0-9.]+%/ && n < 12 { printf "\t%s\n", $0; n++ }'
}

if [ -n "${BENCH_PERF:-}" ]; then
	command -v perf >/dev/null 2>&1 ||
	    die "BENCH_PERF needs perf (apt-get install linux-perf)"
	n=${BENCH_N%% *}
	j=${BENCH_PERF_J:-64}
	# shellcheck disable=SC2046
	set -- $(cut -d' ' -f1 "$W/hosts.$n")
	perf record -q -g -p $SMTPD_PID -o "$BENCH_PERF.server.data" \
	    >"$W/perf.server.log" 2>&1 &
	perfsrv=$!
	sleep 0.5
	# shellcheck disable=SC2086
	# shellcheck disable=SC2086
	perf record -q ${BENCH_PERF_OPTS:--g} -o "$BENCH_PERF.smtpdane.data" \
	    ${SMTPDANE%% *} \
	    -A "$ANCHOR" $ARGS -j "$j" "$@" >"$W/perf.out" 2>&1
	kill -INT $perfsrv
	wait $perfsrv
	{
		echo
		echo "perf: smtpdane, N=$n -j $j, CPU by program or library:"
		perf_dso "$BENCH_PERF.smtpdane.data"
		echo "perf: benchsmtpd during that run:"
		perf_dso "$BENCH_PERF.server.data"
	} | tee -a "$OUT"
fi

{
	echo
	echo "issue 9's targets, from the rows above:"
	summary
	echo
	echo "server TLS parameters over the whole bench (count, what):"
	sed -n 's/^tls /	/p' "$W/stats"
	echo "	$(counter hrr "$W/stats") HelloRetryRequests," \
	    "$(counter tickets "$W/stats") session tickets sent," \
	    "$(counter records "$W/stats") TLS records sent in" \
	    "$(counter handshakes "$W/stats") handshakes" \
	    "($(counter failed "$W/stats") failed)"
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$OUT"
echo "results in $OUT"
