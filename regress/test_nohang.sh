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
# test_nohang.sh SMTPDANE: no hang, no loss.  Twenty targets, five of
# them tarpits (silent, a handshake that never ends, a server that
# drips a byte a second) and one whose check child is killed with
# SIGSEGV from outside while it waits for the banner: every target must
# still get its own line, the tarpits must end at -timeout, the crash
# must be reported as such, and the exit status must be 1.
# Needs the lab up (regress/lab/lab.sh up).

set -u
SMTPDANE=${1:-./smtpdane}
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
SUITE=nohang
. regress/lib.sh
lab_env
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

GOOD="ee311 ee301 ee312 ee310 ee300 eewrongname eeself rollover ta211 ta201
taorder badselgood crlfbare ehlo200"
TARPITS="tarpit1 tarpit2 tarpit3 tarpit4 silent"
CRASH=tarpit5
CRASH_ADDR=127.0.10.95
TIMEOUT=4

targets=
for h in $GOOD $TARPITS $CRASH; do
	targets="$targets $h.dane.test"
done

start=$(date +%s)
# shellcheck disable=SC2086
# A sanitizer build would catch the SIGSEGV itself and exit 1.
ASAN_OPTIONS="handle_segv=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    "$SMTPDANE" -A "$ANCHOR" -nocolor -terse -timeout ${TIMEOUT}s $targets \
    >"$OUT" 2>&1 &
pid=$!

# The child checking the crash target is the process connected to it.
victim=
i=0
while [ -z "$victim" ] && [ $i -lt 50 ]; do
	victim=$(ss -Htnp "dst $CRASH_ADDR:25" 2>/dev/null |
	    sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
	[ -n "$victim" ] || sleep 0.1
	i=$((i + 1))
done
if [ -n "$victim" ] && [ "$victim" != "$pid" ]; then
	kill -SEGV "$victim"
	ok "found and crashed the child checking $CRASH ($victim)"
else
	bad "no child of smtpdane connected to $CRASH_ADDR"
fi
wait $pid
rc=$?
took=$(($(date +%s) - start))

[ $rc -eq 1 ] && ok "exit status 1" || bad "exit status $rc, want 1"
lines=$(grep -c '^[a-z0-9]*\.dane\.test \[' "$OUT")
[ "$lines" -eq 20 ] && ok "20 targets, 20 lines" ||
    bad "$lines result lines for 20 targets"
for h in $GOOD; do
	grep -q "^$h\.dane\.test \[.*: verified: " "$OUT" ||
	    bad "$h not verified"
done
n=0
for h in $TARPITS; do
	grep -q "^$h\.dane\.test \[.*: timeout: timed out after ${TIMEOUT}\.[0-9]s" \
	    "$OUT" && n=$((n + 1))
done
[ $n -eq 5 ] && ok "5 tarpits timed out" || bad "$n of 5 tarpits timed out"
grep -q "^$CRASH\.dane\.test \[.*: internal-error: child crashed during banner: signal 11" "$OUT" &&
    ok "crash reported" || bad "crash not reported as internal-error"
# Tarpits end at -timeout: all in parallel, so about one timeout in all.
[ $took -le $((2 * TIMEOUT + 3)) ] && ok "done in ${took}s (timeout ${TIMEOUT}s)" ||
    bad "took ${took}s with -timeout ${TIMEOUT}s"
if [ $failures -ne 0 ]; then
	sed 's/^/    /' "$OUT"
fi
exit $((failures > 0))
