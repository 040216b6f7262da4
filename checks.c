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
 * Check bookkeeping: the checks discovery leads to, one per (host,
 * address, port) and what the verdict depends on (check_key), found
 * again through an index; the spec a check child is forked with; and
 * verdicts without an address, which belong to their target alone.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

struct check		*checks;
size_t			 nchecks;
static size_t		 checks_cap;

/*
 * Checks.  The same (host, address, port) reached from two targets is
 * checked once and reported under each, but only when everything the
 * verdict depends on is the same too: the DANE-TA name check depends
 * on the next-hop domain (RFC 7672 section 3.2.2), and the alias
 * warning on how the host was reached.  So the key is the host, the
 * address, the port, the reference identifiers and the warning.  A
 * verdict without an address belongs to its target alone.
 */
static char *
check_key(const char *host, uint16_t port, const char *addr,
    const struct hostinfo *h)
{
	char	*key, *names = xstrdup(""), *tmp;
	size_t	 i;

	for (i = 0; i < h->nnames; i++) {
		tmp = xprintf("%s %s", names, h->names[i]);
		free(names);
		names = tmp;
	}
	key = xprintf("check\n%s\n%s\n%u\n%s\n%s", host, addr, port, names,
	    h->warning);
	free(names);
	return key;
}

static struct index	 by_key;

/* A check let go of (print.c): a later target gets a new one. */
void
forget_check(size_t i)
{
	index_forget(&by_key, i);
}

static void
append_check(struct target *t, size_t i)
{
	if (t->nchecks == t->checks_cap) {
		t->checks_cap = t->checks_cap ? t->checks_cap * 2 : 4;
		t->checks = xreallocarray(t->checks, t->checks_cap,
		    sizeof(*t->checks));
	}
	t->checks[t->nchecks++] = i;
	checks[i].nunprinted++;
}

/* Check i in t's list, once: one line per check and target. */
static void
list_check(struct target *t, size_t i)
{
	size_t	 k;

	for (k = 0; k < t->nchecks; k++)
		if (t->checks[k] == i)
			return;
	append_check(t, i);
}

/* A new check at the end of checks[], with key (or NULL); its index. */
static size_t
add_check(const char *host, uint16_t port, const char *addr, char *key)
{
	struct check	*c;

	if (nchecks == checks_cap) {
		checks_cap = checks_cap ? checks_cap * 2 : 64;
		checks = xreallocarray(checks, checks_cap, sizeof(*checks));
	}
	c = &checks[nchecks];
	memset(c, 0, sizeof(*c));
	c->key = key;
	c->leader = SIZE_MAX;
	c->host = xstrdup(host);
	c->spec = xcalloc(1, sizeof(*c->spec));
	c->spec->host = c->host;
	c->spec->port = port;
	strlcpy(c->spec->addrstr, addr, sizeof(c->spec->addrstr));
	return nchecks++;
}

size_t
find_or_add_check(struct target *t, const char *host, uint16_t port,
    const char *addr, const struct hostinfo *h, int *added)
{
	char	*key;
	size_t	 i;

	key = check_key(host, port, addr, h);
	if ((i = index_find(&by_key, key)) != SIZE_MAX) {
		free(key);
		list_check(t, i);
		*added = 0;
		return i;
	}
	i = add_check(host, port, addr, key);
	index_add(&by_key, i);
	append_check(t, i);
	*added = 1;
	return i;
}

static void
set_address(struct check_spec *s, int af, const char *addr)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&s->addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&s->addr;

	memset(&s->addr, 0, sizeof(s->addr));
	s->addr.ss_family = af;
	if (af == AF_INET) {
		sin->sin_port = htons(s->port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
		s->addrlen = sizeof(*sin);
	} else {
		sin6->sin6_port = htons(s->port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		s->addrlen = sizeof(*sin6);
	}
}

/*
 * The TLSA base domain candidates (RFC 7672 section 2.2.2): for an
 * alias whose whole chain is secure, the expanded name, then the
 * original; when the expansion left secure DNS, the original only,
 * and only if its CNAME is secure.  Returns how many.
 */
static size_t
set_bases(struct check_spec *s, const struct hostinfo *h, int addr_secure)
{
	int	 alias = h->canon[0] != '\0';

	s->nbases = 0;
	if (addr_secure && alias)
		s->bases[s->nbases++] = h->canon;
	if (addr_secure || (alias && h->cname_secure))
		s->bases[s->nbases++] = h->host;
	return s->nbases;
}

static void
fill_spec(struct check_spec *s, const struct hostinfo *h)
{
	const struct sig_facts	*f;
	size_t			 i;

	s->nnames = 0;
	for (i = 0; i < h->nnames && s->nnames < MAX_NAMES; i++)
		s->names[s->nnames++] = h->names[i];
	for (i = 0; i < opt.naka && s->nnames < MAX_NAMES; i++)
		s->names[s->nnames++] = opt.aka[i];
	s->tls_on_connect = opt.tls_on_connect;
	s->helo = opt.helo;
	s->connect_timeout = opt.connect_timeout;
	s->timeout = opt.timeout;
	s->warn_window = opt.warn_window;
	s->expect_ocsp = opt.expect_ocsp;
	s->tlscfg = tlscfg;
	s->staged = staged;
	s->nstaged = nstaged;
	memcpy(s->probecfg, probecfg, sizeof(s->probecfg));
	/* MSG_SIGS of the host comes before its addresses. */
	f = h->sigs[s->addr.ss_family == AF_INET6];
	for (i = s->nsig_zones = 0; f != NULL && i < f->nzones; i++)
		s->sig_zones[s->nsig_zones++] = f->zones[i];
	s->all_ns = opt.all_ns;
	s->family = opt.family;
	s->dnscfg = &dnscfg;
}

/*
 * A verdict without an address, for a host, a domain or a target: it
 * belongs to its target alone, each its own line that none may hide,
 * so it has no key and is always a new check.
 */
void
add_verdict_for(struct target *t, const char *host, uint16_t port,
    enum result res, const char *reason)
{
	size_t	 i;

	i = add_check(host, port, "", NULL);
	append_check(t, i);
	report_set(&checks[i].rep, res, "%s", reason);
}

void
add_verdict(struct target *t, enum result res, const char *fmt, ...)
{
	va_list	 ap;
	char	 text[MAX_TEXT];

	va_start(ap, fmt);
	vcutf(text, sizeof(text), fmt, ap);
	va_end(ap);
	add_verdict_for(t, t->host, t->port, res, text);
}

void
new_check(struct check *c, const struct hostinfo *h, int af,
    const char *addr, int sec)
{
	set_address(c->spec, af, addr);
	fill_spec(c->spec, h);
	if (h->warning[0] != '\0') {
		strlist_add(&c->rep.warns, &c->rep.nwarns,
		    xstrdup(h->warning));
		c->rep.nwarns_own = c->rep.nwarns;
	}
	/* RFC 7672 section 2.2.2: no DANE without a secure base. */
	if (set_bases(c->spec, h, sec == SEC_SECURE) == 0) {
		report_set(&c->rep, R_DANE_NA, "address records insecure "
		    "(%s RRset not signed): DANE not applicable",
		    af == AF_INET ? "A" : "AAAA");
		c->finished = 1;
	} else
		share_or_enqueue(c - checks);
}

