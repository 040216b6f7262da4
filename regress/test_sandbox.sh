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
# test_sandbox.sh: smtpdane's sandbox and privilege drop (Linux).
#
#	sh regress/test_sandbox.sh
#
# 1. regress/sandbox/sbtest links sandbox_linux.c, priv.c and util.c
#    and tries, in each stage, what must be refused (files, exec,
#    fork, ptrace, TCP ports not allowed, socket families, MPTCP, TCP
#    Fast Open, executable memory, ...) and what must still work (the
#    allowed ports, UDP, abort, the parent killing a child).  The
#    Landlock layer is also tested alone, and older kernels are played
#    (Landlock ABI 3, no Landlock).
# 2. As root, the privilege drop: to _smtpdane or nobody; refused when
#    neither exists (a private mount namespace hides them), unless
#    -allow-root.
# 3. With the lab up (regress/lab/lab.sh): DNS over UDP and TCP in a
#    sandboxed child, and a stub-zone event context made there (as
#    -all-ns does), and each real program of SMTPDANE (a blank-
#    separated list) made to break its sandbox by
#    regress/sandbox/violate.so (LD_PRELOAD), in the check child's
#    TLSA lookup and in its -all-ns stage: its output must name the
#    system call; a child's uid seen from outside.
#
# Prints "PASS: name" or "FAIL: name: why" per test, "SKIP: name: why"
# where this machine cannot run one, and exits 1 if any failed.

set -u

REGRESS=$(cd -- "$(dirname -- "$0")" && pwd)
TOP=$(dirname -- "$REGRESS")
LAB_SH=${LAB_SH:-$REGRESS/lab/lab.sh}
# The real programs, blank-separated (make regress: "./smtpdane
# ./smtpdane-san"); by default smtpdane, and smtpdane-san when built.
if [ -z "${SMTPDANE:-}" ]; then
	SMTPDANE=$TOP/smtpdane
	[ ! -x "$TOP/smtpdane-san" ] || SMTPDANE="$SMTPDANE $TOP/smtpdane-san"
fi
CC=${CC:-cc}
FAILED=0

pass()
{
	echo "PASS: $1"
}

fail()
{
	echo "FAIL: $1: $2"
	FAILED=1
}

skip()
{
	echo "SKIP: $1: $2"
}

if [ "$(uname -s)" != Linux ]; then
	skip sandbox "these tests need Linux (seccomp and Landlock)"
	exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/test_sandbox.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT INT TERM
SBTEST=$WORK/sbtest
VIOLATE=$WORK/violate.so

# --- building the helpers ---------------------------------------------

PKGS="libbsd-overlay libseccomp libunbound libevent"
if ! $CC -std=c99 -O2 -g -Wall -Wextra -D_GNU_SOURCE \
    -DLIBBSD_OPENBSD_VIS -DSMTPDANE_TEST $(pkg-config --cflags $PKGS) \
    -I"$TOP" -o "$SBTEST" "$REGRESS/sandbox/sbtest.c" \
    "$TOP/sandbox_linux.c" "$TOP/priv.c" "$TOP/util.c" \
    $(pkg-config --libs $PKGS) >"$WORK/cc.log" 2>&1; then
	fail build-sbtest "$(head -5 "$WORK/cc.log" | tr '\n' ' ')"
	exit 1
fi
if ! $CC -std=c99 -O2 -Wall -Wextra -D_GNU_SOURCE -shared -fPIC \
    -o "$VIOLATE" "$REGRESS/sandbox/violate.c" -ldl \
    >"$WORK/cc.log" 2>&1; then
	fail build-violate "$(head -5 "$WORK/cc.log" | tr '\n' ' ')"
	exit 1
fi
echo "the start stage may read this" >"$WORK/allowed"
echo "but not this" >"$WORK/other"

# Run a command with a deadline: its output, and " [exit N]" unless 0.
run()
{
	_out=$(timeout 60 "$@" 2>&1)
	_rc=$?
	[ $_rc -eq 0 ] || _out="$_out [exit $_rc]"
	printf '%s\n' "$_out"
}

# expect NAME WANT [VAR=value ...] CASE: sbtest CASE must print WANT.
expect()
{
	_name=$1
	_want=$2
	shift 2
	_got=$(run env "$@" "$WORK/allowed" "$WORK/other")
	if [ "$_got" = "$_want" ]; then
		pass "$_name"
	else
		fail "$_name" "want \"$_want\", got \"$(echo "$_got" |
		    tr '\n' ' ')\""
	fi
}

# expect_re NAME ERE COMMAND...: some line of the output matches ERE.
expect_re()
{
	_name=$1
	_re=$2
	shift 2
	_got=$(run "$@")
	if printf '%s\n' "$_got" | grep -Eq -- "$_re"; then
		pass "$_name"
	else
		fail "$_name" "no line matches /$_re/ in \"$(echo "$_got" |
		    tr '\n' ' ')\""
	fi
}

ABI=$("$SBTEST" landlock-abi)

# --- both layers: what each stage refuses and allows ------------------

while IFS='|' read -r name want case; do
	[ -n "$name" ] || continue
	expect "sandbox-$name" "$want" "$SBTEST" "$case"
done <<'EOF'
child-open|violation: openat|open
child-exec|violation: execve|exec
child-fork|violation: clone|fork
child-ptrace|violation: ptrace|ptrace
child-signal-parent|violation: kill|kill-parent
child-setuid|violation: setuid|setuid
child-ioctl|violation: ioctl|ioctl
child-netlink|violation: socket|netlink
child-packet|violation: socket|packet
child-unix-socket|violation: socket|unix
child-raw-socket|violation: socket|raw
child-mptcp|violation: socket|mptcp
child-tfo-sendto|refused: EOPNOTSUPP|tfo-sendto
child-tfo-sendmsg|refused: EOPNOTSUPP|tfo-sendmsg
child-tfo-sockopt|refused: EOPNOTSUPP|tfo-sockopt
child-other-sockopt|violation: setsockopt|sockopt-other
child-tcp-sockopt|allowed|sockopt-tcp
child-mmap-exec|violation: mmap|mmap-exec
child-mprotect-exec|violation: mprotect|mprotect-exec
child-tcp-socket|allowed|tcp
child-udp|allowed|udp
child-abort|signal: SIGABRT|abort
child-abort-parent|violation: tgkill|abort-parent
parse-abort|signal: SIGABRT|parse-abort
parse-abort-parent|violation: tgkill|parse-abort-parent
child-x32-abi|signal: SIGSYS|x32-abi
parse-socket|violation: socket|parse-tcp
parse-report|allowed|parse-nothing
verify-report|allowed|verify-nothing
verify-socket|violation: socket|verify-tcp
verify-udp|violation: socket|verify-udp
verify-open|violation: openat|verify-open
verify-exec|violation: execve|verify-exec
verify-abort|signal: SIGABRT|verify-abort
start-read-listed|allowed|start-open
start-write|sbtest: sandbox violation: openat [exit 2]|start-open-write
start-exec|sbtest: sandbox violation: execve [exit 2]|start-exec
run-open|sbtest: sandbox violation: openat [exit 2]|run-open
run-exec|sbtest: sandbox violation: execve [exit 2]|run-exec
run-kill-group|sbtest: sandbox violation: kill [exit 2]|run-kill-group
run-connect-target|allowed|run-connect-target
wait-fork|sbtest: sandbox violation: clone [exit 2]|wait-fork
wait-socket|sbtest: sandbox violation: socket [exit 2]|wait-tcp
wait-kill-child|allowed|wait-kill-child
EOF

# TCP ports are Landlock's (ABI 4).
if [ "$ABI" -ge 4 ]; then
	while IFS='|' read -r name want case; do
		[ -n "$name" ] || continue
		expect "sandbox-$name" "$want" "$SBTEST" "$case"
	done <<'EOF'
child-connect-target|allowed|connect-target
child-connect-dns|allowed|connect-dns
child-connect-other-port|refused: EACCES|connect-other
child-bind-tcp|refused: EACCES|bind-tcp
run-connect-other-port|refused: EACCES|run-connect-other
start-read-other|refused: EACCES|start-open-other
EOF
else
	skip sandbox-ports "Landlock ABI $ABI: no TCP port rules here"
fi

# --- Landlock alone, then older kernels -------------------------------

if [ "$ABI" -ge 4 ]; then
	while IFS='|' read -r name want case; do
		[ -n "$name" ] || continue
		expect "landlock-$name" "$want" SMTPDANE_TEST_NO_SECCOMP=1 \
		    "$SBTEST" "$case"
	done <<'EOF'
child-open|refused: EACCES|open
child-exec|refused: EACCES|exec
child-connect-other-port|refused: EACCES|connect-other
child-connect-target|allowed|connect-target
child-bind-tcp|refused: EACCES|bind-tcp
start-write|refused: EACCES|start-open-write
run-open|refused: EACCES|run-open
wait-kill-child|allowed|wait-kill-child
EOF
	# SRV discovery: the run stage cannot list ports, children do.
	expect any-port-run-connect "allowed" SBTEST_ANY_PORT=1 "$SBTEST" \
	    run-connect-other
	expect any-port-child-still-limited "refused: EACCES" \
	    SBTEST_ANY_PORT=1 "$SBTEST" connect-other
	expect_re degraded-abi3-says-so "no TCP port rules" env \
	    SBTEST_DEBUG=1 SMTPDANE_TEST_LANDLOCK_ABI=3 "$SBTEST" connect-other
	expect degraded-abi3-runs "allowed" SMTPDANE_TEST_LANDLOCK_ABI=3 \
	    "$SBTEST" connect-other
	expect degraded-abi3-still-no-files "violation: openat" \
	    SMTPDANE_TEST_LANDLOCK_ABI=3 "$SBTEST" open
	expect_re degraded-none-says-so "Landlock is not available" env \
	    SBTEST_DEBUG=1 SMTPDANE_TEST_LANDLOCK_ABI=0 "$SBTEST" udp
	expect degraded-none-runs "allowed" SMTPDANE_TEST_LANDLOCK_ABI=0 \
	    "$SBTEST" connect-target
	expect degraded-none-still-no-exec "violation: execve" \
	    SMTPDANE_TEST_LANDLOCK_ABI=0 "$SBTEST" exec
else
	skip landlock "Landlock ABI $ABI here, these tests need 4"
fi

# --- privilege drop ---------------------------------------------------

if [ "$(id -u)" -ne 0 ]; then
	expect privdrop-not-root "uid=$(id -u) gid=$(id -g) groups=$(id -G |
	    tr ' ' ',')" "$SBTEST" privdrop
	skip privdrop "not root: nothing to drop"
else
	if id _smtpdane >/dev/null 2>&1; then
		user=_smtpdane
	else
		user=nobody
	fi
	uid=$(id -u $user)
	gid=$(id -g $user)
	expect privdrop "uid=$uid gid=$gid groups=$gid" "$SBTEST" privdrop
	# Neither user in a private copy of /etc/passwd.
	if command -v unshare >/dev/null 2>&1 &&
	    unshare -m true >/dev/null 2>&1; then
		grep -Ev '^(_smtpdane|nobody):' /etc/passwd >"$WORK/passwd"
		nouser="mount --bind $WORK/passwd /etc/passwd && exec"
		expect_re privdrop-refused "^priv_drop: refusing to run as" \
		    unshare -m sh -c "$nouser $SBTEST privdrop $WORK/allowed \
		    $WORK/other"
		expect_re privdrop-allow-root "^uid=0 gid=0 " \
		    unshare -m sh -c "$nouser $SBTEST privdrop-allow-root \
		    $WORK/allowed $WORK/other"
		# _smtpdane comes first when it exists.
		{ cat "$WORK/passwd"
		  echo "_smtpdane:x:4242:4243::/nonexistent:/bin/false"
		  grep '^nobody:' /etc/passwd; } >"$WORK/passwd2"
		ours="mount --bind $WORK/passwd2 /etc/passwd && exec"
		expect_re privdrop-prefers-_smtpdane \
		    "^uid=4242 gid=4243 groups=4243$" \
		    unshare -m sh -c "$ours $SBTEST privdrop $WORK/allowed \
		    $WORK/other"
	else
		skip privdrop-refused "no unshare(1) or no mount namespaces"
	fi
fi

# --- against the lab ----------------------------------------------------

if ! sh "$LAB_SH" status >/dev/null 2>&1; then
	skip lab "the lab is not up (sh $LAB_SH up)"
	exit $FAILED
fi
eval "$(sh "$LAB_SH" env)"
GOOD=ee311.dane.test
SILENT=silent.dane.test
ALLNS=mx.nsagree.test

for proto in udp tcp; do
	expect dns-$proto-in-child "answer secure" \
	    SBTEST_RESOLVER=$DNS_RESOLVER SBTEST_ANCHOR=$ANCHOR \
	    SBTEST_NAME=$GOOD "$SBTEST" dns-$proto
done
# -all-ns: an event context made in the network stage, one zone sent
# to the lab's second authoritative server (allns.c).
expect dns-stub-in-child "answer secure" SBTEST_RESOLVER=$DNS_RESOLVER \
    SBTEST_ANCHOR=$ANCHOR SBTEST_NAME=$ALLNS SBTEST_STUB=nsagree.test@127.53.0.4 \
    "$SBTEST" dns-stub

export DNS_RESOLVER

# real PROG: the tests of the real program PROG, named after it
# (smtpdane-... for ./smtpdane, smtpdane-san-... for ./smtpdane-san).
real()
{
	prog=$1
	n=${prog##*/}
	if [ ! -x "$prog" ]; then
		skip "$n" "$prog is not built"
		return
	fi

	# prog checks GOOD (with -all-ns: its stage comes after the TLSA
	# lookup), violate.so breaking its sandbox on request.
	violated="env LD_PRELOAD=$VIOLATE $prog -all-ns -A $ANCHOR $GOOD"

	expect_re "$n-sandboxed-verifies" "^$GOOD \[.*\]:25: verified" \
	    "$prog" -A "$ANCHOR" "$GOOD"
	# -all-ns: its stage asks every server without leaving the sandbox
	expect_re "$n-allns-sandboxed" "^    nameserver ns4\.test \[127\.53\.0\.4\]: same:" \
	    "$prog" -all-ns -A "$ANCHOR" "$ALLNS"
	expect_re "$n-debug-says-landlock" "^debug: sandbox: Landlock" \
	    "$prog" -debug -A "$ANCHOR" "$GOOD"
	# A sanitizer build refuses open, openat and stat with EACCES
	# rather than dying of them (sandbox_linux.c, SB_ASAN), so that
	# its reports can be written: there the open must be refused.
	asan=0
	! grep -q __asan_init "$prog" || asan=1
	# "event": the action comes at the first ub_resolve_event() call
	# in the chosen process, a check child's first in its -all-ns stage.
	while IFS='|' read -r name action type re; do
		[ -n "$name" ] || continue
		case $asan$action in
		1open|1parent-open)
			re='^violate: open: Permission denied$' ;;
		esac
		re=$(echo "$re" | sed "s|@PROG@|$n|")
		at=
		case $type in
		event)	at=event type=0 ;;
		esac
		expect_re "$n-$name" "$re" env SBTEST_VIOLATE="$action" \
		    SBTEST_VIOLATE_TYPE="${type:-0}" SBTEST_VIOLATE_AT="$at" \
		    $violated
	done <<'EOF'
child-open|open||internal-error: sandbox violation: openat during
child-exec|exec||internal-error: sandbox violation: execve during
child-fork|fork||internal-error: sandbox violation: clone during
child-netlink|netlink||internal-error: sandbox violation: socket during
check-child-open|open|52|sandbox violation: openat during TLSA lookup
child-connect-other-port|connect:9||^violate: connect 9: Permission denied
parent-open|parent-open||^@PROG@: sandbox violation: openat \[exit 2\]$
allns-open|open|event|sandbox violation: openat during authoritative servers
allns-exec|exec|event|sandbox violation: execve during authoritative servers
allns-connect-other-port|connect:9|event|^violate: connect 9: Permission denied
EOF

	if [ "$(id -u)" -ne 0 ]; then
		skip "$n-uid" "not root: nothing to drop"
		return
	fi
	want="^violate: uid=$uid euid=$uid gid=$gid egid=$gid$"
	expect_re "$n-child-uid" "$want" env SBTEST_VIOLATE=ids $violated
	expect_re "$n-parent-uid" "$want" env SBTEST_VIOLATE=parent-ids \
	    $violated

	# Seen from outside: a check child waiting on a silent server, a
	# child of the forker, the parent's child.  It holds no epoll
	# instance (the parent's would be shared with it).
	"$prog" -A "$ANCHOR" -t 3 "$SILENT" >/dev/null 2>&1 &
	parent=$!
	status=
	epoll=
	i=0
	while [ $i -lt 25 ] && [ -z "$status" ]; do
		forker=$(pgrep -P $parent | tr '\n' , | sed 's/,$//')
		for kid in ${forker:+$(pgrep -P "$forker")}; do
			status=$(grep -E '^(Uid|Gid|NoNewPrivs|Seccomp):' \
			    /proc/$kid/status 2>/dev/null | tr -s '\t\n' '  ')
			epoll=$(ls -l /proc/$kid/fd 2>/dev/null |
			    grep -c eventpoll)
			[ -n "$status" ] && break
		done
		i=$((i + 1))
		sleep 0.1
	done
	wait $parent
	if [ "$epoll" = 0 ]; then
		pass "$n-child-no-epoll"
	else
		fail "$n-child-no-epoll" "epoll instances: ${epoll:-none seen}"
	fi
	want="Uid: $uid $uid $uid $uid Gid: $gid $gid $gid $gid NoNewPrivs: 1"
	want="$want Seccomp: 2 "
	if [ "$status" = "$want" ]; then
		pass "$n-child-proc-status"
	else
		fail "$n-child-proc-status" "want \"$want\", got \"$status\""
	fi
}

for prog in $SMTPDANE; do
	real "$prog"
done
exit $FAILED
