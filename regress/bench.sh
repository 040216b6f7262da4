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
# bench.sh: `make bench`.  Wall times of smtpdane against the lab, each
# measurement repeated and reported as min / median / max seconds:
#
#   one       one good host (one check)
#   good      every good host of the lab at once
#   nosandbox the same with the sandbox compiled out (smtpdane-valgrind)
#   many      the 200-domain file of the discovery tests, -f, -j 20
#   serial    the same with -j 1: what "one after another" would cost
#
# Figures, not assertions: nothing here passes or fails.

set -u
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
RUNS=${BENCH_RUNS:-10}
GOOD="ee311 ee301 ee312 ee310 ee300 eewrongname eeself rollover ta211 ta201
taorder badselgood crlfbare ehlo200 multibanner mx.wild"

exec 9>regress/lab/.lock
command -v flock >/dev/null 2>&1 && flock 9
sh regress/lab/lab.sh up || exit 1
trap 'sh regress/lab/lab.sh down' EXIT
eval "$(sh regress/lab/lab.sh env)"
export DNS_RESOLVER

now()
{
	date +%s.%N
}

# measure NAME RUNS COMMAND...: min, median and max wall seconds
measure()
{
	name=$1
	runs=$2
	shift 2
	i=0
	: >"$TMP"
	while [ $i -lt "$runs" ]; do
		t0=$(now)
		"$@" >/dev/null 2>&1
		t1=$(now)
		echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$TMP"
		i=$((i + 1))
	done
	sort -n "$TMP" | awk -v name="$name" -v runs="$runs" '
	    { v[NR] = $1 }
	    END { printf "%-10s %3d runs  min %.3fs  median %.3fs  max %.3fs\n",
		name, runs, v[1], v[int((NR + 1) / 2)], v[NR] }'
}

TMP=$(mktemp)
hosts=
n=0
for h in $GOOD; do
	hosts="$hosts $h.dane.test"
	n=$((n + 1))
done
echo "smtpdane $(./smtpdane -V | cut -d' ' -f2), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
measure one "$RUNS" ./smtpdane -A "$ANCHOR" ee311.dane.test
# shellcheck disable=SC2086
measure "good($n)" "$RUNS" ./smtpdane -A "$ANCHOR" $hosts
if [ -x ./smtpdane-valgrind ]; then
	# shellcheck disable=SC2086
	measure nosandbox "$RUNS" ./smtpdane-valgrind -A "$ANCHOR" $hosts
fi
MANY=regress/lab/work/lists/bulk.txt
if [ -s "$MANY" ]; then
	count=$(grep -c '^[a-z]' "$MANY")
	measure "many($count)" 3 ./smtpdane -A "$ANCHOR" -mx -j 20 -f "$MANY"
	measure serial 1 ./smtpdane -A "$ANCHOR" -mx -j 1 -f "$MANY"
fi
rm -f "$TMP"
