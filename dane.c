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
 * DANE verification of an SMTP server's certificate chain against a
 * TLSA RRset (RFC 6698, updated by RFC 7671; SMTP rules of RFC 7672).
 *
 * Pure functions: the chain comes in as the PEM text the server
 * presented, the TLSA records and reference identifiers as parameters,
 * the verdict goes out in a struct dane_report.  No I/O, no network.
 * libcrypto does all parsing, hashing and signature work; only calls
 * that LibreSSL shares with OpenSSL are used.
 */

#include <sys/types.h>

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
/* libbsd: the OpenBSD flavour of vis(3), as on OpenBSD itself. */
#ifndef LIBBSD_OPENBSD_VIS
#define LIBBSD_OPENBSD_VIS
#endif

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "smtpdane.h"

/*
 * Certificates examined from one server: a bound on the work (path
 * building is quadratic), not a verdict.  DANE-EE needs the leaf only,
 * DANE-TA a real chain, which is never that long; the rest is counted
 * and named in a failure's reason.
 */
#define CHAIN_MAX	32
/* OpenSSL's default security level, which its SMTP senders keep. */
#define AUTH_LEVEL	1
#define HEX_SHOWN	16
/* In an outcome's text when the anchor came from DNS (ta_prefix). */
#define NOT_SENT	"trust anchor not sent"	/* digest digits quoted in "no match" text */
#define SHA256_LEN	32
#define SHA512_LEN	64

/* Subject and issuer lines: RFC 2253 order, ", " between RDNs. */
#define NAME_FLAGS	(XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_DN_REV | \
			XN_FLAG_FN_SN | XN_FLAG_DUMP_UNKNOWN_FIELDS | \
			ASN1_STRFLGS_UTF8_CONVERT | \
			ASN1_STRFLGS_DUMP_UNKNOWN | ASN1_STRFLGS_DUMP_DER)

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

/* One presented certificate and what the TLSA records compare with. */
struct cert {
	X509		*x;
	char		*pem;
	unsigned char	*der;		/* the whole certificate */
	size_t		 derlen;
	unsigned char	*spki;		/* its SubjectPublicKeyInfo */
	size_t		 spkilen;
	/* [selector][matching type - 1]: SHA2-256, SHA2-512 */
	unsigned char	 dig[2][2][EVP_MAX_MD_SIZE];
	time_t		 nb;		/* notBefore */
	time_t		 na;		/* notAfter */
	int		 dated;		/* nb and na could be read */
	char		 label[MAX_TEXT];	/* "CN=..." for messages */
};

struct vctx {
	const struct dane_params *p;
	struct dane_report *r;
	struct cert	*c;		/* built order, leaf first */
	size_t		 nc;
	size_t		 nbuilt;	/* c[0 .. nbuilt - 1]: leaf upwards */
	size_t		 nignored;	/* presented after the first CHAIN_MAX */
	X509		*btop;		/* top of libcrypto's own chain */
	int		 btop_depth;
	int		 btop_failed;
	STACK_OF(X509)	*sk;		/* all presented, untrusted */
	size_t		 nnames;
	time_t		 now;
	int		 failed;	/* allocation or libcrypto failure */
};

/* Where a DANE-TA trust anchor came from. */
enum anchor {
	TA_PRESENTED,		/* a certificate the server sent */
	TA_DNS_CERT,		/* 2 0 0: the certificate in the record */
	TA_DNS_KEY		/* 2 1 0: the bare key in the record */
};

/* One trust anchor to try. */
struct anchor_try {
	X509		*anchor;	/* trusted (a bare key: what it signed) */
	X509		*signedx;	/* from DNS: what its key signed */
	int		 depth;		/* the anchor's depth */
	enum anchor	 kind;
};

static void
warn_add(struct dane_report *, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));

/*
 * Text helpers.
 */

/* A date as YYYY-MM-DD, or "?". */
static void
date_str(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		(void)strlcpy(buf, "?", len);
}

static const char *
usage_name(uint8_t usage)
{
	switch (usage) {
	case TLSA_PKIX_TA:
		return "PKIX-TA";
	case TLSA_PKIX_EE:
		return "PKIX-EE";
	case TLSA_DANE_TA:
		return "DANE-TA";
	case TLSA_DANE_EE:
		return "DANE-EE";
	}
	return "usage";
}

static const char *
selector_name(uint8_t selector)
{
	return selector == TLSA_SEL_SPKI ? "SPKI" : "certificate";
}

static const char *
mtype_name(uint8_t mtype)
{
	switch (mtype) {
	case TLSA_MT_SHA256:
		return "SHA2-256";
	case TLSA_MT_SHA512:
		return "SHA2-512";
	}
	return "full";
}

/* The latest libcrypto error, as a short phrase. */
static const char *
crypto_error(void)
{
	const char	*s;
	unsigned long	 e;

	if ((e = ERR_peek_last_error()) == 0 ||
	    (s = ERR_reason_error_string(e)) == NULL)
		return "unknown error";
	return s;
}

static void
warn_add(struct dane_report *r, const char *fmt, ...)
{
	char	 buf[MAX_TEXT];
	va_list	 ap;
	size_t	 i;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; i < r->nwarn; i++)
		if (strcmp(r->warn[i], buf) == 0)
			return;
	if (r->nwarn < DANE_MAX_WARN)
		(void)strlcpy(r->warn[r->nwarn++], buf, MAX_TEXT);
}

/*
 * TLSA records.
 */

int
tlsa_parse(const uint8_t *rdata, size_t len, struct tlsa *out)
{
	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	if (rdata == NULL || len < 3)
		return -1;
	out->usage = rdata[0];
	out->selector = rdata[1];
	out->mtype = rdata[2];
	out->len = len - 3;
	if (out->len > 0) {
		if ((out->data = malloc(out->len)) == NULL) {
			out->len = 0;
			return -1;
		}
		memcpy(out->data, rdata + 3, out->len);
	}
	return 0;
}

void
tlsa_free(struct tlsa *t)
{
	if (t == NULL)
		return;
	free(t->data);
	t->data = NULL;
	t->len = 0;
}

/* Does the record hold exactly one DER object of the selected kind? */
static int
tlsa_der_ok(const struct tlsa *t)
{
	const unsigned char	*p;
	X509			*x;
	X509_PUBKEY		*k;
	int			 ok;

	if (t->len == 0 || t->data == NULL || t->len > LONG_MAX)
		return 0;
	p = t->data;
	if (t->selector == TLSA_SEL_CERT) {
		x = d2i_X509(NULL, &p, (long)t->len);
		ok = x != NULL && p == t->data + t->len;
		X509_free(x);
	} else {
		k = d2i_X509_PUBKEY(NULL, &p, (long)t->len);
		ok = k != NULL && p == t->data + t->len;
		X509_PUBKEY_free(k);
	}
	ERR_clear_error();
	return ok;
}

/*
 * Why a record cannot be used, or NULL.  Numbers in the reason are
 * formatted into a buffer that the next call reuses; callers copy it.
 */
const char *
tlsa_unusable(const struct tlsa *t)
{
	static char	 buf[64];

	if (t == NULL)
		return "no record";
	switch (t->usage) {
	case TLSA_PKIX_TA:
		return "PKIX-TA";
	case TLSA_PKIX_EE:
		return "PKIX-EE";
	case TLSA_DANE_TA:
	case TLSA_DANE_EE:
		break;
	default:
		cutf(buf, sizeof(buf), "unknown usage %u", t->usage);
		return buf;
	}
	if (t->selector != TLSA_SEL_CERT && t->selector != TLSA_SEL_SPKI) {
		cutf(buf, sizeof(buf), "unknown selector %u",
		    t->selector);
		return buf;
	}
	switch (t->mtype) {
	case TLSA_MT_FULL:
		if (tlsa_der_ok(t))
			return NULL;
		return t->selector == TLSA_SEL_CERT ?
		    "data is not a DER certificate" :
		    "data is not a DER SubjectPublicKeyInfo";
	case TLSA_MT_SHA256:
		if (t->len == SHA256_LEN)
			return NULL;
		break;
	case TLSA_MT_SHA512:
		if (t->len == SHA512_LEN)
			return NULL;
		break;
	default:
		cutf(buf, sizeof(buf), "unknown matching type %u",
		    t->mtype);
		return buf;
	}
	cutf(buf, sizeof(buf), "%s data is %zu bytes",
	    mtype_name(t->mtype), t->len);
	return buf;
}

void
tlsa_format(const struct tlsa *t, char *buf, size_t len)
{
	size_t	 n;

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	if (t == NULL)
		return;
	cutf(buf, len, "%u %u %u", t->usage, t->selector,
	    t->mtype);
	n = strlen(buf);
	if (t->len == 0 || t->data == NULL || n + 2 >= len)
		return;
	buf[n++] = ' ';
	hexify(t->data, t->len, buf + n, len - n);
}

/*
 * Certificates: from PEM, and described.
 */

/* Certificates have no passphrase; never let libcrypto ask for one. */
int
dane_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* An ASN.1 time (UTCTime or GeneralizedTime) as a time_t. */
int
dane_asn1_time(const ASN1_TIME *a, time_t *t)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	*t = timegm(&tm);
	return 0;
}

/* Validity dates as time_t.  (A NULL time would mean "now".) */
static int
dates_of(X509 *x, time_t *nb, time_t *na)
{
	const ASN1_TIME	*b, *a;

	if (x == NULL || (b = X509_get0_notBefore(x)) == NULL ||
	    (a = X509_get0_notAfter(x)) == NULL)
		return -1;
	/*
	 * X509_cmp_time() returns 0 for a malformed time: it is stricter
	 * than ASN1_TIME_to_tm(), and it is what OpenSSL's verifier uses.
	 */
	if (X509_cmp_time(b, NULL) == 0 || X509_cmp_time(a, NULL) == 0) {
		ERR_clear_error();
		return -1;
	}
	if (dane_asn1_time(b, nb) == -1 || dane_asn1_time(a, na) == -1)
		return -1;
	return 0;
}

static void
name_line(X509_NAME *name, char *buf, size_t len)
{
	BIO	*b;
	char	*p;
	long	 n;

	buf[0] = '\0';
	if (name == NULL || (b = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, NAME_FLAGS) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) > 0)
		vis_copy(buf, len, p, (size_t)n);
	BIO_free(b);
}

/* "CN=..." when there is a common name, else the whole subject. */
static void
cert_label(X509 *x, char *buf, size_t len)
{
	X509_NAME	*name;
	X509_NAME_ENTRY	*e;
	ASN1_STRING	*s;
	unsigned char	*u;
	char		 cn[MAX_TEXT];
	int		 i, n;

	name = X509_get_subject_name(x);
	if (name != NULL &&
	    (i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) >= 0 &&
	    (e = X509_NAME_get_entry(name, i)) != NULL &&
	    (s = X509_NAME_ENTRY_get_data(e)) != NULL &&
	    (n = ASN1_STRING_to_UTF8(&u, s)) >= 0) {
		vis_copy(cn, sizeof(cn), u, (size_t)n);
		OPENSSL_free(u);
		cutf(buf, len, "CN=%s", cn);
		return;
	}
	ERR_clear_error();
	name_line(name, buf, len);
}

/* The DNS subjectAltNames, comma separated. */
static void
dns_names(X509 *x, char *buf, size_t len)
{
	GENERAL_NAMES	*gens;
	GENERAL_NAME	*g;
	ASN1_STRING	*s;
	char		 one[MAX_TEXT];
	int		 i, type;

	buf[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL) {
		ERR_clear_error();
		return;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		s = GENERAL_NAME_get0_value(g, &type);
		if (type != GEN_DNS || s == NULL)
			continue;
		vis_copy(one, sizeof(one), ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s));
		cutcatf(buf, len, "%s%s", buf[0] != '\0' ? ", " : "", one);
	}
	GENERAL_NAMES_free(gens);
}

static int
digest(const unsigned char *p, size_t n, const EVP_MD *md, unsigned char *out)
{
	return EVP_Digest(p, n, out, NULL, md, NULL) == 1 ? 0 : -1;
}

/* Encodings and digests the records are compared with. */
static int
cert_derive(struct cert *c)
{
	unsigned char	*p;
	int		 n;

	if ((n = i2d_X509(c->x, NULL)) <= 0 ||
	    (c->der = malloc((size_t)n)) == NULL)
		return -1;
	p = c->der;
	if (i2d_X509(c->x, &p) != n)
		return -1;
	c->derlen = (size_t)n;
	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(c->x), NULL)) <= 0 ||
	    (c->spki = malloc((size_t)n)) == NULL)
		return -1;
	p = c->spki;
	if (i2d_X509_PUBKEY(X509_get_X509_PUBKEY(c->x), &p) != n)
		return -1;
	c->spkilen = (size_t)n;
	if (digest(c->der, c->derlen, EVP_sha256(), c->dig[0][0]) == -1 ||
	    digest(c->der, c->derlen, EVP_sha512(), c->dig[0][1]) == -1 ||
	    digest(c->spki, c->spkilen, EVP_sha256(), c->dig[1][0]) == -1 ||
	    digest(c->spki, c->spkilen, EVP_sha512(), c->dig[1][1]) == -1)
		return -1;
	return 0;
}

static void
cert_free(struct cert *c)
{
	X509_free(c->x);
	free(c->pem);
	free(c->der);
	free(c->spki);
	memset(c, 0, sizeof(*c));
}

/*
 * Load certificate number idx (from 0) from its PEM block.  Returns 0,
 * -1 with why set when the server sent something broken, or -2 when
 * smtpdane itself failed.
 */
static int
cert_load(struct cert *c, const char *blk, size_t len, size_t idx,
    char *why, size_t whylen)
{
	BIO	*b;

	if (len > INT_MAX) {
		cutf(why, whylen, "certificate %zu of the presented "
		    "chain is too large", idx + 1);
		return -1;
	}
	if ((c->pem = strndup(blk, len)) == NULL ||
	    (b = BIO_new_mem_buf(blk, (int)len)) == NULL)
		return -2;
	c->x = PEM_read_bio_X509(b, NULL, dane_no_passphrase, NULL);
	BIO_free(b);
	if (c->x == NULL) {
		cutf(why, whylen, "certificate %zu of the presented "
		    "chain does not parse: %s", idx + 1, crypto_error());
		return -1;
	}
	/*
	 * Unreadable dates do not matter to DANE-EE; a DANE-TA path
	 * through this certificate fails in chain_dates().
	 */
	c->dated = dates_of(c->x, &c->nb, &c->na) == 0;
	if (!c->dated)
		c->nb = c->na = 0;
	if (cert_derive(c) == -1)
		return -2;
	cert_label(c->x, c->label, sizeof(c->label));
	return 0;
}

static int
all_space(const char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
		    p[i] != '\n')
			return 0;
	return 1;
}

/* Cut the presented PEM into certificates, in the order sent. */
static int
chain_load(struct vctx *v, const char *pem, size_t len, char *why,
    size_t whylen)
{
	const size_t	 bl = sizeof(pem_begin) - 1, el = sizeof(pem_end) - 1;
	const char	*p, *end, *b, *e;
	int		 rc;

	if (pem == NULL) {
		pem = "";
		len = 0;
	}
	p = pem;
	end = pem + len;
	while (len > 0 && (b = memmem(p, end - p, pem_begin, bl)) != NULL) {
		if (v->nc == CHAIN_MAX) {
			v->nignored++;
			p = b + bl;
			continue;
		}
		e = memmem(b + bl, end - (b + bl), pem_end, el);
		if (e == NULL || memmem(b + bl, e - (b + bl), pem_begin,
		    bl) != NULL) {
			cutf(why, whylen, "certificate %zu of the "
			    "presented chain is truncated (no END CERTIFICATE "
			    "line)", v->nc + 1);
			return -1;
		}
		e += el;
		while (e < end && (*e == '\r' || *e == '\n'))
			e++;
		rc = cert_load(&v->c[v->nc], b, e - b, v->nc, why, whylen);
		if (rc == -2) {
			v->failed = 1;
			(void)strlcpy(why, "out of memory loading the chain",
			    whylen);
		}
		if (rc != 0) {
			cert_free(&v->c[v->nc]);
			return -1;
		}
		v->nc++;
		p = e;
	}
	if (v->nc == 0) {
		(void)strlcpy(why, len == 0 || all_space(pem, len) ?
		    "server presented no certificate" :
		    "presented chain is not PEM (no BEGIN CERTIFICATE line)",
		    whylen);
		return -1;
	}
	return 0;
}

/* Did issuer (name and key) sign subject?  ocsp.c asks too. */
int
cert_issued_by(X509 *subject, X509 *issuer)
{
	EVP_PKEY	*k;
	int		 ok;

	ok = X509_check_issued(issuer, subject) == X509_V_OK &&
	    (k = X509_get0_pubkey(issuer)) != NULL &&
	    X509_verify(subject, k) == 1;
	ERR_clear_error();
	return ok;
}

/*
 * Order the certificates as a chain from the leaf up, whatever order
 * they came in; those that belong to no chain follow, as sent.
 */
static void
chain_order(struct vctx *v)
{
	struct cert	 tmp;
	size_t		 i, j;

	v->nbuilt = 1;
	for (i = 0; i + 1 < v->nc; i++) {
		if (cert_issued_by(v->c[i].x, v->c[i].x))
			break;
		for (j = i + 1; j < v->nc; j++)
			if (cert_issued_by(v->c[i].x, v->c[j].x))
				break;
		if (j == v->nc)
			break;
		if (j != i + 1) {
			tmp = v->c[j];
			memmove(&v->c[i + 2], &v->c[i + 1],
			    (j - i - 1) * sizeof(v->c[0]));
			v->c[i + 1] = tmp;
		}
		v->nbuilt++;
	}
}

static int
chain_stack(struct vctx *v)
{
	size_t	 i;

	if ((v->sk = sk_X509_new_null()) == NULL)
		return -1;
	for (i = 0; i < v->nc; i++)
		if (sk_X509_push(v->sk, v->c[i].x) == 0)
			return -1;
	return 0;
}

static int
describe(struct vctx *v)
{
	struct dane_cert	*d;
	struct cert		*c;
	size_t			 i;

	if ((v->r->cert = calloc(v->nc, sizeof(*v->r->cert))) == NULL)
		return -1;
	v->r->ncert = v->nc;
	for (i = 0; i < v->nc; i++) {
		c = &v->c[i];
		d = &v->r->cert[i];
		d->depth = (int)i;
		name_line(X509_get_subject_name(c->x), d->subject,
		    sizeof(d->subject));
		name_line(X509_get_issuer_name(c->x), d->issuer,
		    sizeof(d->issuer));
		dns_names(c->x, d->names, sizeof(d->names));
		d->not_before = c->nb;
		d->not_after = c->na;
		hexify(c->dig[TLSA_SEL_SPKI][0], SHA256_LEN, d->spki_sha256,
		    sizeof(d->spki_sha256));
		d->pem = c->pem;
		c->pem = NULL;
	}
	return 0;
}

static void
chain_free(struct vctx *v)
{
	size_t	 i;

	sk_X509_free(v->sk);
	for (i = 0; i < v->nc; i++)
		cert_free(&v->c[i]);
	free(v->c);
}

/*
 * Matching.
 */

static int
rec_match(const struct tlsa *t, const struct cert *c)
{
	const unsigned char	*d;
	size_t			 n;

	switch (t->mtype) {
	case TLSA_MT_FULL:
		d = t->selector == TLSA_SEL_SPKI ? c->spki : c->der;
		n = t->selector == TLSA_SEL_SPKI ? c->spkilen : c->derlen;
		break;
	case TLSA_MT_SHA256:
		d = c->dig[t->selector][0];
		n = SHA256_LEN;
		break;
	case TLSA_MT_SHA512:
		d = c->dig[t->selector][1];
		n = SHA512_LEN;
		break;
	default:
		return 0;
	}
	return t->data != NULL && n == t->len && memcmp(d, t->data, n) == 0;
}

/* The start of the digest the record would need, for "no match". */
static void
shown_digest(const struct tlsa *t, const struct cert *c, char *buf,
    size_t len)
{
	char	 hex[HEX_SHOWN + 1];
	int	 m;

	m = t->mtype == TLSA_MT_SHA512 ? 1 : 0;
	hexify(c->dig[t->selector][m], HEX_SHOWN / 2, hex, sizeof(hex));
	cutf(buf, len, "%s...", hex);
}

static void
nomatch_text(struct vctx *v, const struct tlsa *t, char *buf, size_t len)
{
	const char	*what, *md;
	char		 d[HEX_SHOWN + 4];
	size_t		 i;

	what = selector_name(t->selector);
	md = t->mtype == TLSA_MT_SHA512 ? "SHA2-512" : "SHA2-256";
	if (t->usage == TLSA_DANE_EE) {
		shown_digest(t, &v->c[0], d, sizeof(d));
		if (t->mtype == TLSA_MT_FULL)
			cutf(buf, len, "no match (leaf %s differs, "
			    "its %s is %s)", what, md, d);
		else
			cutf(buf, len, "no match (leaf %s %s is %s)",
			    what, md, d);
		return;
	}
	cutf(buf, len, "no match (%s %s", what, md);
	for (i = 0; i < v->nc; i++) {
		shown_digest(t, &v->c[i], d, sizeof(d));
		cutcatf(buf, len, "%s depth %zu is %s", i > 0 ? "," : " of",
		    i, d);
	}
	cutcatf(buf, len, ")");
}

/* How far a check got: the better outcome of two is kept. */
static int
rank(enum result r)
{
	switch (r) {
	case R_VERIFIED:
		return 5;
	case R_NAME_MISMATCH:
		return 4;
	case R_CERT_EXPIRED:
		return 3;
	case R_CERT_NOT_YET_VALID:
		return 2;
	case R_CHAIN_INVALID:
		return 1;
	default:
		return 0;
	}
}

static void
expiry_warn(struct vctx *v, int depth, const char *label, time_t na)
{
	char	 when[32], date[32];

	if (v->p->warn_window <= 0 || na < v->now ||
	    na - v->now > v->p->warn_window)
		return;
	format_span(na - v->now, when, sizeof(when));
	date_str(na, date, sizeof(date));
	warn_add(v->r, "certificate at depth %d (%s) expires in %s (%s)",
	    depth, label, when, date);
}

/*
 * DANE-EE(3): the leaf alone, without name or date checks (RFC 7671
 * section 5.1, RFC 7672 section 3.1.1); dates only give warnings.
 */
static void
ee_check(struct vctx *v, const struct tlsa *t, struct dane_outcome *o)
{
	struct cert	*leaf = &v->c[0];
	char		 date[32];

	if (!rec_match(t, leaf)) {
		o->result = R_TLSA_MISMATCH;
		nomatch_text(v, t, o->text, sizeof(o->text));
		return;
	}
	o->matched = o->verified = 1;
	o->depth = 0;
	o->result = R_VERIFIED;
	(void)strlcpy(o->text, "matched depth 0 (DANE-EE)", sizeof(o->text));
	if (!leaf->dated)
		warn_add(v->r, "leaf certificate has unreadable validity "
		    "dates, accepted for DANE-EE (RFC 7672 section 3.1.1)");
	else if (v->now < leaf->nb) {
		date_str(leaf->nb, date, sizeof(date));
		cutcatf(o->text, sizeof(o->text), ", leaf not valid until %s "
		    "(not checked for DANE-EE)", date);
		warn_add(v->r, "leaf certificate is not valid until %s, "
		    "accepted for DANE-EE (RFC 7672 section 3.1.1)", date);
	} else if (v->now > leaf->na) {
		date_str(leaf->na, date, sizeof(date));
		cutcatf(o->text, sizeof(o->text), ", leaf expired on %s "
		    "(not checked for DANE-EE)", date);
		warn_add(v->r, "leaf certificate expired on %s, accepted for "
		    "DANE-EE (RFC 7672 section 3.1.1)", date);
	} else
		expiry_warn(v, 0, leaf->label, leaf->na);
}

/* Every certificate below the anchor must be within its dates. */
static int
chain_dates(struct vctx *v, STACK_OF(X509) *chain, int ndated,
    struct dane_outcome *o, const char *pre)
{
	X509	*x;
	time_t	 nb, na;
	char	 date[32];
	int	 i;

	for (i = 0; i < ndated; i++) {
		x = sk_X509_value(chain, i);
		if (dates_of(x, &nb, &na) == -1) {
			o->result = R_CHAIN_INVALID;
			cutf(o->text, sizeof(o->text), "%s but "
			    "certificate at depth %d has unreadable dates",
			    pre, i);
			return -1;
		}
		if (v->now > na) {
			date_str(na, date, sizeof(date));
			o->result = R_CERT_EXPIRED;
			cutf(o->text, sizeof(o->text), "%s but "
			    "certificate at depth %d expired %s", pre, i, date);
			return -1;
		}
		if (v->now < nb) {
			date_str(nb, date, sizeof(date));
			o->result = R_CERT_NOT_YET_VALID;
			cutf(o->text, sizeof(o->text), "%s but "
			    "certificate at depth %d is not valid until %s",
			    pre, i, date);
			return -1;
		}
	}
	return 0;
}

/*
 * The leaf must carry one of the reference identifiers (RFC 7672
 * section 3.2.3): X509_check_host, wildcards only as a whole leftmost
 * label.  On a match, say which name matched.
 */
static int
name_check(struct vctx *v, X509 *leaf, char *buf, size_t len)
{
	const char	*n;
	char		*peer, vn[MAX_TEXT], vp[MAX_TEXT];
	size_t		 i, l;
	int		 rc;

	for (i = 0; i < v->nnames; i++) {
		if ((n = v->p->names[i]) == NULL)
			continue;
		l = strlen(n);
		if (l > 1 && n[l - 1] == '.')
			l--;
		peer = NULL;
		rc = X509_check_host(leaf, n, l,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, &peer);
		if (rc != 1) {
			OPENSSL_free(peer);
			continue;
		}
		vis_copy(vn, sizeof(vn), n, l);
		(void)strlcpy(buf, vn, len);
		if (peer != NULL && (strlen(peer) != l ||
		    strncasecmp(peer, n, l) != 0)) {
			vis_copy(vp, sizeof(vp), peer, strlen(peer));
			cutcatf(buf, len, " (certificate name %s)", vp);
		}
		OPENSSL_free(peer);
		ERR_clear_error();
		return 1;
	}
	ERR_clear_error();
	return 0;
}

static void
name_mismatch(struct vctx *v, X509 *leaf, struct dane_outcome *o,
    const char *pre)
{
	char	 has[MAX_TEXT], one[MAX_TEXT];
	size_t	 i, n;

	o->result = R_NAME_MISMATCH;
	if (v->nnames == 0) {
		cutf(o->text, sizeof(o->text), "%s but no reference "
		    "name was given to check the leaf against", pre);
		return;
	}
	cutf(o->text, sizeof(o->text), "%s but leaf name "
	    "mismatch: wanted ", pre);
	for (i = 0, n = 0; i < v->nnames; i++) {
		if (v->p->names[i] == NULL)
			continue;
		vis_copy(one, sizeof(one), v->p->names[i],
		    strlen(v->p->names[i]));
		cutcatf(o->text, sizeof(o->text), "%s%s", n++ > 0 ? " or " : "",
		    one);
	}
	dns_names(leaf, has, sizeof(has));
	if (has[0] != '\0')
		cutcatf(o->text, sizeof(o->text), ", certificate has %s", has);
	else {
		cert_label(leaf, has, sizeof(has));
		cutcatf(o->text, sizeof(o->text), ", certificate has no DNS "
		    "subjectAltName, subject %s", has);
	}
}

/*
 * Whether the anchor's own dates count.  RFC 7671 leaves it open;
 * OpenSSL checks them when the anchor is self-issued (the top of an
 * ordinary chain, whose dates it checks like the rest), not when it
 * is an intermediate (found by fuzzing against it).  A bare key from
 * DNS has no dates; the certificate it signed is checked anyway.
 */
static int
anchor_dated(const struct anchor_try *a)
{
	int	 e;

	if (a->kind == TA_DNS_KEY)
		return 0;
	e = X509_check_issued(a->anchor, a->anchor);
	ERR_clear_error();
	return e == X509_V_OK || e == X509_V_ERR_KEYUSAGE_NO_CERTSIGN;
}

/* Warnings about the chain that verified, leaf up to the anchor. */
static void
chain_warn(struct vctx *v, STACK_OF(X509) *chain, int top,
    const struct anchor_try *a, const struct tlsa *t)
{
	X509	*x;
	time_t	 nb, na;
	char	 label[MAX_TEXT], date[32];
	int	 i;

	for (i = 0; i <= top; i++) {
		/* The certificate from DNS is no part of what was sent. */
		if (a->kind == TA_DNS_CERT && i == top)
			break;
		x = sk_X509_value(chain, i);
		if (dates_of(x, &nb, &na) == -1)
			continue;
		cert_label(x, label, sizeof(label));
		if (i == top && a->kind == TA_PRESENTED && !anchor_dated(a) &&
		    (v->now > na || v->now < nb)) {
			date_str(v->now > na ? na : nb, date, sizeof(date));
			warn_add(v->r, "trust anchor at depth %d (%s) %s %s, "
			    "which DANE-TA does not check", i, label,
			    v->now > na ? "expired on" : "is not valid until",
			    date);
		} else
			expiry_warn(v, i, label, na);
	}
	if (a->kind != TA_PRESENTED) {
		cert_label(a->signedx, label, sizeof(label));
		warn_add(v->r, "server does not send its trust anchor: "
		    "DANE-TA %u %u %u matched by the signature on depth %d "
		    "(%s)", t->usage, t->selector, t->mtype, a->depth - 1,
		    label);
	}
}

/*
 * Where the anchor sits in the verified chain; with a bare key from
 * DNS, the certificate it signed.
 */
static int
anchor_depth(STACK_OF(X509) *chain, X509 *anchor)
{
	int	 i, n;

	n = sk_X509_num(chain);
	for (i = 0; i < n; i++)
		if (X509_cmp(sk_X509_value(chain, i), anchor) == 0)
			return i;
	return n - 1;
}

/* What a libcrypto error means for the administrator, if anything. */
static const char *
verify_hint(int err)
{
	switch (err) {
	case X509_V_ERR_INVALID_PURPOSE:
		return " (a DANE-TA chain must be fit for a TLS server: "
		    "extendedKeyUsage must allow serverAuth)";
	case X509_V_ERR_CA_MD_TOO_WEAK:
		return " (senders at OpenSSL's default security level "
		    "refuse MD5 and SHA-1 signatures below the trust anchor)";
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_EE_KEY_TOO_SMALL:
		return " (below OpenSSL's default security level)";
	}
	return "";
}

/*
 * A store context for the DANE-TA path from the leaf to anchor: the
 * anchor alone is trusted (a partial chain is fine), every presented
 * certificate may be an intermediate, and libcrypto checks what an
 * OpenSSL sender checks: the TLS server purpose and its security
 * level (signature digests and key sizes).  Dates are smtpdane's job
 * (chain_dates), since the anchor's own do not count.
 */
static X509_STORE_CTX *
ta_store_ctx(struct vctx *v, X509 *anchor, X509_STORE **stp)
{
	X509_STORE_CTX	*xc = NULL;
	X509_STORE	*st;
	X509		*leaf = v->c[0].x;

	*stp = NULL;
	if ((st = X509_STORE_new()) == NULL)
		return NULL;
	*stp = st;
	/*
	 * A trusted leaf (signed by a bare key from DNS) is a chain by
	 * itself; libcrypto would otherwise look for its issuers.
	 */
	if ((anchor != NULL && X509_STORE_add_cert(st, anchor) != 1) ||
	    (xc = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(xc, st, leaf, anchor == leaf ? NULL :
	    v->sk) != 1 ||
	    X509_STORE_CTX_set_purpose(xc, X509_PURPOSE_SSL_SERVER) != 1 ||
	    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(xc),
	    X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME) != 1) {
		X509_STORE_CTX_free(xc);
		return NULL;
	}
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(xc),
	    AUTH_LEVEL);
	return xc;
}

/* The "matched ..." start of every text about one anchor. */
static void
ta_prefix(const struct anchor_try *a, char *buf, size_t len)
{
	char	 label[MAX_TEXT];

	if (a->kind == TA_PRESENTED) {
		cutf(buf, len, "matched depth %d", a->depth);
		return;
	}
	cert_label(a->signedx, label, sizeof(label));
	cutf(buf, len, "matched depth %d (" NOT_SENT " by the "
	    "server, its %s signed depth %d, %s)", a->depth,
	    a->kind == TA_DNS_KEY ? "key" : "certificate's key", a->depth - 1,
	    label);
}

/*
 * Verify the chain from the leaf to a DANE-TA trust anchor with
 * libcrypto, check the dates below the anchor, then the leaf's name.
 */
static void
ta_verify(struct vctx *v, const struct tlsa *t, const struct anchor_try *a,
    struct dane_outcome *o)
{
	X509_STORE	*st;
	X509_STORE_CTX	*xc;
	STACK_OF(X509)	*chain;
	X509		*leaf = v->c[0].x;
	char		 pre[MAX_TEXT], ok[MAX_TEXT];
	int		 n, ndated, top;

	o->matched = 1;
	o->depth = a->depth;
	ta_prefix(a, pre, sizeof(pre));
	if ((xc = ta_store_ctx(v, a->anchor, &st)) == NULL) {
		v->failed = 1;
		o->result = R_INTERNAL;
		cutf(o->text, sizeof(o->text), "%s but libcrypto "
		    "failed: %s", pre, crypto_error());
		goto done;
	}
	if (X509_verify_cert(xc) != 1) {
		n = X509_STORE_CTX_get_error(xc);
		o->result = R_CHAIN_INVALID;
		cutf(o->text, sizeof(o->text), "%s but chain does "
		    "not verify: %s at depth %d%s", pre,
		    X509_verify_cert_error_string(n),
		    X509_STORE_CTX_get_error_depth(xc), verify_hint(n));
		goto done;
	}
	if ((chain = X509_STORE_CTX_get0_chain(xc)) == NULL ||
	    (n = sk_X509_num(chain)) <= 0) {
		o->result = R_CHAIN_INVALID;
		cutf(o->text, sizeof(o->text), "%s but libcrypto "
		    "returned no chain", pre);
		goto done;
	}
	/* A bare key is above its top: all of it is below the anchor. */
	top = anchor_depth(chain, a->anchor);
	ndated = a->kind == TA_DNS_KEY || anchor_dated(a) ? top + 1 : top;
	if (chain_dates(v, chain, ndated, o, pre) == -1)
		goto done;
	if (!name_check(v, leaf, ok, sizeof(ok))) {
		name_mismatch(v, leaf, o, pre);
		goto done;
	}
	o->verified = 1;
	o->result = R_VERIFIED;
	if (a->kind == TA_PRESENTED)
		cutf(o->text, sizeof(o->text), "matched depth %d "
		    "(DANE-TA), chain verified, leaf name %s", a->depth, ok);
	else
		cutf(o->text, sizeof(o->text), "%s, chain verified, "
		    "leaf name %s", pre, ok);
	chain_warn(v, chain, top, a, t);
 done:
	X509_STORE_CTX_free(xc);
	X509_STORE_free(st);
	ERR_clear_error();
}

/*
 * The top of the chain that libcrypto builds from the presented
 * certificates alone (by names and key identifiers, as OpenSSL's DANE
 * code does before it tries a bare key from DNS).  Computed once.
 */
static X509 *
built_top(struct vctx *v)
{
	X509_STORE	*st;
	X509_STORE_CTX	*xc;
	STACK_OF(X509)	*chain;
	int		 i, n;

	if (v->btop != NULL || v->btop_failed)
		return v->btop;
	v->btop_failed = 1;
	/* No anchor: verification fails, the chain built stays. */
	if ((xc = ta_store_ctx(v, NULL, &st)) != NULL) {
		(void)X509_verify_cert(xc);
		if ((chain = X509_STORE_CTX_get0_chain(xc)) != NULL &&
		    (n = sk_X509_num(chain)) > 0)
			for (i = 0; i < (int)v->nc; i++)
				if (v->c[i].x == sk_X509_value(chain, n - 1)) {
					v->btop = v->c[i].x;
					v->btop_depth = n - 1;
					v->btop_failed = 0;
				}
	}
	X509_STORE_CTX_free(xc);
	X509_STORE_free(st);
	ERR_clear_error();
	return v->btop;
}

/*
 * 2 0 0: the anchor's certificate is in DNS, so the server need not
 * send it (RFC 7671 section 5.2.2), and the chain may reach it below
 * its top, as a cross-signed chain does: anchor at the first
 * certificate, from the leaf up, that it signed.  Never the leaf
 * itself.  Returns 1 when it signed one (o filled in), else 0.
 */
static int
ta_dns_cert(struct vctx *v, const struct tlsa *t, struct dane_outcome *o)
{
	const unsigned char	*p = t->data;
	struct anchor_try	 a;
	X509			*ta;
	size_t			 i;

	if ((ta = d2i_X509(NULL, &p, (long)t->len)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	for (i = 0; i < v->nbuilt; i++)
		if (X509_cmp(ta, v->c[0].x) != 0 &&
		    cert_issued_by(v->c[i].x, ta))
			break;
	if (i < v->nbuilt) {
		a.anchor = ta;
		a.signedx = v->c[i].x;
		a.depth = (int)i + 1;
		a.kind = TA_DNS_CERT;
		ta_verify(v, t, &a, o);
	}
	X509_free(ta);
	return i < v->nbuilt;
}

/*
 * 2 1 0: a bare key (RFC 7671 section 5.2.3).  As OpenSSL does, it
 * counts when it signed the top of the chain built from what was
 * sent; that certificate is then trusted as the key's stand-in.
 */
static int
ta_dns_key(struct vctx *v, const struct tlsa *t, struct dane_outcome *o)
{
	const unsigned char	*p = t->data;
	struct anchor_try	 a;
	EVP_PKEY		*k;
	X509			*top;
	int			 signer;

	if ((k = d2i_PUBKEY(NULL, &p, (long)t->len)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	signer = (top = built_top(v)) != NULL && X509_verify(top, k) == 1;
	EVP_PKEY_free(k);
	ERR_clear_error();
	if (signer) {
		a.anchor = a.signedx = top;
		a.depth = v->btop_depth + 1;
		a.kind = TA_DNS_KEY;
		ta_verify(v, t, &a, o);
	}
	return signer;
}

/* A 2 x 0 record carries the anchor itself. */
static int
ta_absent(struct vctx *v, const struct tlsa *t, struct dane_outcome *o)
{
	if (t->mtype != TLSA_MT_FULL || t->len == 0 || t->len > LONG_MAX)
		return 0;
	if (t->selector == TLSA_SEL_CERT)
		return ta_dns_cert(v, t, o);
	return ta_dns_key(v, t, o);
}

static int
is_leaf(struct vctx *v, size_t i)
{
	return i == 0 || X509_cmp(v->c[i].x, v->c[0].x) == 0;
}

static void
ta_mismatch(struct vctx *v, const struct tlsa *t, int leaf,
    struct dane_outcome *o)
{
	X509	*top;
	char	 label[MAX_TEXT];

	o->result = R_TLSA_MISMATCH;
	if (leaf) {
		/*
		 * RFC 6698 section 2.1.1: the anchor validates the leaf;
		 * a record for the leaf itself is DANE-EE's.  OpenSSL
		 * (Postfix, Exim) never matches DANE-TA at depth 0.
		 */
		o->matched = 1;
		o->depth = 0;
		cutf(o->text, sizeof(o->text), "matched depth 0, the leaf "
		    "itself: DANE-TA never authenticates the leaf; publish a "
		    "DANE-EE 3 %u %u record for it instead (OpenSSL, and so "
		    "Postfix and Exim, never match DANE-TA at depth 0)",
		    t->selector, t->mtype);
		return;
	}
	nomatch_text(v, t, o->text, sizeof(o->text));
	if (t->mtype != TLSA_MT_FULL)
		return;
	if (t->selector == TLSA_SEL_CERT)
		cutcatf(o->text, sizeof(o->text), "; the record's certificate "
		    "signed none of depth 0 to %zu", v->nbuilt - 1);
	else if ((top = built_top(v)) != NULL) {
		cert_label(top, label, sizeof(label));
		cutcatf(o->text, sizeof(o->text), "; the record's key did not "
		    "sign depth %d (%s), the top of the chain", v->btop_depth,
		    label);
	}
}

/*
 * DANE-TA(2): any presented certificate above the leaf that matches
 * is a trust anchor (RFC 7671 section 5.2); try each, keep the best
 * outcome.
 */
static void
ta_check(struct vctx *v, const struct tlsa *t, struct dane_outcome *o)
{
	struct dane_outcome	 cur;
	struct anchor_try	 a;
	size_t			 i;
	int			 found = 0, leaf = 0;

	for (i = 0; i < v->nc && !o->verified; i++) {
		if (!rec_match(t, &v->c[i]))
			continue;
		if (is_leaf(v, i)) {
			leaf = 1;
			continue;
		}
		memset(&cur, 0, sizeof(cur));
		cur.usable = 1;
		a.anchor = a.signedx = v->c[i].x;
		a.depth = (int)i;
		a.kind = TA_PRESENTED;
		ta_verify(v, t, &a, &cur);
		if (!found || rank(cur.result) > rank(o->result))
			*o = cur;
		found = 1;
	}
	if (found || ta_absent(v, t, o))
		return;
	ta_mismatch(v, t, leaf, o);
}

/*
 * Usable records; RFC 7671 section 9, digest algorithm agility: of the
 * records with one usage and selector, only the strongest digest is
 * used (and full data).  Marks out[i].usable; returns how many.
 */
static size_t
mark_usable(const struct dane_params *p, struct dane_report *r)
{
	const struct tlsa	*t;
	const char		*why;
	uint8_t			 best[2][2];
	size_t			 i, n = 0;

	memset(best, 0, sizeof(best));
	for (i = 0; i < p->ntlsa; i++) {
		t = &p->tlsa[i];
		r->out[i].depth = -1;
		if ((why = tlsa_unusable(t)) != NULL) {
			r->out[i].result = R_TLSA_UNUSABLE;
			cutf(r->out[i].text, sizeof(r->out[i].text),
			    "unusable: %s", why);
			continue;
		}
		r->out[i].usable = 1;
		if (t->mtype > best[t->usage - 2][t->selector])
			best[t->usage - 2][t->selector] = t->mtype;
	}
	for (i = 0; i < p->ntlsa; i++) {
		t = &p->tlsa[i];
		if (!r->out[i].usable)
			continue;
		if (t->mtype != TLSA_MT_FULL &&
		    t->mtype < best[t->usage - 2][t->selector]) {
			r->out[i].usable = 0;
			r->out[i].result = R_TLSA_UNUSABLE;
			cutf(r->out[i].text, sizeof(r->out[i].text),
			    "ignored: a %s %u %u %u record is published "
			    "(digest algorithm agility, RFC 7671 section 9)",
			    usage_name(t->usage), t->usage, t->selector,
			    best[t->usage - 2][t->selector]);
			continue;
		}
		n++;
	}
	return n;
}

/* The verdict, from the outcomes of each record. */
static void
summarize(struct vctx *v, size_t nused)
{
	const struct dane_params *p = v->p;
	struct dane_report	*r = v->r;
	const struct tlsa	*t;
	const struct dane_outcome *o;
	size_t			 i, nbad = 0, best = SIZE_MAX;

	r->reason[0] = '\0';
	for (i = 0; i < p->ntlsa; i++) {
		o = &r->out[i];
		t = &p->tlsa[i];
		if (o->verified) {
			cutcatf(r->reason, sizeof(r->reason), "%s%s %u %u %u "
			    "matched ", r->reason[0] != '\0' ? "; " : "",
			    usage_name(t->usage), t->usage, t->selector,
			    t->mtype);
			if (t->usage == TLSA_DANE_EE)
				cutcatf(r->reason, sizeof(r->reason),
				    "the leaf");
			else
				cutcatf(r->reason, sizeof(r->reason),
				    "depth %d%s", o->depth,
				    strstr(o->text, "(" NOT_SENT) != NULL ?
				    " (" NOT_SENT ")" : "");
		} else if (o->matched && (best == SIZE_MAX ||
		    rank(o->result) > rank(r->out[best].result)))
			best = i;
	}
	if (r->reason[0] != '\0') {
		r->result = r->nwarn > 0 ? R_VERIFIED_WARN : R_VERIFIED;
		return;
	}
	if (nused == 0) {
		r->result = R_TLSA_UNUSABLE;
		if (p->ntlsa == 0) {
			(void)strlcpy(r->reason, "no TLSA records",
			    sizeof(r->reason));
			return;
		}
		for (i = 0; i < p->ntlsa; i++)
			if (tlsa_unusable(&p->tlsa[i]) != NULL)
				nbad++;
		cutf(r->reason, sizeof(r->reason), "no usable TLSA "
		    "records (%zu unusable: ", nbad);
		for (i = 0, nbad = 0; i < p->ntlsa; i++)
			if (!r->out[i].usable)
				cutcatf(r->reason, sizeof(r->reason), "%s%s",
				    nbad++ > 0 ? ", " : "",
				    r->out[i].text + strlen("unusable: "));
		cutcatf(r->reason, sizeof(r->reason), ")");
		return;
	}
	if (best != SIZE_MAX) {
		t = &p->tlsa[best];
		r->result = r->out[best].result;
		cutf(r->reason, sizeof(r->reason), "%s %u %u %u %s",
		    usage_name(t->usage), t->usage, t->selector, t->mtype,
		    r->out[best].text);
		return;
	}
	r->result = R_TLSA_MISMATCH;
	cutf(r->reason, sizeof(r->reason), "no usable TLSA record "
	    "matched the presented chain (%zu record%s tried)", nused,
	    nused == 1 ? "" : "s");
}

/* Without a chain, say so for each record too. */
static void
no_chain(const struct dane_params *p, struct dane_report *r)
{
	size_t	 i;

	mark_usable(p, r);
	for (i = 0; i < p->ntlsa; i++) {
		if (!r->out[i].usable)
			continue;
		r->out[i].result = R_TLS_FAILURE;
		(void)strlcpy(r->out[i].text, "not checked: no certificate "
		    "chain", sizeof(r->out[i].text));
	}
}

static int
internal(struct dane_report *r, const char *why)
{
	r->result = R_INTERNAL;
	cutf(r->reason, sizeof(r->reason), "DANE verification "
	    "failed: %s", why);
	ERR_clear_error();
	return -1;
}

/*
 * Verify the chain a server presented (PEM, leaf first as sent) against
 * its TLSA records.  The report must be zeroed or freed beforehand;
 * free it with dane_report_free().  Returns 0 with the verdict in
 * report->result, or -1 when smtpdane itself failed (R_INTERNAL).
 */
int
dane_verify(const char *pem, size_t pemlen, const struct dane_params *p,
    struct dane_report *r)
{
	struct vctx	 v;
	char		 why[MAX_TEXT];
	size_t		 i, nused;

	if (r == NULL)
		return -1;
	memset(r, 0, sizeof(*r));
	if (p == NULL || (p->ntlsa > 0 && p->tlsa == NULL))
		return internal(r, "no parameters");
	memset(&v, 0, sizeof(v));
	v.p = p;
	v.r = r;
	v.now = p->now != 0 ? p->now : time(NULL);
	v.nnames = p->nnames > MAX_NAMES ? MAX_NAMES : p->nnames;
	if (p->ntlsa > 0 &&
	    (r->out = calloc(p->ntlsa, sizeof(*r->out))) == NULL)
		return internal(r, "out of memory");
	r->nout = p->ntlsa;
	if ((v.c = calloc(CHAIN_MAX, sizeof(*v.c))) == NULL)
		return internal(r, "out of memory");

	if (chain_load(&v, pem, pemlen, why, sizeof(why)) == -1) {
		chain_free(&v);
		if (v.failed)
			return internal(r, why);
		no_chain(p, r);
		r->result = R_TLS_FAILURE;
		(void)strlcpy(r->reason, why, sizeof(r->reason));
		ERR_clear_error();
		return 0;
	}
	chain_order(&v);
	if (chain_stack(&v) == -1 || describe(&v) == -1) {
		chain_free(&v);
		return internal(r, "out of memory");
	}

	nused = mark_usable(p, r);
	for (i = 0; i < p->ntlsa; i++) {
		if (!r->out[i].usable)
			continue;
		if (p->tlsa[i].usage == TLSA_DANE_EE)
			ee_check(&v, &p->tlsa[i], &r->out[i]);
		else
			ta_check(&v, &p->tlsa[i], &r->out[i]);
	}
	summarize(&v, nused);
	if (v.nignored > 0 && r->result != R_VERIFIED &&
	    r->result != R_VERIFIED_WARN)
		cutcatf(r->reason, sizeof(r->reason), "; %zu certificate%s "
		    "after the first %d were not examined", v.nignored,
		    v.nignored == 1 ? "" : "s", CHAIN_MAX);
	chain_free(&v);
	if (v.failed)
		return internal(r, "out of memory or libcrypto failure");
	ERR_clear_error();
	return 0;
}

void
dane_report_free(struct dane_report *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncert; i++)
		free(r->cert[i].pem);
	free(r->cert);
	free(r->out);
	memset(r, 0, sizeof(*r));
}

/*
 * Staged material (-staged): a chain or a certificate is judged by
 * dane_verify() exactly as a live chain would be; a bare public key
 * (PEM "PUBLIC KEY") can only be matched by DANE-EE 3 1 x records.
 */
static int
staged_key(const char *pem, size_t len, const struct dane_params *p,
    struct dane_staged *s)
{
	unsigned char	 d256[SHA256_LEN], d512[SHA512_LEN], *der = NULL;
	unsigned char	*q;
	const struct tlsa *t;
	EVP_PKEY	*k;
	BIO		*b;
	size_t		 i, nee = 0, nother = 0;
	int		 n, hit;

	s->bare_key = 1;
	if (len > INT_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -1;
	k = PEM_read_bio_PUBKEY(b, NULL, dane_no_passphrase, NULL);
	BIO_free(b);
	if (k == NULL) {
		s->result = R_TLS_FAILURE;
		cutf(s->reason, sizeof(s->reason), "the public key does not "
		    "parse: %s", crypto_error());
		ERR_clear_error();
		return 0;
	}
	if ((n = i2d_PUBKEY(k, NULL)) <= 0 || (der = malloc(n)) == NULL) {
		EVP_PKEY_free(k);
		return -1;
	}
	q = der;
	if (i2d_PUBKEY(k, &q) != n ||
	    digest(der, n, EVP_sha256(), d256) == -1 ||
	    digest(der, n, EVP_sha512(), d512) == -1) {
		EVP_PKEY_free(k);
		free(der);
		return -1;
	}
	EVP_PKEY_free(k);
	hexify(d256, sizeof(d256), s->leaf_spki, sizeof(s->leaf_spki));
	for (i = 0; i < p->ntlsa; i++) {
		t = &p->tlsa[i];
		if (tlsa_unusable(t) != NULL)
			continue;
		if (t->usage != TLSA_DANE_EE || t->selector != TLSA_SEL_SPKI) {
			nother++;
			continue;
		}
		nee++;
		switch (t->mtype) {
		case TLSA_MT_FULL:
			hit = t->len == (size_t)n &&
			    memcmp(t->data, der, n) == 0;
			break;
		case TLSA_MT_SHA256:
			hit = t->len == SHA256_LEN &&
			    memcmp(t->data, d256, SHA256_LEN) == 0;
			break;
		default:
			hit = t->len == SHA512_LEN &&
			    memcmp(t->data, d512, SHA512_LEN) == 0;
			break;
		}
		if (hit) {
			s->safe = 1;
			s->result = R_VERIFIED;
			cutf(s->reason, sizeof(s->reason), "DANE-EE 3 1 %u "
			    "matches the staged key", t->mtype);
			free(der);
			return 0;
		}
	}
	free(der);
	s->result = R_TLSA_MISMATCH;
	cutf(s->reason, sizeof(s->reason), "no DANE-EE 3 1 x record matches "
	    "the staged key (%zu DANE-EE 3 1 x record%s published; a bare "
	    "public key can only be matched by DANE-EE 3 1 x records, %zu "
	    "other usable record%s cannot judge it)", nee, nee == 1 ? "" : "s",
	    nother, nother == 1 ? "" : "s");
	return 0;
}

int
dane_staged(const char *pem, size_t len, const struct dane_params *p,
    struct dane_staged *s)
{
	struct dane_report	 r;

	memset(s, 0, sizeof(*s));
	switch (dane_pem_kind(pem, len)) {
	case DANE_PEM_KEY:
		return staged_key(pem, len, p, s);
	case DANE_PEM_CHAIN:
		break;
	default:
		s->result = R_TLS_FAILURE;
		cutf(s->reason, sizeof(s->reason), "neither a certificate nor "
		    "a public key (no BEGIN CERTIFICATE or BEGIN PUBLIC KEY "
		    "line)");
		return 0;
	}
	if (dane_verify(pem, len, p, &r) == -1)
		return -1;
	s->result = r.result;
	s->safe = r.result == R_VERIFIED || r.result == R_VERIFIED_WARN;
	(void)strlcpy(s->reason, r.reason, sizeof(s->reason));
	if (r.ncert > 0)
		(void)strlcpy(s->leaf_spki, r.cert[0].spki_sha256,
		    sizeof(s->leaf_spki));
	if (r.ncert > 1)
		(void)strlcpy(s->ta_spki, r.cert[r.ncert - 1].spki_sha256,
		    sizeof(s->ta_spki));
	dane_report_free(&r);
	return s->result == R_INTERNAL ? -1 : 0;
}
