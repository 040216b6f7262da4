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
# Live test of dns.c: sign a small root zone with ldns, serve it with
# NSD on 127.0.99.53 port 5353, and look names up through regress/dnsq
# (dns_context + dns_lookup) with the zone's own key as trust anchor.
# Prints PASS:/FAIL: lines; exits non-zero if any test failed.
# Loopback only.  Needs nsd, ldns-keygen, ldns-signzone, ldns-key2ds,
# cc, pkg-config and regress/blackhole (built by make regress-progs).
# CC and CFLAGS (e.g. -fsanitize=address) are used
# to build the driver.

set -u

here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
addr=127.0.99.53
port=5353
dead=127.0.99.54:5353		# nothing listens there
fails=0
silentpid=

pass() {
	echo "PASS: $1"
}

fail() {
	echo "FAIL: $1: $2"
	fails=$((fails + 1))
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_dns_live.XXXXXX") || exit 1

# shellcheck disable=SC2317	# called by the trap
cleanup() {
	if [ -s "$tmp/nsd.pid" ]; then
		pid=$(cat "$tmp/nsd.pid")
		kill "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	[ -n "$silentpid" ] && kill "$silentpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The addresses are fixed: one run at a time (the lock is on this
# script, so that nothing is left behind).
if command -v flock >/dev/null 2>&1; then
	exec 9<"$here/test_dns_live.sh"
	if ! flock -w 120 9; then
		fail "live: lock" "another run holds the lock"
		exit 1
	fi
fi

for tool in nsd ldns-keygen ldns-signzone ldns-key2ds pkg-config "$CC"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		fail "live: tools" "$tool is not installed"
		exit 1
	fi
done

# The driver: dnsq linked with dns.c, anchors.c and util.c.
# shellcheck disable=SC2046,SC2086	# flags are lists of words
if ! "$CC" -std=c99 -D_GNU_SOURCE -D_DEFAULT_SOURCE -DLIBBSD_OPENBSD_VIS \
    -Wall -Wextra -O2 \
    ${CFLAGS:-} $(pkg-config --cflags libbsd-overlay) -o "$tmp/dnsq" \
    "$here/dnsq.c" "$here/../dns.c" "$here/../sigs.c" "$here/../anchors.c" "$here/../util.c" \
    $(pkg-config --libs libunbound libevent libbsd-overlay) >"$tmp/cc.log" 2>&1; then
	fail "live: build dnsq" "$(head -5 "$tmp/cc.log")"
	exit 1
fi
pass "live: build dnsq"

# A root zone: test. names (made transparent in dns.c) and an
# unsigned delegation for the insecure case.
cat >"$tmp/root.zone" <<EOF
\$TTL 3600
.		IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
.		IN NS ns.test.
ns.test.	IN A $addr
www.test.	IN A 192.0.2.1
mx.test.	IN A 192.0.2.25
_25._tcp.mx.test. IN TLSA 3 1 1 (
		0123456789abcdef0123456789abcdef
		0123456789abcdef0123456789abcdef )
alias.test.	IN CNAME www.test.
dangling.test.	IN CNAME nowhere.test.
bogus.test.	IN A 192.0.2.66
insecure.test.	IN NS ns.test.
EOF
cat >"$tmp/insecure.zone" <<EOF
\$TTL 3600
insecure.test.	IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
insecure.test.	IN NS ns.test.
host.insecure.test. IN A 192.0.2.80
EOF

cd "$tmp" || exit 1
if ! ksk=$(ldns-keygen -a ECDSAP256SHA256 -k . 2>"$tmp/keygen.log") ||
    ! zsk=$(ldns-keygen -a ECDSAP256SHA256 . 2>>"$tmp/keygen.log") ||
    ! other=$(ldns-keygen -a ECDSAP256SHA256 -k . 2>>"$tmp/keygen.log") ||
    ! ldns-signzone -o . root.zone "$zsk" "$ksk" 2>>"$tmp/keygen.log" ||
    ! ldns-key2ds -n -2 "$ksk.key" >anchor.ds 2>>"$tmp/keygen.log" ||
    ! ldns-key2ds -n -2 "$other.key" >wrong.ds 2>>"$tmp/keygen.log"; then
	fail "live: sign zone" "$(head -5 "$tmp/keygen.log")"
	exit 1
fi
cp "$ksk.key" anchor.key

# Bogus: change a signed record after signing.
sp='[[:space:]]'
sed "s/^\\(bogus\\.test\\.$sp.*${sp}A$sp*\\)192\\.0\\.2\\.66\$/\\1192.0.2.99/" \
    root.zone.signed >root.zone.tampered
if cmp -s root.zone.signed root.zone.tampered; then
	fail "live: tamper zone" "bogus.test. A not found in the signed zone"
	exit 1
fi
pass "live: sign and tamper zone"

cat >nsd.conf <<EOF
server:
	ip-address: $addr@$port
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$tmp"
	pidfile: "$tmp/nsd.pid"
	database: ""
	xfrdfile: "$tmp/xfrd.state"
	xfrdir: "$tmp"
	zonelistfile: "$tmp/zone.list"
	logfile: "$tmp/nsd.log"
	verbosity: 0
	server-count: 1
	hide-version: yes
remote-control:
	control-enable: no
zone:
	name: "."
	zonefile: "root.zone.tampered"
zone:
	name: "insecure.test."
	zonefile: "insecure.zone"
EOF
if ! nsd -c "$tmp/nsd.conf" >"$tmp/nsd.out" 2>&1; then
	fail "live: start nsd" \
	    "$(cat "$tmp/nsd.out" "$tmp/nsd.log" 2>/dev/null | head -5)"
	exit 1
fi
i=0
until [ -s "$tmp/nsd.pid" ] &&
    "$tmp/dnsq" -A anchor.ds -r "$addr:$port" ns.test A 2>/dev/null |
    grep -q 'status=answer'; do
	i=$((i + 1))
	if [ $i -ge 50 ]; then
		fail "live: start nsd" "no answer from $addr port $port: $(
		    tail -3 "$tmp/nsd.log" 2>/dev/null)"
		exit 1
	fi
	sleep 0.1
done
pass "live: start nsd"

# q ANCHORFILE RESOLVERS NAME TYPE...: run dnsq, output in $out.
q() {
	qa=$1
	qr=$2
	shift 2
	out=$("$tmp/dnsq" -A "$qa" -r "$qr" "$@" 2>&1)
}

# expect TESTNAME STRING...: every string must be in $out.
expect() {
	name=$1
	shift
	for want in "$@"; do
		case "$out" in
		*"$want"*)
			;;
		*)
			fail "$name" "no \"$want\" in: $(echo "$out" |
			    tr '\n' ' ')"
			return
			;;
		esac
	done
	pass "$name"
}

srv=$addr:$port
tlsahex=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

q anchor.ds $srv www.test A
expect "live: secure answer" "www.test A status=answer sec=secure rcode=0" \
    "canon=- nrr=1" "rr 0: c0000201 (192.0.2.1)"

q anchor.ds $srv _25._tcp.mx.test TLSA
expect "live: secure TLSA answer" "TLSA status=answer sec=secure" \
    "rr 0: 030101$tlsahex"

# smtpdane's parent context: a lookup in flight through the event API
# while a forked child resolves synchronously on its copy (dnsq -e).
# both LINE: the child's line and the parent's "event: " line in $out
both() {
	[ "$(echo "$out" | grep -c "^$1")" = 1 ] &&
	    [ "$(echo "$out" | grep -c "^event: $1")" = 1 ]
}
q anchor.ds $srv -e _25._tcp.mx.test TLSA
if both "_25._tcp.mx.test TLSA status=answer sec=secure" &&
    [ "$(echo "$out" | grep -c "rr 0: 030101$tlsahex")" = 2 ]; then
	pass "live: event context, child and parent"
else
	fail "live: event context, child and parent" "$(echo "$out" |
	    tr '\n' ' ')"
fi
q anchor.ds $srv -e bogus.test A
if both "bogus.test A status=failed sec=bogus"; then
	pass "live: event context, bogus in child and parent"
else
	fail "live: event context, bogus in child and parent" \
	    "$(echo "$out" | tr '\n' ' ')"
fi

q anchor.ds $srv www.test AAAA
expect "live: secure NODATA" "AAAA status=nodata sec=secure rcode=0" "nrr=0"

q anchor.ds $srv nx.test A
expect "live: secure NXDOMAIN" "status=nxdomain sec=secure rcode=3" "nrr=0"

q anchor.ds $srv bogus.test A
expect "live: bogus answer" "status=failed sec=bogus" "nrr=0" \
    "why: validation failure <bogus.test. A IN>:"

q anchor.ds $srv alias.test A
expect "live: canon after CNAME" "status=answer sec=secure" \
    "canon=www.test nrr=1" "(192.0.2.1)"

q anchor.ds $srv dangling.test A
expect "live: canon after CNAME to nothing" \
    "status=nxdomain sec=secure" "canon=nowhere.test"

q anchor.ds $srv ALIAS.Test. A
expect "live: name case and trailing dot" "status=answer sec=secure" \
    "canon=www.test"

q anchor.ds $srv host.insecure.test A
expect "live: insecure delegation" "status=answer sec=insecure" \
    "(192.0.2.80)"

q anchor.key $srv www.test A
expect "live: DNSKEY file as anchor" "status=answer sec=secure"

q wrong.ds $srv www.test A
expect "live: wrong anchor is bogus" "status=failed sec=bogus" \
    "why: validation failure <"

# Special-use names reach the resolver: the zone's NXDOMAIN is secure,
# libunbound's own answer would not be.
q anchor.ds $srv localhost A
expect "live: localhost. goes to the resolver" "status=nxdomain sec=secure"
q anchor.ds $srv foo.invalid A
expect "live: invalid. goes to the resolver" "status=nxdomain sec=secure"
q anchor.ds $srv 1.0.0.10.in-addr.arpa PTR
expect "live: 10.in-addr.arpa. goes to the resolver" \
    "status=nxdomain sec=secure"
q anchor.ds $srv 1.0.0.127.in-addr.arpa PTR
expect "live: 127.in-addr.arpa. goes to the resolver" \
    "status=nxdomain sec=secure"
q anchor.ds $srv x.home.arpa A
expect "live: home.arpa. goes to the resolver" "status=nxdomain sec=secure"

q anchor.ds $srv "bad name.test" A
expect "live: bad name, no query" "status=failed" \
    "why: invalid name: bad byte 0x20"

# secs_ok LIMIT: the time= of lookup N (1-based) in $out is below LIMIT.
time_of() {
	echo "$out" | sed -n 's/.* time=\([0-9.]*\)$/\1/p' | sed -n "${1}p"
}

below() {
	awk -v t="$1" -v l="$2" 'BEGIN { exit !(t != "" && t + 0 < l + 0) }'
}

# A resolver that does not answer: bounded, then failing at once.
q anchor.ds $dead www.test A AAAA TLSA
t1=$(time_of 1)
t2=$(time_of 2)
expect "live: dead resolver fails" "status=failed" \
    "why: resolver did not answer"
if below "$t1" 10 && below "$t2" 1; then
	pass "live: dead resolver time (${t1}s, then ${t2}s)"
else
	fail "live: dead resolver time" "${t1}s, then ${t2}s"
fi

# One that reads and never answers: regress/blackhole (make
# regress-progs), detached once bound.
if [ ! -x "$here/blackhole" ]; then
	echo "SKIP: live: silent resolver: $here/blackhole is not built"
elif ! "$here/blackhole" -l 127.0.99.55:5353 -P "$tmp/silent.pid" \
    >"$tmp/silent.out" 2>&1 || ! read -r silentpid <"$tmp/silent.pid"; then
	fail "live: silent resolver" "blackhole: $(head -3 "$tmp/silent.out")"
else
	q anchor.ds 127.0.99.55:5353 www.test A AAAA
	t1=$(time_of 1)
	t2=$(time_of 2)
	expect "live: silent resolver fails" "status=failed" \
	    "why: resolver did not answer"
	if below "$t1" 10 && below "$t2" 1; then
		pass "live: silent resolver time (${t1}s, then ${t2}s)"
	else
		fail "live: silent resolver time" "${t1}s, then ${t2}s"
	fi
	kill "$silentpid" 2>/dev/null
	silentpid=
fi

# A dead resolver next to a live one still gives answers.
q anchor.ds "$dead,$srv" www.test A
t1=$(time_of 1)
expect "live: dead and live resolver" "status=answer sec=secure"
if below "$t1" 10; then
	pass "live: dead and live resolver time (${t1}s)"
else
	fail "live: dead and live resolver time" "${t1}s"
fi

exit $((fails != 0))
