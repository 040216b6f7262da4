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
 * The second opinion: OpenSSL's own DANE verifier (the one Postfix and
 * Exim use) run offline on the chain, TLSA records, reference names
 * and time that dane_verify() was given, and the two verdicts compared.
 * Shared by regress/test_dane.c, regress/test_danediff.c and the
 * libFuzzer harness regress/fuzz/fuzz_dane.c.
 *
 * OpenSSL is set up the way an SMTP sender sets it up (Postfix's
 * tls_client.c, Exim's tls-openssl.c): SSL_dane_enable() with the TLSA
 * base domain, the other names through SSL_add1_host(), no partial
 * wildcards, DANE_FLAG_NO_DANE_EE_NAMECHECKS (RFC 7672 section 3.1.1:
 * no name checks for DANE-EE), the default security level (1) as the
 * chain's authentication level, the "ssl_server" purpose, and an
 * empty PKIX trust store, since an SMTP sender has none for DANE.
 * Then X509_verify_cert() on the presented chain, as libssl does
 * after a handshake.
 *
 * Differences that are on purpose are in the table below, each with
 * the RFC section that justifies it; any other disagreement is
 * DIFF_UNLISTED, which the callers report as a failure.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "smtpdane.h"
#include "danediff.h"

struct diffctx {
	const struct dane_params	*p;
	const struct dane_report	*r;
	const struct ossl_verdict	*o;
	int				 ours;
};

static int	warned_anchor(const struct diffctx *);
static int	warned_other(const struct diffctx *);
static int	pkix_match(const struct diffctx *);
static int	no_names(const struct diffctx *);

/*
 * The differences on purpose: the first entry whose test holds
 * explains a case.  The first two are verdicts that agree, where
 * smtpdane adds a warning (exit status 1) and a sender delivers.
 */
static const struct {
	const char	*name;
	const char	*rfc;
	int		(*applies)(const struct diffctx *);
} table[] = {
	{ "anchor not sent: verified, with a warning",
	  "RFC 7672 section 3.1.2 (the server MUST send its DANE-TA "
	  "anchor); RFC 7671 section 5.2.2 (a sender may still use a 2 x 0 "
	  "record)", warned_anchor },
	{ "expiry or date warning: verified, with a warning",
	  "RFC 7671 section 8.1 (rollover: warn before it breaks); "
	  "RFC 7672 section 3.1.1 (DANE-EE dates not checked)",
	  warned_other },
	{ "PKIX-TA/PKIX-EE record unusable for SMTP",
	  "RFC 7672 section 3.1.3", pkix_match },
	{ "DANE-TA without any reference name fails",
	  "RFC 7672 section 3.2.3 (the leaf must match a reference "
	  "identifier); smtpdane always has the TLSA base domain",
	  no_names },
};

#define NENTRIES	(sizeof(table) / sizeof(table[0]))

static SSL_CTX	*sslctx;

static int
has_warning(const struct dane_report *r, const char *s)
{
	size_t	 i;

	for (i = 0; i < r->nwarn; i++)
		if (strstr(r->warn[i], s) != NULL)
			return 1;
	return 0;
}

static int
warned_anchor(const struct diffctx *d)
{
	return d->ours && d->o->verified &&
	    has_warning(d->r, "server does not send its trust anchor");
}

static int
warned_other(const struct diffctx *d)
{
	return d->ours && d->o->verified && d->r->result == R_VERIFIED_WARN;
}

static int
pkix_match(const struct diffctx *d)
{
	return !d->ours && d->o->verified &&
	    (d->o->usage == TLSA_PKIX_TA || d->o->usage == TLSA_PKIX_EE);
}

static int
no_names(const struct diffctx *d)
{
	return !d->ours && d->o->verified && d->p->nnames == 0 &&
	    d->o->usage == TLSA_DANE_TA && d->r->result == R_NAME_MISMATCH;
}

size_t
danediff_nentries(void)
{
	return NENTRIES;
}

const char *
danediff_entry_name(size_t i)
{
	return i < NENTRIES ? table[i].name : "?";
}

const char *
danediff_entry_rfc(size_t i)
{
	return i < NENTRIES ? table[i].rfc : "?";
}

void
danediff_cleanup(void)
{
	SSL_CTX_free(sslctx);
	sslctx = NULL;
}

/* The presented chain as OpenSSL reads PEM; NULL if it cannot. */
static STACK_OF(X509) *
read_chain(const char *pem, size_t len)
{
	STACK_OF(X509)	*sk;
	BIO		*b;
	X509		*x;

	if (pem == NULL || len == 0 || len > INT32_MAX ||
	    (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	if ((sk = sk_X509_new_null()) == NULL) {
		BIO_free(b);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(sk, x) == 0) {
			X509_free(x);
			break;
		}
	BIO_free(b);
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return NULL;
	}
	return sk;
}

/* A reference name as OpenSSL wants it: no final dot. */
static void
bare_name(const char *n, char *buf, size_t len)
{
	size_t	 l;

	(void)strlcpy(buf, n, len);
	l = strlen(buf);
	if (l > 1 && buf[l - 1] == '.')
		buf[l - 1] = '\0';
}

/* An SSL handle with DANE enabled for p's names and records. */
static SSL *
dane_ssl(const struct dane_params *p)
{
	SSL		*ssl;
	char		 name[MAX_HOSTNAME];
	size_t		 i;
	const struct tlsa *t;

	if (sslctx == NULL) {
		if ((sslctx = SSL_CTX_new(TLS_client_method())) == NULL ||
		    SSL_CTX_dane_enable(sslctx) <= 0)
			return NULL;
	}
	if ((ssl = SSL_new(sslctx)) == NULL)
		return NULL;
	name[0] = '\0';
	if (p->nnames > 0 && p->names[0] != NULL)
		bare_name(p->names[0], name, sizeof(name));
	if (SSL_dane_enable(ssl, name[0] != '\0' ? name : NULL) <= 0)
		goto fail;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	(void)SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 1; i < p->nnames && i < MAX_NAMES; i++) {
		if (p->names[i] == NULL)
			continue;
		bare_name(p->names[i], name, sizeof(name));
		if (SSL_add1_host(ssl, name) != 1)
			goto fail;
	}
	for (i = 0; i < p->ntlsa; i++) {
		t = &p->tlsa[i];
		/* 0: unusable, ignored as a sender ignores it. */
		if (SSL_dane_tlsa_add(ssl, t->usage, t->selector, t->mtype,
		    t->data, t->len) < 0)
			goto fail;
	}
	ERR_clear_error();
	return ssl;
 fail:
	SSL_free(ssl);
	return NULL;
}

/* What libssl's ssl_verify_cert_chain() does, on an offline chain. */
static int
ossl_verify(STACK_OF(X509) *sk, const struct dane_params *p,
    struct ossl_verdict *o)
{
	X509_STORE_CTX		*xc = NULL;
	X509_VERIFY_PARAM	*vp;
	SSL			*ssl;
	uint8_t			 u, s, m;
	int			 rc = -1;

	memset(o, 0, sizeof(*o));
	o->depth = o->usage = -1;
	if ((ssl = dane_ssl(p)) == NULL)
		return -1;
	if ((xc = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(xc, SSL_CTX_get_cert_store(sslctx),
	    sk_X509_value(sk, 0), sk) != 1 ||
	    X509_STORE_CTX_set_ex_data(xc,
	    SSL_get_ex_data_X509_STORE_CTX_idx(), ssl) != 1 ||
	    X509_STORE_CTX_set_default(xc, "ssl_server") != 1)
		goto done;
	vp = X509_STORE_CTX_get0_param(xc);
	if (X509_VERIFY_PARAM_set1(vp, SSL_get0_param(ssl)) != 1)
		goto done;
	X509_VERIFY_PARAM_set_auth_level(vp, SSL_get_security_level(ssl));
	X509_VERIFY_PARAM_set_time(vp, p->now);
	X509_STORE_CTX_set0_dane(xc, SSL_get0_dane(ssl));
	rc = 0;
	if (X509_verify_cert(xc) == 1) {
		o->verified = 1;
		SSL_set_verify_result(ssl, X509_V_OK);
		o->depth = SSL_get0_dane_authority(ssl, NULL, NULL);
		if (SSL_get0_dane_tlsa(ssl, &u, &s, &m, NULL, NULL) >= 0)
			o->usage = u;
	} else
		(void)snprintf(o->why, sizeof(o->why), "%s at depth %d",
		    X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(xc)),
		    X509_STORE_CTX_get_error_depth(xc));
 done:
	X509_STORE_CTX_free(xc);
	SSL_free(ssl);
	ERR_clear_error();
	return rc;
}

static void
describe(struct danediff *d, const struct dane_report *r)
{
	const struct ossl_verdict *o = &d->theirs;

	(void)snprintf(d->text, sizeof(d->text), "smtpdane %s (%.300s); "
	    "OpenSSL %s", result_name(r->result), r->reason,
	    o->verified ? "verified" : "failed");
	if (o->verified)
		(void)snprintf(d->text + strlen(d->text),
		    sizeof(d->text) - strlen(d->text), " (usage %d at depth %d)",
		    o->usage, o->depth);
	else
		(void)snprintf(d->text + strlen(d->text),
		    sizeof(d->text) - strlen(d->text), " (%s)", o->why);
}

/*
 * Returns 0 with the comparison in d, or -1 when OpenSSL could not be
 * set up (out of memory).
 */
int
danediff_check(const char *pem, size_t len, const struct dane_params *p,
    const struct dane_report *r, struct danediff *d)
{
	struct diffctx	 c;
	STACK_OF(X509)	*sk;
	size_t		 i;
	int		 rc;

	memset(d, 0, sizeof(*d));
	d->entry = -1;
	d->ours = r->result == R_VERIFIED || r->result == R_VERIFIED_WARN;
	/*
	 * Without PEM that both can read there is nothing to judge: the
	 * real chain comes from libtls, always well formed.
	 */
	if (r->ncert == 0 || (sk = read_chain(pem, len)) == NULL) {
		d->kind = DIFF_SKIPPED;
		(void)snprintf(d->text, sizeof(d->text), "no chain to compare "
		    "(smtpdane: %s)", result_name(r->result));
		return 0;
	}
	rc = ossl_verify(sk, p, &d->theirs);
	sk_X509_pop_free(sk, X509_free);
	if (rc == -1)
		return -1;
	describe(d, r);
	c.p = p;
	c.r = r;
	c.o = &d->theirs;
	c.ours = d->ours;
	for (i = 0; i < NENTRIES; i++)
		if (table[i].applies(&c)) {
			d->kind = DIFF_LISTED;
			d->entry = (int)i;
			return 0;
		}
	d->kind = d->ours == d->theirs.verified ? DIFF_AGREE : DIFF_UNLISTED;
	return 0;
}
