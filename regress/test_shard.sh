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
# test_shard.sh PROGRAM: the README's recipe for checking many domains
# from several hosts ("Checking many domains"), run on loopback: split
# the lab's 200 mail domains in two, run one smtpdane per shard through
# GNU parallel (sshlogin ":" is this machine; the recipe names other
# hosts), merge the JSON lines with jq.  Nothing may be lost or counted
# twice.

set -u
PROG=${1:-./smtpdane}
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
SUITE=shard
. regress/lib.sh
lab_env
PROG=$(cd "$(dirname "$PROG")" && pwd)/${PROG##*/}
LIST=$TOP/regress/lab/work/lists/bulk.txt
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
N=$(grep -c . "$LIST")

for t in parallel jq split; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "FAIL: shard: $t is not installed"
		exit 1
	fi
done
cd "$D" || exit 1

# The recipe, as README has it (SMTPDANE and -A for the lab).
split -n l/2 -d --additional-suffix=.txt "$LIST" shard-
parallel --will-cite --sshlogin : --transferfile {} --return {.}.json \
    --cleanup "$PROG -A $ANCHOR -mx -json -f {} > {.}.json; test \$? -le 1" \
    ::: shard-*.txt 2>/dev/null
rc=$?
jq -c 'select(has("summary") or has("discovery") | not)' shard-*.json >all.json
jq -s '[.[].target] | unique | length' all.json >targets
jq -s 'length' all.json >checks
jq -s 'map(select(.result == "verified")) | length' all.json >verified
jq -s '[.[].target] | group_by(.) | map(select(length > 1)) | length' \
    all.json >twice
jq -s 'map(.summary.checks // 0) | add' shard-*.json >summed

if [ "$rc" -eq 0 ] && [ "$(cat targets)" -eq "$N" ] &&
    [ "$(cat checks)" -eq "$N" ] && [ "$(cat twice)" -eq 0 ] &&
    [ "$(cat summed)" -eq "$N" ] && [ "$(cat verified)" -eq "$N" ]; then
	echo "PASS: shard: 2 shards, $N domains, each once, $N verified"
else
	echo "FAIL: shard: exit $rc; $(cat targets) domains, $(cat checks)" \
	    "checks, $(cat twice) twice, summaries say $(cat summed)," \
	    "$(cat verified) verified, of $N"
fi
