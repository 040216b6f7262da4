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
# mkseeds.sh: write the certificate-based seeds of the fuzz corpora,
# regress/fuzz/corpus/dane/ and regress/fuzz/corpus/tlsa/, from a
# small PKI made here with openssl.  The other corpora are plain
# files, written by hand.  Keys are fresh on every run, so the output
# differs each time; the committed seeds are one such run.
#
# Every certificate has fixed dates (openssl ca), matched to the
# times fuzz_dane.c can pick: most are valid 2024-01-01 to 2034-01-01,
# around its default "now" of 2025-06-01.
#
# The dane seed layout is described at the top of fuzz_dane.c:
# count of records, flags, records (2-byte length + rdata), chain.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DANE=$HERE/corpus/dane
TLSA=$HERE/corpus/tlsa
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

ESC=$(printf '\033')
cat > pki.cnf <<EOF
[ req ]
distinguished_name	= dn
[ dn ]
[ ca ]
default_ca		= fuzz_ca
[ fuzz_ca ]
database		= index.txt
new_certs_dir		= .
serial			= serial
default_md		= sha256
policy			= any
unique_subject		= no
[ any ]
commonName		= optional
[ ca_ext ]
basicConstraints	= critical, CA:TRUE
keyUsage		= critical, keyCertSign
subjectKeyIdentifier	= hash
authorityKeyIdentifier	= keyid
[ leaf_ext ]
basicConstraints	= CA:FALSE
subjectAltName		= DNS:mx.example.test
authorityKeyIdentifier	= keyid
[ wild_ext ]
basicConstraints	= CA:FALSE
subjectAltName		= DNS:*.example.test
[ evil_ext ]
basicConstraints	= CA:FALSE
subjectAltName		= DNS:mx${ESC}[2J.example.test, DNS:mx.example.test
EOF
: > index.txt
echo 01 > serial

quiet()
{
	if ! "$@" > log 2>&1; then
		cat log >&2
		exit 1
	fi
}

# cert NAME SUBJECT EXTENSIONS ISSUER START END [rsa]
# ISSUER "self" makes a self-signed certificate.
cert()
{
	if [ "${7:-}" = rsa ]; then
		quiet openssl genpkey -algorithm RSA \
		    -pkeyopt rsa_keygen_bits:2048 -out "$1.key"
	else
		quiet openssl genpkey -algorithm EC \
		    -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
	fi
	quiet openssl req -new -config pki.cnf -key "$1.key" -subj "$2" \
	    -out "$1.csr"
	if [ "$4" = self ]; then
		set -- "$1" "$2" "$3" "$1" "$5" "$6" -selfsign
	else
		set -- "$1" "$2" "$3" "$4" "$5" "$6" -cert "$4.pem"
	fi
	quiet openssl ca -batch -config pki.cnf -notext -preserveDN \
	    -keyfile "$4.key" "$7" ${8:+"$8"} -in "$1.csr" -out "$1.pem" \
	    -startdate "$5" -enddate "$6" -extfile pki.cnf -extensions "$3"
	openssl x509 -in "$1.pem" -outform DER -out "$1.der"
	openssl x509 -in "$1.pem" -noout -pubkey |
	    openssl pkey -pubin -outform DER -out "$1.spki"
}

ON=240101000000Z
OFF=340101000000Z
cert root "/CN=Fuzz Root CA" ca_ext self $ON $OFF
cert int "/CN=Fuzz Intermediate CA" ca_ext root $ON $OFF
cert leaf "/CN=mx.example.test" leaf_ext int $ON $OFF
cert wild "/CN=*.example.test" wild_ext int $ON $OFF
cert expired "/CN=mx.example.test" leaf_ext int 200101000000Z \
    250101000000Z
cert soon "/CN=mx.example.test" leaf_ext int $ON 250605000000Z
cert evil "/CN=mx${ESC}[2J.example.test" evil_ext int $ON $OFF
cert self "/CN=mx.example.test" leaf_ext self $ON $OFF rsa
# Same subject as the intermediate, another key: signs a forged leaf.
cert fakeint "/CN=Fuzz Intermediate CA" ca_ext self $ON $OFF
cert forged "/CN=mx.example.test" leaf_ext fakeint $ON $OFF

# u16 N: N as two bytes, big endian.
u16()
{
	printf "\\$(printf %03o $(($1 >> 8)))\\$(printf %03o $(($1 & 255)))"
}

# rdata FILE USAGE SELECTOR MTYPE NAME: a TLSA record for NAME's
# certificate (selector 0) or key (1), digest by matching type.
rdata()
{
	if [ "$3" = 0 ]; then src=$5.der; else src=$5.spki; fi
	{
		printf "\\$(printf %03o "$2")\\$(printf %03o "$3")"
		printf "\\$(printf %03o "$4")"
		case $4 in
		0)	cat "$src" ;;
		1)	openssl dgst -sha256 -binary "$src" ;;
		2)	openssl dgst -sha512 -binary "$src" ;;
		esac
	} > "$1"
}

# record FILE: append a length-prefixed record to the seed being built.
record()
{
	u16 "$(wc -c < "$1")"
	cat "$1"
}

# ders NAME...: a DER chain for the flags' bit 0.
ders()
{
	for n; do
		u16 "$(wc -c < "$n.der")"
		cat "$n.der"
	done
}

# seed - NRECORDS FLAGS: head of a dane seed.  FLAGS: 1 = DER chain,
# 2/4/6 = other dates, 8 = names "mx.example.test", 32 = names
# "a.mx.example.test", 64 = warn window, 128 = chain sent 12 times.
seed()
{
	printf "\\$(printf %03o "$2")\\$(printf %03o "$3")"
}

mkdir -p "$DANE" "$TLSA"
rm -f "$DANE"/seed-* "$TLSA"/seed-*

rdata r311 3 1 1 leaf
rdata r301 3 0 1 leaf
rdata r312 3 1 2 leaf
rdata r300 3 0 0 leaf
rdata r310 3 1 0 leaf
rdata r211int 2 1 1 int
rdata r200root 2 0 0 root
rdata r210root 2 1 0 root
rdata r212root 2 1 2 root
rdata r312self 3 1 2 self
rdata r001 0 0 1 root
printf '\003\001\001short' > rshort
printf '\004\002\003' > rodd

# TLSA rdata alone.
for r in r311 r312 r300 r310 r200root r210root r001 rshort rodd; do
	cp "$r" "$TLSA/seed-$r"
done

# DANE-EE over a DER chain; the same over the PEM text libtls gives.
{ seed - 1 73; record r311; ders leaf int root; } > "$DANE/seed-ee-311"
{ seed - 1 72; record r301; cat leaf.pem int.pem; } > "$DANE/seed-ee-301-pem"
{ seed - 1 9; record r300; ders leaf; } > "$DANE/seed-ee-300"
# DANE-TA: intermediate sent; root not sent, as certificate or key.
{ seed - 1 73; record r211int; ders leaf int; } > "$DANE/seed-ta-211"
{ seed - 1 9; record r200root; ders leaf int; } > "$DANE/seed-ta-200-absent"
{ seed - 1 9; record r210root; ders leaf int; } > "$DANE/seed-ta-210-absent"
# Out of order, SHA-512, wildcard leaf, name mismatch.
{ seed - 1 9; record r212root; ders leaf root int; } > "$DANE/seed-ta-212-order"
{ seed - 1 33; record r211int; ders wild int root; } > "$DANE/seed-ta-wild-deep"
# Expired and expiring leaves, escapes in names, forged chain.
{ seed - 2 73; record r211int; record r311; ders expired int; } \
    > "$DANE/seed-expired"
{ seed - 1 73; record r211int; ders soon int; } > "$DANE/seed-soon"
{ seed - 1 9; record r211int; ders evil int; } > "$DANE/seed-evil-names"
{ seed - 1 9; record r211int; ders forged int; } > "$DANE/seed-forged"
# Mixed RRset: unusable, short, 3 1 1 set aside for a 3 1 2 (digest
# agility), the 3 1 2 of a self-signed RSA leaf.
{ seed - 4 9; record r001; record rshort; record r311; record r312self
    ders self; } > "$DANE/seed-mixed"
# PEM with CRLF line ends and text around the blocks.
{ seed - 1 8; record r211int; printf 'subject=junk\r\n'
    sed 's/$/\r/' leaf.pem; printf 'more\r\n'; sed 's/$/\r/' int.pem; } \
    > "$DANE/seed-pem-crlf"
# The chain sent 12 times over (flags bit 7): 24 certificates, and 36,
# past the limit of what a server may send.
{ seed - 1 137; record r211int; ders leaf int; } > "$DANE/seed-repeat-24"
{ seed - 1 137; record r211int; ders leaf int root; } > "$DANE/seed-repeat-36"
