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
 * smtpdane: the DNS layer.  Resolvers are parsed from text the parent
 * has read, trust anchors by anchors.c; libunbound is set up from
 * those strings alone (no files, no threads, no forks) and queried
 * with synchronous ub_resolve() calls, which also work after fork.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <event2/event.h>
#include <unbound.h>
#include <unbound-event.h>

#include "smtpdane.h"

#define DNS_PORT	53

#define RCODE_NOERROR	0
#define RCODE_SERVFAIL	2
#define RCODE_NXDOMAIN	3
#define RCODE_REFUSED	5

#define CLASS_IN	1

/*
 * libunbound answers these names itself (RFC 6303, 6761, 7686, 8375,
 * 9462, 9665 and the AS112 reverse zones).  Each is made transparent
 * so that the configured resolvers answer them, as a test lab under
 * test. needs.  The list is that of unbound's services/localzone.c
 * and util/as112.c; zones a given version lacks are harmless here.
 */
static const char *const special_zones[] = {
	"localhost.",
	"127.in-addr.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "ip6.arpa.",
	"test.",
	"invalid.",
	"onion.",
	"home.arpa.",
	"resolver.arpa.",
	"service.arpa.",
	"10.in-addr.arpa.",
	"16.172.in-addr.arpa.", "17.172.in-addr.arpa.",
	"18.172.in-addr.arpa.", "19.172.in-addr.arpa.",
	"20.172.in-addr.arpa.", "21.172.in-addr.arpa.",
	"22.172.in-addr.arpa.", "23.172.in-addr.arpa.",
	"24.172.in-addr.arpa.", "25.172.in-addr.arpa.",
	"26.172.in-addr.arpa.", "27.172.in-addr.arpa.",
	"28.172.in-addr.arpa.", "29.172.in-addr.arpa.",
	"30.172.in-addr.arpa.", "31.172.in-addr.arpa.",
	"168.192.in-addr.arpa.",
	"0.in-addr.arpa.",
	"64.100.in-addr.arpa.", "65.100.in-addr.arpa.",
	"66.100.in-addr.arpa.", "67.100.in-addr.arpa.",
	"68.100.in-addr.arpa.", "69.100.in-addr.arpa.",
	"70.100.in-addr.arpa.", "71.100.in-addr.arpa.",
	"72.100.in-addr.arpa.", "73.100.in-addr.arpa.",
	"74.100.in-addr.arpa.", "75.100.in-addr.arpa.",
	"76.100.in-addr.arpa.", "77.100.in-addr.arpa.",
	"78.100.in-addr.arpa.", "79.100.in-addr.arpa.",
	"80.100.in-addr.arpa.", "81.100.in-addr.arpa.",
	"82.100.in-addr.arpa.", "83.100.in-addr.arpa.",
	"84.100.in-addr.arpa.", "85.100.in-addr.arpa.",
	"86.100.in-addr.arpa.", "87.100.in-addr.arpa.",
	"88.100.in-addr.arpa.", "89.100.in-addr.arpa.",
	"90.100.in-addr.arpa.", "91.100.in-addr.arpa.",
	"92.100.in-addr.arpa.", "93.100.in-addr.arpa.",
	"94.100.in-addr.arpa.", "95.100.in-addr.arpa.",
	"96.100.in-addr.arpa.", "97.100.in-addr.arpa.",
	"98.100.in-addr.arpa.", "99.100.in-addr.arpa.",
	"100.100.in-addr.arpa.", "101.100.in-addr.arpa.",
	"102.100.in-addr.arpa.", "103.100.in-addr.arpa.",
	"104.100.in-addr.arpa.", "105.100.in-addr.arpa.",
	"106.100.in-addr.arpa.", "107.100.in-addr.arpa.",
	"108.100.in-addr.arpa.", "109.100.in-addr.arpa.",
	"110.100.in-addr.arpa.", "111.100.in-addr.arpa.",
	"112.100.in-addr.arpa.", "113.100.in-addr.arpa.",
	"114.100.in-addr.arpa.", "115.100.in-addr.arpa.",
	"116.100.in-addr.arpa.", "117.100.in-addr.arpa.",
	"118.100.in-addr.arpa.", "119.100.in-addr.arpa.",
	"120.100.in-addr.arpa.", "121.100.in-addr.arpa.",
	"122.100.in-addr.arpa.", "123.100.in-addr.arpa.",
	"124.100.in-addr.arpa.", "125.100.in-addr.arpa.",
	"126.100.in-addr.arpa.", "127.100.in-addr.arpa.",
	"254.169.in-addr.arpa.",
	"2.0.192.in-addr.arpa.",
	"100.51.198.in-addr.arpa.",
	"113.0.203.in-addr.arpa.",
	"255.255.255.255.in-addr.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "ip6.arpa.",
	"d.f.ip6.arpa.",
	"8.e.f.ip6.arpa.",
	"9.e.f.ip6.arpa.",
	"a.e.f.ip6.arpa.",
	"b.e.f.ip6.arpa.",
	"8.b.d.0.1.0.0.2.ip6.arpa.",
};

/*
 * Options set in code; there is no configuration file.
 *
 * A forwarder that never answers is retried with a timeout that
 * doubles up to infra-cache-max-rtt.  Measured with libunbound 1.17
 * against a silent loopback port: 17.3 s for the first lookup and
 * 12.1 s for the second at the default cap (120 s); 5.3 s with a cap
 * of 3 s, after which the resolver counts as down and lookups fail at
 * once.  Caps of 1 to 1.5 s fail a dead resolver in 2.3 s, but they
 * also mark a live resolver that needs 0.6 s per answer as down; 3 s
 * still serves one that needs 1.2 s.  So the cap is 3 s, or less when
 * the caller's timeout is short: a quarter of it, so that a dead
 * resolver is found out well within one check's time.
 *
 * Every synchronous ub_resolve() builds a worker whose outgoing port
 * table holds each port it may use: with libunbound's default of
 * 1024-65535 that cost 570 us of CPU per lookup here (a check child
 * makes one), with the IANA dynamic range 49152-65535 (RFC 6335, the
 * ephemeral range of the BSDs) 255 us.  Its 14 bits of source port
 * randomness stand beside the query ID; an answer a spoofer slips in
 * fails validation where DNSSEC is in effect, and where it is not
 * (insecure zones) DANE does not apply.
 */
static const struct {
	const char	*name;
	const char	*value;
} options[] = {
	{ "use-syslog:", "no" },
	{ "do-not-query-localhost:", "no" },	/* resolvers on 127/8 */
	{ "val-log-level:", "2" },	/* why_bogus needs the detail */
	{ "log-servfail:", "yes" },	/* says why a lookup failed */
	{ "val-log-squelch:", "no" },	/* libunbound's default is yes */
	{ "trust-anchor-signaling:", "no" },	/* no RFC 8145 queries */
	{ "target-fetch-policy:", "0 0 0 0 0" },
	{ "outgoing-port-avoid:", "0-65535" },	/* then, of these, */
	{ "outgoing-port-permit:", "49152-65535" },	/* only these */
};

#define MAX_RTT_MS	3000

/* libunbound logs to one global place; dns_lookup() borrows it. */
static int	dns_debug;

/* Copy a word of printable ASCII into a string; -1 if it is not. */
static int
word_copy(const char *s, size_t len, char *out, size_t outsz)
{
	size_t	i;

	if (len == 0 || len >= outsz)
		return -1;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return -1;
		out[i] = s[i];
	}
	out[len] = '\0';
	return 0;
}

static int
add_resolver(struct dns_config *cfg, const char *addr, uint16_t port)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *s;
	uint16_t	*p;

	snprintf(buf, sizeof(buf), "%s@%u", addr, (unsigned int)port);
	if ((p = reallocarray(cfg->resolver_ports, cfg->nresolvers + 1,
	    sizeof(*p))) == NULL)
		return -1;
	cfg->resolver_ports = p;
	if ((s = strdup(buf)) == NULL)
		return -1;
	p[cfg->nresolvers] = port;
	if (add_string(&cfg->resolvers, &cfg->nresolvers, s) == -1) {
		free(s);
		return -1;
	}
	return 0;
}

static void
drop_resolvers(struct dns_config *cfg, size_t keep)
{
	while (cfg->nresolvers > keep)
		free(cfg->resolvers[--cfg->nresolvers]);
}

/* A numeric address in canonical form; 4 and 6 are the families. */
static int
addr_norm(const char *s, int family, char *out, size_t outsz)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	if ((family == 0 || family == 4) && inet_pton(AF_INET, s, &a4) == 1)
		return inet_ntop(AF_INET, &a4, out, outsz) ? 0 : -1;
	if ((family == 0 || family == 6) && inet_pton(AF_INET6, s, &a6) == 1)
		return inet_ntop(AF_INET6, &a6, out, outsz) ? 0 : -1;
	return -1;
}

/* One DNS_RESOLVER item: ip, ip:port, [v6]:port, [v6] or bare v6. */
static int
parse_resolver(const char *item, char *addr, size_t addrsz, uint16_t *port,
    char *why, size_t whylen)
{
	char		 buf[128], *host, *p, *portstr = NULL;
	unsigned long	 n;
	int		 family = 4;

	if (strlcpy(buf, item, sizeof(buf)) >= sizeof(buf)) {
		seterr(why, whylen, "too long");
		return -1;
	}
	host = buf;
	if (buf[0] == '[') {
		host = buf + 1;
		if ((p = strchr(host, ']')) == NULL) {
			seterr(why, whylen, "'[' without ']'");
			return -1;
		}
		*p++ = '\0';
		if (*p == ':')
			portstr = p + 1;
		else if (*p != '\0') {
			seterr(why, whylen, "unexpected text after ']'");
			return -1;
		}
		family = 6;
	} else if ((p = strchr(buf, ':')) != NULL) {
		if (strchr(p + 1, ':') != NULL)
			family = 6;	/* bare IPv6, no port */
		else {
			*p = '\0';
			portstr = p + 1;
		}
	}
	if (strchr(host, '%') != NULL) {
		seterr(why, whylen, "scope ids are not supported");
		return -1;
	}
	if (addr_norm(host, family, addr, addrsz) == -1) {
		seterr(why, whylen, "not a numeric IPv%d address "
		    "(host names are not allowed)", family);
		return -1;
	}
	*port = DNS_PORT;
	if (portstr != NULL) {
		if (parse_num(portstr, strlen(portstr), 65535, &n) == -1 ||
		    n == 0) {
			seterr(why, whylen, "bad port '%s'", portstr);
			return -1;
		}
		*port = (uint16_t)n;
	}
	return 0;
}

int
dns_parse_resolvers(const char *list, struct dns_config *cfg, char *err,
    size_t errlen)
{
	char		 item[256], addr[INET6_ADDRSTRLEN], why[128];
	const char	*p, *end, *s, *e;
	size_t		 keep = cfg->nresolvers;
	uint16_t	 port;

	if (list == NULL || list[0] == '\0') {
		seterr(err, errlen, "resolver list is empty");
		return -1;
	}
	for (p = list;; p = end + 1) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		for (s = p; s < end && (*s == ' ' || *s == '\t'); s++)
			;
		for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if (s == e) {
			seterr(err, errlen, "empty item in resolver list");
			goto fail;
		}
		if ((size_t)(e - s) >= sizeof(item)) {
			seterr(err, errlen, "resolver \"%.40s...\": too long",
			    s);
			goto fail;
		}
		if (word_copy(s, (size_t)(e - s), item, sizeof(item)) == -1) {
			seterr(err, errlen, "resolver list has a blank or "
			    "unprintable byte inside an item");
			goto fail;
		}
		if (parse_resolver(item, addr, sizeof(addr), &port, why,
		    sizeof(why)) == -1) {
			seterr(err, errlen, "resolver \"%s\": %s", item, why);
			goto fail;
		}
		if (add_resolver(cfg, addr, port) == -1) {
			seterr(err, errlen, "out of memory");
			goto fail;
		}
		if (*end == '\0')
			break;
	}
	return 0;
 fail:
	drop_resolvers(cfg, keep);
	return -1;
}

/*
 * The nameserver lines of resolv.conf(5).  Like the C library, skip
 * lines it could not use; say which if that leaves nothing.
 */
int
dns_parse_resolv_conf(const char *text, size_t len, struct dns_config *cfg,
    char *err, size_t errlen)
{
	char		 word[128], addr[INET6_ADDRSTRLEN], *pct;
	const char	*p = text, *end = text == NULL ? text : text + len;
	const char	*eol, *w, *we;
	size_t		 keep = cfg->nresolvers, lineno = 0, badline = 0;

	for (; p < end; p = eol < end ? eol + 1 : end) {
		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) < 11 ||
		    memcmp(p, "nameserver", 10) != 0 ||
		    (p[10] != ' ' && p[10] != '\t'))
			continue;
		for (w = p + 10; w < eol && (*w == ' ' || *w == '\t'); w++)
			;
		for (we = w; we < eol && *we != ' ' && *we != '\t' &&
		    *we != '\r' && *we != '#' && *we != ';'; we++)
			;
		if (word_copy(w, (size_t)(we - w), word, sizeof(word)) == -1) {
			if (badline == 0)
				badline = lineno;
			continue;
		}
		if ((pct = strchr(word, '%')) != NULL)
			*pct = '\0';	/* a scope id: unbound has no use */
		if (addr_norm(word, 0, addr, sizeof(addr)) == -1) {
			if (badline == 0)
				badline = lineno;
			continue;
		}
		if (add_resolver(cfg, addr, DNS_PORT) == -1) {
			seterr(err, errlen, "out of memory");
			drop_resolvers(cfg, keep);
			return -1;
		}
	}
	if (cfg->nresolvers > keep)
		return 0;
	if (badline != 0)
		seterr(err, errlen, "no usable nameserver line (line %zu is "
		    "not a numeric address)", badline);
	else
		seterr(err, errlen, "no nameserver line");
	return -1;
}

void
dns_config_free(struct dns_config *cfg)
{
	size_t	i;

	for (i = 0; i < cfg->nanchors; i++)
		free(cfg->anchors[i]);
	free(cfg->anchors);
	cfg->anchors = NULL;
	cfg->nanchors = 0;
	for (i = 0; i < cfg->nresolvers; i++)
		free(cfg->resolvers[i]);
	free(cfg->resolvers);
	cfg->resolvers = NULL;
	free(cfg->resolver_ports);
	cfg->resolver_ports = NULL;
	cfg->nresolvers = 0;
}

/*
 * libunbound logs through one global FILE.  While it works for us
 * that is a memory stream: it tells why a lookup failed (log-servfail)
 * and why set-up failed, and it keeps stray text off stderr, which a
 * sandboxed child must not touch.  With -debug the text is passed on.
 */
static FILE *
capture_start(struct ub_ctx *ctx, char **buf, size_t *len)
{
	FILE	*f;

	*buf = NULL;
	*len = 0;
	if ((f = open_memstream(buf, len)) == NULL)
		return NULL;
	ub_ctx_debugout(ctx, f);
	return f;
}

static void
capture_end(struct ub_ctx *ctx, FILE *f, char **buf, size_t *len)
{
	ub_ctx_debugout(ctx, dns_debug ? stderr : NULL);
	if (f == NULL)
		return;
	if (fclose(f) != 0) {
		free(*buf);
		*buf = NULL;
		*len = 0;
		return;
	}
	if (dns_debug && *buf != NULL)
		fwrite(*buf, 1, *len, stderr);
}

/*
 * The text from marker to the end of its line, in the first (or the
 * last) libunbound log line that holds it; "" if none does.
 */
static void
capture_find(const char *log, const char *marker, int last, char *out,
    size_t outsz)
{
	const char	*p, *q, *eol;

	out[0] = '\0';
	if (log == NULL)
		return;
	for (p = log; (q = strstr(p, marker)) != NULL; p = q + 1) {
		eol = strchr(q, '\n');
		snprintf(out, outsz, "%.*s", eol ? (int)(eol - q) :
		    (int)strlen(q), q);
		if (!last)
			break;
	}
}

static int
set_options(struct ub_ctx *ctx, const struct dns_config *cfg, char *err,
    size_t errlen)
{
	char		zone[128], value[32];
	long long	rtt;
	size_t		i;
	int		r;

	for (i = 0; i < nitems(options); i++) {
		if ((r = ub_ctx_set_option(ctx, options[i].name,
		    options[i].value)) != 0) {
			seterr(err, errlen, "libunbound option %s %s: %s",
			    options[i].name, options[i].value,
			    ub_strerror(r));
			return -1;
		}
	}
	rtt = MAX_RTT_MS;
	if (cfg->timeout > 0 && cfg->timeout * 1000 / 4 < rtt)
		rtt = cfg->timeout * 1000 / 4;
	snprintf(value, sizeof(value), "%lld", rtt < 500 ? 500 : rtt);
	if ((r = ub_ctx_set_option(ctx, "infra-cache-max-rtt:", value)) != 0) {
		seterr(err, errlen, "libunbound option infra-cache-max-rtt: "
		    "%s", ub_strerror(r));
		return -1;
	}
	if ((r = ub_ctx_debuglevel(ctx, cfg->debug < 0 ? 0 :
	    cfg->debug > 4 ? 4 : cfg->debug)) != 0) {
		seterr(err, errlen, "libunbound verbosity: %s",
		    ub_strerror(r));
		return -1;
	}
	for (i = 0; i < nitems(special_zones); i++) {
		snprintf(zone, sizeof(zone), "%s transparent",
		    special_zones[i]);
		if ((r = ub_ctx_set_option(ctx, "local-zone:", zone)) != 0) {
			seterr(err, errlen, "libunbound local-zone %s: %s",
			    zone, ub_strerror(r));
			return -1;
		}
	}
	return 0;
}

/* Options, anchors and forwarders: the same for every context. */
static int
configure(struct ub_ctx *ctx, const struct dns_config *cfg, char *err,
    size_t errlen)
{
	size_t	i;
	int	r;

	ub_ctx_debugout(ctx, NULL);
	if (set_options(ctx, cfg, err, errlen) == -1)
		return -1;
	for (i = 0; i < cfg->nanchors; i++) {
		if ((r = ub_ctx_add_ta(ctx, cfg->anchors[i])) != 0) {
			seterr(err, errlen, "trust anchor \"%.60s\": %s",
			    cfg->anchors[i], ub_strerror(r));
			return -1;
		}
	}
	for (i = 0; i < cfg->nresolvers; i++) {
		if ((r = ub_ctx_set_fwd(ctx, cfg->resolvers[i])) != 0) {
			seterr(err, errlen, "resolver %s: %s",
			    cfg->resolvers[i], ub_strerror(r));
			return -1;
		}
	}
	return 0;
}

/*
 * libunbound reads its settings at the first lookup.  Printing the
 * local zones does that too, without a query, so mistakes show now.
 * The listing goes to the capture and is dropped.
 */
static int
settle(struct ub_ctx *ctx, char *err, size_t errlen)
{
	FILE		*log;
	char		*logbuf, line[MAX_TEXT];
	size_t		 loglen;
	int		 r;

	log = capture_start(ctx, &logbuf, &loglen);
	r = ub_ctx_print_local_zones(ctx);
	ub_ctx_debugout(ctx, dns_debug ? stderr : NULL);
	if (log != NULL)
		fclose(log);
	if (r != 0) {
		capture_find(logbuf, "error: ", 0, line, sizeof(line));
		seterr(err, errlen, "libunbound set-up failed: %s%s%s",
		    ub_strerror(r), line[0] ? ": " : "",
		    line[0] ? line + strlen("error: ") : "");
		free(logbuf);
		return -1;
	}
	free(logbuf);
	return 0;
}

/* What a context needs before it can be made. */
static int
usable_config(const struct dns_config *cfg, char *err, size_t errlen)
{
	if (cfg->nanchors == 0) {
		seterr(err, errlen, "no trust anchors");
		return -1;
	}
	/* Without forwarders libunbound would recurse from the root. */
	if (cfg->nresolvers == 0) {
		seterr(err, errlen, "no resolvers");
		return -1;
	}
	return 0;
}

/* A context just made (or NULL), configured as every other. */
static struct ub_ctx *
configured(struct ub_ctx *ctx, const struct dns_config *cfg, char *err,
    size_t errlen)
{
	if (ctx == NULL) {
		seterr(err, errlen, "cannot create libunbound context");
		return NULL;
	}
	dns_debug = cfg->debug;
	if (configure(ctx, cfg, err, errlen) == -1) {
		ub_ctx_delete(ctx);
		return NULL;
	}
	return ctx;
}

/* The same, settled: for contexts that take no more settings. */
static struct ub_ctx *
settled(struct ub_ctx *ctx, const struct dns_config *cfg, char *err,
    size_t errlen)
{
	if ((ctx = configured(ctx, cfg, err, errlen)) != NULL &&
	    settle(ctx, err, errlen) == -1) {
		ub_ctx_delete(ctx);
		return NULL;
	}
	return ctx;
}

struct ub_ctx *
dns_context(const struct dns_config *cfg, char *err, size_t errlen)
{
	if (usable_config(cfg, err, errlen) == -1)
		return NULL;
	return settled(ub_ctx_create(), cfg, err, errlen);
}

/*
 * Why a lookup failed without an answer, from the SERVFAIL line that
 * log-servfail makes libunbound write.
 */
static void
failure_reason(const char *log, char *why, size_t whylen)
{
	char		 line[MAX_TEXT];
	const char	*detail;

	capture_find(log, "SERVFAIL <", 1, line, sizeof(line));
	if (line[0] == '\0') {
		strlcpy(why, "SERVFAIL", whylen);
		return;
	}
	if ((detail = strstr(line, ">: ")) != NULL)
		detail += 3;
	else
		detail = line;
	if (strstr(detail, "upstream server timeout") != NULL)
		strlcpy(why, DNS_NO_ANSWER, whylen);
	else if (strstr(detail, "no server to query") != NULL)
		strlcpy(why, DNS_NO_ANSWER " (not asked again after "
		    "earlier timeouts)", whylen);
	else if (strstr(detail, "got REFUSED") != NULL)
		strlcpy(why, "REFUSED", whylen);
	else if (strstr(detail, "got SERVFAIL") != NULL)
		strlcpy(why, "SERVFAIL", whylen);
	else
		snprintf(why, whylen, "SERVFAIL: %s", detail);
}

static void
lookup_failed(struct dns_result *res, int rcode, const char *why)
{
	res->status = DNS_FAILED;
	res->rcode = rcode;
	strlcpy(res->why, why, sizeof(res->why));
}

/*
 * The name the answer is for, if libunbound followed a CNAME or DNAME
 * to it: lower case, without the trailing dot.
 */
static int
set_canon(struct dns_result *res, const char *qname, const char *canon)
{
	size_t	 len, qlen, i;

	if (canon == NULL)
		return 0;
	len = strlen(canon);
	if (len > 1 && canon[len - 1] == '.')
		len--;
	qlen = strlen(qname);
	if (qlen > 1 && qname[qlen - 1] == '.')
		qlen--;
	if (len == qlen && strncasecmp(canon, qname, len) == 0)
		return 0;
	if (len >= sizeof(res->canon))
		return -1;
	for (i = 0; i < len; i++)
		res->canon[i] = (char)tolower_a((unsigned char)canon[i]);
	res->canon[len] = '\0';
	return 0;
}

static int
copy_rdata(struct dns_result *res, const struct ub_result *ub)
{
	size_t	n, i;

	for (n = 0; ub->data[n] != NULL; n++)
		;
	if (n == 0)
		return 0;
	if ((res->rr = calloc(n, sizeof(*res->rr))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (ub->len[i] < 0)
			return -1;
		res->rr[i].len = (size_t)ub->len[i];
		if ((res->rr[i].data = malloc(res->rr[i].len + 1)) == NULL)
			return -1;
		memcpy(res->rr[i].data, ub->data[i], res->rr[i].len);
		res->nrr++;
	}
	return 0;
}

/*
 * What the rcode and the security of an answer say, the same for the
 * synchronous and the event API: 0 when the answer itself is to be
 * read (NOERROR, NXDOMAIN), -1 when res already says why it failed.
 * Nothing from a bogus answer is passed on.
 */
static int
judge_rcode(struct dns_result *res, int rcode, enum dns_security sec,
    const char *why_bogus, const char *log)
{
	res->rcode = rcode;
	res->sec = sec;
	if (sec == SEC_BOGUS) {
		lookup_failed(res, rcode, why_bogus != NULL ? why_bogus :
		    "DNSSEC validation failed (libunbound gave no reason)");
		return -1;
	}
	switch (rcode) {
	case RCODE_NOERROR:
	case RCODE_NXDOMAIN:
		return 0;
	case RCODE_SERVFAIL:
		res->status = DNS_FAILED;
		failure_reason(log, res->why, sizeof(res->why));
		return -1;
	case RCODE_REFUSED:
		lookup_failed(res, rcode, "REFUSED");
		return -1;
	default:
		res->status = DNS_FAILED;
		snprintf(res->why, sizeof(res->why), "DNS rcode %d", rcode);
		return -1;
	}
}

/*
 * The RRSIGs of a secure or bogus answer (sigs.c); a bogus one's
 * reason then says which of its own signatures is out of its window.
 * An insecure answer's RRSIGs, if any, carry no verdict.
 */
static void
read_sigs(struct dns_result *res, const void *pkt, int len)
{
	time_t	 now = time(NULL);

	if (pkt == NULL || len < 12 || res->sec == SEC_INSECURE)
		return;
	sigs_scan(pkt, (size_t)len, now, &res->sigs);
	if (res->sec == SEC_BOGUS)
		sigs_explain(&res->sigs, res->why, sizeof(res->why));
}

static void
fill_result(struct dns_result *res, const char *qname,
    const struct ub_result *ub, const char *log)
{
	int	 r;

	res->ttl = ub->ttl > 0 ? (uint32_t)ub->ttl : 0;
	r = judge_rcode(res, ub->rcode, ub->bogus ? SEC_BOGUS : ub->secure ?
	    SEC_SECURE : SEC_INSECURE, ub->why_bogus, log);
	read_sigs(res, ub->answer_packet, ub->answer_len);
	if (r == -1)
		return;
	res->status = ub->rcode == RCODE_NXDOMAIN ? DNS_NXDOMAIN :
	    ub->havedata ? DNS_ANSWER : DNS_NODATA;
	if (set_canon(res, qname, ub->canonname) == -1) {
		lookup_failed(res, ub->rcode, "canonical name too long");
		return;
	}
	if (ub->havedata && copy_rdata(res, ub) == -1) {
		dns_result_free(res);
		lookup_failed(res, ub->rcode, "out of memory");
	}
}

void
dns_lookup(struct ub_ctx *ctx, const char *name, int rrtype,
    struct dns_result *res)
{
	struct ub_result	*ub = NULL;
	FILE			*log;
	char			 qname[MAX_HOSTNAME], why[128], *logbuf;
	size_t			 loglen;
	int			 r;

	memset(res, 0, sizeof(*res));
	res->sec = SEC_INSECURE;
	if (name == NULL)
		name = "";
	if (name_norm(name, strlen(name), qname, sizeof(qname), why,
	    sizeof(why)) == -1) {
		res->status = DNS_FAILED;
		res->rcode = -1;
		snprintf(res->why, sizeof(res->why), "invalid name: %s", why);
		return;
	}
	if (rrtype <= 0 || rrtype > 65535) {
		lookup_failed(res, -1, "invalid record type");
		return;
	}
	log = capture_start(ctx, &logbuf, &loglen);
	r = ub_resolve(ctx, qname, rrtype, CLASS_IN, &ub);
	capture_end(ctx, log, &logbuf, &loglen);
	if (r != 0) {
		snprintf(res->why, sizeof(res->why), "libunbound: %s",
		    ub_strerror(r));
		res->status = DNS_FAILED;
		res->rcode = -1;
	} else
		fill_result(res, qname, ub, logbuf);
	ub_resolve_free(ub);
	free(logbuf);
	if (res->status == DNS_FAILED && res->why[0] == '\0')
		strlcpy(res->why, "lookup failed", sizeof(res->why));
}

void
dns_result_free(struct dns_result *res)
{
	size_t	i;

	if (res->rr != NULL) {
		for (i = 0; i < res->nrr; i++)
			free(res->rr[i].data);
		free(res->rr);
	}
	res->rr = NULL;
	res->nrr = 0;
}

const char *
dns_status_name(enum dns_status status)
{
	switch (status) {
	case DNS_ANSWER:
		return "answer";
	case DNS_NODATA:
		return "nodata";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_FAILED:
		return "failed";
	}
	return "unknown";
}

const char *
dns_security_name(enum dns_security sec)
{
	switch (sec) {
	case SEC_SECURE:
		return "secure";
	case SEC_INSECURE:
		return "insecure";
	case SEC_BOGUS:
		return "bogus";
	}
	return "unknown";
}

const char *
dns_type_name(int type)
{
	static char	buf[16];

	switch (type) {
	case RR_TYPE_A:
		return "A";
	case RR_TYPE_AAAA:
		return "AAAA";
	case RR_TYPE_CNAME:
		return "CNAME";
	case RR_TYPE_DNSKEY:
		return "DNSKEY";
	case RR_TYPE_DS:
		return "DS";
	case RR_TYPE_MX:
		return "MX";
	case RR_TYPE_SRV:
		return "SRV";
	case RR_TYPE_TLSA:
		return "TLSA";
	case RR_TYPE_SOA:
		return "SOA";
	case RR_TYPE_NSEC:
		return "NSEC";
	case RR_TYPE_NSEC3:
		return "NSEC3";
	}
	snprintf(buf, sizeof(buf), "TYPE%d", type);
	return buf;
}

/*
 * A domain name in uncompressed wire form at p[off], as libunbound
 * hands over MX and SRV rdata: written in lowercase presentation form
 * without the final dot, "." for the root.  -1 when it runs past the
 * data, is too long, or breaks the rule of domain_check().
 */
int
dns_wire_name(const uint8_t *p, size_t len, size_t off, char *out,
    size_t outlen)
{
	size_t	 o = 0, label, i;
	int	 c;

	while (off < len) {
		if ((label = p[off++]) == 0) {
			if (o == 0)
				return strlcpy(out, ".", outlen) < outlen ?
				    0 : -1;
			out[o] = '\0';
			return domain_check(out, o, NULL, 0);
		}
		if (label > 63 || label > len - off || o + label + 2 > outlen ||
		    o + label + 1 > 254)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (i = 0; i < label; i++) {
			c = p[off + i];
			if (c == '.')	/* no label holds a dot unescaped */
				return -1;
			out[o++] = tolower_a(c);
		}
		off += label;
	}
	return -1;
}

/*
 * The parent's asynchronous side: its context over a libevent base,
 * set up like every other, that resolves in-process without a thread
 * or a fork (libunbound's event API).  The job loop runs the base
 * without blocking (dns_event_run).  Answers arrive as packets:
 * dns_parse_answer() turns one into the struct dns_result that
 * dns_lookup() gives.  The forker and the check children resolve on
 * their copies of this context synchronously (dns_event_context()).
 */
struct dns_query {
	dns_callback	 cb;		/* NULL once cancelled */
	void		*arg;
	int		 type;
	char		 qname[MAX_HOSTNAME];
	struct dns_result res;
	struct dns_query *next;		/* on the done list */
};

static struct event_base *evbase;
static struct dns_query	*done_head, **done_tail = &done_head;
static size_t		 ev_inflight;
static FILE		*ev_log;
static char		*ev_logbuf;
static size_t		 ev_loglen;

/*
 * The parent's event base polls with poll(2), not epoll: an epoll
 * instance outlives fork, and every child would hold the parent's,
 * free to change what it waits for (children may call epoll_ctl for
 * their own bases).  A kqueue is not inherited.
 */
static struct event_base *
unshared_base(void)
{
	struct event_config	*cfg;
	struct event_base	*base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	if (event_config_avoid_method(cfg, "epoll") == -1) {
		event_config_free(cfg);
		return NULL;
	}
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/*
 * The parent's context.  Its lookups run on its event base
 * (dns_lookup_async, dns_event_run); dns_lookup() works on it too, as
 * on any context, with a base of its own for that one lookup, which
 * is how the forker and the check children, each with its copy, use
 * it.  One context for all keeps one cache: the keys validated for
 * the children are the parent's too.  unbound-event.h asks for
 * ub_resolve_event() alone on such a context; ub_resolve() ignores
 * the event base (libworker_fg() makes a worker of its own) in every
 * libunbound to date, and regress/test_dns_live.sh (dnsq -e) would
 * show the day one does not.
 */
struct ub_ctx *
dns_event_context(const struct dns_config *cfg, char *err, size_t errlen)
{
	if (usable_config(cfg, err, errlen) == -1)
		return NULL;
	if ((evbase = unshared_base()) == NULL) {
		seterr(err, errlen, "cannot create an event base");
		return NULL;
	}
	return settled(ub_ctx_create_event(evbase), cfg, err, errlen);
}

/* Compare two names in uncompressed wire form, ignoring case. */
static int
wire_name_eq(const uint8_t *a, const uint8_t *b)
{
	size_t	 i, n;

	for (;;) {
		if (*a != *b)
			return 0;
		if ((n = *a) == 0)
			return 1;
		for (i = 1; i <= n; i++)
			if (tolower_a(a[i]) != tolower_a(b[i]))
				return 0;
		a += n + 1;
		b += n + 1;
	}
}

/*
 * The name at pkt[*off], compression pointers followed (each only
 * backwards), written uncompressed into out (255 bytes at most);
 * *off moves past the name as it stands in the packet.
 */
int
dns_pkt_name(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out,
    size_t *outlen)
{
	size_t	 p = *off, o = 0, n, jumps = 0, limit = *off;
	int	 jumped = 0;

	for (;;) {
		if (p >= len)
			return -1;
		n = pkt[p];
		if ((n & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return -1;
			if (!jumped)
				*off = p + 2;
			jumped = 1;
			n = (n & 0x3f) << 8 | pkt[p + 1];
			if (n >= limit || ++jumps > 127)
				return -1;
			limit = n;
			p = n;
			continue;
		}
		if (n & 0xc0)
			return -1;
		if (n > len - p - 1 || o + n + 1 > 255)
			return -1;
		memcpy(out + o, pkt + p, n + 1);
		o += n + 1;
		p += n + 1;
		if (n == 0)
			break;
	}
	if (!jumped)
		*off = p;
	*outlen = o;
	return 0;
}

/* The rdata of one record, with its embedded name uncompressed. */
static int
add_rr(struct dns_result *res, const uint8_t *pkt, size_t off,
    size_t rdlen, int type)
{
	struct dns_rr	*rr;
	uint8_t		 name[256], buf[6 + 256];
	const uint8_t	*data = pkt + off;
	size_t		 head = 0, nlen, at, dlen = rdlen;

	if (type == RR_TYPE_MX || type == RR_TYPE_SRV ||
	    type == RR_TYPE_CNAME) {
		head = type == RR_TYPE_MX ? 2 : type == RR_TYPE_SRV ? 6 : 0;
		at = off + head;
		if (rdlen < head + 1 || dns_pkt_name(pkt, off + rdlen, &at, name,
		    &nlen) == -1 || at != off + rdlen)
			return -1;
		memcpy(buf, pkt + off, head);
		memcpy(buf + head, name, nlen);
		data = buf;
		dlen = head + nlen;
	}
	if (res->nrr >= 4096)
		return -1;
	if ((rr = reallocarray(res->rr, res->nrr + 1, sizeof(*rr))) == NULL)
		return -1;
	res->rr = rr;
	rr = &res->rr[res->nrr];
	if ((rr->data = malloc(dlen + 1)) == NULL)
		return -1;
	memcpy(rr->data, data, dlen);
	rr->len = dlen;
	res->nrr++;
	return 0;
}

/*
 * The answer section of a packet libunbound validated: the records
 * of qtype at qname, or at the end of the CNAME chain from qname (its
 * canonical name then set as dns_lookup() does), and the least TTL of
 * them.  -1 when the packet does not parse.
 */
static int
parse_answers(const uint8_t *pkt, size_t len, const char *qname,
    int qtype, struct dns_result *res)
{
	uint8_t		 want[256], owner[256], target[256];
	char		 canon[MAX_HOSTNAME];
	size_t		 off = 12, wantlen, olen, tlen, i, hops, at, rdlen;
	size_t		 qd, an, first;
	uint32_t	 ttl, minttl = UINT32_MAX;
	int		 type, cls, found;

	if (len < 12)
		return -1;
	qd = pkt[4] << 8 | pkt[5];
	an = pkt[6] << 8 | pkt[7];
	if (qd != 1)
		return -1;
	if (dns_pkt_name(pkt, len, &off, want, &wantlen) == -1 || len - off < 4)
		return -1;
	off += 4;
	first = off;
	(void)qname;
	for (hops = 0; hops < 16; hops++) {
		found = 0;
		tlen = 0;
		for (off = first, i = 0; i < an; i++) {
			if (dns_pkt_name(pkt, len, &off, owner, &olen) == -1 ||
			    len - off < 10)
				return -1;
			type = pkt[off] << 8 | pkt[off + 1];
			cls = pkt[off + 2] << 8 | pkt[off + 3];
			ttl = (uint32_t)pkt[off + 4] << 24 | pkt[off + 5] << 16 |
			    pkt[off + 6] << 8 | pkt[off + 7];
			rdlen = pkt[off + 8] << 8 | pkt[off + 9];
			off += 10;
			if (rdlen > len - off)
				return -1;
			if (cls == CLASS_IN && wire_name_eq(owner, want)) {
				if (type == qtype) {
					if (add_rr(res, pkt, off, rdlen,
					    type) == -1)
						return -1;
					if (ttl < minttl)
						minttl = ttl;
					found = 1;
				} else if (type == RR_TYPE_CNAME &&
				    tlen == 0) {
					at = off;
					if (dns_pkt_name(pkt, off + rdlen, &at,
					    target, &tlen) == -1)
						return -1;
				}
			}
			off += rdlen;
		}
		if (found || tlen == 0 || qtype == RR_TYPE_CNAME)
			break;
		memcpy(want, target, tlen);
	}
	res->ttl = minttl == UINT32_MAX ? 0 : minttl;
	if (hops > 0) {
		if (dns_wire_name(want, sizeof(want), 0, canon,
		    sizeof(canon)) == -1)
			return -1;
		strlcpy(res->canon, canon, sizeof(res->canon));
	}
	return 0;
}

void
dns_parse_answer(const uint8_t *pkt, size_t len, const char *qname,
    int qtype, int rcode, int sec, const char *why_bogus, const char *log,
    struct dns_result *res)
{
	int	 r;

	memset(res, 0, sizeof(*res));
	/* The callback's rcode is for errors; an answer has its own. */
	if (rcode == RCODE_NOERROR && pkt != NULL && len >= 12)
		rcode = pkt[3] & 0x0f;
	/* The event API's security: 0 insecure, 1 bogus, 2 secure. */
	r = judge_rcode(res, rcode, sec == 1 ? SEC_BOGUS : sec == 2 ?
	    SEC_SECURE : SEC_INSECURE, why_bogus, log);
	read_sigs(res, pkt, len > INT_MAX ? 0 : (int)len);
	if (r == -1)
		return;
	if (pkt == NULL || parse_answers(pkt, len, qname, qtype, res) == -1) {
		dns_result_free(res);
		res->canon[0] = '\0';
		lookup_failed(res, rcode, "malformed answer packet");
		return;
	}
	if (set_canon(res, qname, res->canon[0] ? res->canon : NULL) == -1) {
		dns_result_free(res);
		lookup_failed(res, rcode, "canonical name too long");
		return;
	}
	if (rcode == RCODE_NXDOMAIN) {
		res->status = DNS_NXDOMAIN;
		dns_result_free(res);
	} else
		res->status = res->nrr > 0 ? DNS_ANSWER : DNS_NODATA;
}

static void
event_done(void *arg, int rcode, void *pkt, int len, int sec, char *why,
    int ratelimited)
{
	struct dns_query	*q = arg;
	char			 marker[MAX_HOSTNAME + 32];
	char			 line[MAX_TEXT];

	(void)ratelimited;
	ev_inflight--;
	if (q->cb == NULL) {	/* cancelled: its owner is gone */
		free(q);
		return;
	}
	line[0] = '\0';
	if (rcode == RCODE_SERVFAIL && ev_log != NULL) {
		fflush(ev_log);
		snprintf(marker, sizeof(marker), "SERVFAIL <%s %s IN>",
		    q->qname, dns_type_name(q->type));
		capture_find(ev_logbuf, marker, 1, line, sizeof(line));
	}
	dns_parse_answer(pkt, len < 0 ? 0 : (size_t)len, q->qname, q->type,
	    rcode, sec, why, line[0] ? line : NULL, &q->res);
	if (q->res.status == DNS_FAILED && q->res.why[0] == '\0')
		strlcpy(q->res.why, "lookup failed", sizeof(q->res.why));
	q->next = NULL;
	*done_tail = q;
	done_tail = &q->next;
}

/*
 * Start a lookup; cb gets the result from dns_event_run(), never from
 * here.  NULL when it could not be started: res says why.
 */
struct dns_query *
dns_lookup_async(struct ub_ctx *ctx, const char *name, int rrtype,
    dns_callback cb, void *arg, struct dns_result *res)
{
	struct dns_query	*q;
	char			 why[128];
	int			 r, id;

	memset(res, 0, sizeof(*res));
	res->sec = SEC_INSECURE;
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		lookup_failed(res, -1, "out of memory");
		return NULL;
	}
	if (name_norm(name, strlen(name), q->qname, sizeof(q->qname), why,
	    sizeof(why)) == -1) {
		lookup_failed(res, -1, "invalid name");
		snprintf(res->why, sizeof(res->why), "invalid name: %s", why);
		free(q);
		return NULL;
	}
	q->cb = cb;
	q->arg = arg;
	q->type = rrtype;
	if ((r = ub_resolve_event(ctx, q->qname, rrtype, CLASS_IN, q,
	    event_done, &id)) != 0) {
		snprintf(res->why, sizeof(res->why), "libunbound: %s",
		    ub_strerror(r));
		res->status = DNS_FAILED;
		res->rcode = -1;
		free(q);
		return NULL;
	}
	ev_inflight++;
	return q;
}

/* The callback is not called; the answer, when it comes, is dropped. */
void
dns_cancel(struct dns_query *q)
{
	struct dns_query	**pp;

	for (pp = &done_head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			if (done_tail == &q->next)
				done_tail = pp;
			dns_result_free(&q->res);
			free(q);
			return;
		}
	q->cb = NULL;
}

size_t
dns_event_inflight(void)
{
	return ev_inflight;
}

/*
 * Process what has come in, without waiting, then hand each result
 * to its callback (which may start more lookups).
 */
void
dns_event_run(struct ub_ctx *ctx)
{
	struct dns_query	*q;
	struct dns_result	 res;

	if (evbase == NULL)
		return;
	ev_logbuf = NULL;
	ev_loglen = 0;
	if ((ev_log = open_memstream(&ev_logbuf, &ev_loglen)) != NULL)
		ub_ctx_debugout(ctx, ev_log);
	event_base_loop(evbase, EVLOOP_NONBLOCK);
	ub_ctx_debugout(ctx, dns_debug ? stderr : NULL);
	if (ev_log != NULL) {
		fclose(ev_log);
		if (dns_debug && ev_logbuf != NULL)
			fwrite(ev_logbuf, 1, ev_loglen, stderr);
	}
	ev_log = NULL;
	free(ev_logbuf);
	ev_logbuf = NULL;
	while ((q = done_head) != NULL) {
		if ((done_head = q->next) == NULL)
			done_tail = &done_head;
		res = q->res;
		q->cb(q->arg, &res);
		free(q);
	}
}

/*
 * -all-ns (allns.c): in a check child, one event context a server
 * address, each with a stub zone (ub_ctx_set_stub, no priming) that
 * sends every query for the zone to that address alone, RD off, and
 * validation on as in every other context; DS records and the zones
 * above still come through the resolvers.  They share an event base
 * of the child's own: the one the parent made (dns_event_context) is
 * the parent's, so it is left as it is, neither run nor freed, and so
 * are the parent's queries in it.
 */
static int	 stub_base;	/* this process made evbase itself */

struct ub_ctx *
dns_stub_context(const struct dns_config *cfg, const char *zone,
    const char *addr, char *err, size_t errlen)
{
	struct ub_ctx	*ctx;
	int		 r;

	if (!stub_base) {
		if ((evbase = event_base_new()) == NULL) {
			seterr(err, errlen, "cannot create an event base");
			return NULL;
		}
		done_head = NULL;
		done_tail = &done_head;
		ev_inflight = 0;
		stub_base = 1;
	}
	/* Not settled: the stub zone is a setting still to come. */
	if ((ctx = configured(ub_ctx_create_event(evbase), cfg, err,
	    errlen)) == NULL)
		return NULL;
	if ((r = ub_ctx_set_stub(ctx, zone, addr, 0)) != 0) {
		seterr(err, errlen, "stub zone %s at %s: %s", zone, addr,
		    ub_strerror(r));
		ub_ctx_delete(ctx);
		return NULL;
	}
	return ctx;
}

