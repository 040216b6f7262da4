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
# test_fakechild.sh PROGRAM: the parent against hostile children.
# PROGRAM is smtpdane-fake (the real parent linked with
# regress/fake/fakechild.c); each target's first label picks what its
# child does wrong.  Every target must get its line with the specific
# reason, the run must end in time, and -nagios must always print its
# status line.  Needs the lab's DNS (the parent primes validation).

set -u
PROG=${1:-./smtpdane-fake}
TOP=$(cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$TOP" || exit 1
SUITE=fakechild
. regress/lib.sh
lab_env
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

if [ ! -x "$PROG" ]; then
	echo "FAIL: fakechild: $PROG is not built"
	exit 1
fi

# expect LABEL REGEX: the line of LABEL.dane.test must match REGEX
expect()
{
	if grep -E "^$1\.dane\.test[ :].*$2" "$OUT" >/dev/null; then
		echo "PASS: fakechild: $1"
	else
		echo "FAIL: fakechild: $1: no line matching /$2/ in:"
		sed 's/^/    /' "$OUT"
	fi
}

CASES='
d-result|internal-error: refused the discovery.s report: result message from a discovery child during discovery
d-stage|internal-error: refused the discovery.s report: stage message: bad stage
d-unknown|internal-error: malformed frame in discovery
d-trailing|internal-error: refused the discovery.s report: end message: bytes after its last field
d-afterend|internal-error: refused the discovery.s report: a message after the final one
d-details|internal-error: refused the discovery.s report: detail message: too many lines
d-hosts|internal-error: refused the discovery.s report: host message: too many hosts
d-verdict|internal-error: refused the discovery.s report: verdict message: bad verdict
d-noend|internal-error: discovery ended without a result during discovery
d-garbage|internal-error: malformed frame in discovery
d-dnssec2|internal-error: refused the discovery.s report: DNSSEC state message: DNSSEC state sent twice
d-dnssecbad|internal-error: refused the discovery.s report: DNSSEC state message: bad DNSSEC state
c-host|internal-error: refused the child.s report: host message from a check child during TLSA lookup
c-mxresult|internal-error: refused the child.s report: result message: bad result
c-tlsearly|internal-error: refused the child.s report: TLS facts message from a check child during TLSA lookup
c-twice|internal-error: refused the child.s report: a message after the final one
c-linger|verified: fake verified, then lingers
c-slow|verified: fake verified, pipe kept open
c-noresult|internal-error: child ended without a result during TLSA lookup
c-exit2|internal-error: child failed during TLSA lookup: sandbox violation$
c-exit3|internal-error: child failed during TLSA lookup: out of memory$
c-exit4|internal-error: child failed during TLSA lookup: could not enter its sandbox$
c-exit9|internal-error: child failed during TLSA lookup: exit status 9$
c-nochain|internal-error: refused the child.s report: result message: verified without a chain
c-badbase|internal-error: refused the child.s report: base domain message: not one of the base domain candidates
d-sigs2|internal-error: refused the discovery.s report: signature times message: sent twice
d-sigshost|internal-error: refused the discovery.s report: signature times message: unknown host
d-sigscheck|internal-error: refused the discovery.s report: signature times message: scope of another sender
d-sigszero|internal-error: refused the discovery.s report: signature times message: bad signature times
c-sigstarget|internal-error: refused the child.s report: signature times message: scope of another sender
c-sigsexpired|dns-bogus: the RRSIG over TLSA _25\._tcp\.fake\.dane\.test \(zone dane\.test, key 4711\) expired .*; libunbound still accepts it
c-sigssoon|verified-with-warnings: fake verified
c-ocspnotls|internal-error: refused the child.s report: OCSP staple message: OCSP judgment without a handshake
c-ocspearly|internal-error: refused the child.s report: OCSP staple message from a check child during TLS handshake
c-ocspnone|internal-error: refused the child.s report: OCSP staple message: bad OCSP judgment
c-ocspundated|internal-error: refused the child.s report: OCSP staple message: bad OCSP judgment
c-ocspreason|internal-error: refused the child.s report: OCSP staple message: bad OCSP judgment
c-ocspstatus|internal-error: refused the child.s report: OCSP staple message: bad OCSP judgment
c-ocsptwice|internal-error: refused the child.s report: OCSP staple message: OCSP judgment sent twice
c-ocspgood|ocsp-revoked: fake revoked
c-nsstage|internal-error: refused the child.s report: stage message: bad stage
c-nsresult|internal-error: refused the child.s report: result message: bad result
good|verified: fake verified
'
targets=$(echo "$CASES" | sed -n 's/|.*/.dane.test/p')
n=$(echo "$targets" | wc -w)

t0=$(date +%s)
# shellcheck disable=SC2086
"$PROG" -A "$ANCHOR" -timeout 2s -j 8 $targets >"$OUT" 2>&1
rc=$?
t1=$(date +%s)
echo "$CASES" | while IFS='|' read -r label re; do
	[ -n "$label" ] && expect "$label" "$re"
done
# d-noend's check ran before its discovery failed: both are reported.
lines=$(grep -E '^[a-z0-9-]+\.dane\.test[ :]' "$OUT" | cut -d' ' -f1 | cut -d: -f1 | sort -u | wc -l)
if [ "$lines" -eq "$n" ] && [ "$rc" -eq 1 ]; then
	echo "PASS: fakechild: every target ($n) has its line, exit 1"
else
	echo "FAIL: fakechild: $lines targets with a line of $n, exit $rc"
fi
if ! grep -q 'timed out' "$OUT"; then
	echo "PASS: fakechild: no child that sent its result timed out"
else
	echo "FAIL: fakechild: a timeout was reported:"
	grep 'timed out' "$OUT"
fi
if [ $((t1 - t0)) -le 12 ]; then
	echo "PASS: fakechild: ended in $((t1 - t0))s"
else
	echo "FAIL: fakechild: took $((t1 - t0))s (lingering children?)"
fi

# Verify children (a second target's names judged on the first one's
# chain): each wrong message refused, a good one verified.  The first
# target's line is the leader's; the second's is the verify child's.
VCASES='
v-chain|internal-error: refused the child.s report: chain message from a verify child during DANE verification
v-stage|internal-error: refused the child.s report: stage message: bad stage
v-tls|internal-error: refused the child.s report: TLS facts message from a verify child during DANE verification
v-ocsp|internal-error: refused the child.s report: OCSP staple message from a verify child during DANE verification
v-noresult|internal-error: child ended without a result during DANE verification
v-good|verified: fake verify
'
vtargets=$(echo "$VCASES" | sed -n 's/^\(v-[a-z]*\)|.*/a.\1.dane.test b.\1.dane.test/p')
# shellcheck disable=SC2086
"$PROG" -A "$ANCHOR" -mx -timeout 2s -j 4 $vtargets >"$OUT" 2>&1
echo "$VCASES" | while IFS='|' read -r label re; do
	[ -n "$label" ] || continue
	n=$(grep -cE "^$label\.dane\.test .*: $re" "$OUT")
	l=$(grep -cE "^$label\.dane\.test .*: verified: fake verified, chain sent" "$OUT")
	if [ "$l" -ge 1 ] && [ "$n" -ge 1 ]; then
		echo "PASS: fakechild: verify $label"
	else
		echo "FAIL: fakechild: verify $label: no line matching /$re/" \
		    "after the leader's in:"
		sed 's/^/    /' "$OUT"
	fi
done

# A leader that dies after sending its chain: the second target gets
# its failure, not a judgement of what it left behind.
"$PROG" -A "$ANCHOR" -timeout 2s a.v-leaderdies.dane.test \
    b.v-leaderdies.dane.test >"$OUT" 2>&1
n=$(grep -c '^v-leaderdies\.dane\.test .*: internal-error: child crashed during DANE verification: signal 6' "$OUT")
if [ "$n" -eq 2 ]; then
	echo "PASS: fakechild: a leader that dies after its chain fails both"
else
	echo "FAIL: fakechild: leader dies after its chain: $n of 2 lines"
	sed 's/^/    /' "$OUT"
fi

# -all-ns: each wrong comparison refused, a good one a warning.
NCASES='
n-good|verified-with-warnings: fake verified
n-early|internal-error: refused the child.s report: nameserver comparison message from a check child during TLSA lookup
n-badaddr|internal-error: refused the child.s report: nameserver comparison message: bad nameserver comparison
n-state|internal-error: refused the child.s report: nameserver comparison message: bad nameserver comparison
n-zones|internal-error: refused the child.s report: nameserver comparison message: bad nameserver comparison
n-noaddr|internal-error: refused the child.s report: nameserver comparison message: bad nameserver comparison
n-failserial|internal-error: refused the child.s report: nameserver comparison message: bad nameserver comparison
n-many|internal-error: refused the child.s report: nameserver comparison message: too many nameservers
n-hidden|internal-error: refused the child.s report: nameserver verdict message: a server failed, the comparison did not
n-twice|internal-error: refused the child.s report: nameserver verdict message: nameserver verdict sent twice
'
ntargets=$(echo "$NCASES" | sed -n 's/|.*/.dane.test/p')
# shellcheck disable=SC2086
"$PROG" -all-ns -A "$ANCHOR" -timeout 2s -j 8 $ntargets >"$OUT" 2>&1
echo "$NCASES" | while IFS='|' read -r label re; do
	[ -n "$label" ] && expect "$label" "$re"
done
if grep -q '^    warning: nameserver ns1\.test \[127\.53\.0\.4\]: differs: fake difference$' "$OUT" &&
    grep -q '^    nameserver ns1\.test \[127\.53\.0\.1\]: same: fake$' "$OUT"; then
	echo "PASS: fakechild: -all-ns lines of n-good"
else
	echo "FAIL: fakechild: -all-ns lines of n-good:"
	sed 's/^/    /' "$OUT"
fi

# -nagios: a status line whatever the children did, then the details.
# shellcheck disable=SC2086
"$PROG" -nagios -A "$ANCHOR" -timeout 2s $targets >"$OUT" 2>&1
rc=$?
if head -1 "$OUT" | grep -qE '^DANE (CRITICAL|UNKNOWN) - .*\| checks=' &&
    [ "$rc" -eq 2 ] || [ "$rc" -eq 3 ]; then
	echo "PASS: fakechild: -nagios status line, exit $rc"
else
	echo "FAIL: fakechild: -nagios: exit $rc, output:"
	sed 's/^/    /' "$OUT"
fi
# Only the discovery child that claims a verdict, under -nagios.
"$PROG" -nagios -A "$ANCHOR" d-result.dane.test >"$OUT" 2>&1
rc=$?
if head -1 "$OUT" | grep -qE '^DANE UNKNOWN - 1/1 checks' && [ "$rc" -eq 3 ]
then
	echo "PASS: fakechild: -nagios d-result: UNKNOWN"
else
	echo "FAIL: fakechild: -nagios d-result: exit $rc, output:"
	sed 's/^/    /' "$OUT"
fi
# The discovery object's "dnssec" is what MSG_DNSSEC said, never words
# parsed out of a detail line.
"$PROG" -json -mx -A "$ANCHOR" d-mxsec.dane.test d-mxtext.dane.test \
    >"$OUT" 2>&1
if grep -q '^{"discovery":{"target":"d-mxsec.dane.test",.*"dnssec":"insecure"' \
    "$OUT" && grep '^{"discovery":{"target":"d-mxtext.dane.test"' "$OUT" |
    grep -vq '"dnssec"'; then
	echo "PASS: fakechild: -json dnssec from MSG_DNSSEC only"
else
	echo "FAIL: fakechild: -json dnssec:"
	sed 's/^/    /' "$OUT"
fi
