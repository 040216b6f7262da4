/*
 * smtpdane: the DNS layer.  Trust anchors and resolvers are parsed
 * from text the parent has read; libunbound is set up from those
 * strings alone (no files, no threads, no forks) and queried with
 * synchronous ub_resolve() calls, which also work after fork.
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
#include <unbound.h>

#include "smtpdane.h"

#define DNS_PORT	53
#define MAX_FIELDS	4096	/* tokens in one anchor record */
#define MAX_RDATA	65535	/* bytes of rdata, RFC 1035 */
#define TOKSHOW		40	/* token bytes quoted in a message */

#define RCODE_NOERROR	0
#define RCODE_SERVFAIL	2
#define RCODE_NXDOMAIN	3
#define RCODE_REFUSED	5

#define CLASS_IN	1
#define TYPE_A		1
#define TYPE_CNAME	5
#define TYPE_MX		15
#define TYPE_AAAA	28
#define TYPE_SRV	33
#define TYPE_DS		43
#define TYPE_DNSKEY	48
#define TYPE_TLSA	52

#define DNSKEY_ZONE	0x0100	/* flag bit 7, RFC 4034 2.1.1 */
#define DNSKEY_REVOKE	0x0080	/* flag bit 8, RFC 5011 */

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* One whitespace-separated field of an anchor file. */
struct tok {
	const char	*s;
	size_t		 len;
	size_t		 line;
};

struct lexer {
	const char	*p;
	const char	*end;
	size_t		 line;		/* line of *p */
	size_t		 parenline;	/* line of an open '(', or 0 */
};

/* What carries from one record of an anchor file to the next. */
struct anchor_state {
	char		 origin[MAX_HOSTNAME];	/* $ORIGIN, or "" */
	char		 owner[MAX_HOSTNAME];	/* previous owner, or "" */
};

static const struct {
	const char	*name;
	unsigned int	 num;
} algorithms[] = {		/* RFC 4034 A.1 and its updates */
	{ "RSAMD5", 1 },
	{ "DH", 2 },
	{ "DSA", 3 },
	{ "RSASHA1", 5 },
	{ "DSA-NSEC3-SHA1", 6 },
	{ "RSASHA1-NSEC3-SHA1", 7 },
	{ "RSASHA256", 8 },
	{ "RSASHA512", 10 },
	{ "ECC-GOST", 12 },
	{ "ECDSAP256SHA256", 13 },
	{ "ECDSAP384SHA384", 14 },
	{ "ED25519", 15 },
	{ "ED448", 16 },
	{ "INDIRECT", 252 },
	{ "PRIVATEDNS", 253 },
	{ "PRIVATEOID", 254 },
};

/*
 * The DS digest types libunbound can check.  Others are refused: an
 * anchor the validator cannot use is silently dropped, and a zone
 * left without a usable anchor turns insecure instead of failing.
 */
static const struct {
	unsigned int	 num;
	size_t		 len;
	const char	*name;
} digests[] = {
	{ 1, 20, "SHA-1" },
	{ 2, 32, "SHA-256" },
	{ 4, 48, "SHA-384" },
};

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
};

#define MAX_RTT_MS	3000

/* libunbound logs to one global place; dns_lookup() borrows it. */
static int	dns_debug;

static void	seterr(char *, size_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ASCII only: the C library's ctype answers depend on the locale. */
static int
isdigit_a(int c)
{
	return c >= '0' && c <= '9';
}

static int
isalpha_a(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
tolower_a(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
hexval(int c)
{
	if (isdigit_a(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
isb64(int c)
{
	return isalpha_a(c) || isdigit_a(c) || c == '+' || c == '/';
}

/* Quote a token for a message, cut short if long. */
static const char *
tokshow(const struct tok *t, char *buf, size_t bufsz)
{
	if (t->len > TOKSHOW)
		snprintf(buf, bufsz, "'%.*s...'", TOKSHOW, t->s);
	else
		snprintf(buf, bufsz, "'%.*s'", (int)t->len, t->s);
	return buf;
}

static int
tokeq(const struct tok *t, const char *word)
{
	return t->len == strlen(word) &&
	    strncasecmp(t->s, word, t->len) == 0;
}

/* A decimal number with no sign, at most max. */
static int
parse_num(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long	v = 0, d;
	size_t		i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit_a((unsigned char)s[i]))
			return -1;
		d = (unsigned long)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A TTL: seconds, or BIND's units ("1h30m", "2d"). */
static int
parse_ttl(const char *s, size_t len, unsigned long *out)
{
	unsigned long	 total = 0, n, mult;
	size_t		 i = 0, start;

	if (len == 0)
		return -1;
	while (i < len) {
		start = i;
		while (i < len && isdigit_a((unsigned char)s[i]))
			i++;
		if (parse_num(s + start, i - start, 0x7fffffffUL, &n) == -1)
			return -1;
		mult = 1;
		if (i < len) {
			switch (tolower_a((unsigned char)s[i])) {
			case 'w':
				mult = 604800;
				break;
			case 'd':
				mult = 86400;
				break;
			case 'h':
				mult = 3600;
				break;
			case 'm':
				mult = 60;
				break;
			case 's':
				break;
			default:
				return -1;
			}
			i++;
		}
		if (n > (0x7fffffffUL - total) / mult)
			return -1;
		total += n * mult;
	}
	*out = total;
	return 0;
}

static int
parse_alg(const struct tok *t, unsigned long *out)
{
	size_t	i;

	if (parse_num(t->s, t->len, 255, out) == 0)
		return 0;
	for (i = 0; i < nitems(algorithms); i++) {
		if (tokeq(t, algorithms[i].name)) {
			*out = algorithms[i].num;
			return 0;
		}
	}
	return -1;
}

/*
 * Check a domain name in presentation form and write it in lower
 * case with a trailing dot.  Labels hold letters, digits, '-' and
 * '_' only: that covers host names and _25._tcp prefixes, and keeps
 * escapes and odd bytes out of everything built from the name.
 */
static int
name_norm(const char *s, size_t len, char *out, size_t outsz,
    char *why, size_t whylen)
{
	size_t	i, o = 0, lab = 0, wire = 1;
	int	c;

	if (len == 0) {
		seterr(why, whylen, "empty name");
		return -1;
	}
	if (len == 1 && s[0] == '.') {
		if (outsz < 2) {
			seterr(why, whylen, "name too long");
			return -1;
		}
		out[0] = '.';
		out[1] = '\0';
		return 0;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (lab == 0) {
				seterr(why, whylen, "empty label");
				return -1;
			}
			lab = 0;
		} else if (isalpha_a(c) || isdigit_a(c) || c == '-' ||
		    c == '_') {
			if (++lab > 63) {
				seterr(why, whylen,
				    "label longer than 63 bytes");
				return -1;
			}
			wire += lab == 1 ? 2 : 1;
		} else if (c > 0x20 && c < 0x7f) {
			seterr(why, whylen, "bad character '%c'", c);
			return -1;
		} else {
			seterr(why, whylen, "bad byte 0x%02x", c);
			return -1;
		}
		if (wire > 255) {
			seterr(why, whylen, "name longer than 255 bytes");
			return -1;
		}
		if (o + 2 >= outsz) {
			seterr(why, whylen, "name too long");
			return -1;
		}
		out[o++] = (char)tolower_a(c);
	}
	if (out[o - 1] != '.')
		out[o++] = '.';
	out[o] = '\0';
	return 0;
}

/* Owner names: absolute, '@', or relative to $ORIGIN. */
static int
owner_norm(const struct anchor_state *st, const struct tok *t, char *out,
    size_t outsz, char *err, size_t errlen)
{
	char	full[2 * MAX_HOSTNAME], why[128], show[64];
	int	n;

	if (t->len == 1 && t->s[0] == '@') {
		if (st->origin[0] == '\0') {
			seterr(err, errlen, "line %zu: '@' used but no "
			    "$ORIGIN was given", t->line);
			return -1;
		}
		return strlcpy(out, st->origin, outsz) < outsz ? 0 : -1;
	}
	if (t->len >= MAX_HOSTNAME) {
		seterr(err, errlen, "line %zu: owner name is too long",
		    t->line);
		return -1;
	}
	if (t->s[t->len - 1] == '.')
		n = snprintf(full, sizeof(full), "%.*s", (int)t->len, t->s);
	else if (st->origin[0] == '\0') {
		seterr(err, errlen, "line %zu: owner name %s is not "
		    "absolute (end it with '.')", t->line,
		    tokshow(t, show, sizeof(show)));
		return -1;
	} else if (strcmp(st->origin, ".") == 0)
		n = snprintf(full, sizeof(full), "%.*s.", (int)t->len, t->s);
	else
		n = snprintf(full, sizeof(full), "%.*s.%s", (int)t->len,
		    t->s, st->origin);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		seterr(err, errlen, "line %zu: owner name is too long",
		    t->line);
		return -1;
	}
	if (name_norm(full, (size_t)n, out, outsz, why, sizeof(why)) == -1) {
		seterr(err, errlen, "line %zu: owner name %s: %s", t->line,
		    tokshow(t, show, sizeof(show)), why);
		return -1;
	}
	return 0;
}

enum { LEX_ERROR = -1, LEX_END, LEX_EOL, LEX_WORD };

static int
lex_paren(struct lexer *lx, int c, char *err, size_t errlen)
{
	if (c == '(') {
		if (lx->parenline != 0) {
			seterr(err, errlen, "line %zu: '(' inside '(' of line "
			    "%zu", lx->line, lx->parenline);
			return -1;
		}
		lx->parenline = lx->line;
	} else {
		if (lx->parenline == 0) {
			seterr(err, errlen, "line %zu: ')' without '('",
			    lx->line);
			return -1;
		}
		lx->parenline = 0;
	}
	lx->p++;
	return 0;
}

static int
lex_word(struct lexer *lx, struct tok *t, char *err, size_t errlen)
{
	int	c = (unsigned char)*lx->p;

	if (c == '"') {
		seterr(err, errlen, "line %zu: quoted strings have no place "
		    "in DS or DNSKEY records", lx->line);
		return LEX_ERROR;
	}
	if (c < 0x21 || c > 0x7e) {
		seterr(err, errlen, "line %zu: unexpected byte 0x%02x",
		    lx->line, c);
		return LEX_ERROR;
	}
	t->s = lx->p;
	t->line = lx->line;
	while (lx->p < lx->end) {
		c = (unsigned char)*lx->p;
		if (c < 0x21 || c > 0x7e || c == '(' || c == ')' ||
		    c == ';' || c == '"')
			break;
		lx->p++;
	}
	t->len = (size_t)(lx->p - t->s);
	return LEX_WORD;
}

/*
 * The next word, or the end of a record: a newline outside
 * parentheses, or the end of the text.
 */
static int
lex_next(struct lexer *lx, struct tok *t, char *err, size_t errlen)
{
	int	c;

	while (lx->p < lx->end) {
		c = (unsigned char)*lx->p;
		if (c == '\n') {
			lx->p++;
			lx->line++;
			if (lx->parenline == 0)
				return LEX_EOL;
		} else if (c == ' ' || c == '\t' || c == '\r')
			lx->p++;
		else if (c == ';') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (c == '(' || c == ')') {
			if (lex_paren(lx, c, err, errlen) == -1)
				return LEX_ERROR;
		} else
			return lex_word(lx, t, err, errlen);
	}
	if (lx->parenline != 0) {
		seterr(err, errlen, "line %zu: '(' is never closed",
		    lx->parenline);
		return LEX_ERROR;
	}
	return LEX_END;
}

/*
 * Split the next record into tokens.  Returns 1 with *ntok tokens
 * (0 for a blank line), 0 at the end of the text, -1 on error.
 */
static int
lex_record(struct lexer *lx, struct tok *tok, size_t maxtok, size_t *ntok,
    int *indented, char *err, size_t errlen)
{
	int	r;

	*ntok = 0;
	if (lx->p >= lx->end)
		return 0;
	*indented = *lx->p == ' ' || *lx->p == '\t';
	for (;;) {
		if (*ntok == maxtok) {
			seterr(err, errlen, "line %zu: too many fields in one "
			    "record", lx->line);
			return -1;
		}
		if ((r = lex_next(lx, &tok[*ntok], err, errlen)) != LEX_WORD)
			break;
		(*ntok)++;
	}
	return r == LEX_ERROR ? -1 : 1;
}

static int
directive(struct anchor_state *st, const struct tok *t, size_t n,
    char *err, size_t errlen)
{
	char		 show[64];
	unsigned long	 ttl;
	struct tok	 name;

	if (tokeq(&t[0], "$TTL")) {
		if (n != 2) {
			seterr(err, errlen, "line %zu: $TTL needs one value",
			    t[0].line);
			return -1;
		}
		if (parse_ttl(t[1].s, t[1].len, &ttl) == -1) {
			seterr(err, errlen, "line %zu: bad $TTL value %s",
			    t[1].line, tokshow(&t[1], show, sizeof(show)));
			return -1;
		}
		return 0;
	}
	if (tokeq(&t[0], "$ORIGIN")) {
		if (n != 2) {
			seterr(err, errlen, "line %zu: $ORIGIN needs one "
			    "name", t[0].line);
			return -1;
		}
		name = t[1];
		if (name.s[name.len - 1] != '.') {
			seterr(err, errlen, "line %zu: $ORIGIN %s is not "
			    "absolute (end it with '.')", t[1].line,
			    tokshow(&t[1], show, sizeof(show)));
			return -1;
		}
		return owner_norm(st, &name, st->origin, sizeof(st->origin),
		    err, errlen);
	}
	if (tokeq(&t[0], "$INCLUDE")) {
		seterr(err, errlen, "line %zu: $INCLUDE is not supported",
		    t[0].line);
		return -1;
	}
	seterr(err, errlen, "line %zu: unknown directive %s", t[0].line,
	    tokshow(&t[0], show, sizeof(show)));
	return -1;
}

/* Concatenated hex digest of a DS record, checked, in upper case. */
static char *
ds_digest(const struct tok *t, size_t n, unsigned long dtype, char *err,
    size_t errlen)
{
	char	*hex, show[64];
	size_t	 i, j, total = 0, o = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < t[i].len; j++) {
			if (hexval((unsigned char)t[i].s[j]) == -1) {
				seterr(err, errlen, "line %zu: DS digest %s "
				    "has a character that is not hex: '%c'",
				    t[i].line, tokshow(&t[i], show,
				    sizeof(show)), t[i].s[j]);
				return NULL;
			}
		}
		total += t[i].len;
	}
	if (total % 2 != 0) {
		seterr(err, errlen, "line %zu: DS digest has an odd number "
		    "of hex digits (%zu)", t[0].line, total);
		return NULL;
	}
	for (i = 0; i < nitems(digests); i++) {
		if (digests[i].num == dtype && digests[i].len != total / 2) {
			seterr(err, errlen, "line %zu: DS digest has %zu "
			    "byte%s, %s needs %zu", t[0].line, total / 2,
			    total == 2 ? "" : "s", digests[i].name,
			    digests[i].len);
			return NULL;
		}
	}
	if ((hex = malloc(total + 1)) == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < t[i].len; j++)
			hex[o++] = "0123456789ABCDEF"[hexval(
			    (unsigned char)t[i].s[j])];
	hex[o] = '\0';
	return hex;
}

/* DS rdata: key tag, algorithm, digest type, digest (RFC 4034 5.3). */
static char *
ds_line(const char *owner, const struct tok *type, const struct tok *t,
    size_t n, char *err, size_t errlen)
{
	char		*hex, *line, show[64];
	unsigned long	 tag, alg, dtype;
	size_t		 i, sz;

	if (n < 4) {
		seterr(err, errlen, "line %zu: DS record needs key tag, "
		    "algorithm, digest type and digest", type->line);
		return NULL;
	}
	if (parse_num(t[0].s, t[0].len, 65535, &tag) == -1) {
		seterr(err, errlen, "line %zu: DS key tag %s is not a number "
		    "from 0 to 65535", t[0].line,
		    tokshow(&t[0], show, sizeof(show)));
		return NULL;
	}
	if (parse_alg(&t[1], &alg) == -1) {
		seterr(err, errlen, "line %zu: DS algorithm %s is not a "
		    "number from 0 to 255 or a known mnemonic", t[1].line,
		    tokshow(&t[1], show, sizeof(show)));
		return NULL;
	}
	if (parse_num(t[2].s, t[2].len, 255, &dtype) == -1) {
		seterr(err, errlen, "line %zu: DS digest type %s is not a "
		    "number from 0 to 255", t[2].line,
		    tokshow(&t[2], show, sizeof(show)));
		return NULL;
	}
	for (i = 0; i < nitems(digests); i++)
		if (digests[i].num == dtype)
			break;
	if (i == nitems(digests)) {
		seterr(err, errlen, "line %zu: DS digest type %lu is not "
		    "supported (1 SHA-1, 2 SHA-256, 4 SHA-384)", t[2].line,
		    dtype);
		return NULL;
	}
	if ((hex = ds_digest(t + 3, n - 3, dtype, err, errlen)) == NULL)
		return NULL;
	sz = strlen(owner) + strlen(hex) + 64;
	if ((line = malloc(sz)) == NULL) {
		free(hex);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(line, sz, "%s IN DS %lu %lu %lu %s", owner, tag, alg,
	    dtype, hex);
	free(hex);
	return line;
}

/* Concatenated base64 public key of a DNSKEY record, checked. */
static char *
dnskey_key(const struct tok *t, size_t n, char *err, size_t errlen)
{
	char	*b64, show[64];
	size_t	 i, j, total = 0, pad = 0, o = 0;
	int	 c;

	for (i = 0; i < n; i++) {
		for (j = 0; j < t[i].len; j++) {
			c = (unsigned char)t[i].s[j];
			if (c == '=') {
				pad++;
				continue;
			}
			if (!isb64(c)) {
				seterr(err, errlen, "line %zu: DNSKEY public "
				    "key %s has a character that is not "
				    "base64: '%c'", t[i].line, tokshow(&t[i],
				    show, sizeof(show)), c);
				return NULL;
			}
			if (pad != 0) {
				seterr(err, errlen, "line %zu: DNSKEY public "
				    "key has base64 data after '=' padding",
				    t[i].line);
				return NULL;
			}
		}
		total += t[i].len;
	}
	if (pad > 2 || total % 4 != 0) {
		seterr(err, errlen, "line %zu: DNSKEY public key is not valid "
		    "base64 (%zu characters, %zu of them '=')", t[0].line,
		    total, pad);
		return NULL;
	}
	if (total / 4 * 3 - pad == 0) {
		seterr(err, errlen, "line %zu: DNSKEY public key is empty",
		    t[0].line);
		return NULL;
	}
	if (total / 4 * 3 - pad > MAX_RDATA - 4) {
		seterr(err, errlen, "line %zu: DNSKEY public key is longer "
		    "than a record can hold", t[0].line);
		return NULL;
	}
	if ((b64 = malloc(total + 1)) == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		memcpy(b64 + o, t[i].s, t[i].len);
		o += t[i].len;
	}
	b64[o] = '\0';
	return b64;
}

/* DNSKEY rdata: flags, protocol, algorithm, key (RFC 4034 2.2). */
static char *
dnskey_line(const char *owner, const struct tok *type, const struct tok *t,
    size_t n, char *err, size_t errlen)
{
	char		*key, *line, show[64];
	unsigned long	 flags, proto, alg;
	size_t		 sz;

	if (n < 4) {
		seterr(err, errlen, "line %zu: DNSKEY record needs flags, "
		    "protocol, algorithm and public key", type->line);
		return NULL;
	}
	if (parse_num(t[0].s, t[0].len, 65535, &flags) == -1) {
		seterr(err, errlen, "line %zu: DNSKEY flags %s are not a "
		    "number from 0 to 65535", t[0].line,
		    tokshow(&t[0], show, sizeof(show)));
		return NULL;
	}
	if ((flags & DNSKEY_ZONE) == 0) {
		seterr(err, errlen, "line %zu: DNSKEY flags %lu lack the zone "
		    "key bit (256): not a key that signs a zone", t[0].line,
		    flags);
		return NULL;
	}
	if (flags & DNSKEY_REVOKE) {
		seterr(err, errlen, "line %zu: DNSKEY flags %lu have the "
		    "revoke bit (128) set", t[0].line, flags);
		return NULL;
	}
	if (parse_num(t[1].s, t[1].len, 255, &proto) == -1 || proto != 3) {
		seterr(err, errlen, "line %zu: DNSKEY protocol is %s, it "
		    "must be 3", t[1].line,
		    tokshow(&t[1], show, sizeof(show)));
		return NULL;
	}
	if (parse_alg(&t[2], &alg) == -1) {
		seterr(err, errlen, "line %zu: DNSKEY algorithm %s is not a "
		    "number from 0 to 255 or a known mnemonic", t[2].line,
		    tokshow(&t[2], show, sizeof(show)));
		return NULL;
	}
	if ((key = dnskey_key(t + 3, n - 3, err, errlen)) == NULL)
		return NULL;
	sz = strlen(owner) + strlen(key) + 64;
	if ((line = malloc(sz)) == NULL) {
		free(key);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(line, sz, "%s IN DNSKEY %lu 3 %lu %s", owner, flags, alg,
	    key);
	free(key);
	return line;
}

static int
is_class(const struct tok *t)
{
	static const char *const classes[] = {
		"IN", "CH", "CS", "HS", "NONE", "ANY"
	};
	size_t	i;

	for (i = 0; i < nitems(classes); i++)
		if (tokeq(t, classes[i]))
			return 1;
	return t->len > 5 && strncasecmp(t->s, "CLASS", 5) == 0;
}

static int
add_string(char ***list, size_t *n, char *s)
{
	char	**l;

	if ((l = reallocarray(*list, *n + 1, sizeof(*l))) == NULL)
		return -1;
	*list = l;
	l[(*n)++] = s;
	return 0;
}

/*
 * One record: [owner] [ttl] [class] type rdata, with the TTL and
 * class in either order; a line that starts with a blank reuses the
 * previous owner, as in any zone file.
 */
static int
anchor_record(struct anchor_state *st, const struct tok *t, size_t n,
    int indented, struct dns_config *cfg, char *err, size_t errlen)
{
	char		 owner[MAX_HOSTNAME], show[64], *line;
	unsigned long	 ttl;
	size_t		 i = 0;
	int		 havettl = 0, haveclass = 0;

	if (t[0].s[0] == '$')
		return directive(st, t, n, err, errlen);
	if (indented) {
		if (st->owner[0] == '\0') {
			seterr(err, errlen, "line %zu: record starts with a "
			    "blank, but there is no earlier owner name",
			    t[0].line);
			return -1;
		}
		strlcpy(owner, st->owner, sizeof(owner));
	} else {
		if (owner_norm(st, &t[0], owner, sizeof(owner), err,
		    errlen) == -1)
			return -1;
		strlcpy(st->owner, owner, sizeof(st->owner));
		i = 1;
	}
	for (; i < n; i++) {
		if (isdigit_a((unsigned char)t[i].s[0])) {
			if (havettl || parse_ttl(t[i].s, t[i].len, &ttl)) {
				seterr(err, errlen, "line %zu: bad TTL %s",
				    t[i].line, tokshow(&t[i], show,
				    sizeof(show)));
				return -1;
			}
			havettl = 1;
		} else if (is_class(&t[i])) {
			if (haveclass || !tokeq(&t[i], "IN")) {
				seterr(err, errlen, "line %zu: class %s is not "
				    "supported, only IN", t[i].line,
				    tokshow(&t[i], show, sizeof(show)));
				return -1;
			}
			haveclass = 1;
		} else
			break;
	}
	if (i == n) {
		seterr(err, errlen, "line %zu: record has no type and no data",
		    t[n - 1].line);
		return -1;
	}
	if (tokeq(&t[i], "DS"))
		line = ds_line(owner, &t[i], t + i + 1, n - i - 1, err,
		    errlen);
	else if (tokeq(&t[i], "DNSKEY"))
		line = dnskey_line(owner, &t[i], t + i + 1, n - i - 1, err,
		    errlen);
	else {
		seterr(err, errlen, "line %zu: record type %s is not DS or "
		    "DNSKEY", t[i].line, tokshow(&t[i], show, sizeof(show)));
		return -1;
	}
	if (line == NULL)
		return -1;
	if (add_string(&cfg->anchors, &cfg->nanchors, line) == -1) {
		free(line);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
dns_builtin_anchors(struct dns_config *cfg)
{
	/* IANA root zone KSKs: KSK-2017 and KSK-2024. */
	static const char *const root[] = {
		". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BB"
		    "C683457104237C7F8EC8D",
		". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D6"
		    "12C483AF444A4C0FB2B16",
	};
	size_t	 i, keep = cfg->nanchors;
	char	*s;

	for (i = 0; i < nitems(root); i++) {
		if ((s = strdup(root[i])) == NULL ||
		    add_string(&cfg->anchors, &cfg->nanchors, s) == -1) {
			free(s);
			while (cfg->nanchors > keep)
				free(cfg->anchors[--cfg->nanchors]);
			return -1;
		}
	}
	return 0;
}

int
dns_parse_anchors(const char *text, size_t len, struct dns_config *cfg,
    char *err, size_t errlen)
{
	struct anchor_state	 st;
	struct lexer		 lx;
	struct tok		*tok;
	size_t			 ntok, keep = cfg->nanchors;
	int			 indented, r;

	memset(&st, 0, sizeof(st));
	memset(&lx, 0, sizeof(lx));
	lx.p = text;
	lx.end = text == NULL ? text : text + len;
	lx.line = 1;
	if ((tok = calloc(MAX_FIELDS, sizeof(*tok))) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	while ((r = lex_record(&lx, tok, MAX_FIELDS, &ntok, &indented, err,
	    errlen)) == 1) {
		if (ntok == 0)
			continue;
		if (anchor_record(&st, tok, ntok, indented, cfg, err,
		    errlen) == -1) {
			r = -1;
			break;
		}
	}
	free(tok);
	if (r == 0 && cfg->nanchors == keep) {
		seterr(err, errlen, "no DS or DNSKEY record found");
		r = -1;
	}
	if (r == -1) {
		while (cfg->nanchors > keep)
			free(cfg->anchors[--cfg->nanchors]);
		return -1;
	}
	return 0;
}

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

struct ub_ctx *
dns_context(const struct dns_config *cfg, char *err, size_t errlen)
{
	struct ub_ctx	*ctx;
	FILE		*log;
	char		*logbuf, line[MAX_TEXT];
	size_t		 i, loglen;
	int		 r;

	if (cfg->nanchors == 0) {
		seterr(err, errlen, "no trust anchors");
		return NULL;
	}
	/* Without forwarders libunbound would recurse from the root. */
	if (cfg->nresolvers == 0) {
		seterr(err, errlen, "no resolvers");
		return NULL;
	}
	if ((ctx = ub_ctx_create()) == NULL) {
		seterr(err, errlen, "cannot create libunbound context");
		return NULL;
	}
	dns_debug = cfg->debug;
	ub_ctx_debugout(ctx, NULL);
	if (set_options(ctx, cfg, err, errlen) == -1)
		goto fail;
	for (i = 0; i < cfg->nanchors; i++) {
		if ((r = ub_ctx_add_ta(ctx, cfg->anchors[i])) != 0) {
			seterr(err, errlen, "trust anchor \"%.60s\": %s",
			    cfg->anchors[i], ub_strerror(r));
			goto fail;
		}
	}
	for (i = 0; i < cfg->nresolvers; i++) {
		if ((r = ub_ctx_set_fwd(ctx, cfg->resolvers[i])) != 0) {
			seterr(err, errlen, "resolver %s: %s",
			    cfg->resolvers[i], ub_strerror(r));
			goto fail;
		}
	}

	/*
	 * libunbound reads its settings at the first lookup.  Printing
	 * the local zones does that too, without a query, so mistakes
	 * show now.  The listing goes to the capture and is dropped.
	 */
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
		goto fail;
	}
	free(logbuf);
	return ctx;
 fail:
	ub_ctx_delete(ctx);
	return NULL;
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
		strlcpy(why, "resolver did not answer", whylen);
	else if (strstr(detail, "no server to query") != NULL)
		strlcpy(why, "resolver did not answer (not asked again after "
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

static void
fill_result(struct dns_result *res, const char *qname,
    const struct ub_result *ub, const char *log)
{
	res->rcode = ub->rcode;
	res->ttl = ub->ttl > 0 ? (uint32_t)ub->ttl : 0;
	if (ub->bogus) {
		/* Nothing from a bogus answer is passed on. */
		res->sec = SEC_BOGUS;
		lookup_failed(res, ub->rcode, ub->why_bogus != NULL ?
		    ub->why_bogus : "DNSSEC validation failed (libunbound "
		    "gave no reason)");
		return;
	}
	res->sec = ub->secure ? SEC_SECURE : SEC_INSECURE;
	switch (ub->rcode) {
	case RCODE_NOERROR:
		res->status = ub->havedata ? DNS_ANSWER : DNS_NODATA;
		break;
	case RCODE_NXDOMAIN:
		res->status = DNS_NXDOMAIN;
		break;
	case RCODE_SERVFAIL:
		res->status = DNS_FAILED;
		failure_reason(log, res->why, sizeof(res->why));
		return;
	case RCODE_REFUSED:
		lookup_failed(res, ub->rcode, "REFUSED");
		return;
	default:
		res->status = DNS_FAILED;
		snprintf(res->why, sizeof(res->why), "DNS rcode %d",
		    ub->rcode);
		return;
	}
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
	case TYPE_A:
		return "A";
	case TYPE_AAAA:
		return "AAAA";
	case TYPE_CNAME:
		return "CNAME";
	case TYPE_DNSKEY:
		return "DNSKEY";
	case TYPE_DS:
		return "DS";
	case TYPE_MX:
		return "MX";
	case TYPE_SRV:
		return "SRV";
	case TYPE_TLSA:
		return "TLSA";
	}
	snprintf(buf, sizeof(buf), "TYPE%d", type);
	return buf;
}

/*
 * A domain name in uncompressed wire form at p[off], as libunbound
 * hands over MX and SRV rdata: written in lowercase presentation form
 * without the final dot, "." for the root.  -1 when it runs past the
 * data, is too long, or holds a byte no host name has.
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
			return 0;
		}
		if (label > 63 || label > len - off || o + label + 2 > outlen ||
		    o + label + 1 > 254)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (i = 0; i < label; i++) {
			c = p[off + i];
			if (!isalpha_a(c) && !isdigit_a(c) && c != '-' &&
			    c != '_')
				return -1;
			out[o++] = tolower_a(c);
		}
		off += label;
	}
	return -1;
}
