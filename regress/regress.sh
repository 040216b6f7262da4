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
# regress.sh: smtpdane's whole test, run by "make regress" once the
# programs are built.  It installs missing packages, then runs itself
# again in a private network namespace of its own (regress/netns.sh:
# unshare --net, loopback only; root needed), where it brings the lab
# up (regress/lab/lab.sh), runs every unit-test program and the
# scenario suite (regress/run-scenarios.sh), takes the lab down even
# when something failed or it is interrupted, and prints as its last
# line
#
#	N passed, N failed, N skipped
#
# counting the PASS:/FAIL:/SKIP: lines of everything it ran.  Exits 1
# if any test failed or if nothing ran.  The lab never meets the
# host's network services, nor another run.
#
# SMTPDANE	the program(s) the scenarios run, blank-separated
#		(default ./smtpdane; e.g. "./smtpdane ./smtpdane-san")
# CI		when set (and not "false" or "0"), every skip is also a
#		failure: a test that cannot run here is one that CI
#		does not run, and a unit-test program that is missing
#		was not built
# LAB_HOST_NETWORK=1  run on the host's network, without a namespace
#		(lab.sh then binds 127.53.0.1-4:53 and 127.0.10.N here)

set -u

TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
LABSH=regress/lab/lab.sh
SMTPDANE=${SMTPDANE:-./smtpdane}

# The unit tests, in order: a program (or sh script) and its arguments;
# @UNIT@ is a scratch directory.  A program that does not exist is a
# SKIP (under CI a FAIL).
UNITS='
regress/test_util
regress/test_index
regress/mkcerts-unit.sh @UNIT@
regress/test_dane @UNIT@
regress/test_ocsp @UNIT@
regress/test_danediff regress/lab/work
regress/test_anchors
regress/test_dns
regress/test_dns_live.sh
regress/test_smtp
regress/test_sandbox.sh
regress/test_openbsd.sh
regress/fuzz/run.sh replay
'

case ${CI:-} in
''|false|0)	IN_CI= ;;
*)		IN_CI=1 ;;
esac

# Seconds since the epoch, with tenths.
now()
{
	date +%s.%N | cut -c1-12
}

# Packages first, here: apt-get needs the network.  Then the rest, in
# a network namespace of its own: the lab's daemons and everything
# that talks to them live and die there, and its trap takes the lab
# down before the namespace goes.
if [ "${SMTPDANE_NETNS:-}" != 1 ] && [ "${LAB_HOST_NETWORK:-}" != 1 ]; then
	REGRESS_START=$(now)
	REGRESS_DEPS=ok
	sh regress/install-deps.sh || REGRESS_DEPS=failed
	export REGRESS_START REGRESS_DEPS
	if ! sh regress/netns.sh true; then
		echo "FAIL: netns: cannot make a private network namespace" \
		    "(regress/netns.sh: unshare --net needs root)"
		echo "0 passed, 1 failed, 0 skipped"
		exit 1
	fi
	exec sh regress/netns.sh sh "$TOP/regress/regress.sh" "$@"
fi

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/regress.XXXXXX") || exit 1
LOG=$TMPD/log
: >"$LOG"

cleanup()
{
	sh "$LABSH" down
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# One lab per work tree: regress/lab/work is this tree's.  (Two trees
# never meet: each run has a network namespace of its own.)
if command -v flock >/dev/null 2>&1; then
	exec 9>regress/lab/.lock
	if ! flock -n 9; then
		echo "regress.sh: another run in this tree holds the lab, waiting"
		flock 9
	fi
fi

elapsed()
{
	echo "$1 $(now)" | awk '{ printf "%.1f", $2 - $1 }'
}

# note LINE: a result of regress.sh itself, counted like the others
note()
{
	echo "$1" | tee -a "$LOG"
}

# skipped NAME WHY: a test that did not run; under CI a failure too.
skipped()
{
	note "SKIP: $1: $2"
	[ -z "$IN_CI" ] || note "FAIL: $1: skipped under CI: $2"
}

# step NAME COMMAND...: run it, show and keep its output; a command
# that fails without saying FAIL: gets a FAIL line of its own, and
# under CI each SKIP: line it printed gets one.
step()
{
	_name=$1
	shift
	{ "$@" 2>&1; echo $? >"$TMPD/rc"; } | tee "$TMPD/step"
	cat "$TMPD/step" >>"$LOG"
	read -r _rc <"$TMPD/rc"
	if [ "$_rc" -ne 0 ] && ! grep -q '^FAIL: ' "$TMPD/step"; then
		note "FAIL: $_name: exit status $_rc"
	fi
	if [ -n "$IN_CI" ]; then
		grep '^SKIP: ' "$TMPD/step" | while IFS= read -r _l; do
			note "FAIL: $_name: skipped under CI: ${_l#SKIP: }"
		done
	fi
	return "$_rc"
}

start=${REGRESS_START:-$(now)}
case ${REGRESS_DEPS:-} in
ok)	;;
failed)	note "FAIL: install-deps: cannot install the packages" ;;
*)	sh regress/install-deps.sh ||
	    note "FAIL: install-deps: cannot install the packages" ;;
esac

sh "$LABSH" down
labstart=$(now)
if sh "$LABSH" up; then
	labup=1
	labtime=$(elapsed "$labstart")
	echo "lab up in ${labtime}s"
else
	labup=0
	note "FAIL: lab: regress/lab/lab.sh up failed"
fi

unit=$TMPD/unit
mkdir -p "$unit"
echo "$UNITS" | while read -r prog args; do
	[ -n "$prog" ] || continue
	if [ ! -e "$prog" ]; then
		skipped "${prog##*/}" "$prog is not built"
		continue
	fi
	args=$(echo "$args" | sed "s|@UNIT@|$unit|g")
	case $prog in
	*.sh)	# shellcheck disable=SC2086
		step "${prog##*/}" sh "$prog" $args ;;
	*)	# shellcheck disable=SC2086
		step "${prog##*/}" "$prog" $args ;;
	esac
done

if [ $labup -eq 1 ]; then
	for prog in $SMTPDANE; do
		echo "scenarios: $prog"
		sstart=$(now)
		step "scenarios ($prog)" bash regress/run-scenarios.sh "$prog"
		echo "scenarios ($prog) in $(elapsed "$sstart")s"
		step "nohang ($prog)" sh regress/test_nohang.sh "$prog"
	done
	step "limits" sh regress/test_limits.sh ./smtpdane
	step "output" sh regress/test_output.sh ./smtpdane
	step "shard" sh regress/test_shard.sh ./smtpdane
	step "json" sh regress/test_json.sh ./smtpdane-san
	step "cli" sh regress/test_cli.sh ./smtpdane
	step "fakechild" sh regress/fake/test_fakechild.sh ./smtpdane-fake
	if [ -x ./smtpdane-valgrind ]; then
		step "valgrind" sh regress/test_valgrind.sh ./smtpdane-valgrind
	else
		note "FAIL: valgrind: ./smtpdane-valgrind not built"
	fi
fi

sh "$LABSH" down
npass=$(grep -c '^PASS: ' "$LOG")
nfail=$(grep -c '^FAIL: ' "$LOG")
nskip=$(grep -c '^SKIP: ' "$LOG")
echo "regress: ${labtime:+lab setup ${labtime}s, }total $(elapsed "$start")s"
echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
