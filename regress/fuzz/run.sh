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
# The libFuzzer harnesses of smtpdane's parsers.
#
#   sh regress/fuzz/run.sh replay
#	Build every harness into regress/fuzz/NAME-fuzz and run it once
#	over each file of regress/fuzz/corpus/NAME/; one line per
#	harness, "PASS: fuzz replay NAME" or "FAIL: fuzz replay NAME:
#	why".  This is what the regular test command runs.
#
#   sh regress/fuzz/run.sh fuzz SECONDS [NAME ...]
#	Build, then fuzz every harness (or those named) for SECONDS,
#	FUZZ_JOBS at a time (default: the number of CPUs), each in a
#	scratch corpus under regress/fuzz/work/NAME/ that starts from
#	the committed seeds and grows from run to run.  Findings land in
#	regress/fuzz/work/NAME/found/.  Prints what each harness reached
#	and a summary table; exit status 1 if anything was found.
#
# Environment: FUZZ_CC (default clang), FUZZ_JOBS, FUZZ_RSS_MB
# (default 2048), FUZZ_FLAGS (more libFuzzer options, e.g.
# "-fork=1 -ignore_crashes=1" to go on past a known crash),
# FUZZ_SRCDIR (take smtpdane's sources from another tree, e.g. one
# with a fix applied; default: this one).
#
# A finding, once fixed, is copied into corpus/NAME/ so that every
# replay checks it stays fixed.  mkseeds.sh rewrites the certificate
# seeds of corpus/dane/ and corpus/tlsa/; the rest are plain files.
#
# Harnesses: reply (smtp.c reply parser), tlsa (TLSA rdata), anchors
# (trust-anchor file), target (host:port, durations, resolver lists,
# resolv.conf), dane (dane_verify on any chain and TLSA set), frame
# (the parent's reader of child messages).

set -u

HARNESSES="reply tlsa anchors target dane frame answer forkspec"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
WORK=$HERE/work
OBJ=$WORK/obj
SRC=$(cd "${FUZZ_SRCDIR:-$TOP}" && pwd) || exit 2
CC=${FUZZ_CC:-clang}
RSS=${FUZZ_RSS_MB:-2048}

PKGS="libtls libunbound libevent libssl libcrypto libbsd-overlay libseccomp"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all \
    -fno-omit-frame-pointer"
# The project's own warning set; -O1 keeps the sanitizers fast, line
# tables are all a stack trace needs and build quicker than -g.
CFLAGS="-std=c99 -gline-tables-only -O1 -Wall -Wextra \
    -Wmissing-prototypes -Wshadow -Wpointer-arith -Wno-unused-parameter \
    -D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS -I$SRC -I$HERE -I$HERE/.."

# Every source but the parent's own (main()'s file and the others of
# parent.h, the options, the renderers) and the other platform's
# sandbox: the harnesses link what smtp.c's check child pulls in.
LIBSRCS=
for f in "$SRC"/*.c; do
	case ${f##*/} in
	smtpdane.c|output*.c|options.c|sandbox_openbsd.c)	;;
	targets.c|checks.c|index.c|prime.c|share.c|jobs.c|forker.c|report.c|print.c) ;;
	*)	LIBSRCS="$LIBSRCS ${f##*/}" ;;
	esac
done

# Largest input libFuzzer makes for each harness: for reply, enough
# lines of SMTP_LINE_MAX to pass SMTP_REPLY_MAX; a chain of a few
# certificates for dane; small for the rest.
max_len()
{
	case $1 in
	reply)	echo 72000 ;;
	dane)	echo 12288 ;;
	tlsa)	echo 2048 ;;
	forkspec) echo 8192 ;;
	target)	echo 1024 ;;
	*)	echo 4096 ;;
	esac
}

# Test code a harness links besides smtpdane's sources, from regress/:
# dane compares every verdict with OpenSSL's DANE verifier (libssl).
extra_src()
{
	case $1 in
	dane)	echo danediff ;;
	esac
}

extra_libs()
{
	case $1 in
	dane)	echo -lssl ;;
	esac
}

usage()
{
	echo "usage: sh $0 replay | fuzz SECONDS [NAME ...]" >&2
	exit 2
}

fail_all()
{
	for h in $HARNESSES; do
		echo "FAIL: fuzz replay $h: $1"
	done
	exit 1
}

# clang and its fuzzer runtime; install them when missing, else say so.
probe()
{
	printf '%s\n' 'int LLVMFuzzerTestOneInput(const unsigned char *d,' \
	    'unsigned long n) { (void)d; (void)n; return 0; }' \
	    > "$OBJ/probe.c"
	$CC -fsanitize=fuzzer,address,undefined -o "$OBJ/probe" \
	    "$OBJ/probe.c" > "$OBJ/probe.log" 2>&1
}

install_pkgs()
{
	[ "$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1 ||
		return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" \
	    > "$OBJ/apt.log" 2>&1 && return 0
	apt-get update > "$OBJ/apt.log" 2>&1 &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" \
	    >> "$OBJ/apt.log" 2>&1
}

toolchain()
{
	if ! command -v "$CC" > /dev/null 2>&1; then
		install_pkgs clang
		command -v "$CC" > /dev/null 2>&1 ||
			fail_all "compiler $CC not found (apt-get install clang)"
	fi
	probe && return 0
	ver=$($CC --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' |
	    head -n 1)
	install_pkgs "libclang-rt-${ver:-14}-dev" && probe && return 0
	fail_all "clang's libFuzzer runtime is missing (apt-get install \
libclang-rt-${ver:-14}-dev): $(grep -m 1 -i error "$OBJ/probe.log")"
}

# Is $1 missing or older than any of the other files?
stale()
{
	t=$1
	shift
	[ -e "$t" ] || return 0
	for f; do
		[ "$f" -nt "$t" ] && return 0
	done
	return 1
}

compile()
{
	src=$1 obj=$2
	if $CC $CFLAGS $PKG_CFLAGS $SAN -fsanitize=fuzzer-no-link \
	    -c -o "$obj.tmp" "$src" > "$obj.log" 2>&1; then
		mv "$obj.tmp" "$obj"
	else
		rm -f "$obj.tmp"
	fi
}

# Objects two at a time at least, then one link per harness.
build()
{
	mkdir -p "$OBJ"
	toolchain
	if ! PKG_CFLAGS=$(pkg-config --cflags $PKGS 2> "$OBJ/pkg.log") ||
	    ! PKG_LIBS=$(pkg-config --libs $PKGS 2>> "$OBJ/pkg.log"); then
		fail_all "pkg-config: $(head -n 1 "$OBJ/pkg.log")"
	fi
	# Other flags than last time: start over.
	flags="$CC $CFLAGS $PKG_CFLAGS $SAN"
	if [ "$(cat "$OBJ/flags" 2> /dev/null)" != "$flags" ]; then
		rm -f "$OBJ"/*.o
		echo "$flags" > "$OBJ/flags"
	fi
	pids=
	for s in $LIBSRCS; do
		o=$OBJ/${s%.c}.o
		stale "$o" "$SRC/$s" "$SRC/smtpdane.h" || continue
		rm -f "$o"
		compile "$SRC/$s" "$o" &
		pids="$pids $!"
	done
	for h in $HARNESSES; do
		o=$OBJ/fuzz_$h.o
		stale "$o" "$HERE/fuzz_$h.c" "$HERE/fuzz.h" \
		    "$SRC/smtpdane.h" "$HERE/../danediff.h" || continue
		rm -f "$o"
		compile "$HERE/fuzz_$h.c" "$o" &
		pids="$pids $!"
	done
	for h in $HARNESSES; do
		x=$(extra_src "$h")
		[ -n "$x" ] || continue
		o=$OBJ/$x.o
		stale "$o" "$HERE/../$x.c" "$HERE/../$x.h" \
		    "$SRC/smtpdane.h" || continue
		rm -f "$o"
		compile "$HERE/../$x.c" "$o" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p"
	done
	libobjs=
	for s in $LIBSRCS; do
		o=$OBJ/${s%.c}.o
		if [ ! -e "$o" ]; then
			fail_all "$s does not compile: $(grep -m 1 error: \
"$o.log")"
		fi
		libobjs="$libobjs $o"
	done
	BUILT=
	BUILD_FAILED=0
	for h in $HARNESSES; do
		o=$OBJ/fuzz_$h.o
		bin=$HERE/$h-fuzz
		rm -f "$OBJ/$h.err"
		if [ ! -e "$o" ]; then
			grep -m 1 error: "$o.log" > "$OBJ/$h.err"
			BUILD_FAILED=1
			continue
		fi
		x=$(extra_src "$h")
		xo=${x:+$OBJ/$x.o}
		if [ -n "$xo" ] && [ ! -e "$xo" ]; then
			grep -m 1 error: "$xo.log" > "$OBJ/$h.err"
			BUILD_FAILED=1
			continue
		fi
		if stale "$bin" "$o" $libobjs $xo; then
			if ! $CC $SAN -fsanitize=fuzzer -o "$bin" "$o" $xo \
			    $libobjs $PKG_LIBS $(extra_libs "$h") \
			    > "$OBJ/$h.link.log" 2>&1; then
				rm -f "$bin"
				grep -m 1 -e error -e undefined \
				    "$OBJ/$h.link.log" > "$OBJ/$h.err"
				BUILD_FAILED=1
				continue
			fi
		fi
		BUILT="$BUILT $h"
	done
}

# The first line of a libFuzzer log that says what went wrong.
why()
{
	grep -m 1 -e 'invariant broken' -e 'ERROR:' -e 'runtime error' \
	    -e 'Sanitizer' -e 'deadly signal' "$1" ||
	    tail -n 1 "$1"
}

replay()
{
	status=0
	for h in $HARNESSES; do
		case " $BUILT " in
		*" $h "*)	;;
		*)	echo "FAIL: fuzz replay $h: does not build:" \
			    "$(cat "$OBJ/$h.err")"
			status=1
			continue
			;;
		esac
		log=$WORK/replay-$h.log
		set -- "$HERE/corpus/$h"/*
		if [ ! -f "$1" ]; then
			echo "FAIL: fuzz replay $h: no corpus in corpus/$h"
			status=1
			continue
		fi
		if "$HERE/$h-fuzz" -rss_limit_mb="$RSS" -timeout=25 "$@" \
		    > "$log" 2>&1; then
			echo "PASS: fuzz replay $h"
		else
			echo "FAIL: fuzz replay $h: $(why "$log")" \
			    "(log: ${log#$TOP/})"
			status=1
		fi
	done
	return $status
}

# Pull a figure out of libFuzzer's final statistics or status lines.
stat()
{
	sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

status_field()
{
	grep -E '^#[0-9]+' "$1" | tail -n 1 |
	    sed -n "s/.* $2: \([^ ]*\).*/\1/p"
}

fuzz_one()
{
	h=$1 secs=$2
	d=$WORK/$h
	mkdir -p "$d/corpus" "$d/found"
	cp "$HERE/corpus/$h"/* "$d/corpus/" 2> /dev/null
	"$HERE/$h-fuzz" -max_total_time="$secs" -rss_limit_mb="$RSS" \
	    -timeout=25 -max_len="$(max_len "$h")" -print_final_stats=1 \
	    -artifact_prefix="$d/found/" ${FUZZ_FLAGS:-} "$d/corpus" \
	    > "$d/log" 2>&1
	echo $? > "$d/rc"
}

report_one()
{
	h=$1
	d=$WORK/$h
	execs=$(stat "$d/log" number_of_executed_units)
	[ -n "$execs" ] || execs=$(grep -E '^#[0-9]+' "$d/log" |
	    tail -n 1 | sed 's/^#\([0-9]*\).*/\1/')
	rate=$(stat "$d/log" average_exec_per_sec)
	cov=$(status_field "$d/log" cov)
	ft=$(status_field "$d/log" ft)
	corp=$(status_field "$d/log" corp)
	rss=$(stat "$d/log" peak_rss_mb)
	found=$(find "$d/found" -type f -newer "$d/start" 2> /dev/null |
	    wc -l)
	if [ "$found" -gt 0 ] || [ "$(cat "$d/rc")" != 0 ]; then
		result="FOUND $found: $(why "$d/log")"
		FOUND=1
	else
		result=none
	fi
	echo "fuzz $h: ${execs:-?} executions (${rate:-?}/s), cov ${cov:-?}," \
	    "features ${ft:-?}, corpus ${corp:-?}, peak RSS ${rss:-?} MB:" \
	    "$result"
	for f in $(find "$d/found" -type f -newer "$d/start" 2> /dev/null); do
		echo "    reproduce: ${HERE#$TOP/}/$h-fuzz ${f#$TOP/}"
	done
	printf '%-8s %12s %8s %6s %7s %11s  %s\n' "$h" "${execs:-?}" \
	    "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
	    "$([ "$result" = none ] && echo none || echo FOUND)" \
	    >> "$WORK/summary"
}

fuzz()
{
	secs=$1
	jobs=${FUZZ_JOBS:-$(nproc 2> /dev/null || echo 1)}
	FOUND=$BUILD_FAILED
	: > "$WORK/summary"
	n=0
	for h in $BUILT; do
		mkdir -p "$WORK/$h"
		touch "$WORK/$h/start"
	done
	sleep 1		# findings are the files newer than "start"
	for h in $BUILT; do
		fuzz_one "$h" "$secs" &
		n=$((n + 1))
		if [ "$n" -ge "$jobs" ]; then
			wait
			n=0
		fi
	done
	wait
	for h in $BUILT; do
		report_one "$h"
	done
	echo
	printf '%-8s %12s %8s %6s %7s %11s  %s\n' harness executions \
	    'exec/s' cov features corpus found
	cat "$WORK/summary"
	return $FOUND
}

[ $# -ge 1 ] || usage
case $1 in
replay)
	[ $# -eq 1 ] || usage
	build
	replay
	exit $?
	;;
fuzz)
	[ $# -ge 2 ] || usage
	case $2 in
	''|*[!0-9]*)	usage ;;
	esac
	secs=$2
	shift 2
	if [ $# -gt 0 ]; then
		for h; do
			case " $HARNESSES " in
			*" $h "*)	;;
			*)	echo "$0: no harness $h (have:$HARNESSES)" >&2
				exit 2
				;;
			esac
		done
		HARNESSES=$*
	fi
	build
	for h in $HARNESSES; do
		[ -e "$OBJ/$h.err" ] &&
		    echo "FAIL: fuzz build $h: $(cat "$OBJ/$h.err")"
	done
	[ -n "$BUILT" ] || exit 1
	fuzz "$secs"
	exit $?
	;;
*)
	usage
	;;
esac
