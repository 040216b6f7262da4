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
# test_valgrind.sh SMTPDANE: the parent leaks nothing and makes no
# memory error over a handful of lab scenarios (children are forked
# copies that _exit; valgrind is told to stay silent about them).
# Needs the lab up (regress/lab/lab.sh up) and valgrind.

set -u
SMTPDANE=${1:-./smtpdane}
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
SUITE=valgrind
. regress/lib.sh
lab_env
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

if ! command -v valgrind >/dev/null 2>&1; then
	echo "FAIL: valgrind: not installed"
	exit 1
fi

fail=0
run()
{
	name=$1
	shift
	valgrind -q --vgdb=no --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	    --child-silent-after-fork=yes --log-file="$LOG" \
	    "$SMTPDANE" -A "$ANCHOR" -timeout 5s "$@" >/dev/null 2>&1
	rc=$?
	if [ $rc -eq 99 ] || [ -s "$LOG" ]; then
		echo "FAIL: valgrind: $name: exit status $rc"
		sed 's/^/    /' "$LOG" | head -40
		fail=1
	elif [ $rc -gt 2 ]; then
		echo "FAIL: valgrind: $name: smtpdane exit status $rc"
		fail=1
	else
		echo "PASS: valgrind: $name"
	fi
}

# Few runs: valgrind takes seconds to start each one.
run "verdicts of every kind" -timeout 3s ee311.dane.test ta211.dane.test \
    eemismatch.dane.test tawrongname.dane.test pkix.dane.test \
    mx.bogus.test mx.unsigned.test notlsa.dane.test nosuch.dane.test \
    nostarttls.dane.test silent.dane.test 192.0.2.1
run "every output option" -json -show-cert-info -showcerts -tlsa \
    ee311.dane.test eemismatch.dane.test
run "nagios" -nagios ee311.dane.test eemismatch.dane.test
run "-all-ns, a follower" -all-ns -json -mx tlsa.nsstale.test \
    mx.nslame.test mxnsdead.dane.test mx.nsdead.test
run "usage error" -timeout nonsense
exit $fail
