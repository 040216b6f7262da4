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
# test_cli.sh PROGRAM: -help lists every option of the manual and the
# manual every option of -help; -help goes to standard output with exit
# status 0; the Makefile honours CPPFLAGS, cleans the fuzzers, their
# work folders and the lab lock, and uninstalls.  No lab needed.

set -u
PROG=${1:-./smtpdane}
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
name=${PROG##*/}
SUITE="cli ($name)"
. regress/lib.sh
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$PROG" -help >"$TMP/help" 2>"$TMP/err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$TMP/err" ] && grep -q '^usage:' "$TMP/help"; then
	ok "-help: standard output, exit 0"
else
	bad "-help: exit $rc, stderr: $(cat "$TMP/err")"
fi

# Every option word of -help ("  -name, -n value") ...
{ sed -n 's/^  -\([^ ,]*\).*/\1/p' "$TMP/help"
  sed -n 's/^  -[^ ,]*, -\([^ ,]*\).*/\1/p' "$TMP/help"; } |
    sort -u >"$TMP/help.opts"
# ... and of the manual's option list (".It Fl n Ar value , Fl name").
sed -n 's/^\.It Fl //p' smtpdane.1 | tr ',' '\n' |
    sed -n 's/^ *\(Fl \)\{0,1\}\([A-Za-z0-9][A-Za-z0-9-]*\).*/\2/p' |
    sort -u >"$TMP/man.opts"
missing=$(comm -23 "$TMP/help.opts" "$TMP/man.opts" | tr '\n' ' ')
extra=$(comm -13 "$TMP/help.opts" "$TMP/man.opts" | tr '\n' ' ')
if [ -s "$TMP/help.opts" ] && [ -z "$missing" ]; then
	ok "every option of -help is in smtpdane.1"
else
	bad "options of -help missing from smtpdane.1: $missing"
fi
if [ -s "$TMP/man.opts" ] && [ -z "$extra" ]; then
	ok "every option of smtpdane.1 is in -help"
else
	bad "options of smtpdane.1 missing from -help: $extra"
fi

# Each option of -help is known to the parser.  The conflict of -json
# and -nagios ends every run as a usage error before any check starts.
unknown=
while read -r o; do
	"$PROG" -"$o" x -json -nagios >/dev/null 2>"$TMP/err" </dev/null
	if grep -q 'unknown option' "$TMP/err"; then
		unknown="$unknown -$o"
	fi
done <"$TMP/help.opts"
if [ -z "$unknown" ]; then
	ok "every option of -help is known to the parser"
else
	bad "refused as unknown:$unknown"
fi

# The Makefile: CPPFLAGS reach the compiler, clean and uninstall.
if make -n -B CPPFLAGS=-DSMTPDANE_CPPFLAGS_TEST smtpdane 2>/dev/null |
    grep -q -- -DSMTPDANE_CPPFLAGS_TEST; then
	ok "make honours CPPFLAGS"
else
	bad "make does not pass CPPFLAGS to the compiler"
fi
clean=$(make -n clean 2>/dev/null)
for f in 'regress/fuzz/\*-fuzz' 'regress/fuzz/work' 'regress/lab/.lock'; do
	if printf '%s\n' "$clean" | grep -q -- "$f"; then
		ok "make clean removes $f"
	else
		bad "make clean leaves $f"
	fi
done
# A parent that cannot enter its sandbox ends the fatal way: here
# Landlock refuses a rule for a pipe (-f /dev/stdin).  Under -nagios a
# "DANE UNKNOWN" line and exit 3, else exit 2; where the sandbox takes
# the pipe (no Landlock), the run simply goes on.
echo 'bad target!' | "$PROG" -nagios -f /dev/stdin >"$TMP/out" 2>"$TMP/err"
rc=$?
if grep -q 'sandbox' "$TMP/err"; then
	if [ $rc -eq 3 ] && head -1 "$TMP/out" |
	    grep -q '^DANE UNKNOWN - smtpdane: sandbox (start stage): '; then
		ok "-nagios: a sandbox the parent cannot enter is UNKNOWN, exit 3"
	else
		bad "-nagios: sandbox failure: exit $rc, stdout: $(cat "$TMP/out")"
	fi
	echo 'bad target!' | "$PROG" -f /dev/stdin >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$TMP/out" ]; then
		ok "a sandbox the parent cannot enter: exit 2"
	else
		bad "sandbox failure: exit $rc, stdout: $(cat "$TMP/out")"
	fi
elif [ $rc -eq 3 ] || [ $rc -eq 2 ]; then
	ok "-f /dev/stdin from a pipe: the sandbox takes it (exit $rc)"
else
	bad "-f /dev/stdin from a pipe: exit $rc"
fi

mkdir -p "$TMP/root/usr/local/bin" "$TMP/root/usr/local/share/man/man1"
: >"$TMP/root/usr/local/bin/smtpdane"
: >"$TMP/root/usr/local/share/man/man1/smtpdane.1"
if make -s uninstall DESTDIR="$TMP/root" >/dev/null 2>&1 &&
    [ ! -e "$TMP/root/usr/local/bin/smtpdane" ]; then
	ok "make uninstall"
else
	bad "make uninstall"
fi
