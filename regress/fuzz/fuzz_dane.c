/*
 * Copyright (c) 2026 the smtpdane authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * libFuzzer harness: the DANE matcher (dane.c, dane_verify) fed an
 * arbitrary presented chain and an arbitrary TLSA RRset.
 *
 * Input layout (see mkseeds.sh, which writes seeds in it):
 *
 *	byte 0		number of TLSA records, low 4 bits (0 to 15)
 *	byte 1		bit 0: chain form, 0 = the rest is PEM text as
 *			       the server's chain, 1 = the rest is a list
 *			       of DER certificates, each wrapped here in a
 *			       real PEM block (so that mutations reach the
 *			       X.509 code instead of dying in base64)
 *			bits 1-2: the time of the check (4 fixed dates)
 *			bits 3-5: the reference names (8 fixed sets)
 *			bit 6: expiry warning window of 7 days, else off
 *			bit 7: the chain is sent 12 times over, to reach
 *			       long chains and the CHAIN_MAX limit
 *	per record	2-byte length (big endian), then the rdata
 *	the rest	the chain: PEM text, or 2-byte length + DER, ...
 *
 * Lengths past the end of the input are cut to what is left.  Rdata
 * goes through tlsa_parse(), as in the check child.  The report must
 * hold together, carry only escaped text, and never say "verified"
 * unless a usable record really matches what was presented.  And the
 * verdict must be OpenSSL's (regress/danediff.c): any disagreement
 * that its table does not list stops the run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "smtpdane.h"
#include "danediff.h"
#include "fuzz.h"

#define MAX_RECORDS	15

static const time_t dates[4] = {
	1748736000,	/* 2025-06-01: inside the seed certificates' dates */
	946684800,	/* 2000-01-01: before them */
	4102444800LL,	/* 2100-01-01: after them */
	1704067200,	/* 2024-01-01 00:00:00: their first second */
};

static const char *const nameset[8][MAX_NAMES] = {
	{ NULL },
	{ "mx.example.test" },
	{ "mx.example.test", "example.test" },
	{ "MX.Example.TEST." },
	{ "a.mx.example.test" },
	{ "other.test", "mx.example.test" },
	{ "example.test", "mail.example.test", "smtp.example.test" },
	{ "n1.test", "n2.test", "n3.test", "n4.test", "n5.test", "n6.test",
	  "n7.test", "n8.test", "n9.test", "n10.test", "n11.test",
	  "n12.test", "n13.test", "n14.test", "n15.test",
	  "mx.example.test" },
};

static size_t
take_len(const uint8_t **p, const uint8_t *end)
{
	size_t	 n;

	if (end - *p < 2) {
		*p = end;
		return 0;
	}
	n = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	if (n > (size_t)(end - *p))
		n = end - *p;
	return n;
}

static void
b64_line(char *out, size_t *o, const uint8_t *in, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t	 i;
	uint32_t v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[(*o)++] = b64[v >> 18 & 63];
		out[(*o)++] = b64[v >> 12 & 63];
		out[(*o)++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[(*o)++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[(*o)++] = '\n';
}

/* DER certificates, each 2-byte length first, as one PEM text. */
static char *
der_to_pem(const uint8_t *p, const uint8_t *end, size_t *lenp)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
	static const char fin[] = "-----END CERTIFICATE-----\n";
	char		*pem;
	size_t		 n, i, o = 0, cap;

	/* Base64 is 4/3, plus a newline per 48 bytes, plus the lines. */
	cap = 2 * (size_t)(end - p) + 64 * ((size_t)(end - p) / 2 + 1) + 1;
	if ((pem = malloc(cap)) == NULL)
		return NULL;
	while (p < end) {
		n = take_len(&p, end);
		memcpy(pem + o, begin, sizeof(begin) - 1);
		o += sizeof(begin) - 1;
		for (i = 0; i < n; i += 48)
			b64_line(pem, &o, p + i, n - i < 48 ? n - i : 48);
		memcpy(pem + o, fin, sizeof(fin) - 1);
		o += sizeof(fin) - 1;
		p += n;
	}
	pem[o] = '\0';
	*lenp = o;
	return pem;
}

/* The chain text n times over; the old text is freed. */
static char *
repeat(char *pem, size_t *lenp, size_t n)
{
	char	*big;
	size_t	 i;

	if ((big = malloc(n * *lenp + 1)) != NULL) {
		for (i = 0; i < n; i++)
			memcpy(big + i * *lenp, pem, *lenp);
		big[n * *lenp] = '\0';
		*lenp *= n;
	}
	free(pem);
	return big;
}

static X509 *
pem_cert(const char *pem)
{
	BIO	*b;
	X509	*x;

	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	return x;
}

/* Does record t match certificate x, by the plain RFC 6698 rules? */
static int
matches(const struct tlsa *t, X509 *x)
{
	unsigned char	*der = NULL, md[EVP_MAX_MD_SIZE];
	const unsigned char *d;
	unsigned int	 mdlen;
	size_t		 n;
	int		 len, ok = 0;

	if (t->selector == TLSA_SEL_CERT)
		len = i2d_X509(x, &der);
	else
		len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0)
		return 0;
	d = der;
	n = (size_t)len;
	if (t->mtype != TLSA_MT_FULL) {
		if (EVP_Digest(der, n, md, &mdlen, t->mtype == TLSA_MT_SHA256 ?
		    EVP_sha256() : EVP_sha512(), NULL) != 1)
			goto done;
		d = md;
		n = mdlen;
	}
	ok = n == t->len && memcmp(d, t->data, n) == 0;
 done:
	OPENSSL_free(der);
	return ok;
}

static int
leaf_named(X509 *leaf, const struct dane_params *p)
{
	size_t	 i, l;

	for (i = 0; i < p->nnames; i++) {
		l = strlen(p->names[i]);
		if (l > 1 && p->names[i][l - 1] == '.')
			l--;
		if (X509_check_host(leaf, p->names[i], l,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1)
			return 1;
	}
	return 0;
}

/*
 * "Verified" must be earned: DANE-EE needs the leaf to match; DANE-TA
 * needs a presented certificate to match (or full data from DNS that
 * is checked by signature) and a leaf with a reference name.
 */
static void
check_verified(const struct dane_params *p, const struct dane_report *r)
{
	const struct tlsa *t;
	X509		*leaf, *x;
	size_t		 i, j;
	int		 any = 0, found;

	FUZZ_CHECK(r->ncert > 0);
	leaf = pem_cert(r->cert[0].pem);
	FUZZ_CHECK(leaf != NULL);
	for (i = 0; i < r->nout; i++) {
		if (!r->out[i].verified)
			continue;
		any = 1;
		t = &p->tlsa[i];
		FUZZ_CHECK(r->out[i].usable && r->out[i].matched);
		FUZZ_CHECK(tlsa_unusable(t) == NULL);
		if (t->usage == TLSA_DANE_EE) {
			FUZZ_CHECK(matches(t, leaf));
			continue;
		}
		FUZZ_CHECK(t->usage == TLSA_DANE_TA);
		FUZZ_CHECK(leaf_named(leaf, p));
		found = t->mtype == TLSA_MT_FULL;
		for (j = 0; j < r->ncert && !found; j++) {
			if ((x = pem_cert(r->cert[j].pem)) == NULL)
				continue;
			found = matches(t, x);
			X509_free(x);
		}
		FUZZ_CHECK(found);
	}
	FUZZ_CHECK(any);
	X509_free(leaf);
}

static void
check_report(const struct dane_params *p, const struct dane_report *r)
{
	size_t	 i;

	FUZZ_CHECK((unsigned)r->result < R__MAX);
	FUZZ_CHECK(r->reason[0] != '\0' &&
	    fuzz_printable(r->reason, sizeof(r->reason)));
	FUZZ_CHECK(r->nout == p->ntlsa);
	FUZZ_CHECK(r->nwarn <= DANE_MAX_WARN);
	FUZZ_CHECK(r->ncert <= 32);
	for (i = 0; i < r->nout; i++) {
		FUZZ_CHECK((unsigned)r->out[i].result < R__MAX);
		FUZZ_CHECK(fuzz_printable(r->out[i].text,
		    sizeof(r->out[i].text)));
		FUZZ_CHECK(r->out[i].depth >= -1);
	}
	for (i = 0; i < r->nwarn; i++)
		FUZZ_CHECK(fuzz_printable(r->warn[i], sizeof(r->warn[i])));
	for (i = 0; i < r->ncert; i++) {
		FUZZ_CHECK(r->cert[i].depth == (int)i);
		FUZZ_CHECK(fuzz_printable(r->cert[i].subject, MAX_TEXT));
		FUZZ_CHECK(fuzz_printable(r->cert[i].issuer, MAX_TEXT));
		FUZZ_CHECK(fuzz_printable(r->cert[i].names, MAX_TEXT));
		FUZZ_CHECK(strlen(r->cert[i].spki_sha256) == 64);
		FUZZ_CHECK(r->cert[i].pem != NULL);
	}
	if (r->result == R_VERIFIED || r->result == R_VERIFIED_WARN)
		check_verified(p, r);
	if (r->result == R_VERIFIED)
		FUZZ_CHECK(r->nwarn == 0);
}

/* The same verdict as OpenSSL's DANE verifier, or a listed difference. */
static void
check_openssl(const char *pem, size_t len, const struct dane_params *p,
    const struct dane_report *r)
{
	struct danediff	 d;

	if (danediff_check(pem, len, p, r, &d) == -1)
		return;		/* OpenSSL out of memory: not a finding */
	if (d.kind == DIFF_UNLISTED)
		fprintf(stderr, "danediff: unlisted disagreement: %s\n",
		    d.text);
	FUZZ_CHECK(d.kind != DIFF_UNLISTED);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsa		 t[MAX_RECORDS];
	struct dane_params	 p;
	struct dane_report	 r;
	const uint8_t		*q, *end = data + size;
	char			*pem;
	size_t			 i, n, nt = 0, want, pemlen = 0;
	int			 flags;

	if (size < 2)
		return 0;
	want = data[0] & 0x0f;
	flags = data[1];
	q = data + 2;
	for (i = 0; i < want; i++) {
		n = take_len(&q, end);
		if (tlsa_parse(q, n, &t[nt]) == 0)
			nt++;
		q += n;
	}
	if (flags & 1)
		pem = der_to_pem(q, end, &pemlen);
	else if ((pem = malloc(end - q + 1)) != NULL) {
		/* As libtls hands it over: NUL-terminated. */
		pemlen = end - q;
		memcpy(pem, q, pemlen);
		pem[pemlen] = '\0';
	}
	if (pem == NULL)
		goto out;
	if ((flags & 0x80) && (pem = repeat(pem, &pemlen, 12)) == NULL)
		goto out;

	memset(&p, 0, sizeof(p));
	p.tlsa = t;
	p.ntlsa = nt;
	p.now = dates[flags >> 1 & 3];
	for (i = 0; i < MAX_NAMES && nameset[flags >> 3 & 7][i] != NULL; i++)
		p.names[i] = nameset[flags >> 3 & 7][i];
	p.nnames = i;
	p.warn_window = flags & 0x40 ? 7 * 86400 : 0;

	if (dane_verify(pem, pemlen, &p, &r) == 0) {
		check_report(&p, &r);
		check_openssl(pem, pemlen, &p, &r);
	} else
		FUZZ_CHECK(r.result == R_INTERNAL);
#ifdef FUZZ_DANE_PRINT
	/* To see what a seed exercises: cc -DFUZZ_DANE_PRINT ... */
	fprintf(stderr, "%s: %s\n", result_name(r.result), r.reason);
	for (i = 0; i < r.nwarn; i++)
		fprintf(stderr, "  warning: %s\n", r.warn[i]);
#endif
	dane_report_free(&r);
	free(pem);
 out:
	for (i = 0; i < nt; i++)
		tlsa_free(&t[i]);
	return 0;
}
