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

struct dhost;

/*
 * One target's discovery, in the parent: lookups go out through the
 * event context, their results come back through callbacks, and the
 * conclusions are written as the frames a discovery child used to
 * send, so that the parent judges them by the same table.
 */
struct disc {
	struct ub_ctx	*ctx;
	const struct discover_spec *spec;
	struct msgbuf	 mb;
	uint8_t		*out;		/* frames not yet taken */
	size_t		 outlen, outcap;
	int		 finished;	/* MSG_END written */
	int		 flushing;
	struct dns_query *top;		/* MX or SRV lookup in flight */
	struct dns_result r;		/* its result */
	char		 qname[MAX_HOSTNAME + 64];
	const char	*names[2];
	size_t		 nnames;
	struct dhost	*hosts;
	size_t		 nhosts, emitted;
};

/* A host of a target: its address lookups, then maybe its CNAME. */
struct dhost {
	struct disc	*d;
	char		 host[MAX_HOSTNAME];
	uint16_t	 port;
	const char	*role;
	const char	*const *names;
	size_t		 nnames;
	struct dns_query *q[3];		/* A, AAAA, CNAME in flight */
	struct dns_result r[3];
	int		 looked[3];
	int		 pending;
	int		 started;
	int		 done;
};

/* The frame in d->mb, appended to what the parent will take. */
static void
emit(struct disc *d)
{
	uint32_t	 n;
	size_t		 cap;

	if (d->mb.len > MSG_MAX_FRAME)
		return;
	n = htonl(d->mb.len - 8);
	memcpy(d->mb.buf + 4, &n, sizeof(n));
	if (d->outcap - d->outlen < d->mb.len) {
		cap = d->outcap ? d->outcap : 1024;
		while (cap - d->outlen < d->mb.len)
			cap *= 2;
		if ((d->out = realloc(d->out, cap)) == NULL)
			fatalx("out of memory");
		d->outcap = cap;
	}
	memcpy(d->out + d->outlen, d->mb.buf, d->mb.len);
	d->outlen += d->mb.len;
}

static void emit_text(struct disc *, enum msg_type, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static void
emit_text(struct disc *d, enum msg_type type, const char *fmt, ...)
{
	char	 text[MAX_TEXT];
	va_list	 ap;

	va_start(ap, fmt);
	vcutf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg_begin(&d->mb, type);
	msg_put_cstr(&d->mb, text);
	emit(d);
}

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
	vcutf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg_begin(&d->mb, MSG_VERDICT);
	msg_put_cstr(&d->mb, host);
	msg_put_u32(&d->mb, port);
	msg_put_u32(&d->mb, res);
	msg_put_cstr(&d->mb, text);
	emit(d);
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
		emit(d);
	}
}

/*
 * The RRSIGs a secure answer rests on (sigs.c), for the parent's
 * -dnssec-warning; the walks of their zones' chains start here.
 */
static void
send_sigs(struct disc *d, enum sig_scope scope, const char *host,
    const struct dns_result *r)
{
	size_t	 i;

	if (r->sec != SEC_SECURE || r->sigs.first.when == 0)
		return;
	msg_begin(&d->mb, MSG_SIGS);
	msg_put_sigs(&d->mb, scope, host, &r->sigs, "");
	emit(d);
	for (i = 0; i < r->sigs.nzones; i++)
		sigs_walk(d->ctx, r->sigs.zones[i]);
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
	emit(d);
}

/*
 * One host: its address records, and whether it is an alias.  For an
 * alias the TLSA base domain candidates depend on where the chain is
 * secure (RFC 7672 section 2.2.2): the parent derives them from the
 * canonical name and cname_secure sent here.  The lookups of a host
 * run at once; its report waits for those of the hosts before it, so
 * the frames come in the order the records are tried.
 */
static const int	 addr_types[] = { RR_TYPE_A, RR_TYPE_AAAA };

static void	disc_flush(struct disc *);
static void	host_report(struct disc *, struct dhost *);

static void	host_a(void *, struct dns_result *);
static void	host_aaaa(void *, struct dns_result *);
static void	host_cname(void *, struct dns_result *);
static void	host_step(struct dhost *);

static const dns_callback	 host_cbs[] = { host_a, host_aaaa, host_cname };

/* One lookup of a host; one that cannot start has its result at once. */
static void
host_lookup(struct dhost *h, int slot, int type)
{
	h->pending++;
	if ((h->q[slot] = dns_lookup_async(h->d->ctx, h->host, type,
	    host_cbs[slot], h, &h->r[slot])) == NULL)
		h->pending--;
}

static void
host_got(struct dhost *h, int slot, struct dns_result *res)
{
	h->q[slot] = NULL;
	h->r[slot] = *res;
	h->pending--;
	host_step(h);
}

static void
host_a(void *arg, struct dns_result *res)
{
	host_got(arg, 0, res);
}

static void
host_aaaa(void *arg, struct dns_result *res)
{
	host_got(arg, 1, res);
}

static void
host_cname(void *arg, struct dns_result *res)
{
	host_got(arg, 2, res);
}

/* Address lookups done: an alias needs its CNAME looked up too. */
static void
host_step(struct dhost *h)
{
	size_t	 i;

	if (h->pending > 0 || h->done)
		return;
	if (!h->looked[2]) {
		for (i = 0; i < 2; i++)
			if (h->looked[i] && h->r[i].canon[0] != '\0' &&
			    h->r[i].status != DNS_FAILED &&
			    h->r[i].sec != SEC_BOGUS)
				break;
		if (i < 2) {
			h->looked[2] = 1;
			host_lookup(h, 2, RR_TYPE_CNAME);
			if (h->pending > 0)
				return;
		}
	}
	h->done = 1;
	disc_flush(h->d);
}

/* At most this many hosts of one target are looked up at once. */
#define HOSTS_AT_ONCE	8

static void
host_start(struct dhost *h)
{
	size_t	 i;

	h->started = 1;
	for (i = 0; i < 2; i++) {
		if ((addr_types[i] == RR_TYPE_A &&
		    h->d->spec->family == AF_INET6) ||
		    (addr_types[i] == RR_TYPE_AAAA &&
		    h->d->spec->family == AF_INET))
			continue;
		h->looked[i] = 1;
		host_lookup(h, i, addr_types[i]);
	}
	host_step(h);
}

/* A host to look up, in the order its report is due. */
static void
add_host(struct disc *d, const char *host, uint16_t port,
    const char *const *names, size_t nnames, const char *role)
{
	struct dhost	*h = &d->hosts[d->nhosts++];

	memset(h, 0, sizeof(*h));
	h->d = d;
	strlcpy(h->host, host, sizeof(h->host));
	h->port = port;
	h->names = names;
	h->nnames = nnames;
	h->role = role;
}

/*
 * Start hosts while few are in flight; report those done, in order;
 * end once every host is reported.  Called whenever a host is done.
 */
static void
disc_flush(struct disc *d)
{
	size_t	 i, active;

	if (d->flushing || d->finished || d->top != NULL)
		return;
	d->flushing = 1;
	for (;;) {
		while (d->emitted < d->nhosts && d->hosts[d->emitted].done)
			host_report(d, &d->hosts[d->emitted++]);
		for (i = d->emitted, active = 0; i < d->nhosts; i++) {
			if (!d->hosts[i].started) {
				if (active >= HOSTS_AT_ONCE)
					break;
				host_start(&d->hosts[i]);
			}
			if (!d->hosts[i].done)
				active++;
		}
		if (d->emitted == d->nhosts || !d->hosts[d->emitted].done)
			break;
	}
	d->flushing = 0;
	if (d->emitted == d->nhosts) {
		msg_begin(&d->mb, MSG_END);
		emit(d);
		d->finished = 1;
	}
}

static void
host_report(struct disc *d, struct dhost *h)
{
	char			 canon[MAX_HOSTNAME] = "";
	char			 warning[MAX_TEXT] = "";
	size_t			 i, naddr = 0, nx = 0, looked = 0, bad = 0;
	int			 cname_secure = 0;
	struct dns_result	*r = h->r;

	for (i = 0; i < 2; i++) {
		if (!h->looked[i])
			continue;
		looked++;
		if (lookup_failed(d, &r[i], dns_type_name(addr_types[i]),
		    h->host, h->port)) {
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
		cname_secure = r[2].sec == SEC_SECURE &&
		    r[2].status == DNS_ANSWER;
		if (h->role != NULL)
			snprintf(warning, sizeof(warning), "%s %s is an alias "
			    "(CNAME) for %s, which RFC 2181 section 10.3 "
			    "forbids; checked anyway", h->role, h->host, canon);
	}
	send_host(d, h->host, h->port, canon, cname_secure, h->names,
	    h->nnames, warning);
	for (i = 0; i < 2; i++)
		if (h->looked[i] && r[i].status == DNS_ANSWER &&
		    r[i].sec != SEC_BOGUS) {
			/* Before the addresses: their checks read it. */
			send_sigs(d, i == 0 ? SIG_SCOPE_A : SIG_SCOPE_AAAA,
			    h->host, &r[i]);
			send_addresses(d, h->host, addr_types[i], &r[i]);
		}
	if (naddr == 0 && bad == 0 && looked > 0) {
		if (nx > 0)
			verdict(d, h->host, h->port, R_NO_ADDRESS, "%s does "
			    "not exist (NXDOMAIN, %s)", h->host,
			    dns_security_name(h->looked[0] &&
			    r[0].status == DNS_NXDOMAIN ? r[0].sec : r[1].sec));
		else
			verdict(d, h->host, h->port, R_NO_ADDRESS, "%s has no "
			    "%s records", h->host, d->spec->family == AF_INET ?
			    "A (AAAA not looked up: -4)" :
			    d->spec->family == AF_INET6 ?
			    "AAAA (A not looked up: -6)" : "A or AAAA");
	}
	for (i = 0; i < 3; i++)
		dns_result_free(&r[i]);
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
			emit_text(d, MSG_WARN,
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

/* The MX or SRV RRset's DNSSEC state; read by on_dnssec() in report.c. */
static void
send_dnssec(struct disc *d, enum dns_security sec)
{
	msg_begin(&d->mb, MSG_DNSSEC);
	msg_put_u32(&d->mb, sec);
	emit(d);
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
	size_t		 n, room;

	if ((ex = calloc(r->nrr ? r->nrr : 1, sizeof(*ex))) == NULL)
		fatalx("out of memory");
	n = decode_exchanges(d, r, srv, ex);
	if (n == 1 && strcmp(ex[0].host, ".") == 0) {
		free(ex);
		*np = 0;
		return NULL;
	}
	qsort(ex, n, sizeof(*ex), exchange_order);
	/* Room for "MX owner: " and " (insecure)" around the list, so
	 * that the detail line keeps its marker of a cut list. */
	room = sizeof(list) - strlen(owner) - 32;
	list_exchanges(ex, n, srv, list, room > 64 ? room : 64);
	send_dnssec(d, r->sec);
	emit_text(d, MSG_DETAIL, "%s %s: %s (%s)",
	    srv ? "SRV" : "MX", owner, list, dns_security_name(r->sec));
	if (n == 0) {
		verdict(d, owner, d->spec->port, R_DNS_FAILURE, "%s has no "
		    "%s record that can be decoded (%zu malformed)", owner,
		    srv ? "SRV" : "MX", r->nrr);
		free(ex);
		*np = SIZE_MAX;		/* said so already */
		return NULL;
	}
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
hosts_alloc(struct disc *d, size_t n)
{
	if ((d->hosts = calloc(n ? n : 1, sizeof(*d->hosts))) == NULL)
		fatalx("out of memory");
}

static void
mx_answer(void *arg, struct dns_result *res)
{
	struct disc		*d = arg;
	const char		*domain = d->spec->name;
	struct exchange		*ex;
	struct dns_result	*r = &d->r;
	size_t			 i, n;
	uint16_t		 port = d->spec->port;

	d->top = NULL;
	*r = *res;
	if (lookup_failed(d, r, "MX", domain, port))
		goto done;
	send_sigs(d, SIG_SCOPE_TARGET, "", r);
	if (r->status == DNS_NXDOMAIN) {
		verdict(d, domain, port, R_NO_ADDRESS, "%s does not exist "
		    "(NXDOMAIN, %s)", domain, dns_security_name(r->sec));
		goto done;
	}
	if (r->status == DNS_NODATA) {
		/* RFC 5321 section 5.1: the domain is its own MX. */
		send_dnssec(d, r->sec);
		emit_text(d, MSG_DETAIL, "MX %s: none (%s%s%s); "
		    "the domain itself is the mail host", domain,
		    dns_security_name(r->sec), r->canon[0] ? ", through "
		    "CNAME to " : "", r->canon);
		/*
		 * RFC 7672 section 2.2.1: an insecure denial is as easy
		 * to forge as an insecure answer, so the domain is no
		 * more DANE-safe than with an insecure MX RRset.
		 */
		if (r->sec != SEC_SECURE) {
			verdict(d, domain, port, R_MX_INSECURE, "no MX "
			    "RRset at %s, and the denial is insecure%s%s%s: "
			    "the domain cannot be DANE-authenticated (RFC "
			    "7672 section 2.2.1); checked with its own name "
			    "only", domain, r->canon[0] ? " (CNAME to " : "",
			    r->canon, r->canon[0] ? ")" : "");
		}
		d->names[0] = domain;
		hosts_alloc(d, 1);
		add_host(d, domain, port, d->names,
		    r->sec == SEC_SECURE ? 1 : 0, NULL);
		goto done;
	}
	if ((ex = exchanges(d, r, 0, domain, &n)) == NULL) {
		if (n != SIZE_MAX)
			verdict(d, domain, port, R_NULL_MX, "domain accepts "
			    "no mail (null MX, RFC 7505)");
		goto done;
	}
	if (r->sec != SEC_SECURE)
		verdict(d, domain, port, R_MX_INSECURE, "MX RRset of %s is "
		    "insecure: the domain cannot be DANE-authenticated "
		    "(RFC 7672 section 2.2.1); its MX hosts are checked "
		    "with their own names only", domain);
	d->nnames = nexthop_names(domain, r, r->sec == SEC_SECURE, d->names);
	hosts_alloc(d, n);
	for (i = 0; i < n; i++) {
		if (strcmp(ex[i].host, ".") == 0) {
			emit_text(d, MSG_WARN, "MX %s lists "
			    "\".\" among other records (RFC 7505 section 3)",
			    domain);
			continue;
		}
		add_host(d, ex[i].host, port, d->names, d->nnames, "MX host");
	}
	free(ex);
 done:
	disc_flush(d);
}

static void
srv_answer(void *arg, struct dns_result *res)
{
	struct disc		*d = arg;
	const char		*domain = d->spec->name;
	struct exchange		*ex;
	struct dns_result	*r = &d->r;
	size_t			 i, n;
	uint16_t		 port;

	d->top = NULL;
	*r = *res;
	if (lookup_failed(d, r, "SRV", d->qname, d->spec->port))
		goto done;
	send_sigs(d, SIG_SCOPE_TARGET, "", r);
	if (r->status != DNS_ANSWER) {
		verdict(d, d->qname, d->spec->port, R_NO_SERVICE, "no SRV "
		    "records at %s (%s %s)", d->qname,
		    dns_security_name(r->sec),
		    r->status == DNS_NXDOMAIN ? "NXDOMAIN" : "NODATA");
		goto done;
	}
	if ((ex = exchanges(d, r, 1, d->qname, &n)) == NULL) {
		if (n != SIZE_MAX)
			verdict(d, d->qname, d->spec->port, R_NO_SERVICE,
			    "service not offered (SRV target \".\", RFC "
			    "2782)");
		goto done;
	}
	if (r->sec != SEC_SECURE)
		verdict(d, d->qname, d->spec->port, R_SRV_INSECURE, "SRV "
		    "RRset %s is insecure: the service cannot be "
		    "DANE-authenticated (RFC 7673); its targets are checked "
		    "with their own names only", d->qname);
	d->nnames = nexthop_names(domain, r, r->sec == SEC_SECURE, d->names);
	hosts_alloc(d, n);
	for (i = 0; i < n; i++) {
		if (strcmp(ex[i].host, ".") == 0)
			continue;
		port = d->spec->port_given ? d->spec->port : ex[i].port;
		if (port == 0) {
			verdict(d, ex[i].host, d->spec->port,
			    R_CONNECT_FAILURE, "SRV record %s names port 0",
			    ex[i].host);
			continue;
		}
		add_host(d, ex[i].host, port, d->names, d->nnames,
		    "SRV target");
	}
	free(ex);
 done:
	disc_flush(d);
}

/* The MX or SRV lookup; one that cannot start is answered at once. */
static void
top_lookup(struct disc *d, const char *name, int type, dns_callback cb)
{
	struct dns_result	 res;

	if ((d->top = dns_lookup_async(d->ctx, name, type, cb, d,
	    &res)) == NULL)
		cb(d, &res);
}

/*
 * Discovery of one target starts here, in the parent: the lookups go
 * out through ctx, an event context that dns_event_run() drives.
 */
struct disc *
discover_start(struct ub_ctx *ctx, const struct discover_spec *spec)
{
	struct disc	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->ctx = ctx;
	d->spec = spec;
	msg_begin(&d->mb, MSG_STAGE);
	msg_put_u32(&d->mb, ST_DISCOVER);
	emit(d);
	switch (spec->mode) {
	case DISC_MX:
		top_lookup(d, spec->name, RR_TYPE_MX, mx_answer);
		break;
	case DISC_SRV:
		snprintf(d->qname, sizeof(d->qname), "%s.%s", spec->service,
		    spec->name);
		top_lookup(d, d->qname, RR_TYPE_SRV, srv_answer);
		break;
	case DISC_HOST:
		/* The name as given is a reference identifier too. */
		d->names[0] = spec->name;
		hosts_alloc(d, 1);
		add_host(d, spec->name, spec->port, d->names, 1, NULL);
		disc_flush(d);
		break;
	}
	return d;
}

/* The frames written so far, whole; *finished once MSG_END is among them. */
const uint8_t *
discover_frames(struct disc *d, size_t *len, int *finished)
{
	*len = d->outlen;
	*finished = d->finished;
	return d->out;
}

void
discover_taken(struct disc *d)
{
	d->outlen = 0;
}

/* Lookups still in flight are cancelled. */
void
discover_free(struct disc *d)
{
	size_t	 i, k;

	if (d == NULL)
		return;
	if (d->top != NULL)
		dns_cancel(d->top);
	for (i = 0; d->hosts != NULL && i < d->nhosts; i++)
		for (k = 0; k < 3; k++) {
			if (d->hosts[i].q[k] != NULL)
				dns_cancel(d->hosts[i].q[k]);
			if (i >= d->emitted)
				dns_result_free(&d->hosts[i].r[k]);
		}
	dns_result_free(&d->r);
	free(d->hosts);
	free(d->out);
	free(d->mb.buf);
	free(d);
}
