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
# test_output.sh PROGRAM: a report that cannot be written is an error,
# a closed pipe ends the run at once, and colour follows no-color.org
# and TERM=dumb.  Needs the lab.

set -u
PROG=${1:-./smtpdane}
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
. regress/lib.sh
lab_env
LIST=regress/lab/work/lists/bulk.txt
ERR=$(mktemp)
trap 'rm -f "$ERR"' EXIT
name=${PROG##*/}
SUITE="output ($name)"
ESC=$(printf '\033')

"$PROG" -A "$ANCHOR" ee311.dane.test >/dev/full 2>"$ERR"
rc=$?
if [ $rc -eq 2 ] && grep -q 'writing the report' "$ERR"; then
	ok "> /dev/full: exit 2"
else
	bad "> /dev/full: exit $rc: $(cat "$ERR")"
fi
"$PROG" -nagios -A "$ANCHOR" ee311.dane.test >/dev/full 2>"$ERR"
rc=$?
if [ $rc -eq 3 ]; then
	ok "-nagios > /dev/full: exit 3 (UNKNOWN)"
else
	bad "-nagios > /dev/full: exit $rc"
fi

# | head -1: the 200 domains include 50 whose server takes 2 s to
# greet; a run that went on to the end would take several seconds.
t0=$(date +%s)
rc=$( { "$PROG" -A "$ANCHOR" -j 10 -mx -f "$LIST" 2>"$ERR"; echo $? >"$ERR.rc"; } |
    head -1 >/dev/null; cat "$ERR.rc")
t1=$(date +%s)
rm -f "$ERR.rc"
if [ "$rc" = 2 ] && [ $((t1 - t0)) -le 7 ] &&
    ! pgrep -f "^$PROG -A $ANCHOR -j 10" >/dev/null; then
	ok "| head -1: stopped after $((t1 - t0))s, exit 2, no child left"
else
	bad "| head -1: exit $rc after $((t1 - t0))s: $(cat "$ERR")"
fi

# colour ENV...: does a run on a terminal print escape sequences?
colour()
{
	env "$@" script -qec "$PROG -A $ANCHOR eemismatch.dane.test" /dev/null |
	    grep -c "$ESC\["
}
if ! command -v script >/dev/null 2>&1; then
	bad "colour: script(1) is missing (util-linux)"
else
	[ "$(colour TERM=xterm)" -gt 0 ] && ok "colour on a terminal" ||
	    bad "no colour on a terminal"
	[ "$(colour TERM=xterm NO_COLOR=)" -gt 0 ] &&
	    ok "NO_COLOR= (empty) keeps colour" ||
	    bad "NO_COLOR= (empty) turned colour off"
	[ "$(colour TERM=xterm NO_COLOR=1)" -eq 0 ] &&
	    ok "NO_COLOR=1: no colour" || bad "NO_COLOR=1 still colours"
	[ "$(colour TERM=dumb)" -eq 0 ] && ok "TERM=dumb: no colour" ||
	    bad "TERM=dumb still colours"
fi

# A progress line on a terminal's stderr for more than 20 targets,
# erased at the end; never with -json.
if command -v script >/dev/null 2>&1; then
	script -qec "$PROG -A $ANCHOR -j 50 -terse -mx -f $LIST" /dev/null \
	    >"$ERR.tty" 2>&1
	if grep -q "smtpdane: [0-9]*/200 targets, [0-9]* failed" "$ERR.tty" &&
	    tail -c 200 "$ERR.tty" | grep -q "$(printf '\r')$ESC\[K"; then
		ok "progress line on a terminal, erased at the end"
	else
		bad "no progress line, or not erased"
	fi
	script -qec "$PROG -A $ANCHOR -j 50 -json -mx -f $LIST" /dev/null \
	    >"$ERR.tty" 2>&1
	if grep -q "targets, [0-9]* failed" "$ERR.tty"; then
		bad "progress line with -json"
	else
		ok "no progress line with -json"
	fi
	"$PROG" -A "$ANCHOR" -j 50 -terse -mx -f "$LIST" >/dev/null 2>"$ERR.tty"
	if grep -q "targets, [0-9]* failed" "$ERR.tty"; then
		bad "progress line when stderr is not a terminal"
	else
		ok "no progress line when stderr is not a terminal"
	fi
	rm -f "$ERR.tty"
fi
