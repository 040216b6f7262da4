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
# lab.sh: smtpdane's DANE test lab, all on loopback, built at test time.
#
#	sh regress/lab/lab.sh up | down | status | env
#
# up	 make certificates, sign the zones and start the servers that
#	 regress/lab/hosts.tbl describes, with the extra records (MX,
#	 SRV, ...) of regress/lab/records.tbl (a running lab is stopped
#	 first); lists of generated names go to work/lists/.  Only in
#	 a private network namespace (regress/netns.sh): elsewhere it
#	 refuses, exit 2, unless LAB_HOST_NETWORK=1
# down	 stop every daemon that up started; safe to run twice.  Works
#	 from outside the lab's namespace too (netns.sh makes no process
#	 namespace): make clean uses that for a run that was killed
# status say what runs; exits 0 only when everything does
# env	 print the shell assignments a test runner needs
# check	 OpenSSL's own DANE verdict on each lab server (a second opinion)
#
# DNS	127.53.0.1  NSD, authoritative for every lab zone, DNSSEC-signed;
#		    smtpdane forwards all its queries there and validates
#		    everything itself from the root DS in work/root.ds
#	127.53.0.2  NSD serving the same zones unsigned (a resolver that
#		    strips DNSSEC)
#	127.53.0.3  blackhole: reads queries and never answers
#	127.53.0.4  NSD, a second authoritative server of a few zones
#		    (SECOND below), for -all-ns: the same zone, a stale
#		    copy or a bogus one; ns3.test and ns4.test name the
#		    last two, and records.tbl adds them to NS sets
# SMTP	one labsmtpd per lab host on 127.0.10.N (one host on ::1 too),
#	logging each connection to work/log/HOST.N.log
#
# up expects regress/labsmtpd and regress/blackhole to be built (make).
# It prints nothing unless something fails.  Keys are EC P-256 and
# ECDSAP256SHA256 throughout, so that up takes a few seconds.

set -eu
umask 022
# Callers hold regress/lab/.lock on descriptor 9: the daemons started
# here must not inherit it, or the lock outlives the caller.
exec 9>&-

LAB=$(cd -- "$(dirname -- "$0")" && pwd)
REGRESS=$(dirname -- "$LAB")
WORK=$LAB/work
TABLE=${LAB_HOSTS:-$LAB/hosts.tbl}
RECORDS=${LAB_RECORDS:-$LAB/records.tbl}
LABSMTPD=${LABSMTPD:-$REGRESS/labsmtpd}
LABSMTPD_DUAL=${LABSMTPD_DUAL:-$REGRESS/labsmtpd-dual}
BLACKHOLE=${BLACKHOLE:-$REGRESS/blackhole}

NS_SIGNED=127.53.0.1
NS_PLAIN=127.53.0.2
NS_SILENT=127.53.0.3
NS_SECOND=127.53.0.4

CERTS=$WORK/certs
ZDIR=$WORK/zones
KEYS=$WORK/keys
RUN=$WORK/run
LOGS=$WORK/log
CNF=$WORK/openssl.cnf
QLOG=$WORK/last.log

# The lab zones and how each is broken.  A zone's parent is the longest
# other zone that ends its name.
#   signed    signed, DS in the parent
#   unsigned  not signed, no DS in the parent (insecure delegation)
#   bogus     signed, DS in the parent, then every RRSIG corrupted
#   expired   signed with RRSIGs that expired in 2020
#   soon      signed 28 days ago with RRSIGs that expire in 2 days, as a
#             zone whose re-signing stopped (-dnssec-warning)
#   skew      signed with RRSIGs that expired an hour ago: libunbound
#             still accepts them (its clock-skew allowance), others not
#   future    signed with RRSIGs valid from 2 hours from now: likewise
#   badds     signed, but the parent's DS is for another key
#   servfail  delegated without DS; NSD has no data for it: SERVFAIL
ZONES='
.				signed
test.				signed
dane.test.			signed
bulk.dane.test.			signed
unsigned.test.			unsigned
bogus.test.			bogus
expired.test.			expired
sigsoon.test.			soon
ok.sigsoon.test.		signed
sigskew.dane.test.		skew
sigfuture.dane.test.		future
badds.test.			badds
_tcp.insectlsa.dane.test.	unsigned
_tcp.srvfail.unsigned.test.	servfail
_tcp.tlsafail.dane.test.	servfail
nsagree.test.			signed
nsstale.test.			signed
nsdead.test.			signed
nsbogus.test.			signed
nslame.test.			signed
nsmany.test.			signed
nsbogusns.test.			signed
'

# The zones the second authoritative server (127.53.0.4) serves, and
# how its copy differs from the one 127.53.0.1 serves (-all-ns).
#   same   none: the same signed zone file
#   stale  an older copy: SOA serial 2026010101 where 127.53.0.1 has
#          2026010203, the RRsets of records.tbl rows marked "stale"
#          instead of the current ones, signatures that expire 10
#          days earlier; the same keys
#   bogus  every signature corrupted
# nsdead.test names the blackhole (ns3.test) and nslame.test a server
# that does not serve it (ns4.test: REFUSED) as a second server;
# nsmany.test has 18 names for 127.53.0.1, more than -all-ns asks;
# the NS RRset of nsbogusns.test does not validate (records.tbl).
SECOND='
nsagree.test.	same
nsstale.test.	stale
nsbogus.test.	bogus
'
SERIAL_NOW=2026010203
SERIAL_STALE=2026010101

# The CA certificates; every other certificate is a host's leaf.
CAS='root int rogueroot rogueint'

# OpenSSL reads its whole config, so $ENV::SAN must always be set.
SAN=DNS:unused.invalid
export SAN

die()
{
	echo "lab.sh: $*" >&2
	exit 1
}

# Run a command quietly; on failure show what it said and stop.
q()
{
	if ! "$@" >"$QLOG" 2>&1; then
		sed 's/^/	/' "$QLOG" >&2
		die "failed: $*"
	fi
}

# Zone file base name: "." is "root", others lose the final dot.
zfile()
{
	if [ "$1" = . ]; then echo root; else echo "${1%.}"; fi
}

# awk functions shared by the table programs below.
AWKLIB='
function die(msg) {
	printf "lab.sh: %s\n", msg > "/dev/stderr"
	failed = 1
	exit 1
}
function zone_of(n,   i, z, best) {
	best = ""
	for (i = 1; i <= nz; i++) {
		z = zname[i]
		if (z == "." || n == z || (length(n) > length(z) &&
		    substr(n, length(n) - length(z)) == "." z))
			if (length(z) > length(best))
				best = z
	}
	return best
}
function zfile(z) {
	return z == "." ? "root" : substr(z, 1, length(z) - 1)
}
function load_zones(s,   n, i, l, f) {
	n = split(s, l, "\n")
	for (i = 1; i <= n; i++)
		if (split(l[i], f, " ") == 2) {
			zname[++nz] = f[1]
			zkind[f[1]] = f[2]
		}
}
function trim(s) {
	gsub(/^[ \t]+|[ \t]+$/, "", s)
	return s
}
function is_ca(n) {
	return n == "root" || n == "int" || n == "rogueroot" || n == "rogueint"
}
'

# --- the table ------------------------------------------------------

# hosts.tbl to tab-separated rows, checking the columns.
read_table()
{
	[ -r "$TABLE" ] || die "cannot read $TABLE"
	awk "$AWKLIB"'
	/^[ \t]*(#|$)/ { next }
	{
		n = split($0, f, /[ \t]+\|[ \t]+/)
		if (n != 7) {
			printf "%s:%d: %d columns, want 7\n", FILENAME, FNR, n \
			    > "/dev/stderr"
			bad = 1
			next
		}
		line = ""
		for (i = 1; i <= n; i++) {
			f[i] = trim(f[i])
			if (f[i] == "") {
				printf "%s:%d: column %d is empty\n",
				    FILENAME, FNR, i > "/dev/stderr"
				bad = 1
			}
			line = line (i > 1 ? "\t" : "") f[i]
		}
		if (seen[f[1]]++) {
			printf "%s:%d: %s twice\n", FILENAME, FNR, f[1] \
			    > "/dev/stderr"
			bad = 1
		}
		print line
	}
	END { exit bad }' "$TABLE" >"$WORK/hosts.tsv" || die "bad $TABLE"
}

# Which leaves to make: work/leaves gets HOST KIND for the first
# certificate of every chain (the row's and the per-address ones),
# work/mains HOST KIND for the row's own leaf (TLSA "leaf").
plan_leaves()
{
	awk -F'\t' "$AWKLIB"'
	{
		if ($5 != "-") {
			k = $5
			sub(/\+.*/, "", k)
			main[$1] = k
			leaf[$1 " " k] = 1
		}
		# mode dual: an RSA leaf besides the chain of the row
		if ($6 == "dual")
			leaf[$1 " rsa"] = 1
		n = split($2, a, " ")
		for (i = 1; i <= n; i++) {
			if (a[i] !~ /=.*\//)
				continue
			k = a[i]
			sub(/^[^\/]*\//, "", k)
			sub(/\+.*/, "", k)
			leaf[$1 " " k] = 1
		}
	}
	END {
		for (h in main)
			print h, main[h] > mains
		for (l in leaf)
			print l > leaves
	}' mains="$WORK/mains" leaves="$WORK/leaves" "$WORK/hosts.tsv"
}

# --- certificates ---------------------------------------------------

write_openssl_cnf()
{
	cat >"$CNF" <<EOF
[ req ]
distinguished_name	= dn
prompt			= no
[ dn ]
CN			= unused
[ ca ]
default_ca		= labca
[ labca ]
database		= $CERTS/index.txt
new_certs_dir		= $CERTS/issued
serial			= $CERTS/serial
default_md		= sha256
policy			= anything
unique_subject		= no
email_in_dn		= no
copy_extensions		= none
[ anything ]
organizationName	= optional
commonName		= optional
[ root_ext ]
basicConstraints	= critical, CA:true
keyUsage		= critical, keyCertSign, cRLSign
subjectKeyIdentifier	= hash
authorityKeyIdentifier	= none
[ int_ext ]
basicConstraints	= critical, CA:true, pathlen:0
keyUsage		= critical, keyCertSign, cRLSign
subjectKeyIdentifier	= hash
authorityKeyIdentifier	= none
# No key identifiers on leaves: a forged leaf must fail on its
# signature, not on a key identifier that gives it away.
[ leaf_ext ]
basicConstraints	= critical, CA:false
keyUsage		= critical, digitalSignature
extendedKeyUsage	= serverAuth
subjectAltName		= \$ENV::SAN
subjectKeyIdentifier	= none
authorityKeyIdentifier	= none
# A leaf that names an OCSP responder: libtls takes a stapled response
# only for such a certificate.  Nothing fetches the URI.
[ leaf_ocsp_ext ]
basicConstraints	= critical, CA:false
keyUsage		= critical, digitalSignature
extendedKeyUsage	= serverAuth
subjectAltName		= \$ENV::SAN
subjectKeyIdentifier	= none
authorityKeyIdentifier	= none
authorityInfoAccess	= OCSP;URI:http://127.0.0.1/ocsp
# The OCSP responder that int authorises to sign for it (RFC 6960
# section 4.2.2.2): staple=delegated.
[ ocsp_signer_ext ]
basicConstraints	= critical, CA:false
keyUsage		= critical, digitalSignature
extendedKeyUsage	= OCSPSigning
subjectKeyIdentifier	= none
authorityKeyIdentifier	= none
EOF
	: >"$CERTS/index.txt"
	echo 1000 >"$CERTS/serial"
	mkdir -p "$CERTS/issued"
}

# mkcert NAME SUBJECT EXT DAYS [ISSUER]: key NAME.key and NAME.raw (the
# public key, then the certificate), self-signed without ISSUER.
mkcert()
{
	_n=$1 _s=$2 _e=$3 _d=$4
	shift 4
	if [ $# -gt 0 ]; then
		set -- -CA "$CERTS/$1.pem" -CAkey "$CERTS/$1.key"
	fi
	# shellcheck disable=SC2086 # $KEYALG is two or four words
	q openssl req -x509 -new -config "$CNF" $KEYALG -noenc -pubkey \
	    -keyout "$CERTS/$_n.key" -out "$CERTS/$_n.raw" -subj "$_s" \
	    -extensions "$_e" -days "$_d" "$@"
}

# The key of every certificate but the rsa leaf kind: EC P-256.
KEYALG_EC="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
KEYALG=$KEYALG_EC

# mkdated NAME SUBJECT ISSUER START END: openssl x509 and req cannot
# set dates in OpenSSL 3.0, openssl ca can.
mkdated()
{
	q openssl req -new -config "$CNF" -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -noenc \
	    -keyout "$CERTS/$1.key" -out "$CERTS/$1.csr" -subj "$2"
	q openssl ca -batch -config "$CNF" -notext -cert "$CERTS/$3.pem" \
	    -keyfile "$CERTS/$3.key" -extensions leaf_ext \
	    -startdate "$4" -enddate "$5" -in "$CERTS/$1.csr" \
	    -out "$CERTS/$1.crt"
	q openssl pkey -in "$CERTS/$1.key" -pubout -out "$CERTS/$1.pub"
	cat "$CERTS/$1.pub" "$CERTS/$1.crt" >"$CERTS/$1.raw"
}

# Split NAME.raw files into NAME.pem (the certificate), NAME.pub (its
# public key, PEM: a bare key for -staged), NAME.der (selector 0 data)
# and NAME.spki (selector 1 data).
finish_certs()
{
	[ $# -gt 0 ] || return 0
	for _n in "$@"; do
		echo "$CERTS/$_n.raw"
	done | xargs awk '
	FNR == 1 {
		if (pem != "")
			close(pem)
		base = FILENAME
		sub(/\.raw$/, "", base)
		pem = base ".pem"
		printf "" > pem
	}
	/^-----BEGIN PUBLIC KEY-----$/ {
		out = base ".spki.b64"
		pub = base ".pub"
		print > pub
		inpub = 1
		next
	}
	/^-----BEGIN CERTIFICATE-----$/ {
		out = base ".der.b64"
		print > pem
		incert = 1
		next
	}
	/^-----END / {
		if (incert)
			print > pem
		if (inpub) {
			print > pub
			close(pub)
		}
		incert = inpub = 0
		close(out)
		out = ""
		next
	}
	out != "" {
		print > out
		if (incert)
			print > pem
		if (inpub)
			print > pub
	}'
	for _n in "$@"; do
		if ! base64 -d <"$CERTS/$_n.der.b64" >"$CERTS/$_n.der" ||
		    ! base64 -d <"$CERTS/$_n.spki.b64" >"$CERTS/$_n.spki"; then
			die "cannot decode $_n"
		fi
	done
}

ROOT_SUBJ='/O=smtpdane lab/CN=smtpdane lab root CA'
INT_SUBJ='/O=smtpdane lab/CN=smtpdane lab intermediate CA'
OCSP_SUBJ='/O=smtpdane lab/CN=smtpdane lab OCSP responder'

# root and int are the real CAs; rogueroot and rogueint have the same
# subjects but keys of their own.
make_cas()
{
	write_openssl_cnf
	mkcert root "$ROOT_SUBJ" root_ext 3650
	mkcert rogueroot "$ROOT_SUBJ" root_ext 3650
	finish_certs root rogueroot
	mkcert int "$INT_SUBJ" int_ext 3650 root
	mkcert rogueint "$INT_SUBJ" int_ext 3650 rogueroot
	finish_certs int rogueint
	mkcert ocspsigner "$OCSP_SUBJ" ocsp_signer_ext 3650 int
	finish_certs ocspsigner
}

# leaf_issuer HOST KIND: the certificate that signs the host's leaf of
# that kind (the leaf itself when it is self-signed).
leaf_issuer()
{
	case $2 in
	forged)	echo rogueint ;;
	rogue)	echo rogueroot ;;
	self)	echo "$1.self" ;;
	*)	echo int ;;
	esac
}

# mkleaf HOST KIND: the host's leaf of that kind, named HOST.KIND
mkleaf()
{
	SAN=DNS:$1
	_subj=/CN=$1
	case $2 in
	wrongname) SAN=DNS:wrong.example.net; _subj=/CN=wrong.example.net ;;
	wild)	   SAN='DNS:*.wild.dane.test'; _subj='/CN=*.wild.dane.test' ;;
	san=*[!A-Za-z0-9.-]*|san=)
		   die "$1: bad leaf kind $2" ;;
	san=*)	   SAN=DNS:${2#san=}; _subj=/CN=${2#san=} ;;
	esac
	case $2 in
	rsa)
		KEYALG="-newkey rsa:2048"
		mkcert "$1.$2" "$_subj" leaf_ext 365 int
		KEYALG=$KEYALG_EC ;;
	leaf|wrongname|wild|san=*|forged|rogue)
		mkcert "$1.$2" "$_subj" leaf_ext 365 \
		    "$(leaf_issuer "$1" "$2")" ;;
	ocsp)
		mkcert "$1.$2" "$_subj" leaf_ocsp_ext 365 int ;;
	expiring)
		mkcert "$1.$2" "$_subj" leaf_ext 2 int ;;
	self)
		mkcert "$1.$2" "$_subj" leaf_ext 365 ;;
	expired)
		mkdated "$1.$2" "$_subj" int 20200101000000Z 20210101000000Z ;;
	future)
		mkdated "$1.$2" "$_subj" int \
		    "$(date -u -d '+30 days' +%Y%m%d%H%M%SZ)" \
		    "$(date -u -d '+400 days' +%Y%m%d%H%M%SZ)" ;;
	*)	die "$1: unknown leaf kind $2" ;;
	esac
	SAN=DNS:unused.invalid
}

# Make the leaves listed in FILE (HOST KIND lines).
leaf_batch()
{
	QLOG=$1.log
	_names=
	while read -r _h _k; do
		mkleaf "$_h" "$_k"
		_names="$_names $_h.$_k"
	done <"$1"
	# shellcheck disable=SC2086 # names have no blanks
	finish_certs $_names
}

# The dated leaves need openssl ca's database, one at a time; the rest
# go in two batches at once.
make_leaves()
{
	grep -E ' (expired|future)$' "$WORK/leaves" >"$WORK/leaves.0" || :
	grep -vE ' (expired|future)$' "$WORK/leaves" |
	    awk -v out="$WORK/leaves" '{ print > (out "." (NR % 2 + 1)) }'
	leaf_batch "$WORK/leaves.0"
	_pids=
	for _b in 1 2; do
		[ -f "$WORK/leaves.$_b" ] || continue
		leaf_batch "$WORK/leaves.$_b" &
		_pids="$_pids $!"
	done
	_fail=0
	for _p in $_pids; do
		wait "$_p" || _fail=1
	done
	[ $_fail -eq 0 ] || die "cannot make the leaf certificates"
}

# work/digests: BASE SELECTOR MTYPE HEX for every certificate, and the
# full data (matching type 0) for the few records that publish it.
make_digests()
{
	(
		cd "$CERTS"
		sha256sum -- *.der *.spki | sed 's/$/ 1/'
		sha512sum -- *.der *.spki | sed 's/$/ 2/'
	) | awk '{
		base = $2
		sel = sub(/\.der$/, "", base) ? 0 : 1
		sub(/\.spki$/, "", base)
		print base, sel, $3, $1
	}' >"$WORK/digests"
	awk -F'\t' "$AWKLIB"'
	FNR == NR { main[$1] = $2; next }
	{
		n = split($4, r, ";")
		for (i = 1; i <= n; i++) {
			split(trim(r[i]), f, " ")
			if (f[3] != "0")
				continue
			if (f[4] == "leaf")
				b = $1 "." main[$1]
			else if (f[4] ~ /^cert:/) {
				b = substr(f[4], 6)
				if (!is_ca(b))
					b = b "." main[b]
			} else
				continue
			print b, f[2]
		}
	}' FS=' ' "$WORK/mains" FS='\t' "$WORK/hosts.tsv" | sort -u |
	    while read -r _b _s; do
		case $_s in
		0) _f=$CERTS/$_b.der ;;
		1) _f=$CERTS/$_b.spki ;;
		*) continue ;;
		esac
		[ -f "$_f" ] || die "no certificate $_b"
		echo "$_b $_s 0 $(od -An -v -tx1 "$_f" | tr -d ' \n')"
	done >>"$WORK/digests"
}

# --- OCSP staples ---------------------------------------------------

# mkstaple HOST KIND STAPLE: HOST.KIND.resp, the OCSP response for the
# host's leaf of that kind that mode MODE,staple=STAPLE staples: good
# (signed by the leaf's issuer), revoked (since 2025-01-01 00:00:00Z,
# keyCompromise), delegated (good, signed by ocspsigner, a responder
# that int authorised), badsig (good, signed by rogueint: the issuer's
# name, another key), each valid for 7 days; trylater, the bare
# OCSPResponse of responseStatus tryLater(3).  openssl ocsp answers its
# own request from a one-line index.
mkstaple()
{
	_b=$CERTS/$1.$2
	_i=$(leaf_issuer "$1" "$2")
	[ -f "$_b.pem" ] || die "$1: no $2 leaf to staple a response for"
	case $3 in
	trylater)
		printf '\060\003\012\001\003' >"$_b.resp"
		return ;;
	good|revoked|delegated|badsig) ;;
	*)	die "$1: unknown staple $3" ;;
	esac
	_end=$(openssl x509 -in "$_b.pem" -noout -enddate) ||
	    die "cannot read $_b.pem"
	_end=$(date -u -d "${_end#notAfter=}" +%y%m%d%H%M%SZ) ||
	    die "cannot convert the end date of $_b.pem"
	_ser=$(openssl x509 -in "$_b.pem" -noout -serial)
	_sub=$(openssl x509 -in "$_b.pem" -noout -subject -nameopt compat)
	_st=V _rev=
	[ "$3" = revoked ] && _st=R _rev=250101000000Z,keyCompromise
	printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$_st" "$_end" "$_rev" \
	    "${_ser#serial=}" "${_sub#subject=}" >"$_b.index"
	case $3 in
	delegated)	_s=ocspsigner ;;
	badsig)		_s=rogueint ;;
	*)		_s=$_i ;;
	esac
	q openssl ocsp -index "$_b.index" -rsigner "$CERTS/$_s.pem" \
	    -rkey "$CERTS/$_s.key" -CA "$CERTS/$_i.pem" \
	    -issuer "$CERTS/$_i.pem" -cert "$_b.pem" -no_nonce -ndays 7 \
	    -respout "$_b.resp"
}

# A staple for each leaf that a server with mode MODE,staple[=STAPLE]
# presents.
make_staples()
{
	awk '$2 ~ /,staple(=|$)/ {
		k = $3; sub(/\+.*/, "", k)
		s = $2; sub(/^[^,]*,staple=?/, "", s)
		print $1, k, (s == "" ? "good" : s)
	}' "$WORK/listen" | sort -u | while read -r _h _k _s; do
		mkstaple "$_h" "$_k" "$_s"
	done
}

# --- zone data ------------------------------------------------------

# awk functions that write records: add() into zones/ZONE.recs,
# corrupt() into zones/ZONE.corrupt (both appended to, as two programs
# write them), tlsa() after a hosts.tbl recipe.  "where" names the row
# for messages; load_certs() reads which leaf each host has and every
# certificate's digests.
RECLIB='
function load_certs(   l, f) {
	load_zones(zones)
	while ((getline l < mains) > 0) {
		split(l, f, " ")
		main[f[1]] = f[2]
	}
	while ((getline l < digests) > 0) {
		split(l, f, " ")
		dig[f[1] " " f[2] " " f[3]] = f[4]
	}
}
# With stale set, the record is for the stale copy of its zone only.
function add(name, type, rdata,   z) {
	z = zone_of(name)
	if (zkind[z] == "servfail")
		die(where ": " name " lies in a zone that has no data")
	print name "\t3600\tIN\t" type "\t" rdata >> (zdir "/" zfile(z) \
	    (stale ? ".stale" : ".recs"))
}
function corrupt(name, type) {
	print name, type >> (zdir "/" zfile(zone_of(name)) ".corrupt")
}
function certbase(n) {
	if (is_ca(n))
		return n
	if (!(n in main))
		die(where ": no certificate " n)
	return n "." main[n]
}
function data(sel, mt, base,   k) {
	k = base " " sel " " mt
	if (!(k in dig))
		die(where ": cannot make " sel " " mt " data of " base \
		    " (use hex:)")
	return dig[k]
}
# tlsa(OWNER, RECIPE, HOST): HOST is whose leaf "leaf" means, or "".
function tlsa(owner, r, self,   f, t, d) {
	if (r ~ /^raw:/) {
		add(owner, "TLSA", substr(r, 5))
	} else if (r ~ /^cname:/) {
		t = substr(r, 7)
		sub(/\.$/, "", t)
		add(owner, "CNAME", t ".")
	} else if (r ~ /^rr:/) {
		t = substr(r, 4)
		sub(/ .*/, "", t)
		sub(/^rr:[^ ]+ +/, "", r)
		add(owner, t, r)
	} else {
		if (split(r, f, " ") != 4)
			die(where ": bad TLSA recipe \"" r "\"")
		if (f[1] !~ /^[0-9]+$/ || f[2] !~ /^[0-9]+$/ ||
		    f[3] !~ /^[0-9]+$/)
			die(where ": bad TLSA recipe \"" r "\"")
		if (f[4] == "leaf" && self == "")
			die(where ": \"leaf\" needs a host row (use cert:HOST)")
		if (f[4] == "leaf")
			d = data(f[2], f[3], certbase(self))
		else if (f[4] ~ /^cert:/)
			d = data(f[2], f[3], certbase(substr(f[4], 6)))
		else if (f[4] ~ /^hex:[0-9a-fA-F]+$/)
			d = substr(f[4], 5)
		else
			die(where ": bad TLSA data \"" f[4] "\"")
		add(owner, "TLSA", f[1] " " f[2] " " f[3] " " d)
	}
}
'

# From hosts.tbl: address, TLSA and breakage records into
# zones/ZONE.recs and zones/ZONE.corrupt, listeners into work/listen
# (HOST MODE CHAIN LISTEN).
make_records()
{
	: >"$WORK/listen"
	awk -F'\t' -v zones="$ZONES" -v zdir="$ZDIR" -v listen="$WORK/listen" \
	    -v mains="$WORK/mains" -v digests="$WORK/digests" \
	    "$AWKLIB$RECLIB"'
	BEGIN { load_certs() }
	# ADDR[:PORT][=MODE[/CHAIN]]
	function address(item,   spec, over, m, c, a, p, j, rest, nc, cc) {
		spec = item
		over = ""
		if ((j = index(item, "=")) > 0) {
			spec = substr(item, 1, j - 1)
			over = substr(item, j + 1)
		}
		m = mode
		c = chain
		if (over != "") {
			if ((j = index(over, "/")) > 0) {
				m = substr(over, 1, j - 1)
				c = substr(over, j + 1)
			} else
				m = over
		}
		p = 25
		if (spec ~ /^\[/) {
			j = index(spec, "]")
			a = substr(spec, 2, j - 2)
			rest = substr(spec, j + 1)
			if (rest != "")
				p = rest ~ /^:/ ? substr(rest, 2) : "bad"
		} else if (spec ~ /:.*:/)
			a = spec
		else if ((j = index(spec, ":")) > 0) {
			a = substr(spec, 1, j - 1)
			p = substr(spec, j + 1)
		} else
			a = spec
		if (p !~ /^[0-9]+$/ || a == "")
			die(host ": bad address " item)
		if (a ~ /:/) {
			add(host ".", "AAAA", a)
			a = "[" a "]"
		} else
			add(host ".", "A", a)
		if (!(p in portseen)) {
			portseen[p] = 1
			ports[++nports] = p
		}
		if (m != "-") {
			if (c == "-")
				die(host ": a server needs a chain")
			if (m !~ /^[a-z0-9-]+(,staple(=[a-z]+)?)?$/)
				die(host ": bad mode " m)
			nc = split(c, cc, "+")
			for (j = 2; j <= nc; j++)
				if (!is_ca(cc[j]))
					die(host ": " cc[j] " in chain " c \
					    " is not a CA certificate")
			print host, m, c, a ":" p > listen
		}
	}
	{
		host = $1
		where = host
		zone = $3
		sub(/\.$/, "", zone)
		zone = zone "."
		mode = $6
		chain = $5
		if (zone_of(host ".") != zone)
			die(host ": not in zone " zone " (or in a zone below it)")
		nports = 0
		split("", portseen)
		if ($2 ~ /^cname:/) {
			t = substr($2, 7)
			sub(/\.$/, "", t)
			add(host ".", "CNAME", t ".")
		} else if ($2 != "-") {
			n = split($2, a, " ")
			for (i = 1; i <= n; i++)
				address(a[i])
		}
		if (nports == 0)
			ports[++nports] = 25
		nr = $4 == "-" ? 0 : split($4, rec, ";")
		for (i = 1; i <= nports; i++) {
			owner = "_" ports[i] "._tcp." host "."
			for (j = 1; j <= nr; j++)
				tlsa(owner, trim(rec[j]), host)
			if ($7 ~ /(^|,)badsig-tlsa(,|$)/)
				corrupt(owner, "TLSA")
		}
		if ($7 ~ /(^|,)badsig-a(,|$)/) {
			corrupt(host ".", "A")
			corrupt(host ".", "AAAA")
		}
		if ($7 !~ /^(-|((badsig-tlsa|badsig-a),?)+)$/)
			die(host ": unknown dns breakage " $7)
	}' "$WORK/hosts.tsv"
}

# records.tbl to tab-separated rows: owner, type, rdata, dns, repeat
# (the last two "-" when absent), where (FILE:LINE).
read_records()
{
	[ -r "$RECORDS" ] || die "cannot read $RECORDS"
	awk "$AWKLIB"'
	/^[ \t]*(#|$)/ { next }
	{
		n = split($0, f, /[ \t]+\|[ \t]+/)
		if (n < 3 || n > 5) {
			printf "%s:%d: %d columns, want 3 to 5\n", FILENAME,
			    FNR, n > "/dev/stderr"
			bad = 1
			next
		}
		for (i = 1; i <= 5; i++) {
			f[i] = i <= n ? trim(f[i]) : "-"
			if (f[i] == "") {
				printf "%s:%d: column %d is empty\n",
				    FILENAME, FNR, i > "/dev/stderr"
				bad = 1
			}
		}
		printf "%s\t%s\t%s\t%s\t%s\t%s:%d\n", f[1], f[2], f[3], f[4],
		    f[5], FILENAME, FNR
	}
	END { exit bad }' "$RECORDS" >"$WORK/records.tsv" ||
	    die "bad $RECORDS"
}

# From records.tbl: the MX, SRV, CNAME, ... records into the zones and
# the target lists into work/lists/.
make_extra_records()
{
	mkdir -p "$WORK/lists"
	awk -F'\t' -v zones="$ZONES" -v zdir="$ZDIR" -v lists="$WORK/lists" \
	    -v mains="$WORK/mains" -v digests="$WORK/digests" \
	    "$AWKLIB$RECLIB"'
	BEGIN { load_certs() }
	# {N} is the row number in its range, {N%K} cycles through 1..K.
	function expand(s, n,   k, v) {
		while (match(s, /\{N(%[1-9][0-9]*)?\}/)) {
			k = substr(s, RSTART + 2, RLENGTH - 3)
			v = k == "" ? n : (n - 1) % substr(k, 2) + 1
			s = substr(s, 1, RSTART - 1) v substr(s, RSTART + RLENGTH)
		}
		if (s ~ /[{}]/)
			die(where ": bad {N} in \"" s "\"")
		return s
	}
	function fqdn(n) {
		return n ~ /\.$/ ? n : n "."
	}
	# The name at the end of MX, SRV, CNAME and NS data is absolute.
	function absolute(type, r,   f, k, i, out) {
		if (type != "MX" && type != "SRV" && type != "CNAME" &&
		    type != "NS")
			return r
		k = split(r, f, " ")
		if (k != (type == "MX" ? 2 : type == "SRV" ? 4 : 1))
			die(where ": bad " type " data \"" r "\"")
		if (f[k] != ".")
			f[k] = fqdn(f[k])
		out = f[1]
		for (i = 2; i <= k; i++)
			out = out " " f[i]
		return out
	}
	function record(owner, type, r, dns) {
		if (owner !~ /^[A-Za-z0-9_*][A-Za-z0-9_.*-]*$/)
			die(where ": bad owner name \"" owner "\"")
		if (type == "list") {
			if (r !~ /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/)
				die(where ": bad list name \"" r "\"")
			sub(/\.$/, "", owner)
			print owner >> (lists "/" r)
			return
		}
		if (type !~ /^[A-Z][A-Z0-9]*$/)
			die(where ": bad type \"" type "\"")
		owner = fqdn(owner)
		stale = dns == "stale"
		if (type == "TLSA")
			tlsa(owner, r, "")
		else
			add(owner, type, absolute(type, r))
		stale = 0
		if (dns == "badsig")
			corrupt(owner, type)
		else if (dns != "-" && dns != "stale")
			die(where ": unknown dns breakage " dns)
	}
	{
		where = $6
		from = to = 1
		if ($5 != "-") {
			if ($5 !~ /^[0-9]+-[0-9]+$/)
				die(where ": bad repeat \"" $5 "\" (want FROM-TO)")
			split($5, r, "-")
			from = r[1] + 0
			to = r[2] + 0
		} else if (($1 $3) ~ /\{N/)
			die(where ": {N} without a repeat range")
		for (n = from; n <= to; n++)
			record(expand($1, n), $2, expand($3, n), $4)
	}' "$WORK/records.tsv"
}

# ldns-keygen writes into the current directory and prints the base name.
keygen()
{
	(cd "$KEYS" && ldns-keygen -a ECDSAP256SHA256 "$@") ||
	    die "ldns-keygen $* failed"
}

# DS records (zone-file form, with a TTL) for a KSK.
ds_of()
{
	ldns-key2ds -n -2 "$KEYS/$1.key" | awk '{
		for (i = 2; i < NF && $i != "DS"; i++)
			;
		printf "%s\t3600\tIN\tDS", $1
		for (i++; i <= NF; i++)
			printf " %s", $i
		print ""
	}'
}

# Break the signatures of the RRsets listed in FILE (NAME TYPE lines),
# or of every RRset with "all": one base64 digit of the signature
# changes, so the record still parses but no longer verifies.
corrupt_sigs()
{
	awk -F'\t' -v OFS='\t' -v list="$2" '
	BEGIN {
		if (list != "all")
			while ((getline l < list) > 0) {
				split(l, w, " ")
				bad[tolower(w[1]) " " w[2]] = 1
			}
	}
	$4 == "RRSIG" {
		split($5, w, " ")
		if (list == "all" || ((tolower($1) " " w[1]) in bad)) {
			n = length($5)
			c = substr($5, n - 20, 1)
			$5 = substr($5, 1, n - 21) (c == "A" ? "B" : "A") \
			    substr($5, n - 19)
			done++
		}
	}
	{ print }
	END { if (!done) exit 1 }' "$1" >"$1.tmp" ||
	    die "no signature to corrupt in $1"
	mv "$1.tmp" "$1"
}

# stale_copy ZONE FILE KSK ZSK: the second server's older copy of ZONE
# (SECOND "stale"), from the signer's input FILE.in: the older SOA
# serial, each RRset of FILE.stale instead of the current one, signed
# with the same keys to expire sooner (make_zones sets the dates).
stale_copy()
{
	[ -f "$ZDIR/$2.stale" ] || : >"$ZDIR/$2.stale"
	awk -F'\t' -v OFS='\t' -v stale="$ZDIR/$2.stale" \
	    -v now="$SERIAL_NOW" -v old="$SERIAL_STALE" '
	BEGIN {
		while ((getline l < stale) > 0) {
			split(l, w, "\t")
			drop[tolower(w[1]) " " w[4]] = 1
			recs[++n] = l
		}
	}
	$4 == "SOA" && !sub(" " now " ", " " old " ", $5) { exit 1 }
	!((tolower($1) " " $4) in drop) { print }
	END { for (i = 1; i <= n; i++) print recs[i] }' "$ZDIR/$2.in" \
	    >"$ZDIR/$2.old.in" || die "$1: no SOA serial $SERIAL_NOW to age"
	(cd "$KEYS" && q ldns-signzone -i "$_now" -e "$_sooner" -o "$1" \
	    -f "$ZDIR/second/$2.zone" "$ZDIR/$2.old.in" "$3" "$4")
}

# Every zone, children before parents: the unsigned zone (served as is
# by the DNSSEC-stripping NSD), then the signed one with the children's
# DS records.
make_zones()
{
	_now=$(date -u -d '-1 hour' +%Y%m%d%H%M%S)
	_later=$(date -u -d '+30 days' +%Y%m%d%H%M%S)
	_sooner=$(date -u -d '+20 days' +%Y%m%d%H%M%S)
	# depth zone kind parent
	awk -v zones="$ZONES" "$AWKLIB"'
	BEGIN {
		load_zones(zones)
		for (i = 1; i <= nz; i++) {
			z = zname[i]
			p = z
			sub(/^[^.]*\./, "", p)
			d = z == "." ? 0 : gsub(/\./, ".", p) + 1
			print d, z, zkind[z], z == "." ? "-" : zone_of(p)
		}
	}' | sort -k1,1nr >"$WORK/zones.lst"
	# shellcheck disable=SC2094 # zones.lst is only read below
	while read -r _d z kind _p; do
		[ "$kind" != servfail ] || continue
		f=$(zfile "$z")
		_second=$(echo "$SECOND" | awk -v z="$z" '$1 == z { print $2 }')
		_serial=1
		[ "$_second" != stale ] || _serial=$SERIAL_NOW
		_kids=$(awk -v z="$z" '$4 == z { print $2 }' "$WORK/zones.lst")
		{
			echo "\$TTL 3600"
			echo "$z	3600	IN	SOA	ns1.test. hostmaster.test. $_serial 3600 900 604800 300"
			echo "$z	3600	IN	NS	ns1.test."
			for c in $_kids; do
				echo "$c	3600	IN	NS	ns1.test."
			done
			case $z in
			.|test.) echo "ns1.test.	3600	IN	A	$NS_SIGNED" ;;
			esac
			if [ -f "$ZDIR/$f.recs" ]; then
				cat "$ZDIR/$f.recs"
			fi
		} >"$ZDIR/plain/$f.zone"
		if [ "$kind" = unsigned ]; then
			cp "$ZDIR/plain/$f.zone" "$ZDIR/$f.zone"
			continue
		fi
		cp "$ZDIR/plain/$f.zone" "$ZDIR/$f.in"
		for c in $_kids; do
			if [ -f "$ZDIR/$(zfile "$c").ds" ]; then
				cat "$ZDIR/$(zfile "$c").ds"
			fi
		done >>"$ZDIR/$f.in"
		ksk=$(keygen -k "$z")
		zsk=$(keygen "$z")
		case $kind in
		expired) _from=20200101000000 _until=20200201000000 ;;
		soon)	 _from=$(date -u -d '-28 days' +%Y%m%d%H%M%S)
			 _until=$(date -u -d '+2 days' +%Y%m%d%H%M%S) ;;
		skew)	 _from=$(date -u -d '-30 days' +%Y%m%d%H%M%S)
			 _until=$_now ;;
		future)	 _from=$(date -u -d '+2 hours' +%Y%m%d%H%M%S)
			 _until=$_later ;;
		*)	 _from=$_now _until=$_later ;;
		esac
		(cd "$KEYS" && q ldns-signzone -i "$_from" -e "$_until" -o "$z" \
		    -f "$ZDIR/$f.zone" "$ZDIR/$f.in" "$ksk" "$zsk")
		case $_second in
		same)	cp "$ZDIR/$f.zone" "$ZDIR/second/$f.zone" ;;
		bogus)	cp "$ZDIR/$f.zone" "$ZDIR/second/$f.zone"
			corrupt_sigs "$ZDIR/second/$f.zone" all ;;
		stale)	stale_copy "$z" "$f" "$ksk" "$zsk" ;;
		esac
		[ "$_second" = stale ] || [ ! -f "$ZDIR/$f.stale" ] ||
		    die "$z: records.tbl has stale records, SECOND no stale copy"
		case $kind in
		bogus)	corrupt_sigs "$ZDIR/$f.zone" all ;;
		badds)	ksk=$(keygen -k "$z") ;;	# the parent gets a stranger's DS
		esac
		if [ -f "$ZDIR/$f.corrupt" ]; then
			corrupt_sigs "$ZDIR/$f.zone" "$ZDIR/$f.corrupt"
		fi
		ds_of "$ksk" >"$ZDIR/$f.ds"
	done <"$WORK/zones.lst"
	cp "$ZDIR/root.ds" "$WORK/root.ds"
}

# --- servers --------------------------------------------------------

# nsd_conf NAME ADDR DIR [LIST]: an NSD on ADDR port 53 serving DIR's
# zones, those of LIST (zones.lst's form; default every lab zone); a
# servfail zone is listed without a file, so NSD answers SERVFAIL.
nsd_conf()
{
	mkdir -p "$WORK/$1"
	{
		cat <<EOF
server:
	ip-address: $2
	port: 53
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$3"
	pidfile: "$RUN/$1.pid"
	xfrdfile: "$WORK/$1/xfrd.state"
	xfrdir: "$WORK/$1"
	zonelistfile: "$WORK/$1/zone.list"
	logfile: "$LOGS/$1.log"
	verbosity: 0
	server-count: 1
	do-ip6: no
	hide-version: yes
	# Scenarios run in parallel: no answer dropped or truncated by
	# NSD's response rate limiting (see regress/bench.sh).
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
EOF
		while read -r _d z _k _p; do
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s.zone"\n' \
			    "$z" "$(zfile "$z")"
		done <"${4:-$WORK/zones.lst}"
	} >"$WORK/$1.conf"
}

# wait_dns ADDR NAME [ZONE]: wait until NSD answers for ZONE (default
# the root; it loads the zones after it forks), then make sure it
# loaded every zone but the servfail ones.
wait_dns()
{
	_i=0
	until drill @"$1" "${3:-.}" SOA >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || die "NSD on $1 does not answer"
		sleep 0.05
	done
	_skip=$(awk '$3 == "servfail" { printf "%s|", $2 }' \
	    "$WORK/zones.lst" | sed 's/\./\\./g; s/|$//')
	if grep -i 'error' "$LOGS/$2.log" 2>/dev/null |
	    grep -Ev "zonefile (${_skip:-^\$})zone does not exist" |
	    grep -q .; then
		sed 's/^/	/' "$LOGS/$2.log" >&2
		die "NSD $2 reported errors"
	fi
}

start_dns()
{
	nsd_conf nsd-signed "$NS_SIGNED" "$ZDIR"
	nsd_conf nsd-plain "$NS_PLAIN" "$ZDIR/plain"
	echo "$SECOND" | awk 'NF == 2 { print 0, $1, $2, "-" }' \
	    >"$WORK/zones.second"
	nsd_conf nsd-second "$NS_SECOND" "$ZDIR/second" "$WORK/zones.second"
	q nsd -c "$WORK/nsd-signed.conf"
	q nsd -c "$WORK/nsd-plain.conf"
	q nsd -c "$WORK/nsd-second.conf"
	q "$BLACKHOLE" -l "$NS_SILENT:53" -P "$RUN/blackhole.pid"
	wait_dns "$NS_SIGNED" nsd-signed
	wait_dns "$NS_PLAIN" nsd-plain
	wait_dns "$NS_SECOND" nsd-second "$(echo "$SECOND" | awk 'NF == 2 {
	    print $1; exit }')"
}

# One labsmtpd per (host, mode, chain), on all of its addresses; they
# start at once, each one detaches once it listens.
start_smtp()
{
	mkdir -p "$WORK/chains"
	sort "$WORK/listen" | awk '
	{
		k = $1 " " $2 " " $3
		if (k != last) {
			if (last != "")
				print line
			line = $1 "." ++n[$1] " " $2 " " $3
			last = k
		}
		line = line " " $4
	}
	END { if (last != "") print line }' >"$WORK/servers"
	# the chain files, in one go
	awk -v cas=" $CAS " -v certs="$CERTS" -v chains="$WORK/chains" '
	{
		host = $1
		sub(/\.[0-9]+$/, "", host)
		out = chains "/" $1 ".pem"
		n = split($3, c, "+")
		for (i = 1; i <= n; i++) {
			f = certs "/" (index(cas, " " c[i] " ") ? c[i] : \
			    host "." c[i]) ".pem"
			while ((r = (getline l < f)) > 0)
				print l > out
			if (r < 0) {
				printf "lab.sh: cannot read %s\n", f > "/dev/stderr"
				exit 1
			}
			close(f)
		}
		close(out)
	}' "$WORK/servers"
	_pids=
	while read -r id mode chain listen; do
		host=${id%.*}
		set --
		for l in $listen; do
			set -- "$@" -l "$l"
		done
		case $mode in
		*,staple|*,staple=*)
			mode=${mode%%,*}
			set -- "$@" -O "$CERTS/$host.${chain%%+*}.resp" ;;
		dual)
			# the row's chain, and the RSA leaf with int
			cat "$CERTS/$host.rsa.pem" "$CERTS/int.pem" \
			    >"$WORK/chains/$id.rsa.pem"
			"$LABSMTPD_DUAL" "$@" -c "$WORK/chains/$id.pem" \
			    -k "$CERTS/$host.${chain%%+*}.key" \
			    -c "$WORK/chains/$id.rsa.pem" \
			    -k "$CERTS/$host.rsa.key" -m good \
			    -P "$RUN/$id.pid" -L "$LOGS/$id.log" \
			    >"$LOGS/$id.start" 2>&1 &
			_pids="$_pids $!"
			continue ;;
		esac
		"$LABSMTPD" "$@" -c "$WORK/chains/$id.pem" \
		    -k "$CERTS/$host.${chain%%+*}.key" -m "$mode" \
		    -P "$RUN/$id.pid" -L "$LOGS/$id.log" \
		    >"$LOGS/$id.start" 2>&1 &
		_pids="$_pids $!"
	done <"$WORK/servers"
	for _p in $_pids; do
		wait "$_p" || :
	done
	_fail=0
	while read -r id _rest; do
		if [ ! -s "$RUN/$id.pid" ]; then
			echo "lab.sh: labsmtpd for $id did not start:" >&2
			sed 's/^/	/' "$LOGS/$id.start" >&2
			_fail=1
		fi
	done <"$WORK/servers"
	[ $_fail -eq 0 ] || die "cannot start the SMTP servers"
}

# --- commands -------------------------------------------------------

# proc_is PID NAME: PID runs, is not a zombie (PID 1 may be slow to reap
# a detached daemon) and its command name starts with NAME.
proc_is()
{
	kill -0 "$1" 2>/dev/null || return 1
	if [ ! -d "/proc/$1" ]; then
		ps -o comm= -p "$1" | grep -q "^$2"
		return
	fi
	# Name: comes first and State: within the first few lines
	_comm=
	_state=
	{
		for _n in 1 2 3 4 5; do
			read -r _k _v _rest || break
			case $_k in
			Name:)	_comm=$_v ;;
			State:)	_state=$_v; break ;;
			esac
		done
	} 2>/dev/null <"/proc/$1/status" || return 1
	[ "$_state" != Z ] || return 1
	case $_comm in
	"$2"*)	return 0 ;;
	esac
	return 1
}

# The program a pid file belongs to, in $prog.
pid_prog()
{
	case ${1##*/} in
	nsd-*)		prog=nsd ;;
	blackhole.pid)	prog=blackhole ;;
	*)		prog=labsmtpd ;;
	esac
}

lab_down()
{
	[ -d "$RUN" ] || return 0
	_pids=
	for pf in "$RUN"/*.pid; do
		[ -f "$pf" ] || continue
		pid=
		read -r pid <"$pf" 2>/dev/null || :
		case $pid in
		''|*[!0-9]*) ;;
		*)	pid_prog "$pf"
			if proc_is "$pid" "$prog"; then
				kill "$pid" 2>/dev/null || :
				_pids="$_pids $pid:$prog"
			fi ;;
		esac
		rm -f "$pf"
	done
	# give them 3 s to go, then insist
	_i=0
	while [ -n "$_pids" ] && [ $_i -lt 60 ]; do
		_left=
		for _pp in $_pids; do
			if proc_is "${_pp%%:*}" "${_pp#*:}"; then
				_left="$_left $_pp"
			fi
		done
		_pids=$_left
		[ -n "$_pids" ] || break
		sleep 0.05
		_i=$((_i + 1))
	done
	for _pp in $_pids; do
		kill -9 "${_pp%%:*}" 2>/dev/null || :
	done
}

# The lab binds port 53 and fixed loopback addresses: it belongs in a
# private network namespace of its own (regress/netns.sh, which make
# regress and regress/demo.sh use), where nothing of the host's can be
# met or disturbed, never on the host's own network.  SMTPDANE_NETNS=1
# is netns.sh's mark; then our namespace must also differ from init's
# or, where /proc/1 cannot be read, have no address but on loopback.
# LAB_HOST_NETWORK=1 overrides.
private_netns()
{
	[ "${LAB_HOST_NETWORK:-}" != 1 ] || return 0
	[ "${SMTPDANE_NETNS:-}" = 1 ] || return 1
	if _init=$(readlink /proc/1/ns/net 2>/dev/null); then
		[ "$(readlink /proc/self/ns/net)" != "$_init" ]
		return
	fi
	command -v ip >/dev/null 2>&1 || return 0
	_addrs=$(ip -o addr show) || return 1
	[ -z "$(echo "$_addrs" | awk '$2 != "lo"')" ]
}

lab_up()
{
	if ! private_netns; then
		echo "lab.sh: refusing to start the lab on this host's network" \
		    "(it binds port 53 of 127.53.0.1-4 and 127.0.10.N):" \
		    "run it inside sh regress/netns.sh, as make regress and" \
		    "regress/demo.sh do, or set LAB_HOST_NETWORK=1" >&2
		exit 2
	fi
	for t in openssl ldns-keygen ldns-signzone ldns-key2ds nsd drill \
	    base64 od sha256sum sha512sum; do
		command -v "$t" >/dev/null 2>&1 ||
		    die "$t not found (run regress/install-deps.sh)"
	done
	[ -x "$LABSMTPD" ] || die "$LABSMTPD not built (make regress-progs)"
	[ -x "$LABSMTPD_DUAL" ] ||
	    die "$LABSMTPD_DUAL not built (make regress-progs)"
	[ -x "$BLACKHOLE" ] || die "$BLACKHOLE not built (make regress-progs)"
	lab_down
	rm -rf "$WORK"
	mkdir -p "$CERTS" "$ZDIR/plain" "$ZDIR/second" "$KEYS" "$RUN" "$LOGS"
	read_table
	read_records
	plan_leaves
	make_cas
	make_leaves
	make_digests
	make_records
	make_staples
	make_extra_records
	make_zones
	# if a server does not start, leave none running
	trap 'lab_down' EXIT
	start_dns
	start_smtp
	trap - EXIT
}

lab_status()
{
	_up=0
	_dead=0
	for pf in "$RUN"/*.pid; do
		[ -f "$pf" ] || continue
		id=${pf##*/}
		id=${id%.pid}
		pid=
		read -r pid <"$pf" 2>/dev/null || :
		pid_prog "$pf"
		if [ -n "$pid" ] && proc_is "$pid" "$prog"; then
			echo "running	$id (pid $pid)"
			_up=$((_up + 1))
		else
			echo "dead	$id"
			_dead=$((_dead + 1))
		fi
	done
	if [ $_up -eq 0 ] && [ $_dead -eq 0 ]; then
		echo "lab is down"
		return 1
	fi
	echo "lab: $_up running, $_dead dead"
	[ $_dead -eq 0 ]
}

# A second opinion on the lab, independent of smtpdane: OpenSSL's own
# DANE verification (s_client -dane_tlsa_rrdata) of every server that
# completes a handshake, with the TLSA records NSD serves.  OpenSSL
# checks names for DANE-EE too, unlike RFC 7672.
lab_check()
{
	[ -f "$WORK/servers" ] || die "the lab was never brought up"
	while read -r id mode _chain listen _more; do
		host=${id%.*}
		case ${mode%%,*} in
		good|multiline-banner|ehlo-200|slow-banner) _st="-starttls smtp" ;;
		tls-on-connect) _st= ;;
		*)	continue ;;
		esac
		_port=${listen##*:}
		set --
		for _r in $(drill @"$NS_SIGNED" "_$_port._tcp.$host" TLSA |
		    awk '$1 !~ /^;/ && $4 == "TLSA" {
			printf "%s_%s_%s_%s\n", $5, $6, $7, $8 }')
		do
			set -- "$@" -dane_tlsa_rrdata "$(echo "$_r" | tr _ ' ')"
		done
		if [ $# -eq 0 ]; then
			echo "$id: no TLSA records"
			continue
		fi
		# shellcheck disable=SC2086 # $_st is empty or two words
		_v=$(echo QUIT | timeout 10 openssl s_client $_st \
		    -connect "$listen" -servername "$host" \
		    -dane_tlsa_domain "$host" "$@" 2>&1 | awk '
		    /^DANE TLSA .* (matched|signed)/ { m = $0 }
		    /^Verification( error)?:/ { v = $0 }
		    END { print v (m != "" ? "; " m : "") }')
		[ -n "$_v" ] ||
		    _v="no verdict (OpenSSL refused every record, or no handshake)"
		echo "$id $listen: $_v"
	done <"$WORK/servers"
}

case ${1:-} in
up)	lab_up ;;
down)	lab_down ;;
status)	lab_status ;;
check)	lab_check ;;
env)	echo "DNS_RESOLVER=$NS_SIGNED"
	echo "ANCHOR='$WORK/root.ds'"
	echo "LABWORK='$WORK'" ;;
*)	echo "usage: lab.sh up | down | status | env | check" >&2
	exit 2 ;;
esac
