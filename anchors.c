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
 * smtpdane: the trust-anchor file (-trust-anchor): DS and DNSKEY
 * records in zone-file text, read by the parent before any child
 * exists and handed to libunbound (dns.c) as one string a record.
 *
 * libunbound itself would take a garbage anchor string and fail only
 * at the first lookup, with "initialization failure", and it silently
 * drops a DS whose digest type it cannot check, which leaves the zone
 * insecure instead of failing.  So every record is checked here, and
 * a bad file is a setup error that names its line.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpdane.h"

#define MAX_FIELDS	4096	/* tokens in one anchor record */
#define MAX_RDATA	65535	/* bytes of rdata, RFC 1035 */
#define TOKSHOW		40	/* token bytes quoted in a message */

#define DNSKEY_ZONE	0x0100	/* flag bit 7, RFC 4034 2.1.1 */
#define DNSKEY_REVOKE	0x0080	/* flag bit 8, RFC 5011 */

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

