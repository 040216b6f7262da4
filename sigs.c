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
 * DNSSEC signature expiry (-dnssec-warning).  A verdict rests on the
 * RRSIGs of the RRsets that led to it (TLSA, addresses, MX or SRV,
 * CNAMEs) and on those of the DNSKEY and DS RRsets of every zone from
 * their signers up to the trust anchor.  libunbound has validated them
 * all; its answer packets carry the RRSIGs, and this file reads their
 * times from there: no second validator.
 *
 * The parent walks each zone's chain once (DNSKEY of the zone, DS at
 * its parent, then the DS's signer, up to the top) over its event
 * context, where every such answer is already in the cache that the
 * validation filled.  A check child walks only the zones of a TLSA
 * RRset that the parent's walks do not cover (a TLSA record reached
 * through a CNAME into another zone, a delegated _tcp zone): each
 * synchronous lookup costs a child about half a millisecond of CPU.
 *
 * Where a zone signs an RRset more than once (a KSK and a ZSK over
 * the DNSKEY RRset, an algorithm rollover), the earliest expiration
 * of them all counts: the warning may come before the last signature
 * ends, never after.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "smtpdane.h"

#define CLASS_IN	1
#define RRSIG_FIXED	18	/* type .. key tag, before the signer */
#define MAX_WALK	32	/* zones above one zone, at most */

/* RFC 4034 section 3.1.5: the time nearest to now with these 32 bits. */
static int64_t
sig_time(uint32_t v, time_t now)
{
	return (int64_t)now + (int32_t)(v - (uint32_t)now);
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
add_zone(struct dns_sigs *s, const char *zone)
{
	size_t	 i;

	for (i = 0; i < s->nzones; i++)
		if (strcmp(s->zones[i], zone) == 0)
			return;
	if (s->nzones < SIG_MAX_ZONES)
		strlcpy(s->zones[s->nzones++], zone, sizeof(s->zones[0]));
	else
		s->zones_cut = 1;
}

/* The RRset that stops validating first is the one to report. */
static void
keep_first(struct dns_sigs *s, const struct dns_sig *sig)
{
	if (sig->when != 0 && (s->first.when == 0 ||
	    sig->when < s->first.when))
		s->first = *sig;
}

/* The first RRset found without a signature in its window is kept. */
static void
keep_bad(struct dns_sigs *s, const struct dns_sig *sig, int future)
{
	if (sig->when != 0 && s->bad.when == 0) {
		s->bad = *sig;
		s->bad_future = future;
	}
}

/* One RRSIG's rdata at pkt[off], rdlen bytes, owned by owner. */
static int
read_rrsig(const uint8_t *pkt, size_t off, size_t rdlen, const char *owner,
    time_t now, struct dns_sig *sig)
{
	uint8_t		 signer[256];
	size_t		 at = off + RRSIG_FIXED, slen;

	if (rdlen < RRSIG_FIXED + 1 || dns_pkt_name(pkt, off + rdlen, &at,
	    signer, &slen) == -1)
		return -1;
	memset(sig, 0, sizeof(*sig));
	/* A signer no zone could have (the parent refuses it). */
	if (dns_wire_name(signer, slen, 0, sig->zone, sizeof(sig->zone)) == -1)
		return -1;
	sig->type = get16(pkt + off);
	sig->keytag = get16(pkt + off + 16);
	strlcpy(sig->owner, owner, sizeof(sig->owner));
	sig->when = sig_time(get32(pkt + off + 8), now);
	sig->inception = sig_time(get32(pkt + off + 12), now);
	return 0;
}

/*
 * What the RRSIGs over one RRset (sigs[0..n), same owner and type)
 * come to.  One signature in its window is enough to validate it (RFC
 * 4035 section 5.3.3): a leftover one of a retired key may expire.  So
 * the RRset holds until its latest signature in the window expires;
 * but for a DNSKEY RRset until its earliest, since only signatures by
 * a key the parent's DS names count there and which those are is not
 * known here.  An RRset with none in its window is bad: expired, or
 * not yet valid (by more than INCEPTION_SKEW of this host's clock).
 */
#define INCEPTION_SKEW	300

static void
judge_rrset(struct dns_sigs *s, const struct dns_sig *sigs, size_t n,
    time_t now)
{
	const struct dns_sig	*best = NULL, *late = NULL;
	size_t			 i;
	int			 dnskey = sigs[0].type == RR_TYPE_DNSKEY;

	for (i = 0; i < n; i++) {
		if (late == NULL || sigs[i].when > late->when)
			late = &sigs[i];
		if (sigs[i].when <= now ||
		    sigs[i].inception > now + INCEPTION_SKEW)
			continue;
		if (best == NULL || (dnskey ? sigs[i].when < best->when :
		    sigs[i].when > best->when))
			best = &sigs[i];
	}
	if (best != NULL)
		keep_first(s, best);
	else if (late->when <= now)
		keep_bad(s, late, 0);
	else {
		/* Not valid yet: say from when. */
		for (i = 0, late = &sigs[0]; i < n; i++)
			if (sigs[i].inception < late->inception)
				late = &sigs[i];
		keep_bad(s, late, 1);
	}
}

/*
 * An RRSIG of the authority section counts when it covers a proof of
 * denial (NSEC, NSEC3) or the SOA beside it: a NODATA or NXDOMAIN
 * answer, or a wildcard's expansion, rests on those.
 */
static int
denial_type(uint32_t type)
{
	return type == RR_TYPE_SOA || type == RR_TYPE_NSEC ||
	    type == RR_TYPE_NSEC3;
}

#define SCAN_MAX	64	/* RRSIGs of one answer looked at */

/* The RRSIGs of one answer, grouped by RRset (owner and type). */
static void
judge_rrsets(struct dns_sigs *s, struct dns_sig *sigs, size_t n, time_t now)
{
	struct dns_sig	 tmp;
	size_t		 i, j, k;

	for (i = 0; i < n; i = j) {
		for (j = i + 1, k = i + 1; k < n; k++)
			if (sigs[k].type == sigs[i].type &&
			    strcmp(sigs[k].owner, sigs[i].owner) == 0) {
				tmp = sigs[j];
				sigs[j++] = sigs[k];
				sigs[k] = tmp;
			}
		judge_rrset(s, sigs + i, j - i, now);
	}
	for (i = 0; i < n; i++)
		add_zone(s, sigs[i].zone);
}

/*
 * The RRSIGs of a packet's answer section (the RRsets of the answer
 * and of the CNAMEs that led to it) and the denials of its authority
 * section.  A packet that does not parse leaves what it held so far
 * (its answer was read by dns.c already).
 */
void
sigs_scan(const uint8_t *pkt, size_t len, time_t now, struct dns_sigs *s)
{
	/* Each process is one thread: no allocation of 34 KB an answer.
	 * read_rrsig() fills each entry whole. */
	static struct dns_sig sigs[SCAN_MAX];
	uint8_t		 name[256];
	char		 owner[MAX_HOSTNAME];
	size_t		 off = 12, nlen, qd, an, ns, i, rdlen, n = 0;

	memset(s, 0, sizeof(*s));
	if (pkt == NULL || len < 12)
		return;
	qd = get16(pkt + 4);
	an = get16(pkt + 6);
	ns = get16(pkt + 8);
	for (i = 0; i < qd; i++) {
		if (dns_pkt_name(pkt, len, &off, name, &nlen) == -1 ||
		    len - off < 4)
			return;
		off += 4;
	}
	for (i = 0; i < an + ns; i++) {
		if (dns_pkt_name(pkt, len, &off, name, &nlen) == -1 ||
		    len - off < 10)
			break;
		rdlen = get16(pkt + off + 8);
		if (rdlen > len - off - 10)
			break;
		if (get16(pkt + off) == RR_TYPE_RRSIG &&
		    get16(pkt + off + 2) == CLASS_IN && rdlen >= 2 &&
		    (i < an || denial_type(get16(pkt + off + 10))) &&
		    dns_wire_name(name, nlen, 0, owner, sizeof(owner)) == 0) {
			if (n == SCAN_MAX)
				s->zones_cut = 1;
			else if (read_rrsig(pkt, off + 10, rdlen, owner, now,
			    &sigs[n]) == 0)
				n++;
		}
		off += 10 + rdlen;
	}
	judge_rrsets(s, sigs, n, now);
}

/* Both sets into one: the RRset that fails first, the first bad one. */
void
sigs_merge(struct dns_sigs *into, const struct dns_sigs *from)
{
	size_t	 i;

	keep_first(into, &from->first);
	keep_bad(into, &from->bad, from->bad_future);
	for (i = 0; i < from->nzones; i++)
		add_zone(into, from->zones[i]);
	into->zones_cut |= from->zones_cut;
}

/* "TLSA _25._tcp.mx.example (zone example, key 12345)" */
void
sig_describe(const struct dns_sig *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s (zone %s, key %u)", dns_type_name(s->type),
	    s->owner, s->zone, s->keytag);
}

/* The RRset of s with no RRSIG in its validity window, or NULL. */
static const struct dns_sig *
out_of_window(const struct dns_sigs *s, const char **what)
{
	if (s->bad.when == 0)
		return NULL;
	*what = s->bad_future ? "is not valid before" : "expired";
	return &s->bad;
}

/* "the RRSIG over TLSA ... (zone z, key k) expired 2026-12-01 ..." */
static void
describe_window(const struct dns_sig *sig, const char *what, char *buf,
    size_t len)
{
	char	 desc[2 * MAX_HOSTNAME + 64], when[64];	/* sig_describe() */

	sig_describe(sig, desc, sizeof(desc));
	format_time((time_t)(strcmp(what, "expired") == 0 ? sig->when :
	    sig->inception), when, sizeof(when));
	snprintf(buf, len, "the RRSIG over %s %s %s", desc, what, when);
}

/*
 * A bogus answer whose own RRSIGs are out of their window: say which
 * and when, after libunbound's reason.
 */
void
sigs_explain(const struct dns_sigs *s, char *why, size_t len)
{
	const struct dns_sig	*sig;
	const char		*what;
	char			 add[MAX_TEXT + 128];

	if ((sig = out_of_window(s, &what)) == NULL)
		return;
	strlcpy(add, "; ", sizeof(add));
	describe_window(sig, what, add + 2, sizeof(add) - 2);
	strlcat(why, add, len);
	mark_cut(why, len);
}

/* A fact, the compact form kept for a run, as a dns_sig. */
void
sig_from_fact(struct dns_sig *d, const struct sig_fact *f)
{
	memset(d, 0, sizeof(*d));
	d->when = f->when;
	d->inception = f->inception;
	d->type = f->type;
	d->keytag = f->keytag;
	if (f->owner != NULL)
		strlcpy(d->owner, f->owner, sizeof(d->owner));
	if (f->zone != NULL)
		strlcpy(d->zone, f->zone, sizeof(d->zone));
}

/* The RRset that fails first, and a bad one, into s. */
void
sigs_add_facts(struct dns_sigs *s, const struct sig_fact *first,
    const struct sig_fact *bad, int bad_future)
{
	struct dns_sig	 sig;

	sig_from_fact(&sig, first);
	keep_first(s, &sig);
	sig_from_fact(&sig, bad);
	keep_bad(s, &sig, bad_future);
}

/* Keep sig in f if it fails earlier (first), or if f is empty (bad). */
static void
keep_fact(struct sig_fact *f, const struct dns_sig *sig, int first)
{
	char	*owner, *zone;

	if (sig->when == 0 || (f->when != 0 && (!first ||
	    sig->when >= f->when)))
		return;
	if ((owner = strdup(sig->owner)) == NULL ||
	    (zone = strdup(sig->zone)) == NULL) {
		free(owner);
		return;		/* out of memory: the older fact stays */
	}
	free(f->owner);
	free(f->zone);
	f->when = sig->when;
	f->inception = sig->inception;
	f->type = sig->type;
	f->keytag = sig->keytag;
	f->owner = owner;
	f->zone = zone;
}

/*
 * The parent's walks, one per zone.  A zone's own part is the RRSIGs
 * of its DNSKEY RRset and of its DS RRset; the DS's signer is the zone
 * above.  The walk ends at the root, at a zone whose DS RRset is not
 * secure (the trust anchor is there, -trust-anchor), or where a lookup
 * failed (why says so).
 */
struct walk {
	char			*zone;
	int			 pending;	/* lookups in flight */
	struct sig_fact		 first, bad;	/* of its own RRsets */
	int			 bad_future;
	char			*above;		/* NULL at the top */
	char			*why;		/* NULL, or what failed */
};

static struct walk	**walks;
static size_t		  nwalks, walks_cap;	/* open addressing */

static size_t
zone_hash(const char *s)
{
	size_t	 h = 5381;

	for (; *s != '\0'; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static struct walk **
walk_slot(const char *zone)
{
	size_t	 i = zone_hash(zone) & (walks_cap - 1);

	while (walks[i] != NULL && strcmp(walks[i]->zone, zone) != 0)
		i = (i + 1) & (walks_cap - 1);
	return &walks[i];
}

static int
walks_grow(void)
{
	struct walk	**old = walks, **new;
	size_t		  i, cap = walks_cap;

	if ((new = calloc(cap ? cap * 2 : 64, sizeof(*new))) == NULL)
		return -1;
	walks = new;
	walks_cap = cap ? cap * 2 : 64;
	for (i = 0; i < cap; i++)
		if (old[i] != NULL)
			*walk_slot(old[i]->zone) = old[i];
	free(old);
	return 0;
}

static struct walk *
find_walk(const char *zone)
{
	if (walks_cap == 0)
		return NULL;
	return *walk_slot(zone);
}

/* Is "above" a proper ancestor of zone, by its labels? */
static int
is_above(const char *above, const char *zone)
{
	size_t	 a = strlen(above), z = strlen(zone);

	if (strcmp(above, ".") == 0)
		return strcmp(zone, ".") != 0;
	return z > a + 1 && zone[z - a - 1] == '.' &&
	    strcasecmp(zone + z - a, above) == 0;
}

/*
 * The zones of the trust anchors: a walk ends there, without asking
 * for a DS RRset that nothing above signs (in a closed network, where
 * only an internal zone is forwarded, it would fail).
 */
#define MAX_ANCHOR_ZONES	16

static char	 anchor_zones[MAX_ANCHOR_ZONES][MAX_HOSTNAME];
static size_t	 nanchor_zones;

void
sigs_anchors(const struct dns_config *cfg)
{
	char	 z[MAX_HOSTNAME];
	size_t	 i, k, n;

	for (i = 0; i < cfg->nanchors && nanchor_zones < MAX_ANCHOR_ZONES;
	    i++) {
		n = strcspn(cfg->anchors[i], " \t");
		if (n == 0 || n >= sizeof(z))
			continue;
		for (k = 0; k < n; k++)
			z[k] = (char)tolower_a((unsigned char)cfg->anchors[i][k]);
		if (n > 1 && z[n - 1] == '.')
			n--;
		z[n] = '\0';
		for (k = 0; k < nanchor_zones; k++)
			if (strcmp(anchor_zones[k], z) == 0)
				break;
		if (k == nanchor_zones)
			strlcpy(anchor_zones[nanchor_zones++], z,
			    sizeof(anchor_zones[0]));
	}
}

/* The zone of the i-th trust anchor, or NULL past the last. */
const char *
sigs_anchor_zone(size_t i)
{
	return i < nanchor_zones ? anchor_zones[i] : NULL;
}

/* The top of a walk: the root, or a trust anchor's zone. */
static int
walk_top(const char *zone)
{
	size_t	 i;

	if (strcmp(zone, ".") == 0)
		return 1;
	for (i = 0; i < nanchor_zones; i++)
		if (strcmp(anchor_zones[i], zone) == 0)
			return 1;
	return 0;
}

static size_t	 walks_pending;	/* lookups in flight, of every walk */

/* The parent's event loop runs while a walk waits for an answer. */
size_t
sigs_pending(void)
{
	return walks_pending;
}

static void	 walk_dnskey(void *, struct dns_result *);
static void	 walk_ds(void *, struct dns_result *);
static void	 walk_fail(struct walk *, int, const struct dns_result *);

static struct ub_ctx	*walk_ctx;

static void
walk_lookup(struct walk *w, int type, dns_callback cb)
{
	struct dns_result	 res;

	if (dns_lookup_async(walk_ctx, w->zone, type, cb, w, &res) == NULL) {
		walk_fail(w, type, &res);
		return;
	}
	w->pending++;
	walks_pending++;
}

/* Start the walk of zone, unless it runs or ran already. */
void
sigs_walk(struct ub_ctx *ctx, const char *zone)
{
	struct walk	*w;

	if (find_walk(zone) != NULL)
		return;
	if (((nwalks + 1) * 2 > walks_cap && walks_grow() == -1) ||
	    (w = calloc(1, sizeof(*w))) == NULL)
		return;		/* sigs_chain() says "out of memory" */
	if ((w->zone = strdup(zone)) == NULL) {
		free(w);
		return;
	}
	*walk_slot(zone) = w;
	nwalks++;
	walk_ctx = ctx;
	walk_lookup(w, RR_TYPE_DNSKEY, walk_dnskey);
	if (!walk_top(zone))
		walk_lookup(w, RR_TYPE_DS, walk_ds);
}

static void
walk_fail(struct walk *w, int type, const struct dns_result *res)
{
	if (w->why == NULL && asprintf(&w->why, "the %s RRset of %s: %s",
	    dns_type_name(type), w->zone, res->why[0] ? res->why :
	    dns_status_name(res->status)) == -1)
		w->why = NULL;
}

/* Both lookups back: go on with the zone above, if there is one. */
static void
walk_answer(struct walk *w, int type, struct dns_result *res)
{
	w->pending--;
	walks_pending--;
	if (res->status == DNS_FAILED)
		walk_fail(w, type, res);
	else if (res->sec == SEC_SECURE && res->status == DNS_ANSWER) {
		keep_fact(&w->first, &res->sigs.first, 1);
		if (w->bad.when == 0 && res->sigs.bad.when != 0) {
			keep_fact(&w->bad, &res->sigs.bad, 0);
			w->bad_future = res->sigs.bad_future;
		}
	}
	if (type == RR_TYPE_DS && res->sec == SEC_SECURE &&
	    res->status == DNS_ANSWER && res->sigs.nzones > 0 &&
	    is_above(res->sigs.zones[0], w->zone))
		w->above = strdup(res->sigs.zones[0]);	/* NULL: the top */
	dns_result_free(res);
	if (w->pending == 0 && w->above != NULL)
		sigs_walk(walk_ctx, w->above);
}

static void
walk_dnskey(void *arg, struct dns_result *res)
{
	walk_answer(arg, RR_TYPE_DNSKEY, res);
}

static void
walk_ds(void *arg, struct dns_result *res)
{
	walk_answer(arg, RR_TYPE_DS, res);
}

/*
 * The RRSIGs above zone, merged into s (NULL: none, only whether they
 * are known): 1 when the whole chain is known, 0 while some walk is
 * still in flight.  A failed lookup on the way is copied into why
 * (once; NULL: not).
 */
int
sigs_chain(const char *zone, struct dns_sigs *s, char *why, size_t whylen)
{
	const struct walk	*w;
	size_t			 n;

	for (n = 0; zone != NULL && n < MAX_WALK; n++) {
		if ((w = find_walk(zone)) == NULL) {
			if (why != NULL && why[0] == '\0')
				snprintf(why, whylen, "the chain above %s: "
				    "out of memory", zone);
			return 1;
		}
		if (w->pending > 0)
			return 0;
		if (s != NULL)
			sigs_add_facts(s, &w->first, &w->bad, w->bad_future);
		if (why != NULL && w->why != NULL && why[0] == '\0')
			strlcpy(why, w->why, whylen);
		zone = w->above;
	}
	return 1;
}

/* Is zone, or a zone above it, one of covered (walked by the parent)? */
static int
covered_by(const char *zone, const char *const *covered, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(zone, covered[i]) == 0 ||
		    is_above(zone, covered[i]))
			return 1;
	return 0;
}

/* One lookup of a child's walk; next gets the DS's signer. */
static void
walk_sync_one(struct ub_ctx *ctx, const char *zone, int type,
    struct dns_sigs *s, char *next, char *why, size_t whylen)
{
	struct dns_result	 res;

	dns_lookup(ctx, zone, type, &res);
	if (res.status == DNS_FAILED && why[0] == '\0')
		snprintf(why, whylen, "the %s RRset of %s: %s",
		    dns_type_name(type), zone, res.why);
	if (res.sec == SEC_SECURE && res.status == DNS_ANSWER) {
		sigs_merge(s, &res.sigs);
		if (type == RR_TYPE_DS && res.sigs.nzones > 0 &&
		    is_above(res.sigs.zones[0], zone))
			strlcpy(next, res.sigs.zones[0], MAX_HOSTNAME);
	}
	dns_result_free(&res);
}

/*
 * A check child: the chain above zone as far as the parent's walks
 * (covered: the signers of the address RRsets, whose chains the parent
 * walks) do not reach, merged into s.  Names above a zone that the
 * parent walked are on that zone's chain already.
 */
void
sigs_walk_sync(struct ub_ctx *ctx, const char *zone,
    const char *const *covered, size_t ncovered, struct dns_sigs *s,
    char *why, size_t whylen)
{
	char	 cur[MAX_HOSTNAME], next[MAX_HOSTNAME];
	size_t	 n;

	strlcpy(cur, zone, sizeof(cur));
	for (n = 0; n < MAX_WALK && !covered_by(cur, covered, ncovered);
	    n++) {
		next[0] = '\0';
		walk_sync_one(ctx, cur, RR_TYPE_DNSKEY, s, next, why, whylen);
		if (walk_top(cur))
			break;
		walk_sync_one(ctx, cur, RR_TYPE_DS, s, next, why, whylen);
		if (next[0] == '\0')
			break;
		strlcpy(cur, next, sizeof(cur));
	}
}

static void
put_sig(struct msgbuf *mb, const struct dns_sig *s)
{
	msg_put_time(mb, s->when > 0 ? s->when : 0);
	msg_put_time(mb, s->inception > 0 ? s->inception : 0);
	msg_put_u32(mb, s->type);
	msg_put_u32(mb, s->keytag);
	msg_put_cstr(mb, s->owner);
	msg_put_cstr(mb, s->zone);
}

/* The fields of MSG_SIGS after msg_begin(); read by on_sigs(). */
void
msg_put_sigs(struct msgbuf *mb, enum sig_scope scope, const char *host,
    const struct dns_sigs *s, const char *why)
{
	size_t	 i;

	msg_put_u32(mb, scope);
	msg_put_cstr(mb, host);
	put_sig(mb, &s->first);
	put_sig(mb, &s->bad);
	msg_put_u32(mb, s->bad_future);
	msg_put_u32(mb, s->nzones);
	for (i = 0; i < s->nzones; i++)
		msg_put_cstr(mb, s->zones[i]);
	msg_put_cstr(mb, why[0] == '\0' && s->zones_cut ? "the answer has "
	    "more RRSIGs or signing zones than are followed" : why);
}

/*
 * What the RRSIGs of one check come to at now: 0 nothing to say, 1 a
 * warning, -1 a failure: an RRset that libunbound accepted although
 * none of its signatures is in its validity window (unbound allows a
 * clock skew of a tenth of the signature's lifetime, from one hour up
 * to a day, past each end; validators without that allowance, or a
 * clock a little ahead, already find the RRset bogus).  The warning:
 * the first RRset fails within window (0 = no warning).  A signature
 * whose whole lifetime fits in the window would always warn (a zone
 * signed on the fly, with RRSIGs of a day or two): it warns once past
 * half its lifetime, when its signer should have replaced it.  text
 * says which RRSIG and when.
 */
int
sigs_judge(const struct dns_sigs *s, time_t now, time_t window, char *text,
    size_t len)
{
	const struct dns_sig	*sig;
	const char		*what;
	char			 desc[MAX_TEXT], when[64], span[64];
	int64_t			 left, life;

	if ((sig = out_of_window(s, &what)) != NULL) {
		describe_window(sig, what, desc, sizeof(desc));
		snprintf(text, len, "%s; libunbound still accepts it within "
		    "its clock-skew allowance, validators without one do not",
		    desc);
		return -1;
	}
	left = s->first.when - now;
	life = s->first.when - s->first.inception;
	if (window <= 0 || s->first.when == 0 || left >= (int64_t)window ||
	    (life > 0 && life <= (int64_t)window && left >= life / 2))
		return 0;
	sig_describe(&s->first, desc, sizeof(desc));
	format_time((time_t)s->first.when, when, sizeof(when));
	format_span((time_t)left, span, sizeof(span));
	snprintf(text, len, "DNSSEC signature expires in %s (%s): the RRSIG "
	    "over %s; unless zone %s is signed again by then, the RRset "
	    "turns bogus and senders defer mail", span, when, desc,
	    s->first.zone);
	return 1;
}
