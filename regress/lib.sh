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
# lib.sh: sourced by the regress scripts once they have set TOP (the
# source tree) and SUITE (the name on their result lines):
#	ok TEXT		a "PASS: SUITE: TEXT" line
#	bad TEXT	a "FAIL: SUITE: TEXT" line; failures counts them
#	lab_env		the running lab's variables (lab.sh env), with
#			DNS_RESOLVER exported for smtpdane

failures=0

ok()
{
	echo "PASS: $SUITE: $1"
}

bad()
{
	echo "FAIL: $SUITE: $1"
	failures=$((failures + 1))
}

lab_env()
{
	eval "$(sh "$TOP/regress/lab/lab.sh" env)"
	export DNS_RESOLVER
}
