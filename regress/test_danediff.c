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
 * The differential test over the lab: for every lab server, dane.c's
 * verdict and OpenSSL's DANE verifier's (regress/danediff.c) on the
 * chain the server presents and the TLSA records published for it,
 * read offline from what regress/lab/lab.sh up wrote:
 *
 *	WORK/servers		ID MODE CHAIN ADDR:PORT ...
 *	WORK/chains/ID.pem	the chain server ID presents
 *	WORK/zones/Z.recs	the records of each zone, before signing
 *
 *	usage: test_danediff WORK
 *
 * The reference name is the server's host name (its TLSA base
 * domain), the time is now.  DNSSEC plays no part here: the lab's
 * scenarios test that.  One line per server, "PASS: danediff lab ID:
 * ..." or "FAIL: danediff lab ID: ...", then the counts; exits 1 if
 * any disagreement is not in the table.
 */

#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "smtpdane.h"
#include "danediff.h"

#define MAXRR		4096	/* records in all the lab's zones */
#define MAXTLSA		16	/* TLSA records at one name */
#define LINE_MAX_LAB	8192

struct rr {
	char	*owner;		/* lower case, with the final dot */
	char	*type;
	char	*rdata;
};

static struct rr	 rrs[MAXRR];
static size_t		 nrr;
static int		 ncompared, nagree, nlisted, nunlisted, nfailed;
static int		 nentry[16];

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* One zone file fragment: OWNER TTL IN TYPE RDATA, tab separated. */
static void
load_recs(const char *path)
{
	char	 line[LINE_MAX_LAB], *f[5], *p;
	FILE	*fp;
	int	 i;

	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL && nrr < MAXRR) {
		line[strcspn(line, "\n")] = '\0';
		p = line;
		for (i = 0; i < 4 && p != NULL; i++)
			f[i] = strsep(&p, "\t");
		if (i < 4 || p == NULL)
			continue;
		f[4] = p;
		lower(f[0]);
		rrs[nrr].owner = strdup(f[0]);
		rrs[nrr].type = strdup(f[3]);
		rrs[nrr].rdata = strdup(f[4]);
		if (rrs[nrr].owner == NULL || rrs[nrr].type == NULL ||
		    rrs[nrr].rdata == NULL)
			exit(2);
		nrr++;
	}
	fclose(fp);
}

static void
load_zones(const char *work)
{
	char		 dir[1024], path[2048];
	struct dirent	*e;
	DIR		*d;
	size_t		 n;

	(void)snprintf(dir, sizeof(dir), "%s/zones", work);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 5, ".recs") != 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		load_recs(path);
	}
	closedir(d);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "U S M HEX" in presentation form to a record, via tlsa_parse(). */
static int
tlsa_text(const char *s, struct tlsa *t)
{
	unsigned char	 wire[4096];
	unsigned int	 u, sel, m;
	size_t		 n = 3;
	int		 off, hi = -1, v;

	if (sscanf(s, "%u %u %u%n", &u, &sel, &m, &off) != 3 || u > 255 ||
	    sel > 255 || m > 255)
		return -1;
	wire[0] = (unsigned char)u;
	wire[1] = (unsigned char)sel;
	wire[2] = (unsigned char)m;
	for (s += off; *s != '\0' && n < sizeof(wire); s++) {
		if (isspace((unsigned char)*s))
			continue;
		if ((v = hexval((unsigned char)*s)) == -1)
			return -1;
		if (hi == -1)
			hi = v;
		else {
			wire[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	return tlsa_parse(wire, n, t);
}

/* The TLSA records at owner, after CNAMEs as a resolver follows them. */
static size_t
tlsa_at(const char *owner, struct tlsa *t, size_t max)
{
	char	 name[MAX_HOSTNAME];
	size_t	 i, n = 0;
	int	 hops, cname;

	(void)strlcpy(name, owner, sizeof(name));
	for (hops = 0; hops < 8; hops++) {
		cname = 0;
		for (i = 0; i < nrr; i++) {
			if (strcmp(rrs[i].owner, name) != 0)
				continue;
			if (strcmp(rrs[i].type, "CNAME") == 0) {
				(void)strlcpy(name, rrs[i].rdata,
				    sizeof(name));
				lower(name);
				cname = 1;
				break;
			}
			if (strcmp(rrs[i].type, "TLSA") == 0 && n < max &&
			    tlsa_text(rrs[i].rdata, &t[n]) == 0)
				n++;
		}
		if (!cname)
			break;
	}
	return n;
}

static char *
slurp(const char *path, size_t *lenp)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	if (fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		free(buf);
		fclose(fp);
		return NULL;
	}
	buf[len] = '\0';
	fclose(fp);
	*lenp = (size_t)len;
	return buf;
}

static void
report(const char *id, const struct danediff *d)
{
	switch (d->kind) {
	case DIFF_SKIPPED:
		printf("PASS: danediff lab %s: %s\n", id, d->text);
		return;
	case DIFF_AGREE:
		nagree++;
		printf("PASS: danediff lab %s: agree: %s\n", id, d->text);
		break;
	case DIFF_LISTED:
		nlisted++;
		if (d->entry >= 0 && (size_t)d->entry <
		    sizeof(nentry) / sizeof(nentry[0]))
			nentry[d->entry]++;
		printf("PASS: danediff lab %s: listed difference \"%s\" "
		    "(%s): %s\n", id, danediff_entry_name(d->entry),
		    danediff_entry_rfc(d->entry), d->text);
		break;
	case DIFF_UNLISTED:
		nunlisted++;
		printf("FAIL: danediff lab %s: disagreement: %s\n", id,
		    d->text);
		break;
	}
	ncompared++;
}

/* One server: its host name from ID (HOST.N), its port from ADDR:PORT. */
static void
one_server(const char *work, const char *id, const char *listen)
{
	struct tlsa		 t[MAXTLSA];
	struct dane_params	 p;
	struct dane_report	 r;
	struct danediff		 d;
	char			 host[MAX_HOSTNAME], owner[MAX_HOSTNAME + 16];
	char			 path[2048], *pem, *dot;
	const char		*port;
	size_t			 i, nt, len;

	(void)strlcpy(host, id, sizeof(host));
	if ((dot = strrchr(host, '.')) != NULL)
		*dot = '\0';
	if ((port = strrchr(listen, ':')) == NULL) {
		printf("FAIL: danediff lab %s: no port in %s\n", id, listen);
		nfailed++;
		return;
	}
	(void)snprintf(owner, sizeof(owner), "_%s._tcp.%s.", port + 1, host);
	lower(owner);
	(void)snprintf(path, sizeof(path), "%s/chains/%s.pem", work, id);
	if ((pem = slurp(path, &len)) == NULL) {
		printf("FAIL: danediff lab %s: cannot read %s\n", id, path);
		nfailed++;
		return;
	}
	nt = tlsa_at(owner, t, MAXTLSA);
	memset(&p, 0, sizeof(p));
	p.tlsa = t;
	p.ntlsa = nt;
	p.names[0] = host;
	p.nnames = 1;
	p.now = time(NULL);
	p.warn_window = 7 * 24 * 3600;
	if (dane_verify(pem, len, &p, &r) == -1 ||
	    danediff_check(pem, len, &p, &r, &d) == -1) {
		printf("FAIL: danediff lab %s: internal error: %s\n", id,
		    r.reason);
		nfailed++;
	} else
		report(id, &d);
	dane_report_free(&r);
	for (i = 0; i < nt; i++)
		tlsa_free(&t[i]);
	free(pem);
}

int
main(int argc, char *argv[])
{
	char	 path[1024], line[LINE_MAX_LAB], *f[4], *p;
	FILE	*fp;
	size_t	 i;
	int	 n;

	if (argc != 2) {
		fprintf(stderr, "usage: test_danediff WORK\n");
		return 2;
	}
	(void)snprintf(path, sizeof(path), "%s/servers", argv[1]);
	if ((fp = fopen(path, "r")) == NULL) {
		printf("FAIL: danediff lab: no %s (run regress/lab/lab.sh "
		    "up)\n", path);
		return 1;
	}
	load_zones(argv[1]);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		p = line;
		for (n = 0; n < 4 && p != NULL; n++)
			while ((f[n] = strsep(&p, " ")) != NULL &&
			    *f[n] == '\0')
				;
		if (n == 4 && f[3] != NULL)
			one_server(argv[1], f[0], f[3]);
	}
	fclose(fp);
	danediff_cleanup();
	for (i = 0; i < nrr; i++) {
		free(rrs[i].owner);
		free(rrs[i].type);
		free(rrs[i].rdata);
	}
	printf("danediff lab: %d servers compared with OpenSSL, %d "
	    "agreements, %d listed differences, %d unlisted "
	    "disagreements\n", ncompared, nagree, nlisted, nunlisted);
	for (i = 0; i < danediff_nentries(); i++)
		printf("danediff lab: listed \"%s\": %d\n",
		    danediff_entry_name(i), nentry[i]);
	if (ncompared == 0)
		printf("FAIL: danediff lab: no server compared\n");
	return nunlisted > 0 || nfailed > 0 || ncompared == 0 ? 1 : 0;
}
