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
 * test_ocsp DIR: ocsp_judge() (ocsp.c) over the OCSP responses that
 * regress/mkcerts-unit.sh wrote into DIR: each status, each signer
 * (the issuer, by name and by key; an authorised responder; one that
 * is not; a wrong key), certificate IDs in SHA-1 and SHA2-256 or for
 * another certificate, times around thisUpdate and nextUpdate, and
 * bytes that are no OCSP response.  Prints PASS:/FAIL: lines.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtpdane.h"

#define DAY	(24 * 60 * 60)

static const char	*dir;
static int		 npass, nfail;

static char *
slurp(const char *name, size_t *lenp)
{
	char	 path[1024], err[MAX_TEXT], *buf;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_whole_file(path, &buf, lenp, err, sizeof(err)) == -1) {
		fprintf(stderr, "test_ocsp: %s\n", err);
		exit(2);
	}
	return buf;
}

/* The PEM files named, one after the other: a presented chain. */
static char *
chain(const char *a, const char *b, size_t *lenp)
{
	char	*x, *y, *both;
	size_t	 xl, yl = 0;

	x = slurp(a, &xl);
	y = b != NULL ? slurp(b, &yl) : NULL;
	if ((both = malloc(xl + yl + 1)) == NULL)
		exit(2);
	memcpy(both, x, xl);
	if (y != NULL)
		memcpy(both + xl, y, yl);
	both[xl + yl] = '\0';
	free(x);
	free(y);
	*lenp = xl + yl;
	return both;
}

static void
result(const char *name, int ok, const struct ocsp_verdict *v)
{
	if (ok) {
		printf("PASS: ocsp: %s\n", name);
		npass++;
	} else {
		printf("FAIL: ocsp: %s: status %s, known %u, reason \"%s\", "
		    "detail \"%s\"\n", name, ocsp_status_name(v->status),
		    v->known, v->reason, v->detail);
		nfail++;
	}
}

/*
 * Judge response file resp (or the bytes der) for the chain a, b at
 * now + offset: the status must be want and the detail start with
 * what (NULL: any).
 */
static void
judge(const char *name, const char *resp, const char *a, const char *b,
    long offset, enum ocsp_status want, const char *what,
    struct ocsp_verdict *v)
{
	char	*der, *pem;
	size_t	 dlen, plen;

	der = slurp(resp, &dlen);
	pem = chain(a, b, &plen);
	ocsp_judge((uint8_t *)der, dlen, pem, plen, time(NULL) + offset, v);
	result(name, v->status == want && (what == NULL ||
	    strncmp(v->detail, what, strlen(what)) == 0), v);
	free(der);
	free(pem);
}

static void
t_signers(void)
{
	struct ocsp_verdict	 v;

	judge("good, signed by the issuer", "ocsp-good.der", "leaf.pem",
	    "int.pem", 0, OCSP_ST_GOOD, "signed by the leaf's issuer", &v);
	result("good: both updates, 7 days apart", v.known ==
	    (OCSP_HAS_THIS | OCSP_HAS_NEXT) &&
	    v.next_update - v.this_update == 7 * DAY && v.reason[0] == '\0',
	    &v);
	judge("responder named by key hash", "ocsp-keyid.der", "leaf.pem",
	    "int.pem", 0, OCSP_ST_GOOD, "signed by the leaf's issuer", &v);
	judge("certificate ID in SHA2-256", "ocsp-sha256.der", "leaf.pem",
	    "int.pem", 0, OCSP_ST_GOOD, NULL, &v);
	judge("authorised responder", "ocsp-deleg.der", "leaf.pem",
	    "int.pem", 0, OCSP_ST_GOOD, "signed by a responder that the "
	    "leaf's issuer authorised", &v);
	judge("responder not for OCSP signing", "ocsp-noeku.der", "leaf.pem",
	    "int.pem", 0, OCSP_ST_INVALID, "signed by neither", &v);
	result("invalid: no times", v.known == 0, &v);
	judge("issuer's name, another key", "ocsp-badsig.der", "leaf.pem",
	    "int.pem", 0, OCSP_ST_INVALID, "its signature does not verify",
	    &v);
	judge("self-signed leaf signs for itself", "ocsp-self.der",
	    "self.pem", NULL, 0, OCSP_ST_GOOD, "signed by the leaf's issuer",
	    &v);
	judge("issuer not presented", "ocsp-good.der", "leaf.pem", NULL, 0,
	    OCSP_ST_INVALID, "the leaf's issuer is not in the presented", &v);
	judge("a forged issuer is no issuer", "ocsp-good.der", "leaf.pem",
	    "fakeint.pem", 0, OCSP_ST_INVALID, "the leaf's issuer is not", &v);
	judge("status of another certificate", "ocsp-other.der", "leaf.pem",
	    "int.pem", 0, OCSP_ST_INVALID, "it holds no status for the "
	    "leaf's certificate ID", &v);
}

static void
t_statuses(void)
{
	struct ocsp_verdict	 v;

	judge("revoked", "ocsp-revoked.der", "leaf.pem", "int.pem", 0,
	    OCSP_ST_REVOKED, "signed by the leaf's issuer", &v);
	result("revoked: since 2025-01-01, keyCompromise",
	    v.revoked_at == 1735689600 && strcmp(v.reason, "keyCompromise")
	    == 0 && v.known == OCSP_HAS_ALL, &v);
	judge("revoked stays revoked when out of date", "ocsp-revoked.der",
	    "leaf.pem", "int.pem", 300 * DAY, OCSP_ST_REVOKED, NULL, &v);
	judge("unknown", "ocsp-unknown.der", "leaf.pem", "int.pem", 0,
	    OCSP_ST_UNKNOWN, "the responder does not know the certificate, "
	    "signed by the leaf's issuer", &v);
	judge("tryLater", "ocsp-trylater.der", "leaf.pem", "int.pem", 0,
	    OCSP_ST_TRYLATER, "the responder answered tryLater", &v);
	result("tryLater: no times", v.known == 0, &v);
	judge("internalError", "ocsp-internal.der", "leaf.pem", "int.pem", 0,
	    OCSP_ST_ERROR, "the responder answered internalError", &v);
}

/* Times around the response's own, however long ago it was made. */
static void
t_times(void)
{
	struct ocsp_verdict	 v;
	time_t			 this, next;

	judge("good, its times", "ocsp-good.der", "leaf.pem", "int.pem", 0,
	    OCSP_ST_GOOD, NULL, &v);
	this = v.this_update - time(NULL);
	next = v.next_update - time(NULL);
	judge("nextUpdate passed", "ocsp-good.der", "leaf.pem", "int.pem",
	    next + DAY, OCSP_ST_STALE, "its nextUpdate has passed", &v);
	result("stale: times kept", v.known == (OCSP_HAS_THIS |
	    OCSP_HAS_NEXT), &v);
	judge("nextUpdate just passed, within the skew", "ocsp-good.der",
	    "leaf.pem", "int.pem", next + 60, OCSP_ST_GOOD, NULL, &v);
	judge("nextUpdate passed, beyond the skew", "ocsp-good.der",
	    "leaf.pem", "int.pem", next + 6 * 60, OCSP_ST_STALE, NULL, &v);
	judge("thisUpdate in the future", "ocsp-good.der", "leaf.pem",
	    "int.pem", this - DAY, OCSP_ST_STALE, "its thisUpdate is in the "
	    "future", &v);
	judge("thisUpdate a little ahead, within the skew", "ocsp-good.der",
	    "leaf.pem", "int.pem", this - 60, OCSP_ST_GOOD, NULL, &v);
	judge("no nextUpdate, fresh", "ocsp-nonext.der", "leaf.pem",
	    "int.pem", 0, OCSP_ST_GOOD, NULL, &v);
	result("no nextUpdate: thisUpdate only", v.known == OCSP_HAS_THIS,
	    &v);
	judge("no nextUpdate, 8 days old", "ocsp-nonext.der", "leaf.pem",
	    "int.pem", this + 8 * DAY, OCSP_ST_STALE, "it has no nextUpdate",
	    &v);
	judge("unknown, out of date", "ocsp-unknown.der", "leaf.pem",
	    "int.pem", next + DAY, OCSP_ST_STALE, NULL, &v);
}

static void
t_bytes(void)
{
	struct ocsp_verdict	 v;
	char			*der, *pem, *more;
	size_t			 dlen, plen;

	der = slurp("ocsp-good.der", &dlen);
	pem = chain("leaf.pem", "int.pem", &plen);
	ocsp_judge((const uint8_t *)"hello", 5, pem, plen, time(NULL), &v);
	result("not DER", v.status == OCSP_ST_INVALID &&
	    strcmp(v.detail, "it does not parse as an OCSP response") == 0,
	    &v);
	ocsp_judge((const uint8_t *)der, 0, pem, plen, time(NULL), &v);
	result("no bytes", v.status == OCSP_ST_INVALID, &v);
	ocsp_judge((const uint8_t *)der, dlen / 2, pem, plen, time(NULL), &v);
	result("cut in half", v.status == OCSP_ST_INVALID, &v);
	if ((more = malloc(dlen + 1)) == NULL)
		exit(2);
	memcpy(more, der, dlen);
	more[dlen] = 0;
	ocsp_judge((const uint8_t *)more, dlen + 1, pem, plen, time(NULL),
	    &v);
	result("a byte after the response", v.status == OCSP_ST_INVALID, &v);
	ocsp_judge((const uint8_t *)der, dlen, "", 0, time(NULL), &v);
	result("no chain", v.status == OCSP_ST_INVALID, &v);
	free(more);
	free(der);
	free(pem);
}

static void
t_names(void)
{
	struct ocsp_verdict	 v;
	static const char *const want[OCSP_ST__MAX] = {
		"missing", "good", "revoked", "unknown", "trylater", "error",
		"invalid", "stale", "not-checked"
	};
	int			 i, ok = 1;

	memset(&v, 0, sizeof(v));
	for (i = 0; i < OCSP_ST__MAX; i++)
		ok &= strcmp(ocsp_status_name(i), want[i]) == 0;
	ok &= strcmp(ocsp_status_name(OCSP_ST__MAX), "not-checked") == 0;
	result("status names", ok, &v);
	ok = !ocsp_status_bad(OCSP_ST_NONE) && !ocsp_status_bad(OCSP_ST_GOOD) &&
	    !ocsp_status_bad(OCSP_ST_REVOKED) &&
	    ocsp_status_bad(OCSP_ST_TRYLATER) &&
	    ocsp_status_bad(OCSP_ST_INVALID) && ocsp_status_bad(OCSP_ST_STALE);
	result("which statuses warn under -expect-ocsp", ok, &v);
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_ocsp DIR\n");
		return 2;
	}
	dir = argv[1];
	t_signers();
	t_statuses();
	t_times();
	t_bytes();
	t_names();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail > 0 ? 1 : 0;
}
