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
 * -all-ns: the TLSA RRset as each authoritative server of its zone
 * serves it.  The check child calls allns_compare() once its TLSA
 * lookup gave a secure RRset with records, still in its network stage
 * (SB_CHILD_NET), in stage ST_NS:
 *
 *  1. The zone: the closest name at or above the TLSA owner (its
 *     canonical name, after a CNAME) that has an NS RRset, asked of
 *     the resolvers name by name, validated.  That RRset, which must
 *     be secure, is the zone's NS set.
 *  2. The servers: the A and AAAA records of each NS name, through the
 *     resolvers; both families unless -4 or -6 says which one this
 *     host can reach.  At most ALLNS_MAX (name, address) pairs, in
 *     the order of names and addresses; a cut is said.
 *  3. Each address gets a libunbound context of its own
 *     (dns_stub_context: a stub zone, so every query for the zone goes
 *     to that address alone) that validates as the check's does: the
 *     TLSA RRset at the owner and the SOA record at the apex.  All
 *     servers are asked at once, within half of the time the check
 *     has left; libunbound's own retries end sooner for a dead server
 *     (dns.c, infra-cache-max-rtt).
 *  4. Each server is compared with the RRset the check uses (from the
 *     resolvers) and with the others: a different TLSA RRset, an older
 *     SOA serial (RFC 1982 arithmetic: older than the highest any
 *     server serves) or TLSA signatures that expire more than
 *     ALLNS_SIG_SLACK before the latest any server serves make it
 *     NS_DIFFERS, a warning; one that cannot be asked, does not
 *     answer, answers with an error or serves data that does not
 *     validate is NS_FAILED, and the check's result is ns-failure.
 *
 * One MSG_NS frame a server (on_ns() in report.c), in that order,
 * then MSG_NS_VERDICT with the failure, if any, that a verify child
 * of another target's names repeats (on_ns_verdict()).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtpdane.h"

#define ALLNS_SIG_SLACK	3600	/* seconds: one signer's jitter */
#define ALLNS_POLL_MS	5	/* between looks at the event base */
#define ALLNS_SHOW	3	/* TLSA records named in a difference */
#define ALLNS_NAMES	64	/* NS names sorted; more are not asked */

struct ns_srv {
	char		 name[MAX_HOSTNAME];
	char		 addr[INET6_ADDRSTRLEN];
	struct ub_ctx	*ctx;		/* left to the end of the child */
	struct dns_query *qtlsa, *qsoa;	/* NULL once answered */
	struct dns_result tlsa, soa;
	int		 waiting;	/* lookups not answered yet */
	size_t		*all_waiting;	/* of every server */
	uint32_t	 state;		/* enum ns_state */
	char		 why[MAX_TEXT];
	int		 has_serial;
	uint32_t	 serial;
};

struct allns {
	const struct allns_params *p;
	char		 zone[MAX_HOSTNAME];
	struct ns_srv	 srv[ALLNS_MAX];
	size_t		 nsrv;
	size_t		 cut;		/* names or addresses not asked */
	size_t		 waiting;
};

const char *
ns_state_name(uint32_t st)
{
	switch (st) {
	case NS_SAME:
		return "same";
	case NS_DIFFERS:
		return "differs";
	case NS_FAILED:
		return "failed";
	}
	return "unknown";
}

/* The check's result when a server failed: the first, how many more. */
static void
allns_failure(const char *zone, const char *name, const char *addr,
    const char *why, size_t more, char *out, size_t outlen)
{
	char	 tail[64] = "";

	if (more > 0)
		snprintf(tail, sizeof(tail), "; %zu more server%s failed",
		    more, more == 1 ? "" : "s");
	snprintf(out, outlen, "nameserver %s%s%s%s of %s: %s (-all-ns%s)",
	    name, addr[0] ? " [" : "", addr, addr[0] ? "]" : "", zone, why,
	    tail);
}

static int
timed_out(const struct allns *a)
{
	return now_ms() >= a->p->deadline;
}

/*
 * 1. The zone and its NS set, walking up from the owner name.  A name
 * with an NS RRset of its own is a zone apex; one whose NS answer came
 * through a CNAME is not.
 */
static int
find_zone(struct allns *a, struct dns_result *ns, char *fail,
    size_t faillen)
{
	const char	*name = a->p->owner, *dot;

	for (;;) {
		if (timed_out(a)) {
			snprintf(fail, faillen, "no time left to find the zone "
			    "of %s (-all-ns)", a->p->owner);
			return -1;
		}
		dns_lookup(a->p->ctx, name, RR_TYPE_NS, ns);
		if (ns->status == DNS_FAILED) {
			snprintf(fail, faillen, "the NS lookup of %s %s: %s "
			    "(-all-ns)", name, ns->sec == SEC_BOGUS ?
			    "is bogus" : "failed", ns->why);
			dns_result_free(ns);
			return -1;
		}
		if (ns->status == DNS_ANSWER && ns->canon[0] == '\0') {
			if (ns->sec != SEC_SECURE) {
				snprintf(fail, faillen, "the NS RRset of %s, "
				    "the zone of %s, is insecure (-all-ns)",
				    name, a->p->owner);
				dns_result_free(ns);
				return -1;
			}
			strlcpy(a->zone, name, sizeof(a->zone));
			return 0;
		}
		dns_result_free(ns);
		if (strcmp(name, ".") == 0) {
			snprintf(fail, faillen, "no NS RRset at or above %s "
			    "(-all-ns)", a->p->owner);
			return -1;
		}
		name = (dot = strchr(name, '.')) != NULL && dot[1] != '\0' ?
		    dot + 1 : ".";
	}
}

/* A server entry, or NULL once ALLNS_MAX are taken (counted). */
static struct ns_srv *
add_server(struct allns *a, const char *name, const char *addr)
{
	struct ns_srv	*s;

	if (a->nsrv >= ALLNS_MAX) {
		a->cut++;
		return NULL;
	}
	s = &a->srv[a->nsrv++];
	memset(s, 0, sizeof(*s));
	strlcpy(s->name, name, sizeof(s->name));
	strlcpy(s->addr, addr, sizeof(s->addr));
	s->all_waiting = &a->waiting;
	return s;
}

static void
fail_server(struct ns_srv *s, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
fail_server(struct ns_srv *s, const char *fmt, ...)
{
	va_list	 ap;

	if (s == NULL || s->state == NS_FAILED)
		return;
	s->state = NS_FAILED;
	va_start(ap, fmt);
	vcutf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The addresses of one NS name, of the families asked for, sorted. */
static void
name_addresses(struct allns *a, const char *name)
{
	static const int	 types[] = { RR_TYPE_A, RR_TYPE_AAAA };
	struct dns_result	 r;
	char			 addr[2][ALLNS_MAX][INET6_ADDRSTRLEN];
	char			*sorted[ALLNS_MAX], why[2][MAX_TEXT / 2];
	size_t			 n[2] = { 0, 0 }, t, i, k;
	int			 af;

	for (t = 0; t < nitems(types); t++) {
		af = types[t] == RR_TYPE_A ? AF_INET : AF_INET6;
		strlcpy(why[t], "not asked", sizeof(why[t]));
		if (a->p->family != AF_UNSPEC && a->p->family != af)
			continue;
		dns_lookup(a->p->ctx, name, types[t], &r);
		if (r.status == DNS_FAILED)
			cutf(why[t], sizeof(why[t]), "%s %s", r.sec ==
			    SEC_BOGUS ? "bogus:" : "failed:", r.why);
		else
			snprintf(why[t], sizeof(why[t]), "%s",
			    dns_status_name(r.status));
		for (i = 0; i < r.nrr; i++)
			if (n[t] == ALLNS_MAX)
				a->cut++;
			else if (r.rr[i].len == (af == AF_INET ? 4U : 16U) &&
			    inet_ntop(af, r.rr[i].data, addr[t][n[t]],
			    sizeof(addr[t][n[t]])) != NULL)
				n[t]++;
		dns_result_free(&r);
	}
	if (n[0] + n[1] == 0) {
		fail_server(add_server(a, name, ""), "has no address "
		    "(A: %s; AAAA: %s)", why[0], why[1]);
		return;
	}
	for (t = 0; t < nitems(types); t++) {
		for (i = 0; i < n[t]; i++)
			sorted[i] = addr[t][i];
		qsort(sorted, n[t], sizeof(sorted[0]), cmp_str);
		for (k = 0; k < n[t]; k++)
			add_server(a, name, sorted[k]);
	}
}

/*
 * 2. Every (NS name, address) pair, names in order, until ALLNS_MAX are
 * taken; a name that is no host name (".") names no server.
 */
static void
find_servers(struct allns *a, const struct dns_result *ns)
{
	char	 names[ALLNS_NAMES][MAX_HOSTNAME], *sorted[ALLNS_NAMES];
	size_t	 n = 0, i;

	for (i = 0; i < ns->nrr; i++) {
		if (n == ALLNS_NAMES) {
			a->cut++;
			continue;
		}
		if (dns_wire_name(ns->rr[i].data, ns->rr[i].len, 0, names[n],
		    sizeof(names[n])) == -1 || !valid_hostname(names[n]))
			continue;
		sorted[n] = names[n];
		n++;
	}
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		if (a->nsrv == ALLNS_MAX)
			a->cut++;
		else if (timed_out(a))
			fail_server(add_server(a, sorted[i], ""), "not asked: "
			    "no time left (-timeout)");
		else
			name_addresses(a, sorted[i]);
	}
}

static void
answered(struct ns_srv *s, struct dns_query **q, struct dns_result *slot,
    struct dns_result *res)
{
	*q = NULL;
	*slot = *res;
	s->waiting--;
	(*s->all_waiting)--;
}

static void
got_tlsa(void *arg, struct dns_result *res)
{
	struct ns_srv	*s = arg;

	answered(s, &s->qtlsa, &s->tlsa, res);
}

static void
got_soa(void *arg, struct dns_result *res)
{
	struct ns_srv	*s = arg;

	answered(s, &s->qsoa, &s->soa, res);
}

/*
 * 3. Every server asked at once, answers awaited until the deadline;
 * what has not come by then is cancelled (dns_cancel): nothing runs
 * the event base after this stage, but no callback may find its
 * server gone.  The contexts stay until the child exits.  Why a
 * lookup failed comes from libunbound's log, which all contexts
 * share: when two servers fail in one turn of the event base, the
 * words of one may be read for the other's failure.
 */
static void
ask_servers(struct allns *a)
{
	struct ns_srv	*s;
	struct ub_ctx	*any = NULL;
	char		 err[MAX_TEXT];
	size_t		 i;
	int64_t		 start = now_ms();
	long long	 ms;

	for (i = 0; i < a->nsrv; i++) {
		s = &a->srv[i];
		if (s->state == NS_FAILED)
			continue;
		if (timed_out(a)) {
			fail_server(s, "not asked: no time left (-timeout)");
			continue;
		}
		if ((s->ctx = dns_stub_context(a->p->cfg, a->zone, s->addr,
		    err, sizeof(err))) == NULL) {
			fail_server(s, "could not be asked: %s", err);
			continue;
		}
		any = s->ctx;
		s->waiting = 2;
		a->waiting += 2;
		if ((s->qtlsa = dns_lookup_async(s->ctx, a->p->owner,
		    RR_TYPE_TLSA, got_tlsa, s, &s->tlsa)) == NULL) {
			s->waiting--;
			a->waiting--;
		}
		if ((s->qsoa = dns_lookup_async(s->ctx, a->zone, RR_TYPE_SOA,
		    got_soa, s, &s->soa)) == NULL) {
			s->waiting--;
			a->waiting--;
		}
	}
	while (a->waiting > 0 && !timed_out(a)) {
		dns_event_run(any);
		if (a->waiting > 0)
			poll(NULL, 0, ALLNS_POLL_MS);
	}
	ms = now_ms() - start;
	for (i = 0; i < a->nsrv; i++) {
		s = &a->srv[i];
		if (s->waiting == 0)
			continue;
		fail_server(s, "did not answer within %lld.%llds", ms / 1000,
		    ms % 1000 / 100);
		if (s->qtlsa != NULL)
			dns_cancel(s->qtlsa);
		if (s->qsoa != NULL)
			dns_cancel(s->qsoa);
	}
}

/*
 * dns.c's words are a resolver's; these are an authoritative
 * server's.  NULL when the lookup did not fail.
 */
static const char *
lookup_failure(const struct dns_result *r, char *buf, size_t len)
{
	if (r->sec == SEC_BOGUS) {
		cutf(buf, len, "serves bogus data: %s", r->why);
		return buf;
	}
	if (r->status != DNS_FAILED) {
		if (r->sec == SEC_SECURE)
			return NULL;
		snprintf(buf, len, "serves insecure data (%s) for a signed "
		    "zone", dns_status_name(r->status));
		return buf;
	}
	if (strncmp(r->why, DNS_NO_ANSWER, sizeof(DNS_NO_ANSWER) - 1) == 0)
		snprintf(buf, len, "did not answer");
	else if (strcmp(r->why, "REFUSED") == 0)
		snprintf(buf, len, "answered REFUSED (not authoritative for "
		    "the zone?)");
	else if (strncmp(r->why, "SERVFAIL", 8) == 0)
		cutf(buf, len, "answered SERVFAIL%s", r->why + 8);
	else
		cutf(buf, len, "failed: %s", r->why);
	return buf;
}

/*
 * The SOA serial: the first of the five 32-bit fields that end the
 * rdata, after two names (which, as dns.c leaves SOA rdata as it came,
 * may be compressed: only the end is a fixed place).
 */
static int
soa_serial(const struct dns_rr *rr, uint32_t *serial)
{
	const uint8_t	*p;

	/* Two names of one byte at least, then 20. */
	if (rr->len < 22)
		return -1;
	p = rr->data + rr->len - 20;
	*serial = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	return 0;
}

/* What one server said, on its own. */
static void
judge_server(struct ns_srv *s)
{
	char	 why[MAX_TEXT];

	if (s->state == NS_FAILED)
		return;
	if (lookup_failure(&s->tlsa, why, sizeof(why)) != NULL ||
	    lookup_failure(&s->soa, why, sizeof(why)) != NULL) {
		fail_server(s, "%s", why);
		return;
	}
	if (s->soa.status != DNS_ANSWER || s->soa.nrr != 1 ||
	    soa_serial(&s->soa.rr[0], &s->serial) == -1) {
		fail_server(s, "serves no usable SOA record for the zone "
		    "(%s)", dns_status_name(s->soa.status));
		return;
	}
	s->has_serial = 1;
}

static int
has_rr(const struct dns_result *r, const struct dns_rr *rr)
{
	size_t	 i;

	for (i = 0; i < r->nrr; i++)
		if (r->rr[i].len == rr->len &&
		    memcmp(r->rr[i].data, rr->data, rr->len) == 0)
			return 1;
	return 0;
}

/* "3 1 1 5665190a37496777..., ..." of the records of a not in b. */
static size_t
list_missing(const struct dns_result *a, const struct dns_result *b,
    char *out, size_t outlen)
{
	char	 hex[17];
	size_t	 i, n = 0, off = 0;

	out[0] = '\0';
	for (i = 0; i < a->nrr; i++) {
		if (has_rr(b, &a->rr[i]))
			continue;
		if (n++ >= ALLNS_SHOW || off >= outlen)
			continue;
		if (a->rr[i].len < 4) {
			off += snprintf(out + off, outlen - off, "%sa "
			    "malformed record", off ? ", " : "");
			continue;
		}
		hexify(a->rr[i].data + 3, a->rr[i].len - 3, hex, sizeof(hex));
		off += snprintf(out + off, outlen - off, "%s%u %u %u %s%s",
		    off ? ", " : "", a->rr[i].data[0], a->rr[i].data[1],
		    a->rr[i].data[2], hex, a->rr[i].len - 3 > 8 ? "..." : "");
	}
	if (n > ALLNS_SHOW && off < outlen)
		snprintf(out + off, outlen - off, " and %zu more",
		    n - ALLNS_SHOW);
	return n;
}

static void
append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static void
append(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	if (buf[0] != '\0')
		cutcatf(buf, len, "; ");
	va_start(ap, fmt);
	vcutcatf(buf, len, fmt, ap);
	va_end(ap);
}

/*
 * The earliest expiration of the RRSIGs over a server's TLSA answer,
 * as dns.c read them (sigs.c), or 0.
 */
static time_t
sig_expiry(const struct ns_srv *s)
{
	return (time_t)s->tlsa.sigs.first.when;
}

/* 4. Each server that answered, against the RRset and the others. */
static void
compare(struct allns *a)
{
	const struct dns_result *ref = a->p->tlsa;
	struct ns_srv	*s, *latest = NULL;
	char		 extra[MAX_TEXT / 2], missing[MAX_TEXT / 2];
	char		 t1[32], t2[32], why[MAX_TEXT];
	uint32_t	 top = 0;
	size_t		 i, nx, nm;
	int		 have_top = 0;

	for (i = 0; i < a->nsrv; i++) {
		s = &a->srv[i];
		if (s->state == NS_FAILED)
			continue;
		if (!have_top || (int32_t)(s->serial - top) > 0)
			top = s->serial;
		have_top = 1;
		if (sig_expiry(s) != 0 && (latest == NULL ||
		    sig_expiry(s) > sig_expiry(latest)))
			latest = s;
	}
	for (i = 0; i < a->nsrv; i++) {
		s = &a->srv[i];
		if (s->state == NS_FAILED)
			continue;
		why[0] = '\0';
		nx = list_missing(&s->tlsa, ref, extra, sizeof(extra));
		nm = list_missing(ref, &s->tlsa, missing, sizeof(missing));
		if (s->tlsa.status != DNS_ANSWER)
			append(why, sizeof(why), "serves no TLSA RRset (%s; "
			    "missing %s)", dns_status_name(s->tlsa.status),
			    missing);
		else if (nx > 0 && nm > 0)
			append(why, sizeof(why), "serves a different TLSA "
			    "RRset: extra %s, missing %s", extra, missing);
		else if (nx > 0 || nm > 0)
			append(why, sizeof(why), "serves a different TLSA "
			    "RRset: %s %s", nx ? "extra" : "missing",
			    nx ? extra : missing);
		if ((int32_t)(s->serial - top) < 0)
			append(why, sizeof(why), "serves SOA serial %u, older "
			    "than %u", s->serial, top);
		if (sig_expiry(s) != 0 && latest != NULL &&
		    sig_expiry(latest) - sig_expiry(s) > ALLNS_SIG_SLACK) {
			format_time(sig_expiry(s), t1, sizeof(t1));
			format_time(sig_expiry(latest), t2, sizeof(t2));
			append(why, sizeof(why), "its TLSA RRSIGs expire %s, "
			    "before those of %s [%s] (%s)", t1, latest->name,
			    latest->addr, t2);
		}
		if (why[0] != '\0') {
			s->state = NS_DIFFERS;
			strlcpy(s->why, why, sizeof(s->why));
			continue;
		}
		s->state = NS_SAME;
		if (sig_expiry(s) != 0) {
			format_time(sig_expiry(s), t1, sizeof(t1));
			snprintf(s->why, sizeof(s->why), "the same TLSA "
			    "RRset, RRSIGs until %s; SOA serial %u", t1,
			    s->serial);
		} else
			snprintf(s->why, sizeof(s->why), "the same TLSA "
			    "RRset; SOA serial %u", s->serial);
	}
}

/* Read by on_ns() in report.c. */
static void
send_servers(const struct allns *a)
{
	const struct ns_srv	*s;
	time_t			 t;
	size_t			 i;

	for (i = 0; i < a->nsrv; i++) {
		s = &a->srv[i];
		t = s->state != NS_FAILED ? sig_expiry(s) : 0;
		msg_begin(a->p->mb, MSG_NS);
		msg_put_cstr(a->p->mb, a->zone);
		msg_put_cstr(a->p->mb, s->name);
		msg_put_cstr(a->p->mb, s->addr);
		msg_put_u32(a->p->mb, s->state);
		msg_put_u32(a->p->mb, s->has_serial);
		msg_put_u32(a->p->mb, s->serial);
		msg_put_time(a->p->mb, t);
		msg_put_cstr(a->p->mb, s->why);
		msg_send(a->p->out, a->p->mb);
	}
}

static void
free_servers(struct allns *a)
{
	size_t	 i;

	for (i = 0; i < a->nsrv; i++) {
		dns_result_free(&a->srv[i].tlsa);
		dns_result_free(&a->srv[i].soa);
	}
}

int
allns_compare(const struct allns_params *p, char *fail, size_t faillen)
{
	struct allns		*a;
	struct dns_result	 ns;
	const struct ns_srv	*first = NULL;
	size_t			 i, nfail = 0;

	fail[0] = '\0';
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(fail, faillen, "out of memory (-all-ns)");
		goto done;
	}
	a->p = p;
	if (find_zone(a, &ns, fail, faillen) == -1) {
		free(a);
		goto done;
	}
	find_servers(a, &ns);
	dns_result_free(&ns);
	msg_send_text(p->out, p->mb, MSG_DETAIL, "authoritative servers of "
	    "%s: %zu asked (-all-ns)", a->zone, a->nsrv);
	if (a->cut > 0)
		msg_send_text(p->out, p->mb, MSG_DETAIL, "only the first %d "
		    "servers of %s are compared; %zu more NS name%s or "
		    "address%s not asked", ALLNS_MAX, a->zone, a->cut,
		    a->cut == 1 ? "" : "s", a->cut == 1 ? "" : "es");
	if (a->nsrv == 0)
		snprintf(fail, faillen, "the NS RRset of %s names no usable "
		    "server (-all-ns)", a->zone);
	ask_servers(a);
	for (i = 0; i < a->nsrv; i++)
		judge_server(&a->srv[i]);
	compare(a);
	send_servers(a);
	for (i = 0; i < a->nsrv; i++)
		if (a->srv[i].state == NS_FAILED && nfail++ == 0)
			first = &a->srv[i];
	if (first != NULL)
		allns_failure(a->zone, first->name, first->addr, first->why,
		    nfail - 1, fail, faillen);
	free_servers(a);
	free(a);
 done:
	/* on_ns_verdict() */
	msg_begin(p->mb, MSG_NS_VERDICT);
	msg_put_cstr(p->mb, fail);
	msg_send(p->out, p->mb);
	return fail[0] != '\0' ? -1 : 0;
}
