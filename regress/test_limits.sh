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
# test_limits.sh PROGRAM: no lost check under resource limits, no
# false timeout when the parent itself is held up.  Against the lab's
# 200 generated mail domains (one MX host each).
#
#   - a descriptor limit below -j: -j is fitted to it, every domain
#     gets its line;
#   - a process limit below -j: failed forks are back-pressure, every
#     domain gets its line;
#   - a process limit of 0 (no child at all, whatever else runs as the
#     same user): every domain is
#     reported as not checked, no child is left, exit status 2;
#   - the parent stopped (SIGSTOP) for longer than -timeout while its
#     children finish: no "timed out" for a check that ended in time.

set -u
PROG=${1:-./smtpdane}
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
. regress/lib.sh
lab_env
LIST=regress/lab/work/lists/bulk.txt
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
N=$(grep -c . "$LIST")
name=${PROG##*/}
SUITE="limits ($name)"

# lines OUTFILE: result lines of mail hosts of the bulk domains
lines()
{
	grep -cE '^mx[0-9]+\.bulk\.dane\.test ' "$1"
}

# A failure shows the end of what smtpdane said.
bad_out()
{
	bad "$1"
	sed 's/^/    /' "$OUT" | tail -5
}

# A process of this test's run of smtpdane is still there.  Children
# carry their parent's argv, and the EHLO name is unique to this test.
MARK=limits-$$.invalid
leftover()
{
	pgrep -f "$MARK" >/dev/null 2>&1
}

prlimit --nofile=64 "$PROG" -A "$ANCHOR" -d -j 200 -mx -f "$LIST" \
    >"$OUT" 2>&1
rc=$?
n=$(lines "$OUT")
if [ "$n" -eq "$N" ] && [ "$rc" -eq 0 ] &&
    grep -q 'debug: -j 200 lowered to 32' "$OUT"; then
	ok "descriptor limit 64, -j 200: $n lines, -j fitted"
else
	bad_out "descriptor limit 64, -j 200: $n lines of $N, exit $rc"
fi

# RLIMIT_NPROC counts every process of the user smtpdane runs as.
user=nobody
id _smtpdane >/dev/null 2>&1 && user=_smtpdane
others=$(ps -u "$user" -o pid= 2>/dev/null | wc -l)

prlimit --nproc=$((others + 30)) "$PROG" -A "$ANCHOR" -j 100 -mx -f "$LIST" >"$OUT" 2>&1
rc=$?
n=$(lines "$OUT")
if [ "$n" -eq "$N" ] && [ "$rc" -eq 0 ]; then
	ok "process limit 30, -j 100: $n lines"
else
	bad_out "process limit 30, -j 100: $n lines of $N, exit $rc"
fi

prlimit --nproc=0 "$PROG" -A "$ANCHOR" -H "$MARK" -j 100 -mx -f "$LIST" \
    >"$OUT" 2>&1
rc=$?
n=$(grep -c ': internal-error: not checked: fork: ' "$OUT")
if [ "$n" -eq "$N" ] && [ "$rc" -eq 2 ] && ! leftover; then
	ok "no process allowed: $n domains not checked, exit 2"
else
	bad_out "no process allowed: $n of $N not checked, exit $rc"
fi

# Held up: 40 domains, -timeout 3s, the parent stopped for 5 s.
head -40 "$LIST" >"$OUT.list"
"$PROG" -A "$ANCHOR" -timeout 3s -j 40 -mx -f "$OUT.list" >"$OUT" 2>&1 &
pid=$!
sleep 0.3
kill -STOP $pid
sleep 5
kill -CONT $pid
wait $pid
rc=$?
n=$(grep -cE '^mx[0-9]+\.bulk\.dane\.test ' "$OUT")
t=$(grep -c 'timed out' "$OUT")
rm -f "$OUT.list"
if [ "$n" -eq 40 ] && [ "$t" -eq 0 ]; then
	ok "parent stopped 5 s with -timeout 3s: 40 lines, no timeout"
else
	bad_out "parent stopped 5 s: $n lines of 40, $t timeouts, exit $rc"
fi

# The forker of check children killed mid-run (after a first verdict):
# what was checked stays, its running children die with it (Linux) and
# end without a result, the rest is not checked; exit status 2, and
# nothing is left running.
"$PROG" -A "$ANCHOR" -H "$MARK" -d -j 4 -mx -f "$LIST" >"$OUT" 2>&1 &
pid=$!
fk=
i=0
while [ $i -lt 500 ] && { [ -z "$fk" ] || ! grep -q ': verified: ' "$OUT"; }
do
	fk=$(sed -n 's/^debug: forker \([0-9]*\) started$/\1/p' "$OUT")
	sleep 0.02
	i=$((i + 1))
done
[ -n "$fk" ] && kill -KILL "$fk"
wait $pid
rc=$?
sleep 0.3
n=$(grep -c ': internal-error: not checked: the forker of check children ended$' "$OUT")
v=$(grep -c ': verified: ' "$OUT")
if [ -n "$fk" ] && [ "$rc" -eq 2 ] && [ "$n" -gt 0 ] && [ "$v" -gt 0 ] &&
    grep -q "^$N checks: " "$OUT" && ! leftover; then
	ok "forker killed: $v verified before, $n not checked, exit 2"
else
	bad_out "forker killed (${fk:-not found}): $v verified, $n not checked, exit $rc"
fi
