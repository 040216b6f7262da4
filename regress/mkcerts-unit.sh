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
# mkcerts-unit.sh DIR: write into DIR every certificate that
# regress/test_dane.c needs, and the OCSP responses of
# regress/test_ocsp.c (listed below, before their making).  EC P-256 keys throughout, so that it
# takes a second or two.
#
#   root       Unit Root CA, self-signed
#   int        Unit Intermediate CA, signed by root
#   leaf       mx.example.test, signed by int
#   wild       *.example.test, signed by int
#   wrong      *.other.test and other.test, signed by int
#   cnonly     CN=mx.example.test and no subjectAltName, signed by int
#   expired    mx.example.test, valid 2020-01-01 .. 2024-01-01
#   future     mx.example.test, valid 2090-01-01 .. 2091-01-01
#   soon       mx.example.test, expires in 2 days
#   forged     mx.example.test, names int as issuer (subject and key
#              identifier) but is signed by another key
#   root2      a second CA with the same subject name as root
#   leaf2      mx.example.test, signed by root2
#   self       mx.example.test, self-signed end entity
#   evil       names with an escape byte in them, signed by int
#   client     mx.example.test, extendedKeyUsage clientAuth only, by int
#   sha1       mx.example.test, signed by int with SHA-1
#   rsaint     Unit RSA Intermediate CA (RSA 2048), signed by root
#   md5        mx.example.test, signed by rsaint with MD5 (ECDSA has
#              no MD5 form)
#   oldint     Unit Old Intermediate CA, signed by root, valid 2020-2024
#   oldleaf    mx.example.test, signed by oldint, valid now
#   oldroot    Unit Old Root CA, self-signed, valid 2020-2024
#   oldrleaf   mx.example.test, signed by oldroot, valid now
#   xroot      Unit Cross Root, self-signed; never sent by the server
#   other      Unit Other Root, self-signed
#   xcross     Unit Cross Root again (xroot's key), signed by other
#   xca        Unit Cross CA, signed by xroot (so by xcross's key too)
#   xleaf      mx.example.test, signed by xca: the cross-signed chain
#              xleaf <- xca <- xcross <- other, whose anchor xroot is
#              only in DNS and signed xca at depth 1
#
# Each NAME comes as NAME.pem (certificate) and NAME.key.
#

set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
D=$1
mkdir -p "$D"
cd "$D"
rm -rf ca.db newcerts
rm -f ./*.pem ./*.key ./*.csr ./*.der unit.cnf openssl.log
mkdir newcerts
: > ca.db
echo 1000 > ca.serial
: > openssl.log

ESC=$(printf '\033')

cat > unit.cnf <<EOF
[ req ]
distinguished_name	= req_dn
[ req_dn ]

[ ca ]
default_ca		= unit_ca
[ unit_ca ]
database		= ca.db
new_certs_dir		= newcerts
serial			= ca.serial
default_md		= sha256
policy			= unit_policy
unique_subject		= no
email_in_dn		= no
[ unit_policy ]
commonName		= optional

[ root_ext ]
basicConstraints	= critical, CA:TRUE
keyUsage		= critical, keyCertSign, cRLSign
subjectKeyIdentifier	= hash
[ int_ext ]
basicConstraints	= critical, CA:TRUE, pathlen:0
keyUsage		= critical, keyCertSign, cRLSign
subjectKeyIdentifier	= hash
authorityKeyIdentifier	= keyid
[ leaf_ext ]
basicConstraints	= CA:FALSE
keyUsage		= critical, digitalSignature
extendedKeyUsage	= serverAuth
subjectAltName		= DNS:mx.example.test
subjectKeyIdentifier	= hash
authorityKeyIdentifier	= keyid
[ wild_ext ]
basicConstraints	= CA:FALSE
subjectAltName		= DNS:*.example.test
authorityKeyIdentifier	= keyid
[ wrong_ext ]
basicConstraints	= CA:FALSE
subjectAltName		= DNS:*.other.test, DNS:other.test
authorityKeyIdentifier	= keyid
[ cnonly_ext ]
basicConstraints	= CA:FALSE
authorityKeyIdentifier	= keyid
[ client_ext ]
basicConstraints	= CA:FALSE
keyUsage		= critical, digitalSignature
extendedKeyUsage	= clientAuth
subjectAltName		= DNS:mx.example.test
authorityKeyIdentifier	= keyid
[ evil_ext ]
basicConstraints	= CA:FALSE
subjectAltName		= DNS:mx${ESC}[31m.example.test, DNS:mx.example.test
authorityKeyIdentifier	= keyid
EOF

serial=1

run()
{
	if ! "$@" >> openssl.log 2>&1; then
		echo "$0: failed: $*" >&2
		cat openssl.log >&2
		exit 1
	fi
}

key()
{
	run openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
}

# selfsigned name subject extensions
selfsigned()
{
	key "$1"
	run openssl req -new -x509 -config unit.cnf -key "$1.key" -subj "$2" \
	    -sha256 -days 7300 -extensions "$3" -out "$1.pem"
}

csr()
{
	key "$1"
	run openssl req -new -config unit.cnf -key "$1.key" -subj "$2" \
	    -out "$1.csr"
}

# sign name subject extensions ca days [digest]
sign()
{
	csr "$1" "$2"
	serial=$((serial + 1))
	run openssl x509 -req -in "$1.csr" -CA "$4.pem" -CAkey "$4.key" \
	    -set_serial "$serial" -"${6:-sha256}" -days "$5" \
	    -extfile unit.cnf -extensions "$3" -out "$1.pem"
}

# dated name subject extensions ca start end: fixed validity dates,
# which only openssl ca can set
dated()
{
	csr "$1" "$2"
	run openssl ca -config unit.cnf -batch -notext -preserveDN \
	    -cert "$4.pem" -keyfile "$4.key" -in "$1.csr" -out "$1.pem" \
	    -startdate "$5" -enddate "$6" -extfile unit.cnf -extensions "$3"
}

ROOT="/O=smtpdane regress/CN=Unit Root CA"
INT="/O=smtpdane regress/CN=Unit Intermediate CA"
MX="/CN=mx.example.test"

selfsigned root "$ROOT" root_ext
sign int "$INT" int_ext root 3650
sign leaf "$MX" leaf_ext int 365
sign wild "/CN=*.example.test" wild_ext int 365
sign wrong "/CN=other.test" wrong_ext int 365
sign cnonly "$MX" cnonly_ext int 365
dated expired "$MX" leaf_ext int 20200101000000Z 20240101000000Z
dated future "$MX" leaf_ext int 20900101000000Z 20910101000000Z
sign soon "$MX" leaf_ext int 2
sign evil "/CN=mx${ESC}[31m.example.test" evil_ext int 365
sign client "$MX" client_ext int 365
sign sha1 "$MX" leaf_ext int 365 sha1
run openssl genrsa -out rsaint.key 2048
run openssl req -new -config unit.cnf -key rsaint.key \
    -subj "/O=smtpdane regress/CN=Unit RSA Intermediate CA" -out rsaint.csr
serial=$((serial + 1))
run openssl x509 -req -in rsaint.csr -CA root.pem -CAkey root.key \
    -set_serial "$serial" -sha256 -days 3650 -extfile unit.cnf \
    -extensions int_ext -out rsaint.pem
sign md5 "$MX" leaf_ext rsaint 365 md5
dated oldint "/O=smtpdane regress/CN=Unit Old Intermediate CA" int_ext root \
    20200101000000Z 20240101000000Z
sign oldleaf "$MX" leaf_ext oldint 365
csr oldroot "/O=smtpdane regress/CN=Unit Old Root CA"
run openssl ca -config unit.cnf -batch -notext -preserveDN -selfsign \
    -keyfile oldroot.key -in oldroot.csr -out oldroot.pem \
    -startdate 20200101000000Z -enddate 20240101000000Z \
    -extfile unit.cnf -extensions root_ext
sign oldrleaf "$MX" leaf_ext oldroot 365

# The cross-signed chain: xcross is xroot's key under other's name.
XROOT="/O=smtpdane regress/CN=Unit Cross Root"
selfsigned xroot "$XROOT" root_ext
selfsigned other "/O=smtpdane regress/CN=Unit Other Root" root_ext
run openssl req -new -config unit.cnf -key xroot.key -subj "$XROOT" \
    -out xcross.csr
serial=$((serial + 1))
run openssl x509 -req -in xcross.csr -CA other.pem -CAkey other.key \
    -set_serial "$serial" -sha256 -days 3650 -extfile unit.cnf \
    -extensions root_ext -out xcross.pem
sign xca "/O=smtpdane regress/CN=Unit Cross CA" int_ext xroot 3650
sign xleaf "$MX" leaf_ext xca 365

# The forger copies the intermediate's subject and key identifier, so
# that only the signature tells its leaf apart.
skid=$(openssl x509 -in int.pem -noout -text |
    awk '/Subject Key Identifier/ { getline; gsub(/[ \t]/, ""); print }')
cat >> unit.cnf <<EOF
[ fake_ext ]
basicConstraints	= critical, CA:TRUE
keyUsage		= critical, keyCertSign, cRLSign
subjectKeyIdentifier	= $skid
EOF
selfsigned fakeint "$INT" fake_ext
sign forged "$MX" leaf_ext fakeint 365

selfsigned root2 "$ROOT" root_ext
sign leaf2 "$MX" leaf_ext root2 365

key self
run openssl req -new -x509 -config unit.cnf -key self.key -subj "$MX" \
    -sha256 -days 365 -extensions leaf_ext -out self.pem

# OCSP responses for regress/test_ocsp.c (DER), about leaf unless said:
#   ocsp-good      good, signed by int, nextUpdate in 7 days
#   ocsp-keyid     the same, its responder named by key hash
#   ocsp-sha256    good, the certificate ID hashed with SHA2-256
#   ocsp-nonext    good, no nextUpdate
#   ocsp-revoked   revoked since 2025-01-01 00:00:00Z, keyCompromise
#   ocsp-unknown   status unknown (the index does not hold the leaf)
#   ocsp-deleg     good, signed by ocspsigner (int's, for OCSP signing)
#   ocsp-noeku     good, signed by wild (int's, not for OCSP signing)
#   ocsp-badsig    good, signed by fakeint (int's name, another key)
#   ocsp-other     good, about wild instead
#   ocsp-self      good, about self, signed by self
#   ocsp-trylater, ocsp-internal: responseStatus tryLater, internalError
cat >> unit.cnf <<EOF
[ ocspsign_ext ]
basicConstraints	= CA:FALSE
keyUsage		= critical, digitalSignature
extendedKeyUsage	= OCSPSigning
authorityKeyIdentifier	= keyid
EOF
sign ocspsigner "/O=smtpdane regress/CN=Unit OCSP Responder" ocspsign_ext \
    int 365

# index_line STATUS CERT [REVOCATION]: one line of openssl ocsp's index
index_line()
{
	_ser=$(openssl x509 -in "$2.pem" -noout -serial)
	_sub=$(openssl x509 -in "$2.pem" -noout -subject -nameopt compat)
	printf '%s\t301231235959Z\t%s\t%s\tunknown\t%s\n' "$1" "${3:-}" \
	    "${_ser#serial=}" "${_sub#subject=}"
}

# respond NAME INDEX SIGNER ISSUER CERT [OPTION ...]: ocsp-NAME.der,
# openssl ocsp's answer to its own request about CERT
respond()
{
	_n=$1 _x=$2 _s=$3 _i=$4 _c=$5
	shift 5
	# a digest option must come before -cert
	run openssl ocsp "$@" -index "$_x" -rsigner "$_s.pem" \
	    -rkey "$_s.key" -CA "$_i.pem" -issuer "$_i.pem" -cert "$_c.pem" \
	    -no_nonce -respout "ocsp-$_n.der"
}

index_line V leaf > ocsp-good.idx
index_line R leaf 250101000000Z,keyCompromise > ocsp-revoked.idx
index_line V wild > ocsp-wild.idx
index_line V self > ocsp-self.idx
: > ocsp-empty.idx
respond good ocsp-good.idx int int leaf -ndays 7
respond keyid ocsp-good.idx int int leaf -ndays 7 -resp_key_id
respond sha256 ocsp-good.idx int int leaf -ndays 7 -sha256
respond nonext ocsp-good.idx int int leaf
respond revoked ocsp-revoked.idx int int leaf -ndays 7
respond unknown ocsp-empty.idx int int leaf -ndays 7
respond deleg ocsp-good.idx ocspsigner int leaf -ndays 7
respond noeku ocsp-good.idx wild int leaf -ndays 7
respond badsig ocsp-good.idx fakeint int leaf -ndays 7
respond other ocsp-wild.idx int int wild -ndays 7
respond self ocsp-self.idx self self self -ndays 7
printf '\060\003\012\001\003' > ocsp-trylater.der
printf '\060\003\012\001\002' > ocsp-internal.der
rm -f ./*.idx

# keep only the certificates, keys and the configuration
rm -rf ./*.csr ca.db* ca.serial* newcerts openssl.log
exit 0
