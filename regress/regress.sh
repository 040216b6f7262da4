#!/bin/sh
#
# regress.sh: smtpdane's whole test, run by "make regress" once the
# programs are built.  It installs missing packages, brings the lab up
# (regress/lab/lab.sh), runs every unit-test program that exists and
# the scenario suite (regress/run-scenarios.sh), takes the lab down
# even when something failed, and prints as its last line
#
#	N passed, N failed
#
# counting the PASS:/FAIL: lines of everything it ran.  Exits 1 if any
# test failed or if nothing ran.
#
# SMTPDANE	the program(s) the scenarios run, blank-separated
#		(default ./smtpdane; e.g. "./smtpdane ./smtpdane-san")

set -u

TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
LABSH=regress/lab/lab.sh
SMTPDANE=${SMTPDANE:-./smtpdane}

# The unit tests, in order: a program (or sh script) and its arguments;
# @UNIT@ is a scratch directory.  A line whose program does not exist
# is skipped.
UNITS='
regress/test_util
regress/mkcerts-unit.sh @UNIT@
regress/test_dane @UNIT@
regress/test_danediff regress/lab/work
regress/test_dns
regress/test_dns_live.sh
regress/test_smtp
regress/test_sandbox.sh
regress/fuzz/run.sh replay
'

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/regress.XXXXXX") || exit 1
LOG=$TMPD/log
: >"$LOG"

cleanup()
{
	sh "$LABSH" down
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# One lab per machine: the addresses are fixed.
if command -v flock >/dev/null 2>&1; then
	exec 9>regress/lab/.lock
	if ! flock -n 9; then
		echo "regress.sh: another run holds the lab, waiting"
		flock 9
	fi
fi

# Seconds since the epoch, with tenths.
now()
{
	date +%s.%N | cut -c1-12
}

elapsed()
{
	echo "$1 $(now)" | awk '{ printf "%.1f", $2 - $1 }'
}

# note LINE: a result of regress.sh itself, counted like the others
note()
{
	echo "$1" | tee -a "$LOG"
}

# step NAME COMMAND...: run it, show and keep its output; a command
# that fails without saying FAIL: gets a FAIL line of its own.
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
	return "$_rc"
}

start=$(now)
if ! sh regress/install-deps.sh; then
	note "FAIL: install-deps: cannot install the packages"
fi

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
	if [ -z "$prog" ] || [ ! -e "$prog" ]; then
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
echo "regress: ${labtime:+lab setup ${labtime}s, }total $(elapsed "$start")s"
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
