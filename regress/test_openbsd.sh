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
# OpenBSD cannot be run here, but its sandbox can be compiled: each C
# compiler found checks sandbox_openbsd.c with -fsyntax-only and the
# project's warnings as errors, against regress/openbsd/unistd.h
# (pledge(2) and unveil(2) as OpenBSD declares them).  This proves the
# file parses and type-checks against those prototypes and this
# system's headers; it proves nothing about what pledge and unveil do
# at run time.  One PASS: or FAIL: line a compiler.

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
WARN="-Wall -Wextra -Wmissing-prototypes -Wshadow -Wpointer-arith \
    -Wno-unused-parameter -Werror"
status=0
found=0
seen=

for cc in ${CC:-cc} clang gcc; do
	command -v "$cc" >/dev/null 2>&1 || continue
	# The same compiler under two names counts once.
	path=$(readlink -f "$(command -v "$cc")")
	case " $seen " in
	*" $path "*)	continue ;;
	esac
	seen="$seen $path"
	found=1
	# shellcheck disable=SC2086	# WARN is a list of words
	if out=$("$cc" -std=c99 -fsyntax-only $WARN -I"$HERE/openbsd" \
	    -I"$TOP" "$TOP/sandbox_openbsd.c" 2>&1); then
		echo "PASS: openbsd: sandbox_openbsd.c compiles ($cc)"
	else
		echo "FAIL: openbsd: sandbox_openbsd.c ($cc): $(echo "$out" |
		    head -3 | tr '\n' ' ')"
		status=1
	fi
done
if [ "$found" -eq 0 ]; then
	echo "SKIP: openbsd: no C compiler"
fi
exit $status
