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
 * Priming validation.  Every check child inherits the libunbound
 * context (ubctx) and whatever it has validated, so what many children
 * would otherwise each fetch and validate again is validated there
 * once: the trust anchors' DNSKEY RRsets and the zones above the
 * targets, in the parent before the forker is forked
 * (prime_validation()), and the zone above a discovered host in the
 * forker, when a second check of that zone is about to be forked
 * (prime_for_check(), from forker.c).
 *
 * The parent's discoveries run in the same context, so the priming
 * spares them too: each discovery that waits for a zone's keys
 * verifies them itself when they come, and at 300 hosts of one zone
 * started 48 at a time that was 903 signature checks in the parent
 * with a context of its own, 610 with this one.
 *
 * Not at the first: most zones of a survey's mail hosts hold one host,
 * and each lookup here holds up the forker, and so the parent waiting
 * for its answer, for its round trips to the resolver.  Measured in
 * the lab (strace of -mx mxmany.dane.test, 70 MX hosts in
 * bulk.dane.test): 70 DNSKEY and 70 DS queries from the check children
 * before, 1 and 1 after.  A lookup that fails, or takes longer than
 * PRIME_SLOW_MS, ends this for the run: the children then fetch for
 * themselves, as they always can.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

#define PRIME_MAX	32	/* zones primed before forking */
#define PRIME_SLOW_MS	1000

/* Zones seen by the checks forked so far: a check's, then primed. */
enum zone_state { ZONE_SEEN = 1, ZONE_PRIMED };

static struct {
	char		**name;
	uint8_t		*state;
	size_t		 nslots, n;
} zones;
static int	 priming_off;

static uint64_t
zone_hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)(*s | 0x20)) * 1099511628211ULL;
	return h;
}

/* The slot of zone, or of the free one where it would go. */
static size_t
zone_slot(const char *zone)
{
	size_t	 i = zone_hash(zone) & (zones.nslots - 1);

	while (zones.name[i] != NULL && strcasecmp(zones.name[i], zone) != 0)
		i = (i + 1) & (zones.nslots - 1);
	return i;
}

static void
zones_grow(void)
{
	char	**oname = zones.name;
	uint8_t	 *ostate = zones.state;
	size_t	  on = zones.nslots, i, k;

	zones.nslots = on ? on * 2 : 256;
	zones.name = xcalloc(zones.nslots, sizeof(*zones.name));
	zones.state = xcalloc(zones.nslots, sizeof(*zones.state));
	for (i = 0; i < on; i++) {
		if (oname[i] == NULL)
			continue;
		k = zone_slot(oname[i]);
		zones.name[k] = oname[i];
		zones.state[k] = ostate[i];
	}
	free(oname);
	free(ostate);
}

/* Where zone's state is kept (0: new). */
static uint8_t *
zone_state(const char *zone)
{
	size_t	 i;

	if (2 * (zones.n + 1) > zones.nslots)
		zones_grow();
	i = zone_slot(zone);
	if (zones.name[i] == NULL) {
		zones.name[i] = xstrdup(zone);
		zones.n++;
	}
	return &zones.state[i];
}

/* The zone a host is most likely in: its name less the first label. */
static const char *
zone_of(const char *host)
{
	const char	*dot = strchr(host, '.');

	return dot != NULL && dot[1] != '\0' ? dot + 1 : NULL;
}

/* The DNSKEY RRset of zone, in ubctx; how long it took, in ms. */
static int64_t
lookup_dnskey(const char *zone, struct dns_result *res)
{
	int64_t	 start = now_ms(), ms;

	memset(res, 0, sizeof(*res));
	dns_lookup(ubctx, zone, RR_TYPE_DNSKEY, res);
	ms = now_ms() - start;
	debug("prime: DNSKEY %s %s %s (%lld ms)", zone,
	    dns_status_name(res->status), dns_security_name(res->sec),
	    (long long)ms);
	return ms;
}

/* Zone primed; -1 when its lookup failed or was slow. */
static int
prime_zone(const char *zone)
{
	struct dns_result	 res;
	int			 ok;

	ok = lookup_dnskey(zone, &res) <= PRIME_SLOW_MS &&
	    res.status != DNS_FAILED;
	dns_result_free(&res);
	return ok ? 0 : -1;
}

void
prime_for_check(const struct check_spec *s)
{
	const char	*zone;
	uint8_t		*state;

	if (priming_off || s->nbases == 0 ||
	    (zone = zone_of(s->bases[0])) == NULL)
		return;
	state = zone_state(zone);
	if (*state != ZONE_SEEN) {
		if (*state == 0)
			*state = ZONE_SEEN;	/* its first check */
		return;
	}
	*state = ZONE_PRIMED;
	if (prime_zone(zone) == -1) {
		priming_off = 1;
		debug("prime: no more priming, the children look up their "
		    "zones' keys themselves");
	}
}

/*
 * Validate the root DNSKEY RRset, then the zones above each host, in
 * the parent: every child inherits the warm cache, so its TLSA lookup
 * costs one query instead of the seven a cold one took here.  The
 * trust anchors' own DNSKEY RRsets come first (the root's, unless
 * -trust-anchor names other zones): when none of them validates,
 * nothing can be, and that is said once.
 */
static int
prime_anchors(char *why, size_t whylen)
{
	struct dns_result	 res;
	const char		*zone;
	size_t			 i, n;
	int			 secure = 0;

	for (n = 0; sigs_anchor_zone(n) != NULL; n++)
		;
	for (i = 0; i < (n > 0 ? n : 1); i++) {
		zone = n > 0 ? sigs_anchor_zone(i) : ".";
		(void)lookup_dnskey(zone, &res);
		if (res.status == DNS_ANSWER && res.sec == SEC_SECURE)
			secure = 1;
		else if (i == 0)
			snprintf(why, whylen, "cannot validate DNSSEC: the "
			    "%s%s%s DNSKEY RRset is %s%s%.900s",
			    strcmp(zone, ".") == 0 ? "root" : "trust anchor ",
			    strcmp(zone, ".") == 0 ? "" : zone,
			    strcmp(zone, ".") == 0 ? "" : "'s",
			    res.sec == SEC_BOGUS ? "bogus" :
			    res.status == DNS_FAILED ? "unavailable" :
			    res.status != DNS_ANSWER ? "missing" : "insecure",
			    res.why[0] ? ": " : "", res.why);
		dns_result_free(&res);
	}
	return secure ? 0 : -1;
}

int
prime_validation(char *why, size_t whylen)
{
	const char	*zone;
	uint8_t		*state;
	size_t		 i, nzones = 0;

	if (prime_anchors(why, whylen) == -1)
		return -1;
	for (i = 0; i < ntargets && nzones < PRIME_MAX; i++) {
		if (targets[i].discovered ||
		    (zone = zone_of(targets[i].host)) == NULL ||
		    *(state = zone_state(zone)) == ZONE_PRIMED)
			continue;
		*state = ZONE_PRIMED;
		nzones++;
		(void)prime_zone(zone);
	}
	return 0;
}
