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
 * OCSP stapling (RFC 6066 section 8, RFC 6960): reading the response
 * the server stapled, in the check child's network stage, and judging
 * it, in its parse stage.
 *
 * Reading.  libtls has no call that returns the stapled bytes, and its
 * tls_peer_ocsp_*() results are only filled in when libtls verifies the
 * chain itself (verify_cert and verify_time on), which DANE rules out.
 * Turning its verification on with the presented chain as its CA
 * (tls_config_set_ca_mem()) would not do: the chain is known only after
 * the very handshake that carries the staple, so it would take a second
 * connection; libtls would then fail that handshake on a revoked,
 * tryLater or out-of-date staple (no chain, no DANE verdict, only an
 * error string to tell the cases apart); and it would first verify the
 * chain by PKIX rules, which refuse a chain that ends below a root.
 * So the staple is read under libtls instead, with two calls that
 * OpenSSL and LibreSSL both document: CRYPTO_get_ex_new_index() on the
 * SSL class registers a callback that libcrypto calls for every new
 * SSL object, which shows us the one tls_connect_socket() makes; after
 * the handshake, SSL_get_tlsext_status_ocsp_resp() on it gives the
 * response (libtls always asks for one).  A libtls that made its SSL
 * object elsewhere would leave the staple "not-checked", never wrong.
 *
 * Judging: libcrypto only, no I/O.  The signer must be the leaf's
 * issuer, found in the presented chain, or a responder certificate that
 * issuer signed for OCSP signing (RFC 6960 section 4.2.2.2); the
 * response must hold a status for the leaf's certificate ID (issuer
 * name and key hashes, serial); thisUpdate and nextUpdate must enclose
 * the time, give or take OCSP_SKEW.  A revoked status is believed
 * whatever its dates: revocation is for good.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "smtpdane.h"

#define OCSP_SKEW	(5 * 60)	/* clock skew allowed, seconds */
#define OCSP_MAXAGE	(7 * 86400)	/* for a response without nextUpdate */
#define OCSP_CHAIN_MAX	32		/* presented certificates looked at */

/*
 * Reading the staple.
 */
static int	 ex_index = -2;		/* -2: not registered yet */
static int	 watching;
static SSL	*seen;

/* LibreSSL's "new" callback returns int, OpenSSL's nothing. */
#ifdef LIBRESSL_VERSION_NUMBER
#define EX_NEW_RET	int
#define EX_NEW_OK	return 1
#else
#define EX_NEW_RET	void
#define EX_NEW_OK	return
#endif

static EX_NEW_RET
ssl_new(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	if (watching) {
		seen = parent;
		watching = 0;
	}
	EX_NEW_OK;
}

static void
ssl_gone(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	if (parent == seen)
		seen = NULL;
}

/* Just before tls_connect_socket(): the next SSL object is the one. */
void
ocsp_watch(void)
{
	if (ex_index == -2)
		ex_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0,
		    NULL, ssl_new, NULL, ssl_gone);
	seen = NULL;
	watching = ex_index >= 0;
}

/*
 * After the handshake: OCSP_STAPLED with a copy of the response in
 * *der, OCSP_NO_STAPLE, or OCSP_UNSEEN when the connection was not
 * seen.  -1: out of memory.
 */
int
ocsp_take(uint8_t **der, size_t *len)
{
	const unsigned char	*p = NULL;
	long			 n;

	*der = NULL;
	*len = 0;
	watching = 0;
	if (seen == NULL)
		return OCSP_UNSEEN;
	n = SSL_get_tlsext_status_ocsp_resp(seen, &p);
	if (n <= 0 || p == NULL)
		return OCSP_NO_STAPLE;
	if ((*der = malloc((size_t)n)) == NULL)
		return -1;
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
	return OCSP_STAPLED;
}

/*
 * Judging the staple.
 */
static void
verdict(struct ocsp_verdict *v, enum ocsp_status st, const char *detail)
{
	v->status = st;
	(void)strlcpy(v->detail, detail, sizeof(v->detail));
}

/* RFC 6960 section 4.2.1 spells them so. */
static const char *
response_status_name(int rs)
{
	switch (rs) {
	case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST:
		return "malformedRequest";
	case OCSP_RESPONSE_STATUS_INTERNALERROR:
		return "internalError";
	case OCSP_RESPONSE_STATUS_TRYLATER:
		return "tryLater";
	case OCSP_RESPONSE_STATUS_SIGREQUIRED:
		return "sigRequired";
	case OCSP_RESPONSE_STATUS_UNAUTHORIZED:
		return "unauthorized";
	}
	return "an unknown status";
}

/* The presented chain, in the order sent (the leaf first). */
static STACK_OF(X509) *
load_chain(const char *pem, size_t len)
{
	STACK_OF(X509)	*sk;
	BIO		*b;
	X509		*x;

	if (len > INT_MAX || (sk = sk_X509_new_null()) == NULL)
		return NULL;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		sk_X509_free(sk);
		return NULL;
	}
	while (sk_X509_num(sk) < OCSP_CHAIN_MAX &&
	    (x = PEM_read_bio_X509(b, NULL, dane_no_passphrase, NULL)) != NULL)
		if (sk_X509_push(sk, x) == 0) {
			X509_free(x);
			break;
		}
	BIO_free(b);
	ERR_clear_error();
	return sk;
}

/*
 * The leaf's issuer among the presented certificates; a self-signed
 * leaf is its own, whatever its key usage says (DANE-EE leaves are
 * often made so, without keyCertSign).
 */
static X509 *
find_issuer(STACK_OF(X509) *chain, X509 *leaf)
{
	EVP_PKEY	*k;
	X509		*x;
	int		 i, self;

	for (i = sk_X509_num(chain) - 1; i > 0; i--) {
		x = sk_X509_value(chain, i);
		if (cert_issued_by(leaf, x))
			return x;
	}
	self = X509_NAME_cmp(X509_get_subject_name(leaf),
	    X509_get_issuer_name(leaf)) == 0 &&
	    (k = X509_get0_pubkey(leaf)) != NULL && X509_verify(leaf, k) == 1;
	ERR_clear_error();
	return self ? leaf : NULL;
}

/*
 * Is the response signed by signer's key, the signer its responder ID
 * names?  1 yes, 0 it names another, -1 it names this one but the
 * signature does not verify.
 */
static int
signed_response(OCSP_BASICRESP *bs, X509 *signer)
{
	STACK_OF(X509)	*one;
	X509_STORE	*st;
	unsigned long	 e;
	int		 rc = 0;

	one = sk_X509_new_null();
	st = X509_STORE_new();
	if (one != NULL && st != NULL && sk_X509_push(one, signer) != 0) {
		/* NOINTERN: only signer may be the signer; NOVERIFY:
		 * no PKIX path for it, its standing is judged here. */
		if (OCSP_basic_verify(bs, one, st, OCSP_NOINTERN |
		    OCSP_NOVERIFY) == 1)
			rc = 1;
		else if ((e = ERR_peek_last_error()) != 0 &&
		    ERR_GET_LIB(e) == ERR_LIB_OCSP &&
		    ERR_GET_REASON(e) == OCSP_R_SIGNATURE_FAILURE)
			rc = -1;
	}
	sk_X509_free(one);
	X509_STORE_free(st);
	ERR_clear_error();
	return rc;
}

/* A responder certificate the issuer signed for OCSP signing, valid now. */
static int
authorised(X509 *r, X509 *issuer, time_t now)
{
	const ASN1_TIME	*nb, *na;
	time_t		 early = now + OCSP_SKEW, late = now - OCSP_SKEW;

	if (!cert_issued_by(r, issuer) ||
	    (X509_get_extension_flags(r) & EXFLAG_XKUSAGE) == 0 ||
	    (X509_get_extended_key_usage(r) & XKU_OCSP_SIGN) == 0)
		return 0;
	nb = X509_get0_notBefore(r);
	na = X509_get0_notAfter(r);
	return nb != NULL && na != NULL && X509_cmp_time(nb, &early) < 0 &&
	    X509_cmp_time(na, &late) > 0;
}

/* Who signed it, into v->detail; 0, or -1 with the verdict made. */
static int
check_signer(struct ocsp_verdict *v, OCSP_BASICRESP *bs, X509 *issuer,
    time_t now)
{
	const STACK_OF(X509)	*certs;
	X509			*r;
	int			 i, rc, bad;

	if ((rc = signed_response(bs, issuer)) == 1) {
		verdict(v, OCSP_ST_GOOD, "signed by the leaf's issuer");
		return 0;
	}
	bad = rc == -1;
	certs = OCSP_resp_get0_certs(bs);
	for (i = 0; i < sk_X509_num(certs); i++) {
		r = sk_X509_value(certs, i);
		if (!authorised(r, issuer, now))
			continue;
		if ((rc = signed_response(bs, r)) == 1) {
			verdict(v, OCSP_ST_GOOD, "signed by a responder "
			    "that the leaf's issuer authorised");
			return 0;
		}
		bad |= rc == -1;
	}
	verdict(v, OCSP_ST_INVALID, bad ? "its signature does not verify "
	    "with the key of the signer it names" : "signed by neither the "
	    "leaf's issuer nor a responder that it authorised");
	return -1;
}

/* The response about the leaf, by its certificate ID in any hash. */
static OCSP_SINGLERESP *
find_single(OCSP_BASICRESP *bs, X509 *leaf, X509 *issuer)
{
	OCSP_SINGLERESP		*s;
	const OCSP_CERTID	*id;
	OCSP_CERTID		*mine;
	ASN1_OBJECT		*alg;
	const EVP_MD		*md;
	int			 i, same;

	for (i = 0; i < OCSP_resp_count(bs); i++) {
		s = OCSP_resp_get0(bs, i);
		alg = NULL;
		if ((id = OCSP_SINGLERESP_get0_id(s)) == NULL ||
		    OCSP_id_get0_info(NULL, &alg, NULL, NULL,
		    (OCSP_CERTID *)id) != 1 || alg == NULL ||
		    (md = EVP_get_digestbyobj(alg)) == NULL ||
		    (mine = OCSP_cert_to_id(md, leaf, issuer)) == NULL)
			continue;
		same = OCSP_id_cmp(mine, id) == 0;
		OCSP_CERTID_free(mine);
		if (same)
			return s;
	}
	return NULL;
}


/* thisUpdate and nextUpdate against the time: "" or what is wrong. */
static const char *
out_of_date(const struct ocsp_verdict *v, time_t now)
{
	if (v->this_update > now + OCSP_SKEW)
		return "its thisUpdate is in the future";
	if ((v->known & OCSP_HAS_NEXT) == 0) {
		if (v->this_update < now - OCSP_MAXAGE)
			return "it has no nextUpdate and its thisUpdate is "
			    "more than 7 days old";
		return "";
	}
	if (v->next_update < now - OCSP_SKEW)
		return "its nextUpdate has passed";
	return "";
}

/* The times and the status of the leaf's single response. */
static void
judge_single(struct ocsp_verdict *v, OCSP_SINGLERESP *s, time_t now)
{
	ASN1_GENERALIZEDTIME	*rev = NULL, *thisu = NULL, *nextu = NULL;
	const char		*why, *r;
	char			 signer[sizeof(v->detail)], buf[MAX_TEXT + 64];
	int			 st, reason = -1;

	(void)strlcpy(signer, v->detail, sizeof(signer));
	st = OCSP_single_get0_status(s, &reason, &rev, &thisu, &nextu);
	if (dane_asn1_time(thisu, &v->this_update) == -1 ||
	    (nextu != NULL && dane_asn1_time(nextu, &v->next_update) == -1) ||
	    (st == V_OCSP_CERTSTATUS_REVOKED &&
	    dane_asn1_time(rev, &v->revoked_at) == -1)) {
		verdict(v, OCSP_ST_INVALID, "a time in it does not parse");
		return;
	}
	v->known = OCSP_HAS_THIS | (nextu != NULL ? OCSP_HAS_NEXT : 0);
	if (nextu != NULL && v->next_update < v->this_update) {
		v->known = 0;
		verdict(v, OCSP_ST_INVALID, "its nextUpdate comes before its "
		    "thisUpdate");
		return;
	}
	switch (st) {
	case V_OCSP_CERTSTATUS_REVOKED:
		v->known |= OCSP_HAS_REVOKED;
		if (reason != OCSP_REVOKED_STATUS_NOSTATUS &&
		    (r = OCSP_crl_reason_str(reason)) != NULL)
			(void)strlcpy(v->reason, r, sizeof(v->reason));
		verdict(v, OCSP_ST_REVOKED, signer);
		return;
	case V_OCSP_CERTSTATUS_GOOD:
		verdict(v, OCSP_ST_GOOD, signer);
		break;
	case V_OCSP_CERTSTATUS_UNKNOWN:
		snprintf(buf, sizeof(buf), "the responder does not know the "
		    "certificate, %s", signer);
		verdict(v, OCSP_ST_UNKNOWN, buf);
		break;
	default:
		v->known = 0;
		verdict(v, OCSP_ST_INVALID, "its certificate status is not "
		    "one of good, revoked, unknown");
		return;
	}
	why = out_of_date(v, now);
	if (why[0] != '\0')
		verdict(v, OCSP_ST_STALE, why);
}

/*
 * Judge the stapled response der (len bytes) for the chain the server
 * presented (PEM, its leaf first) at the time now.  Never fails: what
 * cannot be judged is OCSP_ST_INVALID, or OCSP_ST_UNCHECKED when
 * smtpdane itself failed.
 */
void
ocsp_judge(const uint8_t *der, size_t len, const char *pem, size_t pemlen,
    time_t now, struct ocsp_verdict *v)
{
	const unsigned char	*p = der;
	OCSP_RESPONSE		*resp = NULL;
	OCSP_BASICRESP		*bs = NULL;
	OCSP_SINGLERESP		*s;
	STACK_OF(X509)		*chain = NULL;
	X509			*leaf, *issuer;
	char			 buf[MAX_TEXT];
	int			 rs;

	memset(v, 0, sizeof(*v));
	if (len == 0 || len > LONG_MAX ||
	    (resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		verdict(v, OCSP_ST_INVALID, "it does not parse as an OCSP "
		    "response");
		goto done;
	}
	if ((rs = OCSP_response_status(resp)) !=
	    OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		/* An unsigned answer by design: there is nothing to verify. */
		snprintf(buf, sizeof(buf), "the responder answered %s",
		    response_status_name(rs));
		verdict(v, rs == OCSP_RESPONSE_STATUS_TRYLATER ?
		    OCSP_ST_TRYLATER : OCSP_ST_ERROR, buf);
		goto done;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		verdict(v, OCSP_ST_INVALID, "it is not a basic OCSP response");
		goto done;
	}
	if ((chain = load_chain(pem, pemlen)) == NULL) {
		verdict(v, OCSP_ST_UNCHECKED, "out of memory judging it");
		goto done;
	}
	if ((leaf = sk_X509_value(chain, 0)) == NULL ||
	    (issuer = find_issuer(chain, leaf)) == NULL) {
		verdict(v, OCSP_ST_INVALID, "the leaf's issuer is not in the "
		    "presented chain, so its signature cannot be checked");
		goto done;
	}
	if (check_signer(v, bs, issuer, now) == -1)
		goto done;
	if ((s = find_single(bs, leaf, issuer)) == NULL) {
		verdict(v, OCSP_ST_INVALID, "it holds no status for the "
		    "leaf's certificate ID");
		goto done;
	}
	judge_single(v, s, now);
 done:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
}
