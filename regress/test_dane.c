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
 * Unit tests for dane.c: TLSA parsing and DANE verification of chains
 * made by regress/mkcerts-unit.sh.
 *
 *	usage: test_dane DIR
 *
 * One line per case, "PASS: name" or "FAIL: name: why"; exits 1 if
 * any case failed.
 */

#include <sys/types.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "smtpdane.h"
#include "danediff.h"

#define DAY	(24 * 60 * 60)
#define MAXREC	8

static const char	*certdir;
static int		 nfail, npass;
static char		 tname[128];
static char		 tfail[2048];

/* The differential check against OpenSSL, over every verify case. */
static int		 ndiff, nagree, nlisted, nunlisted, nskipped;
static int		 nentry[16];

static void	tbegin(const char *);
static void	tcheck(int, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
static void	tend(void);

static void
tbegin(const char *name)
{
	(void)strlcpy(tname, name, sizeof(tname));
	tfail[0] = '\0';
}

/* Record the first failed check of the case. */
static void
tcheck(int ok, const char *fmt, ...)
{
	va_list	 ap;

	if (ok || tfail[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(tfail, sizeof(tfail), fmt, ap);
	va_end(ap);
	if (tfail[0] == '\0')
		(void)strlcpy(tfail, "failed", sizeof(tfail));
}

static void
tend(void)
{
	if (tfail[0] != '\0') {
		printf("FAIL: %s: %s\n", tname, tfail);
		nfail++;
	} else {
		printf("PASS: %s\n", tname);
		npass++;
	}
	fflush(stdout);
}

/*
 * Fixtures.
 */

static char *
read_file(const char *name, size_t *lenp)
{
	char	 path[1024], *buf;
	FILE	*f;
	long	 len;

	(void)snprintf(path, sizeof(path), "%s/%s", certdir, name);
	if ((f = fopen(path, "rb")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "test_dane: %s: cannot read\n", path);
		exit(2);
	}
	if ((buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "test_dane: %s: short read\n", path);
		exit(2);
	}
	buf[len] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)len;
	return buf;
}

static char *
pem_of(const char *cert)
{
	char	 file[128];

	(void)snprintf(file, sizeof(file), "%s.pem", cert);
	return read_file(file, NULL);
}

static X509 *
x509_of(const char *cert)
{
	char	*pem;
	BIO	*b;
	X509	*x;

	pem = pem_of(cert);
	if ((b = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "test_dane: %s.pem does not parse\n", cert);
		exit(2);
	}
	BIO_free(b);
	free(pem);
	return x;
}

/* The PEM chain of the named certificates, in the order given. */
static char *
chain(const char *first, ...)
{
	va_list		 ap;
	const char	*c;
	char		*all = NULL, *one;
	size_t		 len = 0, n;

	va_start(ap, first);
	for (c = first; c != NULL; c = va_arg(ap, const char *)) {
		one = pem_of(c);
		n = strlen(one);
		if ((all = realloc(all, len + n + 1)) == NULL)
			exit(2);
		memcpy(all + len, one, n + 1);
		len += n;
		free(one);
	}
	va_end(ap);
	if (all == NULL)
		all = strdup("");
	return all;
}

/* Selected bytes of a certificate: DER certificate or SPKI. */
static unsigned char *
selected(const char *cert, int selector, size_t *lenp)
{
	X509		*x;
	unsigned char	*buf = NULL;
	int		 n;

	x = x509_of(cert);
	if (selector == 0)
		n = i2d_X509(x, &buf);
	else
		n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &buf);
	X509_free(x);
	if (n <= 0) {
		fprintf(stderr, "test_dane: cannot encode %s\n", cert);
		exit(2);
	}
	*lenp = (size_t)n;
	return buf;
}

static void
hex(const unsigned char *p, size_t n, char *buf)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		(void)sprintf(buf + 2 * i, "%02x", p[i]);
	buf[2 * n] = '\0';
}

/* A TLSA record, through tlsa_parse() from its wire form. */
static struct tlsa
raw(int usage, int selector, int mtype, const unsigned char *d, size_t n)
{
	struct tlsa	 t;
	unsigned char	*wire;

	if ((wire = malloc(n + 3)) == NULL)
		exit(2);
	wire[0] = (unsigned char)usage;
	wire[1] = (unsigned char)selector;
	wire[2] = (unsigned char)mtype;
	if (n > 0)
		memcpy(wire + 3, d, n);
	if (tlsa_parse(wire, n + 3, &t) != 0) {
		fprintf(stderr, "test_dane: tlsa_parse failed\n");
		exit(2);
	}
	free(wire);
	return t;
}

/* The TLSA record for a certificate file, digest computed here. */
static struct tlsa
rec(int usage, int selector, int mtype, const char *cert)
{
	struct tlsa	 t;
	unsigned char	*sel, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	size_t		 n;

	sel = selected(cert, selector, &n);
	if (mtype == 0)
		t = raw(usage, selector, mtype, sel, n);
	else {
		if (EVP_Digest(sel, n, md, &mdlen, mtype == 1 ? EVP_sha256() :
		    EVP_sha512(), NULL) != 1)
			exit(2);
		t = raw(usage, selector, mtype, md, mdlen);
	}
	OPENSSL_free(sel);
	return t;
}

/* A record for something that was never presented: a stale one. */
static struct tlsa
stale(int usage, int selector, int mtype)
{
	unsigned char	 d[64];
	size_t		 i;

	for (i = 0; i < sizeof(d); i++)
		d[i] = (unsigned char)(0xa5 ^ i);
	return raw(usage, selector, mtype, d, mtype == 2 ? 64 : 32);
}

static void
spki_hex(const char *cert, char *buf)
{
	unsigned char	*sel, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	size_t		 n;

	sel = selected(cert, 1, &n);
	if (EVP_Digest(sel, n, md, &mdlen, EVP_sha256(), NULL) != 1)
		exit(2);
	hex(md, mdlen, buf);
	OPENSSL_free(sel);
}

/*
 * Running dane_verify.
 */

struct run {
	struct tlsa		 t[MAXREC];
	size_t			 nt;
	struct dane_params	 p;
	struct dane_report	 r;
	char			*pem;
	int			 rc;
	int			 diffed;
	struct danediff		 d;
};

static void
run_init(struct run *x, const char *name)
{
	memset(x, 0, sizeof(*x));
	x->p.now = time(NULL);
	if (name != NULL) {
		x->p.names[0] = name;
		x->p.nnames = 1;
	}
}

static void
run_add(struct run *x, struct tlsa t)
{
	if (x->nt == MAXREC)
		exit(2);
	x->t[x->nt++] = t;
}

/* Every byte of every text in a report must be printable ASCII. */
static int
report_printable(const struct dane_report *r)
{
	const char	*s[4];
	size_t		 i, j, k;

	for (i = 0; i < r->nout + r->ncert + r->nwarn + 1; i++) {
		memset(s, 0, sizeof(s));
		if (i == 0)
			s[0] = r->reason;
		else if (i <= r->nout)
			s[0] = r->out[i - 1].text;
		else if (i <= r->nout + r->ncert) {
			k = i - 1 - r->nout;
			s[0] = r->cert[k].subject;
			s[1] = r->cert[k].issuer;
			s[2] = r->cert[k].names;
			s[3] = r->cert[k].spki_sha256;
		} else
			s[0] = r->warn[i - 1 - r->nout - r->ncert];
		for (j = 0; j < 4 && s[j] != NULL; j++)
			for (k = 0; s[j][k] != '\0'; k++)
				if (!isprint((unsigned char)s[j][k]))
					return 0;
	}
	return 1;
}

static void
run_verify(struct run *x, const char *pem, size_t len)
{
	x->p.tlsa = x->t;
	x->p.ntlsa = x->nt;
	x->rc = dane_verify(pem, len, &x->p, &x->r);
	tcheck(x->rc == 0, "dane_verify returned %d: %s", x->rc, x->r.reason);
	tcheck(x->r.nout == x->nt, "nout %zu, want %zu", x->r.nout, x->nt);
	tcheck(report_printable(&x->r), "non-printable byte in report");
	if (danediff_check(pem, len, &x->p, &x->r, &x->d) == -1) {
		fprintf(stderr, "test_dane: OpenSSL set-up failed\n");
		exit(2);
	}
	x->diffed = 1;
}

/*
 * One more line per case: what OpenSSL's DANE verifier says about the
 * same input, and whether the difference, if any, is on purpose.
 */
static void
diff_report(const char *name, const struct danediff *d)
{
	switch (d->kind) {
	case DIFF_SKIPPED:
		nskipped++;
		npass++;
		printf("PASS: danediff %s: %s\n", name, d->text);
		return;
	case DIFF_AGREE:
		nagree++;
		npass++;
		printf("PASS: danediff %s: agree: %s\n", name, d->text);
		break;
	case DIFF_LISTED:
		nlisted++;
		npass++;
		if (d->entry >= 0 && (size_t)d->entry <
		    sizeof(nentry) / sizeof(nentry[0]))
			nentry[d->entry]++;
		printf("PASS: danediff %s: listed difference \"%s\" (%s): "
		    "%s\n", name, danediff_entry_name(d->entry),
		    danediff_entry_rfc(d->entry), d->text);
		break;
	case DIFF_UNLISTED:
		nunlisted++;
		nfail++;
		printf("FAIL: danediff %s: disagreement: %s\n", name, d->text);
		break;
	}
	ndiff++;
}

static void
diff_summary(void)
{
	size_t	 i;

	printf("danediff: %d cases compared with OpenSSL, %d agreements, "
	    "%d listed differences, %d unlisted disagreements (%d cases "
	    "without a chain)\n", ndiff, nagree, nlisted, nunlisted,
	    nskipped);
	for (i = 0; i < danediff_nentries(); i++)
		printf("danediff: listed \"%s\": %d\n",
		    danediff_entry_name(i), nentry[i]);
}

static void
run_chain(struct run *x, char *pem)
{
	x->pem = pem;
	run_verify(x, pem, strlen(pem));
}

static void
run_done(struct run *x)
{
	size_t	 i;

	dane_report_free(&x->r);
	for (i = 0; i < x->nt; i++)
		tlsa_free(&x->t[i]);
	free(x->pem);
	tend();
	if (x->diffed)
		diff_report(tname, &x->d);
}

static const char *
rname(enum result r)
{
	static const char *names[] = {
		"verified", "verified-warn", "dane-na", "tlsa-unusable",
		"tlsa-mismatch", "name-mismatch", "cert-expired",
		"cert-not-yet-valid", "chain-invalid", "dns-bogus",
		"dns-failure", "no-address", "smtp-error",
		"starttls-missing", "tls-failure", "connect-failure",
		"timeout", "usage", "internal"
	};

	if ((size_t)r < sizeof(names) / sizeof(names[0]))
		return names[r];
	return "?";
}

static void
want(struct run *x, enum result res, const char *reason)
{
	tcheck(x->r.result == res, "result %s, want %s (reason: %s)",
	    rname(x->r.result), rname(res), x->r.reason);
	if (reason != NULL)
		tcheck(strstr(x->r.reason, reason) != NULL,
		    "reason \"%s\" lacks \"%s\"", x->r.reason, reason);
}

static void
want_out(struct run *x, size_t i, int usable, int matched, int verified,
    int depth, const char *text)
{
	const struct dane_outcome *o;

	if (i >= x->r.nout) {
		tcheck(0, "no outcome %zu", i);
		return;
	}
	o = &x->r.out[i];
	tcheck(o->usable == usable && o->matched == matched &&
	    o->verified == verified && o->depth == depth,
	    "outcome %zu: usable %d matched %d verified %d depth %d, want "
	    "%d %d %d %d (%s)", i, o->usable, o->matched, o->verified,
	    o->depth, usable, matched, verified, depth, o->text);
	if (text != NULL)
		tcheck(strstr(o->text, text) != NULL,
		    "outcome %zu text \"%s\" lacks \"%s\"", i, o->text, text);
}

static void
want_warn(struct run *x, const char *text)
{
	size_t	 i;

	for (i = 0; i < x->r.nwarn; i++)
		if (strstr(x->r.warn[i], text) != NULL)
			return;
	tcheck(0, "no warning with \"%s\" (%zu warnings%s%s)", text,
	    x->r.nwarn, x->r.nwarn > 0 ? ", first: " : "",
	    x->r.nwarn > 0 ? x->r.warn[0] : "");
}

/*
 * TLSA records.
 */

static void
t_parse(void)
{
	static const unsigned char w[] = { 3, 1, 1, 0xde, 0xad };
	unsigned char	 copy[sizeof(w)];
	struct tlsa	 t;

	tbegin("tlsa-parse-short");
	tcheck(tlsa_parse(w, 2, &t) == -1, "2 bytes accepted");
	tcheck(t.data == NULL && t.len == 0, "failed parse left data");
	tcheck(tlsa_parse(w, 0, &t) == -1, "0 bytes accepted");
	tcheck(tlsa_parse(NULL, 5, &t) == -1, "NULL accepted");
	tend();

	tbegin("tlsa-parse-empty-data");
	tcheck(tlsa_parse(w, 3, &t) == 0, "3 bytes refused");
	tcheck(t.usage == 3 && t.selector == 1 && t.mtype == 1 && t.len == 0,
	    "fields %u %u %u len %zu", t.usage, t.selector, t.mtype, t.len);
	tcheck(tlsa_unusable(&t) != NULL &&
	    strcmp(tlsa_unusable(&t), "SHA2-256 data is 0 bytes") == 0,
	    "unusable: %s", tlsa_unusable(&t) ? tlsa_unusable(&t) : "NULL");
	tlsa_free(&t);
	tlsa_free(&t);
	tend();

	tbegin("tlsa-parse-copies");
	memcpy(copy, w, sizeof(w));
	tcheck(tlsa_parse(copy, sizeof(copy), &t) == 0, "refused");
	memset(copy, 0, sizeof(copy));
	tcheck(t.len == 2 && t.data != NULL && t.data[0] == 0xde &&
	    t.data[1] == 0xad, "data not copied");
	tlsa_free(&t);
	tcheck(t.data == NULL && t.len == 0, "tlsa_free left data");
	tend();
}

static void
unusable_is(struct tlsa t, const char *want_why)
{
	const char	*why;

	why = tlsa_unusable(&t);
	if (want_why == NULL)
		tcheck(why == NULL, "%u %u %u unusable: %s", t.usage,
		    t.selector, t.mtype, why);
	else
		tcheck(why != NULL && strstr(why, want_why) != NULL,
		    "%u %u %u: \"%s\", want \"%s\"", t.usage, t.selector,
		    t.mtype, why ? why : "NULL", want_why);
	tlsa_free(&t);
}

static void
t_unusable(void)
{
	unsigned char	 junk[40], *der, *ext;
	size_t		 n;

	memset(junk, 0x30, sizeof(junk));

	tbegin("tlsa-unusable-pkix");
	unusable_is(rec(0, 1, 1, "root"), "PKIX-TA");
	unusable_is(rec(1, 1, 1, "leaf"), "PKIX-EE");
	tend();

	tbegin("tlsa-unusable-unknown-fields");
	unusable_is(raw(4, 1, 1, junk, 32), "unknown usage 4");
	unusable_is(raw(255, 1, 1, junk, 32), "unknown usage 255");
	unusable_is(raw(3, 7, 1, junk, 32), "unknown selector 7");
	unusable_is(raw(2, 1, 3, junk, 32), "unknown matching type 3");
	tend();

	tbegin("tlsa-unusable-digest-length");
	unusable_is(raw(3, 1, 1, junk, 31), "SHA2-256 data is 31 bytes");
	unusable_is(raw(3, 1, 1, junk, 33), "SHA2-256 data is 33 bytes");
	unusable_is(raw(2, 0, 2, junk, 32), "SHA2-512 data is 32 bytes");
	unusable_is(raw(3, 1, 1, junk, 32), NULL);
	unusable_is(rec(3, 1, 2, "leaf"), NULL);
	tend();

	tbegin("tlsa-unusable-full-data");
	unusable_is(raw(3, 0, 0, junk, sizeof(junk)), "not a DER certificate");
	unusable_is(raw(2, 1, 0, junk, sizeof(junk)),
	    "not a DER SubjectPublicKeyInfo");
	unusable_is(raw(3, 0, 0, junk, 0), "not a DER certificate");
	unusable_is(rec(3, 0, 0, "leaf"), NULL);
	unusable_is(rec(2, 1, 0, "root"), NULL);
	/* A certificate with a byte after it is not one DER object. */
	der = selected("leaf", 0, &n);
	if ((ext = malloc(n + 1)) == NULL)
		exit(2);
	memcpy(ext, der, n);
	ext[n] = 0;
	unusable_is(raw(3, 0, 0, ext, n + 1), "not a DER certificate");
	free(ext);
	OPENSSL_free(der);
	tend();
}

static void
t_format(void)
{
	static const unsigned char d[] = { 0x01, 0xab, 0xff };
	struct tlsa	 t;
	char		 buf[256], want_hex[256], *big;
	unsigned char	*sel;
	size_t		 n;

	tbegin("tlsa-format");
	t = raw(3, 1, 1, d, sizeof(d));
	tlsa_format(&t, buf, sizeof(buf));
	tcheck(strcmp(buf, "3 1 1 01abff") == 0, "got \"%s\"", buf);
	tlsa_format(&t, buf, 9);
	tcheck(strcmp(buf, "3 1 1 01") == 0, "truncated: \"%s\"", buf);
	tlsa_free(&t);
	t = raw(2, 0, 0, d, 0);
	tlsa_format(&t, buf, sizeof(buf));
	tcheck(strcmp(buf, "2 0 0") == 0, "empty: \"%s\"", buf);
	tlsa_free(&t);
	tend();

	tbegin("tlsa-format-full-hex");
	t = rec(3, 1, 1, "leaf");
	spki_hex("leaf", want_hex);
	tlsa_format(&t, buf, sizeof(buf));
	tcheck(strncmp(buf, "3 1 1 ", 6) == 0 &&
	    strcmp(buf + 6, want_hex) == 0, "got \"%s\"", buf);
	tlsa_free(&t);
	t = rec(3, 0, 0, "leaf");
	sel = selected("leaf", 0, &n);
	if ((big = malloc(2 * n + 16)) == NULL)
		exit(2);
	tlsa_format(&t, big, 2 * n + 16);
	tcheck(strlen(big) == 6 + 2 * n, "3 0 0 is %zu chars, want %zu",
	    strlen(big), 6 + 2 * n);
	free(big);
	OPENSSL_free(sel);
	tlsa_free(&t);
	tend();
}

/*
 * Broken chains.
 */

static void
t_pem(void)
{
	struct run	 x;
	char		*p, *q, *r;
	size_t		 n;

	tbegin("pem-empty");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf"));
	run_verify(&x, "", 0);
	want(&x, R_TLS_FAILURE, "server presented no certificate");
	want_out(&x, 0, 1, 0, 0, -1, "not checked");
	run_done(&x);

	tbegin("pem-null");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(1, 1, 1, "leaf"));
	run_verify(&x, NULL, 0);
	want(&x, R_TLS_FAILURE, "server presented no certificate");
	want_out(&x, 0, 0, 0, 0, -1, "unusable: PKIX-EE");
	run_done(&x);

	tbegin("pem-garbage");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf"));
	run_chain(&x, strdup("hello, this is not a certificate\r\n"));
	want(&x, R_TLS_FAILURE, "not PEM");
	run_done(&x);

	tbegin("pem-truncated");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf"));
	p = pem_of("leaf");
	p[strlen(p) / 2] = '\0';
	run_chain(&x, p);
	want(&x, R_TLS_FAILURE, "certificate 1 of the presented chain is "
	    "truncated");
	run_done(&x);

	tbegin("pem-second-truncated");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf"));
	p = chain("leaf", "int", NULL);
	p[strlen(p) - 40] = '\0';
	run_chain(&x, p);
	want(&x, R_TLS_FAILURE, "certificate 2 of the presented chain is "
	    "truncated");
	tcheck(x.r.ncert == 0, "%zu certificates described", x.r.ncert);
	run_done(&x);

	tbegin("pem-corrupt-body");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf"));
	p = pem_of("leaf");
	/* Cut lines out of the middle: BEGIN and END stay. */
	q = strchr(p, '\n') + 1;
	n = strlen(q);
	memmove(q, q + 130, n - 130 + 1);
	run_chain(&x, p);
	want(&x, R_TLS_FAILURE, "certificate 1 of the presented chain does "
	    "not parse");
	run_done(&x);

	tbegin("pem-crlf-and-no-final-newline");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf"));
	p = pem_of("leaf");
	if ((q = malloc(2 * strlen(p) + 1)) == NULL)
		exit(2);
	for (n = 0, r = p; *r != '\0'; r++) {
		if (*r == '\n')
			q[n++] = '\r';
		q[n++] = *r;
	}
	q[n - 2] = '\0';
	free(p);
	run_chain(&x, q);
	want(&x, R_VERIFIED, "DANE-EE 3 1 1 matched the leaf");
	run_done(&x);
}

/*
 * DANE-EE.
 */

static void
ee_case(const char *name, int s, int m, const char *cert, const char *leaf,
    enum result res, const char *reason)
{
	struct run	 x;

	tbegin(name);
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, s, m, cert));
	run_chain(&x, chain(leaf, "int", NULL));
	want(&x, res, reason);
	if (res == R_VERIFIED)
		want_out(&x, 0, 1, 1, 1, 0, "matched depth 0 (DANE-EE)");
	run_done(&x);
}

static void
t_ee(void)
{
	struct run	 x;
	char		 h[65], t[128];

	tbegin("ee-311-report");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_VERIFIED, "DANE-EE 3 1 1 matched the leaf");
	want_out(&x, 0, 1, 1, 1, 0, "matched depth 0 (DANE-EE)");
	tcheck(x.r.nwarn == 0, "%zu warnings", x.r.nwarn);
	tcheck(x.r.ncert == 2, "%zu certificates", x.r.ncert);
	if (x.r.ncert == 2) {
		spki_hex("leaf", h);
		tcheck(strcmp(x.r.cert[0].spki_sha256, h) == 0,
		    "spki %s, want %s", x.r.cert[0].spki_sha256, h);
		tcheck(strcmp(x.r.cert[0].subject, "CN=mx.example.test") == 0,
		    "subject \"%s\"", x.r.cert[0].subject);
		tcheck(strcmp(x.r.cert[0].issuer, "CN=Unit Intermediate CA, "
		    "O=smtpdane regress") == 0, "issuer \"%s\"",
		    x.r.cert[0].issuer);
		tcheck(strcmp(x.r.cert[0].names, "mx.example.test") == 0,
		    "names \"%s\"", x.r.cert[0].names);
		tcheck(x.r.cert[0].depth == 0 && x.r.cert[1].depth == 1,
		    "depths %d %d", x.r.cert[0].depth, x.r.cert[1].depth);
		tcheck(x.r.cert[0].not_after - x.r.cert[0].not_before ==
		    365 * DAY, "leaf valid for %lld s",
		    (long long)(x.r.cert[0].not_after -
		    x.r.cert[0].not_before));
		tcheck(x.r.cert[0].pem != NULL && strncmp(x.r.cert[0].pem,
		    "-----BEGIN CERTIFICATE-----", 27) == 0 &&
		    strstr(x.pem, x.r.cert[0].pem) == x.pem, "leaf pem");
		tcheck(x.r.cert[1].pem != NULL &&
		    strstr(x.pem, x.r.cert[1].pem) != NULL, "int pem");
	}
	run_done(&x);

	ee_case("ee-300-full-certificate", 0, 0, "leaf", "leaf", R_VERIFIED,
	    "DANE-EE 3 0 0 matched the leaf");
	ee_case("ee-310-full-spki", 1, 0, "leaf", "leaf", R_VERIFIED,
	    "DANE-EE 3 1 0 matched the leaf");
	ee_case("ee-312-sha512", 1, 2, "leaf", "leaf", R_VERIFIED,
	    "DANE-EE 3 1 2 matched the leaf");
	ee_case("ee-301-no-name-check", 0, 1, "wrong", "wrong", R_VERIFIED,
	    "DANE-EE 3 0 1 matched the leaf");
	ee_case("ee-matches-leaf-only", 1, 1, "int", "leaf", R_TLSA_MISMATCH,
	    "no usable TLSA record matched the presented chain (1 record "
	    "tried)");
	ee_case("ee-self-signed", 1, 1, "self", "self", R_VERIFIED,
	    "DANE-EE 3 1 1 matched the leaf");

	tbegin("ee-mismatch-text");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf2"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_TLSA_MISMATCH, "no usable TLSA record matched the "
	    "presented chain (1 record tried)");
	spki_hex("leaf", h);
	h[16] = '\0';
	(void)snprintf(t, sizeof(t), "no match (leaf SPKI SHA2-256 is %s...)",
	    h);
	want_out(&x, 0, 1, 0, 0, -1, t);
	run_done(&x);

	tbegin("ee-expired-leaf-accepted");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "expired"));
	run_chain(&x, chain("expired", "int", NULL));
	want(&x, R_VERIFIED_WARN, "DANE-EE 3 1 1 matched the leaf");
	want_out(&x, 0, 1, 1, 1, 0, "leaf expired on 2024-01-01");
	want_warn(&x, "leaf certificate expired on 2024-01-01, accepted for "
	    "DANE-EE (RFC 7672 section 3.1.1)");
	run_done(&x);

	tbegin("ee-future-leaf-accepted");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "future"));
	run_chain(&x, chain("future", "int", NULL));
	want(&x, R_VERIFIED_WARN, "DANE-EE 3 1 1 matched the leaf");
	want_warn(&x, "leaf certificate is not valid until 2090-01-01, "
	    "accepted for DANE-EE");
	run_done(&x);

	tbegin("ee-expires-soon-warns");
	run_init(&x, "mx.example.test");
	x.p.warn_window = 7 * DAY;
	run_add(&x, rec(3, 1, 1, "soon"));
	run_chain(&x, chain("soon", "int", NULL));
	want(&x, R_VERIFIED_WARN, "DANE-EE 3 1 1 matched the leaf");
	want_warn(&x, "certificate at depth 0 (CN=mx.example.test) expires in "
	    "2 days (");
	tcheck(x.r.nwarn == 1, "%zu warnings", x.r.nwarn);
	run_done(&x);

	tbegin("ee-expires-soon-window-off");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "soon"));
	run_chain(&x, chain("soon", "int", NULL));
	want(&x, R_VERIFIED, NULL);
	tcheck(x.r.nwarn == 0, "%zu warnings", x.r.nwarn);
	run_done(&x);
}

/*
 * Several records.
 */

static void
t_multi(void)
{
	struct run	 x;

	tbegin("multi-unusable-and-good");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(1, 1, 1, "leaf"));
	run_add(&x, rec(3, 1, 1, "leaf"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_VERIFIED, "DANE-EE 3 1 1 matched the leaf");
	want_out(&x, 0, 0, 0, 0, -1, "PKIX-EE");
	want_out(&x, 1, 1, 1, 1, 0, NULL);
	run_done(&x);

	tbegin("multi-stale-and-current");
	run_init(&x, "mx.example.test");
	run_add(&x, stale(3, 1, 1));
	run_add(&x, rec(3, 1, 1, "leaf"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_VERIFIED, "DANE-EE 3 1 1 matched the leaf");
	want_out(&x, 0, 1, 0, 0, -1, "no match (leaf SPKI SHA2-256 is ");
	want_out(&x, 1, 1, 1, 1, 0, NULL);
	run_done(&x);

	tbegin("multi-all-unusable");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(1, 1, 1, "leaf"));
	run_add(&x, raw(3, 7, 1, (const unsigned char *)"0123456789abcdef"
	    "0123456789abcdef", 32));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_TLSA_UNUSABLE, "no usable TLSA records (2 unusable: "
	    "PKIX-EE, unknown selector 7)");
	run_done(&x);

	tbegin("multi-no-records");
	run_init(&x, "mx.example.test");
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_TLSA_UNUSABLE, "no TLSA records");
	run_done(&x);

	tbegin("multi-three-tried");
	run_init(&x, "mx.example.test");
	run_add(&x, stale(3, 1, 1));
	run_add(&x, rec(2, 1, 1, "root2"));
	run_add(&x, rec(3, 0, 1, "leaf2"));
	run_chain(&x, chain("leaf", "int", "root", NULL));
	want(&x, R_TLSA_MISMATCH, "no usable TLSA record matched the "
	    "presented chain (3 records tried)");
	want_out(&x, 1, 1, 0, 0, -1, "no match (SPKI SHA2-256 of depth 0 is ");
	run_done(&x);

	tbegin("multi-ee-and-ta");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 1, 1, "int"));
	run_add(&x, rec(3, 1, 1, "leaf"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_VERIFIED, "DANE-TA 2 1 1 matched depth 1; DANE-EE 3 1 1 "
	    "matched the leaf");
	run_done(&x);

	tbegin("multi-agility-weaker-ignored");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf"));
	run_add(&x, stale(3, 1, 2));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_TLSA_MISMATCH, "(1 record tried)");
	want_out(&x, 0, 0, 0, 0, -1, "ignored: a DANE-EE 3 1 2 record is "
	    "published");
	run_done(&x);

	tbegin("multi-agility-strongest-used");
	run_init(&x, "mx.example.test");
	run_add(&x, stale(3, 1, 1));
	run_add(&x, rec(3, 1, 2, "leaf"));
	run_add(&x, rec(3, 0, 1, "leaf"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_VERIFIED, "DANE-EE 3 1 2 matched the leaf; DANE-EE 3 0 1 "
	    "matched the leaf");
	want_out(&x, 0, 0, 0, 0, -1, "ignored");
	run_done(&x);

	tbegin("multi-most-specific-failure");
	run_init(&x, "mx.example.org");
	run_add(&x, rec(2, 1, 1, "int"));	/* name wrong */
	run_add(&x, rec(2, 1, 1, "leaf"));	/* the leaf itself */
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_NAME_MISMATCH, "DANE-TA 2 1 1 matched depth 1 but leaf "
	    "name mismatch: wanted mx.example.org");
	want_out(&x, 1, 1, 1, 0, 0, "matched depth 0, the leaf itself");
	run_done(&x);
}

/*
 * DANE-TA.
 */

static void
ta_case(const char *name, struct tlsa t, const char *ref, char *pem,
    enum result res, const char *reason)
{
	struct run	 x;

	tbegin(name);
	run_init(&x, ref);
	run_add(&x, t);
	run_chain(&x, pem);
	want(&x, res, reason);
	run_done(&x);
}

static void
t_ta(void)
{
	struct run	 x;

	tbegin("ta-201-root");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 0, 1, "root"));
	run_chain(&x, chain("leaf", "int", "root", NULL));
	want(&x, R_VERIFIED, "DANE-TA 2 0 1 matched depth 2");
	want_out(&x, 0, 1, 1, 1, 2, "matched depth 2 (DANE-TA), chain "
	    "verified, leaf name mx.example.test");
	tcheck(x.r.nwarn == 0, "%zu warnings: %s", x.r.nwarn, x.r.warn[0]);
	run_done(&x);

	tbegin("ta-211-intermediate");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 1, 1, "int"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_VERIFIED, "DANE-TA 2 1 1 matched depth 1");
	want_out(&x, 0, 1, 1, 1, 1, "matched depth 1 (DANE-TA), chain "
	    "verified, leaf name mx.example.test");
	run_done(&x);

	tbegin("ta-chain-out-of-order");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 0, 1, "root"));
	run_chain(&x, chain("leaf", "root", "int", NULL));
	want(&x, R_VERIFIED, "DANE-TA 2 0 1 matched depth 2");
	tcheck(x.r.ncert == 3 &&
	    strstr(x.r.cert[1].subject, "Unit Intermediate CA") != NULL &&
	    strstr(x.r.cert[2].subject, "Unit Root CA") != NULL,
	    "built order wrong");
	run_done(&x);

	tbegin("ta-extra-certificate-last");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 1, 1, "int"));
	run_chain(&x, chain("leaf", "wild", "int", NULL));
	want(&x, R_VERIFIED, "DANE-TA 2 1 1 matched depth 1");
	tcheck(x.r.ncert == 3 && strcmp(x.r.cert[2].subject,
	    "CN=*.example.test") == 0, "unrelated certificate not last");
	run_done(&x);

	tbegin("ta-wildcard");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 1, 1, "int"));
	run_chain(&x, chain("wild", "int", NULL));
	want(&x, R_VERIFIED, "DANE-TA 2 1 1 matched depth 1");
	want_out(&x, 0, 1, 1, 1, 1, "leaf name mx.example.test (certificate "
	    "name *.example.test)");
	run_done(&x);

	ta_case("ta-wildcard-one-label-only", rec(2, 1, 1, "int"),
	    "a.mx.example.test", chain("wild", "int", NULL), R_NAME_MISMATCH,
	    "DANE-TA 2 1 1 matched depth 1 but leaf name mismatch: wanted "
	    "a.mx.example.test, certificate has *.example.test");
	ta_case("ta-wildcard-not-apex", rec(2, 1, 1, "int"), "example.test",
	    chain("wild", "int", NULL), R_NAME_MISMATCH,
	    "leaf name mismatch: wanted example.test");
	ta_case("ta-name-mismatch", rec(2, 1, 1, "int"), "mx.example.org",
	    chain("wrong", "int", NULL), R_NAME_MISMATCH,
	    "DANE-TA 2 1 1 matched depth 1 but leaf name mismatch: wanted "
	    "mx.example.org, certificate has *.other.test, other.test");
	ta_case("ta-name-trailing-dot", rec(2, 1, 1, "int"),
	    "mx.example.test.", chain("leaf", "int", NULL), R_VERIFIED,
	    "DANE-TA 2 1 1 matched depth 1");
	ta_case("ta-cn-only-leaf", rec(2, 1, 1, "int"), "mx.example.test",
	    chain("cnonly", "int", NULL), R_VERIFIED,
	    "DANE-TA 2 1 1 matched depth 1");

	tbegin("ta-second-reference-name");
	run_init(&x, "example.org");
	x.p.names[1] = "mx.example.test";
	x.p.nnames = 2;
	run_add(&x, rec(2, 1, 1, "int"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_VERIFIED, "DANE-TA 2 1 1 matched depth 1");
	run_done(&x);

	ta_case("ta-leaf-expired", rec(2, 1, 1, "int"), "mx.example.test",
	    chain("expired", "int", NULL), R_CERT_EXPIRED,
	    "DANE-TA 2 1 1 matched depth 1 but certificate at depth 0 expired "
	    "2024-01-01");
	ta_case("ta-leaf-not-yet-valid", rec(2, 1, 1, "int"),
	    "mx.example.test", chain("future", "int", NULL),
	    R_CERT_NOT_YET_VALID, "DANE-TA 2 1 1 matched depth 1 but "
	    "certificate at depth 0 is not valid until 2090-01-01");

	tbegin("ta-expires-soon-warns");
	run_init(&x, "mx.example.test");
	x.p.warn_window = 7 * DAY;
	run_add(&x, rec(2, 0, 1, "root"));
	run_chain(&x, chain("soon", "int", "root", NULL));
	want(&x, R_VERIFIED_WARN, "DANE-TA 2 0 1 matched depth 2");
	want_warn(&x, "certificate at depth 0 (CN=mx.example.test) expires in "
	    "2 days");
	tcheck(x.r.nwarn == 1, "%zu warnings", x.r.nwarn);
	run_done(&x);

	ta_case("ta-forged-leaf", rec(2, 1, 1, "int"), "mx.example.test",
	    chain("forged", "int", NULL), R_CHAIN_INVALID,
	    "DANE-TA 2 1 1 matched depth 1 but chain does not verify: "
	    "certificate signature failure");
	ta_case("ta-same-name-ca-anchor-sent", rec(2, 0, 1, "root"),
	    "mx.example.test", chain("leaf2", "root", NULL), R_CHAIN_INVALID,
	    "DANE-TA 2 0 1 matched depth 1 but chain does not verify");
	ta_case("ta-same-name-ca-other-sent", rec(2, 0, 1, "root"),
	    "mx.example.test", chain("leaf2", "root2", NULL), R_TLSA_MISMATCH,
	    "no usable TLSA record matched");
	ta_case("ta-same-name-ca-full-not-sent", rec(2, 0, 0, "root"),
	    "mx.example.test", chain("leaf2", NULL), R_TLSA_MISMATCH,
	    "no usable TLSA record matched");
	ta_case("ta-digest-anchor-not-sent", rec(2, 0, 1, "root"),
	    "mx.example.test", chain("leaf", "int", NULL), R_TLSA_MISMATCH,
	    "no usable TLSA record matched the presented chain (1 record "
	    "tried)");

	tbegin("ta-200-anchor-not-sent");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 0, 0, "root"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_VERIFIED_WARN, "DANE-TA 2 0 0 matched depth 2 (trust "
	    "anchor not sent)");
	want_out(&x, 0, 1, 1, 1, 2, "chain verified, leaf name "
	    "mx.example.test");
	want_warn(&x, "server does not send its trust anchor");
	run_done(&x);

	tbegin("ta-210-anchor-not-sent");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 1, 0, "root"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_VERIFIED_WARN, "DANE-TA 2 1 0 matched depth 2");
	want_warn(&x, "server does not send its trust anchor: DANE-TA 2 1 0 "
	    "matched by the signature on depth 1 (CN=Unit Intermediate CA)");
	run_done(&x);

	tbegin("ta-210-intermediate-leaf-only");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 1, 0, "int"));
	run_chain(&x, chain("leaf", NULL));
	want(&x, R_VERIFIED_WARN, "DANE-TA 2 1 0 matched depth 1");
	run_done(&x);

	tbegin("ta-210-key-did-not-sign");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 1, 0, "root2"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_TLSA_MISMATCH, "no usable TLSA record matched");
	want_out(&x, 0, 1, 0, 0, -1, "the record's key did not sign depth 1 "
	    "(CN=Unit Intermediate CA), the top of the chain");
	run_done(&x);

	tbegin("ta-200-not-sent-leaf-expired");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 0, 0, "int"));
	run_chain(&x, chain("expired", NULL));
	want(&x, R_CERT_EXPIRED, "DANE-TA 2 0 0 matched depth 1 (trust "
	    "anchor not sent by the server");
	run_done(&x);

	/*
	 * The key signed the leaf, but the chain libcrypto builds by
	 * names goes on to int, whose signature it is not: OpenSSL
	 * fails, and so must smtpdane.
	 */
	tbegin("ta-210-signed-leaf-not-top");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 1, 0, "fakeint"));
	run_chain(&x, chain("forged", "int", NULL));
	want(&x, R_TLSA_MISMATCH, "no usable TLSA record matched");
	want_out(&x, 0, 1, 0, 0, -1, "the record's key did not sign depth 1 "
	    "(CN=Unit Intermediate CA), the top of the chain");
	run_done(&x);
	ta_case("ta-210-signed-leaf-only", rec(2, 1, 0, "fakeint"),
	    "mx.example.test", chain("forged", NULL), R_VERIFIED_WARN,
	    "DANE-TA 2 1 0 matched depth 1 (trust anchor not sent)");


	tbegin("ta-escaped-names");
	run_init(&x, "mx.example.org");
	run_add(&x, rec(2, 1, 1, "int"));
	run_chain(&x, chain("evil", "int", NULL));
	want(&x, R_NAME_MISMATCH, "certificate has mx\\033[31m.example.test, "
	    "mx.example.test");
	tcheck(x.r.ncert == 2 && strcmp(x.r.cert[0].subject,
	    "CN=mx\\033[31m.example.test") == 0, "subject \"%s\"",
	    x.r.ncert > 0 ? x.r.cert[0].subject : "");
	run_done(&x);
}

/*
 * Where the RFCs leave room, OpenSSL's DANE verifier decides (issue 8):
 * DANE-TA never at depth 0, a full anchor from DNS found wherever it
 * signed, purpose and security level on DANE-TA paths only, and a
 * long chain does not matter to DANE-EE.
 */
static void
t_openssl_rules(void)
{
	struct run	 x;
	char		*p, *q;
	size_t		 i;

	ta_case("ta-depth0-rejected", rec(2, 1, 1, "forged"),
	    "mx.example.test", chain("forged", "int", NULL), R_TLSA_MISMATCH,
	    "DANE-TA 2 1 1 matched depth 0, the leaf itself: DANE-TA never "
	    "authenticates the leaf; publish a DANE-EE 3 1 1 record");
	ta_case("ta-depth0-expired-leaf", rec(2, 0, 1, "expired"),
	    "mx.example.test", chain("expired", "int", NULL), R_TLSA_MISMATCH,
	    "publish a DANE-EE 3 0 1 record");
	ta_case("ta-depth0-self-signed", rec(2, 0, 1, "self"),
	    "mx.example.test", chain("self", NULL), R_TLSA_MISMATCH,
	    "DANE-TA 2 0 1 matched depth 0, the leaf itself");
	ta_case("ta-depth0-full-copy-later", rec(2, 0, 0, "leaf"),
	    "mx.example.test", chain("leaf", "int", "leaf", NULL),
	    R_TLSA_MISMATCH, "the leaf itself");
	ta_case("ta-210-own-key-self-signed", rec(2, 1, 0, "self"),
	    "mx.example.test", chain("self", NULL), R_VERIFIED_WARN,
	    "DANE-TA 2 1 0 matched depth 1 (trust anchor not sent)");

	tbegin("ta-200-cross-signed-depth-1");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 0, 0, "xroot"));
	run_chain(&x, chain("xleaf", "xca", "xcross", "other", NULL));
	want(&x, R_VERIFIED_WARN, "DANE-TA 2 0 0 matched depth 2 (trust "
	    "anchor not sent)");
	want_warn(&x, "matched by the signature on depth 1 (CN=Unit Cross CA)");
	run_done(&x);
	ta_case("ta-210-cross-signed", rec(2, 1, 0, "xroot"),
	    "mx.example.test", chain("xleaf", "xca", "xcross", "other", NULL),
	    R_VERIFIED, "DANE-TA 2 1 0 matched depth 2");
	ta_case("ta-200-cross-signed-wrong-root", rec(2, 0, 0, "root"),
	    "mx.example.test", chain("xleaf", "xca", "xcross", "other", NULL),
	    R_TLSA_MISMATCH, "no usable TLSA record matched");

	ta_case("ta-purpose-client-only", rec(2, 1, 1, "int"),
	    "mx.example.test", chain("client", "int", NULL), R_CHAIN_INVALID,
	    "DANE-TA 2 1 1 matched depth 1 but chain does not verify: "
	    "unsuitable certificate purpose at depth 0");
	ee_case("ee-purpose-not-checked", 1, 1, "client", "client",
	    R_VERIFIED, "DANE-EE 3 1 1 matched the leaf");
	ta_case("ta-sha1-signature", rec(2, 1, 1, "int"), "mx.example.test",
	    chain("sha1", "int", NULL), R_CHAIN_INVALID,
	    "DANE-TA 2 1 1 matched depth 1 but chain does not verify: CA "
	    "signature digest algorithm too weak at depth 0");
	ta_case("ta-md5-signature", rec(2, 1, 1, "rsaint"), "mx.example.test",
	    chain("md5", "rsaint", NULL), R_CHAIN_INVALID,
	    "signature digest algorithm too weak at depth 0");
	ee_case("ee-sha1-not-checked", 1, 1, "sha1", "sha1", R_VERIFIED,
	    "DANE-EE 3 1 1 matched the leaf");
	tbegin("ee-md5-not-checked");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "md5"));
	run_chain(&x, chain("md5", "rsaint", NULL));
	want(&x, R_VERIFIED, "DANE-EE 3 1 1 matched the leaf");
	run_done(&x);
	tbegin("ta-anchor-expired-intermediate");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(2, 1, 1, "oldint"));
	run_chain(&x, chain("oldleaf", "oldint", NULL));
	want(&x, R_VERIFIED_WARN, "DANE-TA 2 1 1 matched depth 1");
	want_warn(&x, "trust anchor at depth 1 (CN=Unit Old Intermediate CA) "
	    "expired on 2024-01-01, which DANE-TA does not check");
	run_done(&x);
	/* A self-issued anchor's dates count, as in OpenSSL. */
	ta_case("ta-anchor-expired-root", rec(2, 0, 1, "oldroot"),
	    "mx.example.test", chain("oldrleaf", "oldroot", NULL),
	    R_CERT_EXPIRED, "DANE-TA 2 0 1 matched depth 1 but certificate "
	    "at depth 1 expired 2024-01-01");
	ta_case("ta-200-anchor-expired-root", rec(2, 0, 0, "oldroot"),
	    "mx.example.test", chain("oldrleaf", NULL), R_CERT_EXPIRED,
	    "certificate at depth 1 expired 2024-01-01");

	/* 40 certificates: only the leaf matters to DANE-EE. */
	p = chain("leaf", NULL);
	q = pem_of("int");
	for (i = 1; i < 40; i++) {
		if ((p = realloc(p, strlen(p) + strlen(q) + 1)) == NULL)
			exit(2);
		(void)strcat(p, q);
	}
	tbegin("ee-more-than-32-certificates");
	run_init(&x, "mx.example.test");
	run_add(&x, rec(3, 1, 1, "leaf"));
	run_chain(&x, strdup(p));
	want(&x, R_VERIFIED, "DANE-EE 3 1 1 matched the leaf");
	tcheck(x.r.ncert == 32, "%zu certificates described", x.r.ncert);
	run_done(&x);
	ta_case("ta-more-than-32-certificates", rec(2, 1, 1, "int"),
	    "mx.example.test", strdup(p), R_VERIFIED,
	    "DANE-TA 2 1 1 matched depth 1");
	ta_case("ta-more-than-32-not-examined", rec(2, 0, 1, "root"),
	    "mx.example.test", p, R_TLSA_MISMATCH,
	    "8 certificates after the first 32 were not examined");
	free(q);
}

static void
t_misc(void)
{
	struct dane_report	 r;
	struct run		 x;

	tbegin("report-free-zeroed");
	memset(&r, 0, sizeof(r));
	dane_report_free(&r);
	dane_report_free(&r);
	dane_report_free(NULL);
	tend();

	tbegin("params-now-is-used");
	run_init(&x, "mx.example.test");
	x.p.now = 1500000000;		/* 2017: before the leaf */
	run_add(&x, rec(2, 1, 1, "int"));
	run_chain(&x, chain("leaf", "int", NULL));
	want(&x, R_CERT_NOT_YET_VALID, "certificate at depth 0 is not valid "
	    "until");
	run_done(&x);
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_dane DIR\n");
		return 2;
	}
	certdir = argv[1];

	t_parse();
	t_unusable();
	t_format();
	t_pem();
	t_ee();
	t_multi();
	t_ta();
	t_openssl_rules();
	t_misc();

	diff_summary();
	danediff_cleanup();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail > 0 ? 1 : 0;
}
