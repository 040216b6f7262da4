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
# test_json.sh PROGRAM: every object -json prints is valid JSON, valid
# UTF-8, and fits the schema of smtpdane.1 (checked with jq): discovery
# objects, checks and the summary, over verified and failed checks, MX
# domains with warnings, -tlsa, -showcerts, server replies, OCSP
# staples (good, revoked, tryLater, badly signed, shared), -staged,
# -all-keys, -all-ns (every server state), -dnssec-warning, and -f
# targets with UTF-8, invalid UTF-8 and control characters.  Needs the
# lab.

set -u
PROG=${1:-./smtpdane}
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1
. regress/lib.sh
lab_env
name=${PROG##*/}
SUITE="json ($name)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if ! command -v jq >/dev/null 2>&1; then
	echo "SKIP: json ($name): jq is not installed"
	exit 0
fi

# The schema of smtpdane.1, as jq: each object is one of three kinds.
cat >"$TMP/schema.jq" <<'JQ'
def str: type == "string";
def num: type == "number";
def strs: type == "array" and all(.[]; type == "string");
def has_only($k): (keys - $k) == [];
def opt($k; f): (has($k) | not) or (.[$k] | f);
def rfc3339: str and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$");
def tlsa: type == "object" and
    has_only(["usage","selector","mtype","data","usable","matched","depth","outcome"]) and
    (.usage|num) and (.selector|num) and (.mtype|num) and (.depth|num) and
    (.data|str) and (.outcome|str) and (.usable|type == "boolean") and
    (.matched|type == "boolean");
def cert: type == "object" and
    has_only(["depth","subject","issuer","names","not_before","not_before_epoch",
      "not_after","not_after_epoch","spki_sha256","pem"]) and
    (.depth|num) and (.subject|str) and (.issuer|str) and (.names|strs) and
    (.not_before|rfc3339) and (.not_after|rfc3339) and
    (.not_before_epoch|num) and (.not_after_epoch|num) and
    (.spki_sha256|str) and opt("pem"; str);
def suggested: type == "object" and
    has_only(["usage","selector","mtype","data","published","record"]) and
    (.usage|num) and (.selector|num) and (.mtype|num) and (.data|str) and
    (.record|str) and (.published|type == "boolean");
def staged: type == "object" and
    has_only(["file","safe","bare_key","reason","records","tlsa_ttl"]) and
    (.file|str) and (.safe|type == "boolean") and
    (.bare_key|type == "boolean") and (.reason|str) and (.records|strs) and
    (.tlsa_ttl|num);
def probe: type == "object" and
    has_only(["key_type","offered","ok","result","reason","tls_version",
      "tls_cipher","leaf_spki_sha256"]) and
    (.key_type|IN("ECDSA","RSA")) and (.offered|type == "boolean") and
    (.ok|type == "boolean") and (.result|str) and (.reason|str) and
    (.tls_version|str) and (.tls_cipher|str) and (.leaf_spki_sha256|str) and
    (if .offered then true else .result == "not-offered" and .ok end);
def dnssec: type == "object" and
    has_only(["expires","expires_epoch","rrset_type","owner","zone","key_tag"]) and
    (.expires|rfc3339) and (.expires_epoch|num) and (.rrset_type|str) and
    (.owner|str) and (.zone|str) and (.key_tag|num);
def nameserver: type == "object" and
    has_only(["zone","name","address","state","soa_serial",
      "tlsa_rrsig_expires","tlsa_rrsig_expires_epoch","reason"]) and
    (.zone|str) and (.name|str) and (.address|str) and
    (.state|IN("same","differs","failed")) and opt("soa_serial"; num) and
    opt("tlsa_rrsig_expires"; rfc3339) and
    opt("tlsa_rrsig_expires_epoch"; num) and
    (has("tlsa_rrsig_expires") == has("tlsa_rrsig_expires_epoch")) and
    (.reason|str) and
    (if .state == "failed" then (has("soa_serial") or
      has("tlsa_rrsig_expires") | not) else .address != "" and
      has("soa_serial") end);
def check: has_only(["target","host","tlsa_base","address","port","result",
      "reason","stage","names","tls_version","tls_cipher","sni","ocsp_staple",
      "ocsp_responder","ocsp_detail","ocsp_this_update","ocsp_next_update",
      "ocsp_revocation_time","ocsp_revocation_reason","dnssec","warnings",
      "details","tlsa","certificates","tlsa_suggested","staged",
      "key_probes","nameservers","elapsed_ms"]) and
    (.target|str) and (.host|str) and (.tlsa_base|str) and (.address|str) and
    (.port|num) and (.result|str) and (.reason|str) and (.stage|str) and
    (.names|strs) and opt("tls_version"; str) and opt("tls_cipher"; str) and
    opt("sni"; str) and opt("dnssec"; dnssec) and
    opt("ocsp_staple"; IN("good","revoked","unknown","trylater","error",
      "invalid","stale","missing","not-checked")) and
    (has("ocsp_staple") or (has("tls_version") | not)) and
    opt("ocsp_responder"; str) and opt("ocsp_detail"; str) and
    opt("ocsp_this_update"; rfc3339) and opt("ocsp_next_update"; rfc3339) and
    opt("ocsp_revocation_time"; rfc3339) and
    opt("ocsp_revocation_reason"; str) and
    (if has("ocsp_revocation_time") then .ocsp_staple == "revoked" else true end) and
    (.warnings|strs) and (.details|strs) and
    (.tlsa|type == "array" and all(.[]; tlsa)) and
    (.certificates|type == "array" and all(.[]; cert)) and
    opt("tlsa_suggested"; type == "array" and all(.[]; suggested)) and
    opt("staged"; type == "array" and all(.[]; staged)) and
    opt("key_probes"; type == "array" and all(.[]; probe)) and
    opt("nameservers"; type == "array" and all(.[]; nameserver)) and
    (.elapsed_ms|num);
def host: type == "object" and has_only(["host","port","canonical","names","warnings"]) and
    (.host|str) and (.port|num) and opt("canonical"; str) and (.names|strs) and
    (.warnings|strs);
def discovery: has_only(["target","mode","domain","service","dnssec","hosts",
      "details","warnings","result"]) and
    (.target|str) and (.mode|IN("mx","srv")) and (.domain|str) and
    opt("service"; str) and opt("dnssec"; IN("secure","insecure","bogus")) and
    (.hosts|type == "array" and all(.[]; host)) and (.details|strs) and
    (.warnings|strs) and (.result|IN("ok","warnings"));
def summary: has_only(["checks","verified","warnings","failed","targets",
      "targets_failed","domain_warnings","staged_unsafe","keys_checked",
      "keys_failed","ns_checked","ns_differ","ns_failed","cert_days",
      "dnssec_days","gave_up","elapsed_ms","exit"]) and
    (.checks|num) and (.verified|num) and (.warnings|num) and (.failed|num) and
    (.targets|num) and (.targets_failed|num) and (.domain_warnings|num) and
    opt("staged_unsafe"; num) and opt("keys_checked"; num) and
    opt("keys_failed"; num) and opt("ns_checked"; num) and
    opt("ns_differ"; num) and opt("ns_failed"; num) and
    opt("cert_days"; num) and opt("dnssec_days"; num) and
    opt("gave_up"; str) and (.elapsed_ms|num) and
    (.exit|num);
def fits: if type != "object" then false
  elif has("discovery") then (keys == ["discovery"]) and (.discovery|discovery)
  elif has("summary") then (keys == ["summary"]) and (.summary|summary)
  else check end;
select(fits | not)
JQ

# Targets with UTF-8, bytes that are not UTF-8, and control characters.
printf 'b\303\274cher.example\nbad\377\376.example\nx\033]0;evil\007.example\nback\\slash.example\nee311.dane.test\n' >"$TMP/targets"

n=0
run()
{
	n=$((n + 1))
	"$PROG" -A "$ANCHOR" -json "$@" >"$TMP/out.$n" 2>"$TMP/err.$n"
	echo "$*" >"$TMP/args.$n"
}
run ee311.dane.test eemismatch.dane.test
run -mx nullmixed.dane.test mx2.dane.test
run -tlsa -showcerts ta211.dane.test
run banner554.dane.test nostarttls.dane.test inject.dane.test
run -submission subm.dane.test
run -q -mx mxonebad.dane.test
run ocsp.dane.test
run -expect-ocsp ocsp.dane.test ocspnostaple.dane.test
run -expect-ocsp ocsprevoked.dane.test ocsptrylater.dane.test \
    ocspbadsig.dane.test ocspdeleg.dane.test
run -mx ocspshared.dane.test mxocspshared.dane.test
run -staged "$LABWORK/chains/ee301.dane.test.1.pem" \
    -staged "$LABWORK/certs/ee311.dane.test.leaf.pub" ee311.dane.test \
    ta211.dane.test
run -all-keys dualta.dane.test dualee.dane.test ee311.dane.test
run -mx sigmx.sigsoon.test mx.ok.sigsoon.test mx.sigskew.dane.test mx.expired.test
run -all-ns mx.nsagree.test tlsa.nsstale.test mx.nsdead.test mx.nsbogus.test
run -f "$TMP/targets"

i=1
while [ $i -le $n ]; do
	args=$(cat "$TMP/args.$i")
	lines=$(wc -l <"$TMP/out.$i")
	if ! iconv -f UTF-8 -t UTF-8 <"$TMP/out.$i" >/dev/null 2>&1; then
		bad "-json $args: not valid UTF-8"
	elif ! jq -e . <"$TMP/out.$i" >/dev/null 2>"$TMP/jq.err"; then
		bad "-json $args: not JSON: $(head -c 300 "$TMP/jq.err")"
	elif [ "$lines" -lt 1 ] ||
	    ! jq -e -s 'length > 0' <"$TMP/out.$i" >/dev/null; then
		bad "-json $args: no object"
	elif jq -c -f "$TMP/schema.jq" <"$TMP/out.$i" >"$TMP/misfit" \
	    2>"$TMP/jq.err" && [ ! -s "$TMP/misfit" ] &&
	    [ ! -s "$TMP/jq.err" ]; then
		ok "-json $args: $lines objects fit the schema"
	else
		bad "-json $args: objects outside the schema: $(head -c 400 "$TMP/misfit") $(head -c 300 "$TMP/jq.err")"
	fi
	if [ "$(tail -n 1 "$TMP/out.$i" | jq -r 'has("summary")')" != true ]; then
		bad "-json $args: the last object is not the summary"
	fi
	i=$((i + 1))
done

# The targets as written, told back exactly.
f=$TMP/out.$n
want=$(printf 'b\303\274cher.example')
if [ "$(jq -r 'select(.target? and (.target|startswith("b"))) | .target' "$f" | head -1)" = "$want" ]; then
	ok "valid UTF-8 passes through"
else
	bad "valid UTF-8 does not pass through: $(grep -a cher "$f")"
fi
if grep -q '"target":"bad\\\\xff\\\\xfe\.example"' "$f"; then
	ok "invalid UTF-8 bytes are \\\\xHH"
else
	bad "invalid UTF-8 bytes: $(grep -a '"target":"bad' "$f" | head -c 200)"
fi
if grep -q '"target":"x\\u001b\]0;evil\\u0007\.example"' "$f"; then
	ok "control characters are \\\\u escapes"
else
	bad "control characters: $(grep -a '"target":"x' "$f" | head -c 200)"
fi
if grep -q '"target":"back\\\\\\\\slash\.example"' "$f"; then
	ok "a backslash is written as two"
else
	bad "backslash: $(grep -a '"target":"back' "$f" | head -c 200)"
fi
if jq -e -s 'map(select(has("discovery")))[0].discovery |
    .domain == "nullmixed.dane.test" and (.warnings | length) == 1 and
    .result == "warnings" and (.hosts | length) >= 1 and .dnssec == "secure"' \
    "$TMP/out.2" >/dev/null; then
	ok "an MX discovery object with its list, DNSSEC state and warning"
else
	bad "MX discovery object: $(grep -a discovery "$TMP/out.2" | head -c 300)"
fi
