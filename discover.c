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
 * The discovery child: from what the user named to the hosts and
 * addresses to check, by the rules of RFC 7672 section 2: MX (RFC 5321
 * section 5.1, RFC 7505), SRV (RFC 2782, RFC 6186, RFC 8314), CNAMEs,
 * each RRset validated and its DNSSEC state carried along.  It reports
 * conclusions; the parent turns them into checks.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "smtpdane.h"

/*
 * MX or SRV records followed.  A DNS message of 64 KiB holds fewer than
 * 4096 such records; past this bound the domain fails, after sorting,
 * so that the most preferred hosts are the ones checked.  The parent
 * has the same bound on hosts per target.
 */
#define MAX_EXCHANGES	1024

struct exchange {
	uint16_t	 pref;		/* MX preference, SRV priority */
	uint16_t	 weight;	/* SRV only */
	uint16_t	 port;		/* SRV only */
	char		 host[MAX_HOSTNAME];
};

struct disc {
	int		 fd;
	struct ub_ctx	*ctx;
	const struct discover_spec *spec;
	struct msgbuf	 mb;
};

/*
 * A verdict for a host or domain that gets no check of its own.  Not
 * msg_send_text(): a verdict carries host, port and result before
 * its text.
 */
static void
verdict(struct disc *d, const char *host, uint16_t port, enum result res,
    const char *fmt, ...)
{
	char	 text[MAX_TEXT];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg_begin(&d->mb, MSG_VERDICT);
	msg_put_cstr(&d->mb, host);
	msg_put_u32(&d->mb, port);
	msg_put_u32(&d->mb, res);
	msg_put_cstr(&d->mb, text);
	msg_send(d->fd, &d->mb);
}

/* A lookup that failed outright ends what depends on it. */
static int
lookup_failed(struct disc *d, const struct dns_result *r, const char *what,
    const char *name, uint16_t port)
{
	if (r->sec == SEC_BOGUS) {
		verdict(d, name, port, R_DNS_BOGUS, "%s lookup bogus: %s",
		    what, r->why);
		return 1;
	}
	if (r->status == DNS_FAILED) {
		verdict(d, name, port, R_DNS_FAILURE, "%s lookup failed: %s",
		    what, r->why);
		return 1;
	}
	return 0;
}

static void
send_addresses(struct disc *d, const char *host, int type,
    const struct dns_result *r)
{
	char	 addr[INET6_ADDRSTRLEN];
	int	 af = type == RR_TYPE_A ? AF_INET : AF_INET6;
	size_t	 i, want = af == AF_INET ? 4 : 16;

	for (i = 0; i < r->nrr; i++) {
		if (r->rr[i].len != want ||
		    inet_ntop(af, r->rr[i].data, addr, sizeof(addr)) == NULL)
			continue;
		msg_begin(&d->mb, MSG_ADDR);
		msg_put_u32(&d->mb, af);
		msg_put_u32(&d->mb, r->sec);
		msg_put_cstr(&d->mb, addr);
		msg_put_cstr(&d->mb, host);
		msg_send(d->fd, &d->mb);
	}
}

static void
send_host(struct disc *d, const char *host, uint16_t port, const char *canon,
    int cname_secure, const char *const *names, size_t nnames,
    const char *warning)
{
	size_t	 i;

	msg_begin(&d->mb, MSG_HOST);
	msg_put_cstr(&d->mb, host);
	msg_put_u32(&d->mb, port);
	msg_put_cstr(&d->mb, canon);
	msg_put_u32(&d->mb, cname_secure);
	msg_put_u32(&d->mb, nnames);
	for (i = 0; i < nnames; i++)
		msg_put_cstr(&d->mb, names[i]);
	msg_put_cstr(&d->mb, warning);
	msg_send(d->fd, &d->mb);
}

/*
 * One host: its address records, and whether it is an alias.  For an
 * alias the TLSA base domain candidates depend on where the chain is
 * secure (RFC 7672 section 2.2.2): the parent derives them from the
 * canonical name and cname_secure sent here.
 */
static void
discover_host(struct disc *d, const char *host, uint16_t port,
    const char *const *names, size_t nnames, const char *role)
{
	static const int	 types[] = { RR_TYPE_A, RR_TYPE_AAAA };
	struct dns_result	 r[2], cn;
	char			 canon[MAX_HOSTNAME] = "";
	char			 warning[MAX_TEXT] = "";
	const char		*tname;
	size_t			 i, naddr = 0, nx = 0, looked = 0, bad = 0;
	int			 cname_secure = 0;

	memset(r, 0, sizeof(r));
	for (i = 0; i < 2; i++) {
		if ((types[i] == RR_TYPE_A && d->spec->family == AF_INET6) ||
		    (types[i] == RR_TYPE_AAAA && d->spec->family == AF_INET))
			continue;
		looked++;
		tname = dns_type_name(types[i]);
		dns_lookup(d->ctx, host, types[i], &r[i]);
		if (lookup_failed(d, &r[i], tname, host, port)) {
			bad++;
			continue;
		}
		if (r[i].status == DNS_NXDOMAIN)
			nx++;
		if (r[i].canon[0] != '\0' && canon[0] == '\0')
			strlcpy(canon, r[i].canon, sizeof(canon));
		if (r[i].status == DNS_ANSWER)
			naddr += r[i].nrr;
	}
	if (canon[0] != '\0') {
		memset(&cn, 0, sizeof(cn));
		dns_lookup(d->ctx, host, RR_TYPE_CNAME, &cn);
		cname_secure = cn.sec == SEC_SECURE && cn.status == DNS_ANSWER;
		dns_result_free(&cn);
		if (role != NULL)
			snprintf(warning, sizeof(warning), "%s %s is an alias "
			    "(CNAME) for %s, which RFC 2181 section 10.3 "
			    "forbids; checked anyway", role, host, canon);
	}
	send_host(d, host, port, canon, cname_secure, names, nnames, warning);
	for (i = 0; i < 2; i++)
		if (r[i].status == DNS_ANSWER && r[i].sec != SEC_BOGUS)
			send_addresses(d, host, types[i], &r[i]);
	if (naddr == 0 && bad == 0 && looked > 0) {
		if (nx > 0)
			verdict(d, host, port, R_NO_ADDRESS, "%s does not "
			    "exist (NXDOMAIN, %s)", host,
			    dns_security_name(r[0].status == DNS_NXDOMAIN ?
			    r[0].sec : r[1].sec));
		else
			verdict(d, host, port, R_NO_ADDRESS, "%s has no %s "
			    "records", host, d->spec->family == AF_INET ?
			    "A (AAAA not looked up: -4)" :
			    d->spec->family == AF_INET6 ?
			    "AAAA (A not looked up: -6)" : "A or AAAA");
	}
	dns_result_free(&r[0]);
	dns_result_free(&r[1]);
}

/*
 * MX and SRV records, decoded and sorted.  A record that does not
 * parse is skipped with a note, never guessed at.
 */
static size_t
decode_exchanges(struct disc *d, const struct dns_result *r, int srv,
    struct exchange *ex)
{
	const uint8_t	*p;
	size_t		 i, n = 0, head = srv ? 6 : 2;

	for (i = 0; i < r->nrr; i++) {
		p = r->rr[i].data;
		if (r->rr[i].len <= head || dns_wire_name(p, r->rr[i].len,
		    head, ex[n].host, sizeof(ex[n].host)) == -1) {
			msg_send_text(d->fd, &d->mb, MSG_WARN,
			    "malformed %s record skipped", srv ? "SRV" : "MX");
			continue;
		}
		ex[n].pref = p[0] << 8 | p[1];
		ex[n].weight = srv ? (p[2] << 8 | p[3]) : 0;
		ex[n].port = srv ? (p[4] << 8 | p[5]) : 0;
		n++;
	}
	return n;
}

static int
exchange_order(const void *a, const void *b)
{
	const struct exchange	*x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	if (x->weight != y->weight)	/* heavier SRV targets first */
		return x->weight > y->weight ? -1 : 1;
	return strcmp(x->host, y->host);
}

/* One detail line; a list cut at the line's bound says so. */
static void
list_exchanges(const struct exchange *ex, size_t n, int srv, char *buf,
    size_t len)
{
	char	 item[MAX_HOSTNAME + 32], more[48];
	size_t	 i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (srv)
			snprintf(item, sizeof(item), "%s%u %u %u %s",
			    i ? ", " : "", ex[i].pref, ex[i].weight,
			    ex[i].port, ex[i].host);
		else
			snprintf(item, sizeof(item), "%s%u %s", i ? ", " : "",
			    ex[i].pref, ex[i].host);
		snprintf(more, sizeof(more), ", ... (%zu more)", n - i);
		if (strlen(buf) + strlen(item) + sizeof(more) >= len) {
			strlcat(buf, more, len);
			return;
		}
		strlcat(buf, item, len);
	}
}

/* The MX or SRV RRset's DNSSEC state; read by on_dnssec() in smtpdane.c. */
static void
send_dnssec(struct disc *d, enum dns_security sec)
{
	msg_begin(&d->mb, MSG_DNSSEC);
	msg_put_u32(&d->mb, sec);
	msg_send(d->fd, &d->mb);
}

/*
 * The MX or SRV records at owner, decoded and in the order they are
 * tried, reported in one detail line.  NULL when the RRset is a lone
 * "." (RFC 7505, RFC 2782): the caller says what that means.  More
 * than MAX_EXCHANGES records: the first ones in order are checked and
 * the domain fails, saying so.
 */
static struct exchange *
exchanges(struct disc *d, const struct dns_result *r, int srv,
    const char *owner, size_t *np)
{
	struct exchange	*ex;
	char		 list[MAX_TEXT];
	size_t		 n;

	if ((ex = calloc(r->nrr ? r->nrr : 1, sizeof(*ex))) == NULL)
		_exit(CHILD_EXIT_NOMEM);
	n = decode_exchanges(d, r, srv, ex);
	if (n == 1 && strcmp(ex[0].host, ".") == 0) {
		free(ex);
		return NULL;
	}
	qsort(ex, n, sizeof(*ex), exchange_order);
	list_exchanges(ex, n, srv, list, sizeof(list));
	send_dnssec(d, r->sec);
	msg_send_text(d->fd, &d->mb, MSG_DETAIL, "%s %s: %s (%s)",
	    srv ? "SRV" : "MX", owner, list, dns_security_name(r->sec));
	if (n > MAX_EXCHANGES) {
		verdict(d, owner, d->spec->port, R_INTERNAL, "%s has %zu %s "
		    "records; only the first %d in order are checked", owner,
		    n, srv ? "SRV" : "MX", MAX_EXCHANGES);
		n = MAX_EXCHANGES;
	}
	*np = n;
	return ex;
}

/* The names a DANE-TA leaf may carry besides the base domain. */
static size_t
nexthop_names(const char *domain, const struct dns_result *r, int secure,
    const char **names)
{
	size_t	 n = 0;

	if (!secure)
		return 0;
	names[n++] = domain;
	if (r->canon[0] != '\0')
		names[n++] = r->canon;
	return n;
}

static void
discover_mx(struct disc *d)
{
	const char		*domain = d->spec->name, *names[2];
	struct exchange		*ex;
	struct dns_result	 r;
	size_t			 i, n, nnames;
	uint16_t		 port = d->spec->port;

	memset(&r, 0, sizeof(r));
	dns_lookup(d->ctx, domain, RR_TYPE_MX, &r);
	if (lookup_failed(d, &r, "MX", domain, port))
		goto done;
	if (r.status == DNS_NXDOMAIN) {
		verdict(d, domain, port, R_NO_ADDRESS, "%s does not exist "
		    "(NXDOMAIN, %s)", domain, dns_security_name(r.sec));
		goto done;
	}
	if (r.status == DNS_NODATA) {
		/* RFC 5321 section 5.1: the domain is its own MX. */
		send_dnssec(d, r.sec);
		msg_send_text(d->fd, &d->mb, MSG_DETAIL, "MX %s: none (%s%s%s); "
		    "the domain itself is the mail host", domain,
		    dns_security_name(r.sec), r.canon[0] ? ", through "
		    "CNAME to " : "", r.canon);
		/*
		 * RFC 7672 section 2.2.1: an insecure denial is as easy
		 * to forge as an insecure answer, so the domain is no
		 * more DANE-safe than with an insecure MX RRset.
		 */
		if (r.sec != SEC_SECURE) {
			verdict(d, domain, port, R_MX_INSECURE, "no MX "
			    "RRset at %s, and the denial is insecure%s%s%s: "
			    "the domain cannot be DANE-authenticated (RFC "
			    "7672 section 2.2.1); checked with its own name "
			    "only", domain, r.canon[0] ? " (CNAME to " : "",
			    r.canon, r.canon[0] ? ")" : "");
		}
		names[0] = domain;
		discover_host(d, domain, port, names,
		    r.sec == SEC_SECURE ? 1 : 0, NULL);
		goto done;
	}
	if ((ex = exchanges(d, &r, 0, domain, &n)) == NULL) {
		verdict(d, domain, port, R_NULL_MX, "domain accepts no mail "
		    "(null MX, RFC 7505)");
		goto done;
	}
	if (r.sec != SEC_SECURE)
		verdict(d, domain, port, R_MX_INSECURE, "MX RRset of %s is "
		    "insecure: the domain cannot be DANE-authenticated "
		    "(RFC 7672 section 2.2.1); its MX hosts are checked "
		    "with their own names only", domain);
	nnames = nexthop_names(domain, &r, r.sec == SEC_SECURE, names);
	for (i = 0; i < n; i++) {
		if (strcmp(ex[i].host, ".") == 0) {
			msg_send_text(d->fd, &d->mb, MSG_WARN, "MX %s lists "
			    "\".\" among other records (RFC 7505 section 3)",
			    domain);
			continue;
		}
		discover_host(d, ex[i].host, port, names, nnames, "MX host");
	}
	free(ex);
 done:
	dns_result_free(&r);
}

static void
discover_srv(struct disc *d)
{
	const char		*domain = d->spec->name, *names[2];
	struct exchange		*ex;
	struct dns_result	 r;
	char			 qname[MAX_HOSTNAME + 64];
	size_t			 i, n, nnames;
	uint16_t		 port;

	snprintf(qname, sizeof(qname), "%s.%s", d->spec->service, domain);
	memset(&r, 0, sizeof(r));
	dns_lookup(d->ctx, qname, RR_TYPE_SRV, &r);
	if (lookup_failed(d, &r, "SRV", qname, d->spec->port))
		goto done;
	if (r.status != DNS_ANSWER) {
		verdict(d, qname, d->spec->port, R_NO_SERVICE, "no SRV "
		    "records at %s (%s %s)", qname, dns_security_name(r.sec),
		    r.status == DNS_NXDOMAIN ? "NXDOMAIN" : "NODATA");
		goto done;
	}
	if ((ex = exchanges(d, &r, 1, qname, &n)) == NULL) {
		verdict(d, qname, d->spec->port, R_NO_SERVICE, "service not "
		    "offered (SRV target \".\", RFC 2782)");
		goto done;
	}
	if (r.sec != SEC_SECURE)
		verdict(d, qname, d->spec->port, R_SRV_INSECURE, "SRV RRset "
		    "%s is insecure: the service cannot be DANE-authenticated "
		    "(RFC 7673); its targets are checked with their own names "
		    "only", qname);
	nnames = nexthop_names(domain, &r, r.sec == SEC_SECURE, names);
	for (i = 0; i < n; i++) {
		if (strcmp(ex[i].host, ".") == 0)
			continue;
		port = d->spec->port_given ? d->spec->port : ex[i].port;
		discover_host(d, ex[i].host, port, names, nnames,
		    "SRV target");
	}
	free(ex);
 done:
	dns_result_free(&r);
}

__dead void
discover_child(int fd, struct ub_ctx *ctx, const struct discover_spec *spec)
{
	struct disc	 d;
	const char	*names[1];

	memset(&d, 0, sizeof(d));
	d.fd = fd;
	d.ctx = ctx;
	d.spec = spec;
	alarm(spec->timeout + 2);
	sandbox_report_fd(fd);
	/* OpenBSD "stdio inet"; Linux: DNS sockets, TCP to DNS ports. */
	sandbox_enter(SB_CHILD_NET, NULL);
	msg_begin(&d.mb, MSG_STAGE);
	msg_put_u32(&d.mb, ST_DISCOVER);
	msg_send(fd, &d.mb);
	switch (spec->mode) {
	case DISC_MX:
		discover_mx(&d);
		break;
	case DISC_SRV:
		discover_srv(&d);
		break;
	case DISC_HOST:
		/* The name as given is a reference identifier too. */
		names[0] = spec->name;
		discover_host(&d, spec->name, spec->port, names, 1, NULL);
		break;
	}
	msg_begin(&d.mb, MSG_END);
	msg_send(fd, &d.mb);
	_exit(0);
}
