#!/bin/bash
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
# run-scenarios.sh: run every row of regress/scenarios.tbl against the
# lab (regress/lab/lab.sh up must have run) and check each one's exit
# status, result codes, reason, run time and, where a row asks, what
# the lab's SMTP server logged.
#
#	run-scenarios.sh [-v] [-j jobs] [-f table] smtpdane [scenario ...]
#
# Prints "PASS: name" or "FAIL: name: why" per scenario (a failure is
# followed by the command and its output, indented; with -v every
# scenario is) and exits 1 if any failed.  Sanitizer reports in the
# output fail a scenario too.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

REGRESS=$(cd -- "$(dirname -- "$0")" && pwd)
LABSH=$REGRESS/lab/lab.sh
TABLE=$REGRESS/scenarios.tbl
JOBS=4
VERBOSE=0
DEFAULT_MAXSEC=30

CODES="verified verified-with-warnings dane-not-applicable tlsa-unusable
tlsa-mismatch name-mismatch cert-expired cert-not-yet-valid chain-invalid
dns-bogus dns-failure ns-failure no-address smtp-error starttls-missing tls-failure
connect-failure timeout ocsp-missing ocsp-revoked mx-insecure srv-insecure null-mx service-not-offered
bad-target internal-error"

usage()
{
	echo "usage: run-scenarios.sh [-v] [-j jobs] [-f table] smtpdane" \
	    "[scenario ...]" >&2
	exit 2
}

while getopts f:j:v opt; do
	case $opt in
	f)	TABLE=$OPTARG ;;
	j)	JOBS=$OPTARG ;;
	v)	VERBOSE=1 ;;
	*)	usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
SMTPDANE=$1
shift
case $SMTPDANE in
/*)	;;
*)	SMTPDANE=$PWD/$SMTPDANE ;;
esac
if [ ! -x "$SMTPDANE" ]; then
	echo "FAIL: scenarios: $SMTPDANE is not an executable"
	exit 1
fi
eval "$(sh "$LABSH" env)" || exit 1
if ! sh "$LABSH" status >/dev/null 2>&1; then
	echo "FAIL: scenarios: the lab is not (fully) up; sh $LABSH status:"
	sh "$LABSH" status 2>&1 | sed 's/^/    /'
	exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/scenarios.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# Interrupted, the checks that run go too: timeout(1) puts each in a
# process group of its own, out of reach of the terminal's ^C, and
# passes on to it a TERM that it gets itself.
stop_jobs()
{
	local j
	for j in $(jobs -p); do
		pkill -TERM -P "$j" 2>/dev/null
		kill -TERM "$j" 2>/dev/null
	done
}
trap 'stop_jobs; exit 129' HUP
trap 'stop_jobs; exit 130' INT
trap 'stop_jobs; exit 143' TERM

# --- the table ------------------------------------------------------

# One tab-separated row per scenario, 7 fields, "" for absent ones.
if ! awk '
/^[ \t]*(#|$)/ { next }
{
	n = split($0, f, /[ \t]+\|[ \t]+/)
	for (i = 1; i <= n; i++)
		gsub(/^[ \t]+|[ \t]+$/, "", f[i])
	if (n < 5 || n > 7) {
		printf "FAIL: scenarios: %s:%d: %d columns, want 5 to 7\n",
		    FILENAME, FNR, n
		bad = 1
		next
	}
	if (seen[f[1]]++) {
		printf "FAIL: scenarios: %s:%d: %s twice\n", FILENAME, FNR, f[1]
		bad = 1
	}
	printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f[1], f[2], f[3], f[4],
	    f[5], (n >= 6 ? f[6] : ""), (n >= 7 ? f[7] : "")
}
END { exit bad }' "$TABLE" >"$TMP/table"; then
	grep '^FAIL: ' "$TMP/table"
	exit 1
fi

names=() args=() exits=() codes=() reasons=() maxsecs=() logs=()
while IFS=$'\t' read -r n a e c r m l; do
	names+=("$n") args+=("$a") exits+=("$e") codes+=("$c")
	reasons+=("$r") maxsecs+=("${m:-$DEFAULT_MAXSEC}") logs+=("$l")
done <"$TMP/table"

# Which rows: all, or those named; the slow ones (with a time limit)
# start first so that the pool stays full.
selected=()
if [ $# -gt 0 ]; then
	for want in "$@"; do
		found=0
		for i in "${!names[@]}"; do
			if [ "${names[i]}" = "$want" ]; then
				selected+=("$i")
				found=1
			fi
		done
		[ $found -eq 1 ] || echo "FAIL: $want: no such scenario"
	done
else
	for i in "${!names[@]}"; do
		[ "${maxsecs[i]}" != "$DEFAULT_MAXSEC" ] && selected+=("$i")
	done
	for i in "${!names[@]}"; do
		[ "${maxsecs[i]}" = "$DEFAULT_MAXSEC" ] && selected+=("$i")
	done
fi

# --- running --------------------------------------------------------

# log_count "HOST*N REGEX": N; "" for "HOST REGEX".
log_count()
{
	local h=${1%% *}
	[[ $h == *\** ]] && echo "${h#*\*}"
}

# run_one I: run scenario I; $TMP/I/ gets cmd (the command line), out
# (its output), rc ("STATUS MICROSECONDS") and log (what labsmtpd logged).
run_one()
{
	local i=$1 dir=$TMP/$1 w host f hard start rc input=/dev/null
	local -a words env anchor sizes files rest
	mkdir -p "$dir"
	read -r -a words <<<"${args[i]}"
	[ "${args[i]}" = - ] && words=()
	env=("DNS_RESOLVER=$DNS_RESOLVER")
	while [ ${#words[@]} -gt 0 ] &&
	    [[ ${words[0]} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
		env+=("${words[0]}")
		words=("${words[@]:1}")
	done
	anchor=(-A "$ANCHOR")
	rest=()
	for w in "${words[@]}"; do
		w=${w//@LABWORK@/$LABWORK}
		w=${w//@REGRESS@/$REGRESS}
		case $w in
		-A|-trust-anchor|--trust-anchor) anchor=() ;;
		'<'?*)	input=${w#<}
			continue ;;
		esac
		rest+=("$w")
	done
	words=("${rest[@]}")
	{
		printf '%q ' env "${env[@]}" "$SMTPDANE" "${anchor[@]}" \
		    "${words[@]}"
		[ "$input" = /dev/null ] || printf '< %q' "$input"
	} >"$dir/cmd"

	# where the server's log stood before the run
	files=() sizes=()
	if [ -n "${logs[i]}" ]; then
		host=${logs[i]%% *}
		host=${host%%\**}
		for f in "$LABWORK/log/$host".*.log; do
			[ -f "$f" ] || continue
			files+=("$f")
			sizes+=("$(wc -c <"$f")")
		done
	fi

	hard=$(( ${maxsecs[i]%.*} + 10 ))
	start=${EPOCHREALTIME/./}
	env "${env[@]}" timeout -k 2 "$hard" "$SMTPDANE" "${anchor[@]}" \
	    "${words[@]}" >"$dir/out" 2>&1 <"$input"
	rc=$?
	echo "$rc $(( ${EPOCHREALTIME/./} - start ))" >"$dir/rc"

	# labsmtpd logs a connection when it ends, maybe after we did; a
	# count waits a little longer, for a connection too many
	if [ -n "${logs[i]}" ]; then
		local re=${logs[i]#* } want try settled=0
		want=$(log_count "${logs[i]}")
		for try in 1 2 3 4 5 6 7 8 9 10 11; do
			: >"$dir/log"
			for f in "${!files[@]}"; do
				tail -c +$((sizes[f] + 1)) "${files[f]}" \
				    >>"$dir/log"
			done
			if [ -z "$want" ]; then
				grep -qE -- "$re" "$dir/log" && break
			elif [ "$(grep -cE -- "$re" "$dir/log")" -ge "$want" ]
			then
				[ $settled -eq 1 ] && break
				settled=1
				sleep 0.5
				continue
			fi
			[ "$try" -lt 11 ] && sleep 0.2
		done
	fi
}

running=0
for i in "${selected[@]}"; do
	run_one "$i" &
	running=$((running + 1))
	if [ $running -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

# --- checking -------------------------------------------------------

# check_ordered "RE1 >> RE2 ..." FILE: each RE must match a line of
# FILE, each one after the line the one before it matched; adds to why.
check_ordered()
{
	local left=$1 file=$2 re after=0 at prev=
	while [ -n "$left" ]; do
		re=${left%% >> *}
		if [ "$re" = "$left" ]; then
			left=
		else
			left=${left#* >> }
		fi
		at=$(grep -nE -- "$re" "$file" | awk -F: -v after="$after" \
		    '$1 > after { print $1; exit }')
		if [ -z "$at" ]; then
			why+="; no line matches /$re/"
			[ -z "$prev" ] || why+=" after one matching /$prev/"
			return
		fi
		after=$at
		prev=$re
	done
}

# expand_digests REASON: sets reason to REASON with each
# @DIGEST:CERT:S:M@ replaced by that TLSA association data of lab
# certificate CERT (HOST.KIND or a CA name) from work/digests; returns
# 1, and adds to why, if the lab made no such data.
expand_digests()
{
	local text=$1 key hex tag
	reason=
	while [[ $text =~ @DIGEST:([^@:]+):([0-9]):([0-9])@ ]]; do
		tag=${BASH_REMATCH[0]}
		key="${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
		hex=$(awk -v k="$key" '$1 " " $2 " " $3 == k {
		    print $4; exit }' "$LABWORK/digests" 2>/dev/null)
		if [ -z "$hex" ]; then
			why+="; the lab has no digest \"$key\" for $tag"
			return 1
		fi
		reason+=${text%%"$tag"*}$hex
		text=${text#*"$tag"}
	done
	reason+=$text
}

# check I: sets why to "" if scenario I passed, else to why not.
check()
{
	local i=$1 dir=$TMP/$1 rc us secs want code n got line lre lhost
	local reason
	why=
	if ! read -r rc us 2>/dev/null <"$dir/rc"; then
		rc="(none)"
		us=0
	fi
	secs=$((us / 1000000)).$((us % 1000000 / 100000))

	[ "$rc" = "${exits[i]}" ] || why+="; exit $rc, want ${exits[i]}"
	[ "$rc" = 124 ] && why+=" (killed after ${maxsecs[i]}+10 s)"

	if [ "${codes[i]}" != - ] && [ -n "${codes[i]}" ]; then
		# result codes on the result lines (those not indented)
		declare -A have=() wanted=()
		while IFS= read -r line; do
			[[ $line == [![:space:]]* ]] || continue
			for code in $CODES; do
				if [[ $line == '{"'* ]]; then
					[[ $line == *'"result":"'$code'"'* ]] ||
					    continue
				elif [[ $line != *": $code: "* ]]; then
					continue
				fi
				have[$code]=$(( ${have[$code]:-0} + 1 ))
			done
		done <"$dir/out"
		IFS=, read -r -a want <<<"${codes[i]}"
		for code in "${want[@]}"; do
			n=${code#*\*}
			[ "$n" = "$code" ] && n=
			code=${code%%\**}
			wanted[$code]=1
			got=${have[$code]:-0}
			if [ -z "$n" ] && [ "$got" -eq 0 ]; then
				why+="; no \": $code: \" line"
			elif [ -n "$n" ] && [ "$got" -ne "$n" ]; then
				why+="; $got \": $code: \" lines, want $n"
			fi
		done
		for code in "${!have[@]}"; do
			[ -n "${wanted[$code]:-}" ] ||
			    why+="; unexpected \": $code: \" (${have[$code]}x)"
		done
	fi

	reason=${reasons[i]}
	if [[ $reason =~ ^#([0-9]+)\ +(.*)$ ]]; then
		n=$(wc -l <"$dir/out")
		[ "$n" -eq "${BASH_REMATCH[1]}" ] ||
		    why+="; $n output lines, want ${BASH_REMATCH[1]}"
		reason=${BASH_REMATCH[2]}
	fi
	expand_digests "$reason" || reason=-
	case $reason in
	-|'')	;;
	!*)	if grep -qE -- "${reason#!}" "$dir/out"; then
			why+="; output matches /${reason#!}/"
		fi ;;
	*)	check_ordered "$reason" "$dir/out" ;;
	esac

	if [ "$us" -gt $(( ${maxsecs[i]%.*} * 1000000 )) ]; then
		why+="; took ${secs}s, limit ${maxsecs[i]}s"
	fi

	if [ -n "${logs[i]}" ]; then
		n=$(log_count "${logs[i]}")
		lre=${logs[i]#* }
		lhost=${logs[i]%% *}
		lhost=${lhost%%\**}
		got=$(grep -cE -- "$lre" "$dir/log")
		if [ -z "$n" ] && [ "$got" -eq 0 ]; then
			why+="; $lhost logged no connection matching /$lre/"
		elif [ -n "$n" ] && [ "$got" -ne "$n" ]; then
			why+="; $lhost logged $got connections matching"
			why+=" /$lre/, want $n"
		fi
	fi

	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
	    "$dir/out"; then
		why+="; sanitizer report"
	fi

	[ -z "$why" ] || why="${why#; } (${secs}s)"
}

npass=0
nfail=0
for i in "${selected[@]}"; do
	check "$i"
	if [ -z "$why" ]; then
		echo "PASS: ${names[i]}"
		npass=$((npass + 1))
		[ $VERBOSE -eq 1 ] || continue
	else
		echo "FAIL: ${names[i]}: $why"
		nfail=$((nfail + 1))
	fi
	{
		echo "\$ $(cat "$TMP/$i/cmd")"
		head -n 60 "$TMP/$i/out"
		if [ "$(wc -l <"$TMP/$i/out")" -gt 60 ]; then
			echo "[...]"
		fi
		if [ -n "${logs[i]}" ]; then
			echo "labsmtpd log of ${logs[i]%% *} during the run:"
			cat "$TMP/$i/log"
		fi
	} | sed 's/^/    /'
done
echo "# scenarios: $npass passed, $nfail failed"
[ $nfail -eq 0 ] && [ $npass -gt 0 ]
