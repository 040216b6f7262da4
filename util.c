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
 * Framing between children and the parent, and small helpers shared
 * by every process: names for results and stages, durations, escaping
 * of network text, whole-file reads.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include "smtpdane.h"

static const char *const result_names[R__MAX] = {
	[R_VERIFIED] = "verified",
	[R_VERIFIED_WARN] = "verified-with-warnings",
	[R_DANE_NA] = "dane-not-applicable",
	[R_TLSA_UNUSABLE] = "tlsa-unusable",
	[R_TLSA_MISMATCH] = "tlsa-mismatch",
	[R_NAME_MISMATCH] = "name-mismatch",
	[R_CERT_EXPIRED] = "cert-expired",
	[R_CERT_NOT_YET_VALID] = "cert-not-yet-valid",
	[R_CHAIN_INVALID] = "chain-invalid",
	[R_DNS_BOGUS] = "dns-bogus",
	[R_DNS_FAILURE] = "dns-failure",
	[R_NS_FAILURE] = "ns-failure",
	[R_NO_ADDRESS] = "no-address",
	[R_SMTP_ERROR] = "smtp-error",
	[R_STARTTLS_MISSING] = "starttls-missing",
	[R_TLS_FAILURE] = "tls-failure",
	[R_CONNECT_FAILURE] = "connect-failure",
	[R_TIMEOUT] = "timeout",
	[R_OCSP_MISSING] = "ocsp-missing",
	[R_OCSP_REVOKED] = "ocsp-revoked",
	[R_MX_INSECURE] = "mx-insecure",
	[R_SRV_INSECURE] = "srv-insecure",
	[R_NULL_MX] = "null-mx",
	[R_NO_SERVICE] = "service-not-offered",
	[R_USAGE] = "bad-target",
	[R_INTERNAL] = "internal-error",
};

static const char *const stage_names[ST__MAX] = {
	[ST_START] = "start",
	[ST_TLSA] = "TLSA lookup",
	[ST_CONNECT] = "connect",
	[ST_BANNER] = "banner",
	[ST_EHLO] = "EHLO reply",
	[ST_STARTTLS] = "STARTTLS reply",
	[ST_HANDSHAKE] = "TLS handshake",
	[ST_EHLO_TLS] = "EHLO reply over TLS",
	[ST_VERIFY] = "DANE verification",
	[ST_QUIT] = "QUIT reply",
	[ST_DONE] = "end",
	[ST_DISCOVER] = "discovery",
	[ST_NS] = "authoritative servers",
};

const char *
result_name(enum result r)
{
	if ((unsigned)r >= R__MAX)
		return "internal-error";
	return result_names[r];
}

/* The status of a stapled OCSP response, as -json and -terse say it. */
const char *
ocsp_status_name(enum ocsp_status s)
{
	switch (s) {
	case OCSP_ST_NONE:
		return "missing";
	case OCSP_ST_GOOD:
		return "good";
	case OCSP_ST_REVOKED:
		return "revoked";
	case OCSP_ST_UNKNOWN:
		return "unknown";
	case OCSP_ST_TRYLATER:
		return "trylater";
	case OCSP_ST_ERROR:
		return "error";
	case OCSP_ST_INVALID:
		return "invalid";
	case OCSP_ST_STALE:
		return "stale";
	default:
		return "not-checked";
	}
}

/* A staple that says nothing good: a warning under -expect-ocsp. */
int
ocsp_status_bad(enum ocsp_status s)
{
	return s != OCSP_ST_NONE && s != OCSP_ST_GOOD && s != OCSP_ST_REVOKED;
}

/* A verified response about the leaf: it has a thisUpdate. */
int
ocsp_dated(enum ocsp_status s)
{
	return s == OCSP_ST_GOOD || s == OCSP_ST_REVOKED ||
	    s == OCSP_ST_UNKNOWN || s == OCSP_ST_STALE;
}

/* "2026-01-02 03:04:05Z" */
void
format_time(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

void	(*parent_fatal_hook)(const char *, ...);

__dead void
parent_fatalx(const char *fmt, ...)
{
	char	 msg[MAX_TEXT];
	va_list	 ap;

	va_start(ap, fmt);
	vcutf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (parent_fatal_hook != NULL)
		parent_fatal_hook("%s", msg);
	errx(2, "%s", msg);
}

/* What a child's exit status (enum child_exit) means, or NULL. */
const char *
child_exit_text(int status)
{
	switch (status) {
	case CHILD_EXIT_SANDBOX:
		return "sandbox violation";
	case CHILD_EXIT_NOMEM:
		return "out of memory";
	case CHILD_EXIT_SANDBOX_SETUP:
		return "could not enter its sandbox";
	default:
		return NULL;
	}
}

const char *
stage_name(enum stage s)
{
	if ((unsigned)s >= ST__MAX)
		return "unknown stage";
	return stage_names[s];
}

const char *
key_type_name(uint32_t k)
{
	static const char *const names[KEY__MAX] = {
		[KEY_ECDSA] = "ECDSA",
		[KEY_RSA] = "RSA",
	};

	return k < KEY__MAX ? names[k] : "unknown";
}

/*
 * Messages.  The child builds a whole frame in memory and writes it
 * at once; a short write to a pipe only happens when the parent is
 * gone, and then there is nobody left to tell.
 */
static void
msg_reserve(struct msgbuf *m, size_t more)
{
	size_t	 ncap;
	uint8_t	*nbuf;

	if (m->len + more <= m->cap)
		return;
	ncap = m->cap ? m->cap : 256;
	while (ncap < m->len + more)
		ncap *= 2;
	/* A child exits with its code, which the parent puts in words;
	 * the parent itself (discovery's frames) leaves through its hook. */
	if ((nbuf = realloc(m->buf, ncap)) == NULL) {
		if (parent_fatal_hook != NULL)
			parent_fatalx("out of memory");
		_exit(CHILD_EXIT_NOMEM);
	}
	m->buf = nbuf;
	m->cap = ncap;
}

static void
msg_raw_u32(struct msgbuf *m, uint32_t v)
{
	uint32_t n = htonl(v);

	msg_reserve(m, sizeof(n));
	memcpy(m->buf + m->len, &n, sizeof(n));
	m->len += sizeof(n);
}

void
msg_begin(struct msgbuf *m, enum msg_type type)
{
	m->len = 0;
	msg_raw_u32(m, type);
	msg_raw_u32(m, 0);	/* length, filled in by msg_send() */
}

void
msg_put_u32(struct msgbuf *m, uint32_t v)
{
	msg_raw_u32(m, v);
}

/* A time as two u32 fields, high half first (get_time() in report.c). */
void
msg_put_time(struct msgbuf *m, int64_t t)
{
	msg_raw_u32(m, (uint32_t)((uint64_t)t >> 32));
	msg_raw_u32(m, (uint32_t)t);
}

void
msg_put_str(struct msgbuf *m, const void *p, size_t len)
{
	/* Leave room for the frame header and the other fields. */
	if (len > MSG_MAX_FRAME - 1024)
		len = MSG_MAX_FRAME - 1024;
	msg_raw_u32(m, len);
	msg_reserve(m, len);
	if (len > 0)
		memcpy(m->buf + m->len, p, len);
	m->len += len;
}

void
msg_put_cstr(struct msgbuf *m, const char *s)
{
	msg_put_str(m, s, s == NULL ? 0 : strlen(s));
}

/*
 * Text cut at a length bound says so: the end of a full buffer of
 * size bytes becomes CUT_MARK.
 */
void
mark_cut(char *buf, size_t size)
{
	size_t	 m = sizeof(CUT_MARK) - 1;

	if (size > m)
		memcpy(buf + size - 1 - m, CUT_MARK, m + 1);
}

/* vsnprintf(), with CUT_MARK at the end of what did not fit. */
int
vcutf(char *buf, size_t size, const char *fmt, va_list ap)
{
	int	 n;

	if (size == 0)
		return 0;
	n = vsnprintf(buf, size, fmt, ap);
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= size)
		mark_cut(buf, size);
	return n;
}

/* snprintf() into buf, with CUT_MARK where it did not fit. */
int
cutf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vcutf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

/* The same, after what buf holds; a full buf stays as it is, marked. */
void
vcutcatf(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t	 n = strlen(buf);

	if (n + 1 >= len)
		return;
	if (vcutf(buf + n, len - n, fmt, ap) >= (int)(len - n))
		mark_cut(buf, len);
}

void
cutcatf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vcutcatf(buf, len, fmt, ap);
	va_end(ap);
}

/* A whole frame of one formatted string: details and warnings. */
int
msg_send_text(int fd, struct msgbuf *m, enum msg_type type,
    const char *fmt, ...)
{
	char	 text[MAX_TEXT];
	va_list	 ap;

	va_start(ap, fmt);
	vcutf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg_begin(m, type);
	msg_put_cstr(m, text);
	return msg_send(fd, m);
}

int
msg_send(int fd, struct msgbuf *m)
{
	uint32_t	 n;
	size_t		 off = 0;
	ssize_t		 w;

	if (m->len > MSG_MAX_FRAME)
		return -1;
	n = htonl(m->len - 8);
	memcpy(m->buf + 4, &n, sizeof(n));
	while (off < m->len) {
		w = write(fd, m->buf + off, m->len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += w;
	}
	return 0;
}

/*
 * Find one whole frame at the start of buf.  Returns 1 with the frame
 * type, a reader over its payload and the bytes it used; 0 when more
 * bytes are needed; -1 when the data can never be a valid frame.
 */
int
msg_frame(const uint8_t *buf, size_t len, uint32_t *type,
    struct msgreader *r, size_t *used)
{
	uint32_t	 t, n;

	if (len < 8)
		return 0;
	memcpy(&t, buf, sizeof(t));
	memcpy(&n, buf + 4, sizeof(n));
	t = ntohl(t);
	n = ntohl(n);
	if (t == 0 || t >= MSG__MAX || n > MSG_MAX_FRAME)
		return -1;
	if (len - 8 < n)
		return 0;
	*type = t;
	r->p = buf + 8;
	r->left = n;
	r->bad = 0;
	*used = 8 + (size_t)n;
	return 1;
}

uint32_t
msg_get_u32(struct msgreader *r)
{
	uint32_t n;

	if (r->bad || r->left < sizeof(n)) {
		r->bad = 1;
		return 0;
	}
	memcpy(&n, r->p, sizeof(n));
	r->p += sizeof(n);
	r->left -= sizeof(n);
	return ntohl(n);
}

/*
 * A string field, copied and NUL-terminated.  Embedded NULs survive in
 * the copy; *lenp (if given) says how long it really is.  NULL only on
 * a malformed payload or no memory; r->bad says which.
 */
char *
msg_get_str(struct msgreader *r, size_t *lenp)
{
	uint32_t	 n;
	char		*s;

	n = msg_get_u32(r);
	if (r->bad || r->left < n) {
		r->bad = 1;
		return NULL;
	}
	if ((s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(s, r->p, n);
	s[n] = '\0';
	r->p += n;
	r->left -= n;
	if (lenp != NULL)
		*lenp = n;
	return s;
}

/*
 * One decimal number ("10", "1.5") at *sp; strtod would also take
 * hexadecimal, exponents and "inf", none of which is a duration.
 */
static int
parse_decimal(const char **sp, double *out)
{
	const char	*s = *sp;
	double		 v = 0, scale = 1;
	int		 digits = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits++)
		v = v * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			v += (*s - '0') * (scale /= 10);
	if (digits == 0)
		return -1;
	*sp = s;
	*out = v;
	return 0;
}

/*
 * Go-style durations ("10s", "1h30m", "250ms", "168h") plus days
 * ("7d"); a bare number is seconds.  Rounded up to whole seconds,
 * since every deadline here has that resolution.
 */
int
parse_duration(const char *s, time_t *out)
{
	static const struct {
		const char	*unit;
		double		 secs;
	} units[] = {
		{ "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
		{ "d", 86400 },
	};
	double	 total = 0, v;
	size_t	 i, ulen;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		if (parse_decimal(&s, &v) == -1)
			return -1;
		if (*s == '\0' && total == 0) {
			total = v;	/* a bare number: seconds */
			break;
		}
		for (i = 0; i < nitems(units); i++) {
			ulen = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, ulen) == 0)
				break;
		}
		if (i == nitems(units))
			return -1;
		total += v * units[i].secs;
		s += ulen;
		if (total > 10 * 365 * 86400.0)
			return -1;
	}
	if (total > 10 * 365 * 86400.0)
		return -1;
	*out = (time_t)total;
	if ((double)*out < total)
		(*out)++;
	return 0;
}

/*
 * Escape text that came from the network or a certificate (banners,
 * certificate names) so that no control byte reaches a terminal or a
 * log: the one policy for every process.  Octal escapes (\015\012
 * for CR LF), and no VIS_SAFE: it lets CR, BS and BEL through, and a
 * CR in a banner could paint "verified" over a failure on a terminal.
 * A backslash is left as it is (VIS_NOSLASH), so text the parent
 * escapes once more stays as a child wrote it.  (VIS_POLICY is in
 * smtpdane.h, for regress/test_util.c.)
 */

/*
 * Text that VIS_POLICY leaves as it is: printable ASCII and the space.
 * Most text is, and libbsd's strvisx() goes through wide characters
 * byte by byte (a fifth of the parent's CPU over a million bad -f
 * lines), so such text is copied, or kept (get_text() in report.c).
 */
int
vis_plain(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

char *
vis_text(const char *s, size_t len)
{
	char	*out;

	if (vis_plain(s, len)) {
		if ((out = malloc(len + 1)) == NULL)
			return NULL;
		if (len > 0)
			memcpy(out, s, len);
		out[len] = '\0';
		return out;
	}
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	if ((out = malloc(len * 4 + 1)) == NULL)
		return NULL;
	/* strvisx, not strnvis: the latter's argument order differs. */
	strvisx(out, s, len, VIS_POLICY);
	return out;
}

/*
 * The same into a caller's buffer, cut short to fit; at most MAX_TEXT
 * bytes of src are read.  For code that must not allocate per string
 * (dane.c).
 */
void
vis_copy(char *dst, size_t dstlen, const void *src, size_t srclen)
{
	char	 tmp[4 * MAX_TEXT + 1];

	if (dstlen == 0)
		return;
	if (src == NULL)
		srclen = 0;
	if (srclen > MAX_TEXT)
		srclen = MAX_TEXT;
	if (vis_plain(src, srclen)) {
		if (srclen >= dstlen)
			srclen = dstlen - 1;
		if (srclen > 0)
			memcpy(dst, src, srclen);
		dst[srclen] = '\0';
		return;
	}
	(void)strvisx(tmp, src, srclen, VIS_POLICY);
	(void)strlcpy(dst, tmp, dstlen);
}

/*
 * Before SB_PARENT_START: a file the start stage reads (NULL or "-",
 * stdin: none).  Once this was called, the start stage may read only
 * the files so named and the system's own; each sandbox file asks
 * sandbox_read_files() for the list.
 */
#define SANDBOX_MAX_FILES	16	/* -A, -f, -staged (MAX_STAGED) */

static const char	*sb_read[SANDBOX_MAX_FILES];
static size_t		 sb_nread;
static int		 sb_read_named;

void
sandbox_allow_read(const char *path)
{
	sb_read_named = 1;
	if (path == NULL || strcmp(path, "-") == 0)
		return;
	if (sb_nread == SANDBOX_MAX_FILES)
		parent_fatalx("sandbox: more than %d files",
		    SANDBOX_MAX_FILES);
	sb_read[sb_nread++] = path;
}

/* The files named so far; NULL if sandbox_allow_read() never ran. */
const char *const *
sandbox_read_files(size_t *n)
{
	*n = sb_nread;
	return sb_read_named ? sb_read : NULL;
}

/* Milliseconds of the monotonic clock: every deadline is one. */
int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Small helpers of the parsers (dns.c, anchors.c): an error message
 * into a caller's buffer, ASCII classes that do not depend on the
 * locale, decimal numbers, a growing list of strings and the check
 * of a domain name.
 */
void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
isdigit_a(int c)
{
	return c >= '0' && c <= '9';
}

int
isalpha_a(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
tolower_a(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}


int
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


int
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
 * The one rule for a domain name, wherever it comes from: a target,
 * an -aka or -srv name, a name in a DNS answer (MX, SRV, CNAME), a
 * name looked up, a trust anchor's owner, a name a child reports.
 *
 * Labels of 1 to 63 ASCII letters, digits, '-' and '_', none that
 * starts or ends with '-' (the LDH rule of RFC 952 and RFC 1123
 * section 2.1); at most 255 bytes in wire form; a final dot is
 * allowed, and "." alone is the root.  The underscore is for the
 * owner names smtpdane looks up, _25._tcp.mx.example.org and
 * _submission._tcp.example.org (RFC 8552), and because host names in
 * DNS data do sometimes hold one.  Nothing else passes: no escapes
 * and no odd bytes reach anything built from a name.
 *
 * Returns 0, or -1 with the reason in why.
 */
int
domain_check(const char *s, size_t len, char *why, size_t whylen)
{
	size_t	i, lab = 0, wire = 1;
	int	c;

	if (len == 0) {
		seterr(why, whylen, "empty name");
		return -1;
	}
	if (len == 1 && s[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (lab == 0) {
				seterr(why, whylen, "empty label");
				return -1;
			}
			if (s[i - 1] == '-') {
				seterr(why, whylen, "label ends with '-'");
				return -1;
			}
			lab = 0;
		} else if (isalpha_a(c) || isdigit_a(c) || c == '-' ||
		    c == '_') {
			if (lab == 0 && c == '-') {
				seterr(why, whylen,
				    "label starts with '-'");
				return -1;
			}
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
	}
	if (s[len - 1] == '-') {
		seterr(why, whylen, "label ends with '-'");
		return -1;
	}
	return 0;
}

/*
 * A name that passes domain_check(), written in lower case with a
 * trailing dot: the form libunbound and the anchor strings get.
 */
int
name_norm(const char *s, size_t len, char *out, size_t outsz,
    char *why, size_t whylen)
{
	size_t	i;

	if (domain_check(s, len, why, whylen) == -1)
		return -1;
	if (len + (s[len - 1] != '.') >= outsz) {
		seterr(why, whylen, "name too long");
		return -1;
	}
	for (i = 0; i < len; i++)
		out[i] = (char)tolower_a((unsigned char)s[i]);
	if (out[len - 1] != '.')
		out[len++] = '.';
	out[len] = '\0';
	return 0;
}

#define READ_FILE_MAX	(16 * 1024 * 1024)

int
read_whole_file(const char *path, char **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL, *nbuf;
	size_t		 len = 0, cap = 0;
	ssize_t		 r;
	int		 fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path,
		    S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
		goto fail;
	}
	for (;;) {
		if (cap - len < 4096) {
			if (cap >= READ_FILE_MAX) {
				snprintf(err, errlen, "%s: larger than %d "
				    "bytes", path, READ_FILE_MAX);
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			if ((nbuf = realloc(buf, cap + 1)) == NULL) {
				snprintf(err, errlen, "%s: out of memory",
				    path);
				goto fail;
			}
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += r;
	}
	buf[len] = '\0';
	if (fd != STDIN_FILENO)
		close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
 fail:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return -1;
}

void
hexify(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i;

	if (outlen == 0)
		return;
	for (i = 0; i < len && 2 * i + 2 < outlen; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * i] = '\0';
}

uint16_t
parse_port(const char *s)
{
	struct servent	*se;
	const char	*errstr;
	long long	 n;

	n = strtonum(s, 1, 65535, &errstr);
	if (errstr == NULL)
		return n;
	if ((se = getservbyname(s, "tcp")) != NULL)
		return ntohs(se->s_port);
	return 0;
}

/*
 * Targets: "host", "host:port", "[v6]:port".  Host names are checked
 * here (domain_check) so that no child ever sees a name dns_lookup()
 * would refuse.
 */
int
valid_hostname(const char *h)
{
	size_t	 len = strlen(h);

	/* A host name here has no final dot and is not the root. */
	return len > 0 && h[len - 1] != '.' &&
	    domain_check(h, len, NULL, 0) == 0;
}

int
is_address(const char *s)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	return inet_pton(AF_INET, s, &a4) == 1 ||
	    inet_pton(AF_INET6, s, &a6) == 1;
}

const char target_address_error[] = "an address has no TLSA records: "
    "name the host (e.g. mx.example.org, or mx.example.org:25) so that "
    "its TLSA records can be looked up";

/*
 * Returns NULL or a message; fills host (lowercase, no final dot) and
 * port (defport unless the target names one).
 */
const char *
parse_target(const char *spec, uint16_t defport, char *host, size_t hostlen,
    uint16_t *port)
{
	char		 buf[MAX_HOSTNAME + 16];
	char		*p, *portstr = NULL;
	size_t		 len;

	if (strlcpy(buf, spec, sizeof(buf)) >= sizeof(buf))
		return "target too long";
	p = buf;
	if (*p == '[') {
		if ((portstr = strchr(p, ']')) == NULL)
			return "missing ']'";
		*portstr++ = '\0';
		p++;
		if (*portstr == ':')
			portstr++;
		else if (*portstr == '\0')
			portstr = NULL;
		else
			return "junk after ']'";
	} else if (strchr(p, ':') == strrchr(p, ':') &&
	    (portstr = strchr(p, ':')) != NULL)
		*portstr++ = '\0';
	*port = defport;
	if (portstr != NULL && (*port = parse_port(portstr)) == 0)
		return "bad port";
	len = strlen(p);
	if (len > 1 && p[len - 1] == '.')
		p[--len] = '\0';
	if (is_address(p))
		return target_address_error;
	if (!valid_hostname(p))
		return "not a valid host name";
	for (len = 0; p[len] != '\0'; len++)
		p[len] = (char)tolower_a((unsigned char)p[len]);
	if (strlcpy(host, p, hostlen) >= hostlen)
		return "host name too long";
	return NULL;
}

/*
 * -staged: what a PEM file holds.  A certificate anywhere makes it a
 * chain; else a PUBLIC KEY block makes it a bare key (dane_staged()).
 */
int
dane_pem_kind(const char *pem, size_t len)
{
	static const char	 cert[] = "-----BEGIN CERTIFICATE-----";
	static const char	 key[] = "-----BEGIN PUBLIC KEY-----";

	if (pem == NULL || len == 0)
		return -1;
	if (memmem(pem, len, cert, sizeof(cert) - 1) != NULL)
		return DANE_PEM_CHAIN;
	if (memmem(pem, len, key, sizeof(key) - 1) != NULL)
		return DANE_PEM_KEY;
	return -1;
}

/* RFC 3339, for -json. */
void
format_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/* "3 days", "5 hours": how far off an expiry is. */
void
format_span(time_t secs, char *buf, size_t len)
{
	long long	 n;
	const char	*unit;

	if (secs >= 86400) {
		n = ((long long)secs + 43200) / 86400;
		unit = "day";
	} else if (secs >= 3600) {
		n = (long long)secs / 3600;
		unit = "hour";
	} else {
		n = (long long)secs / 60;
		unit = "minute";
	}
	snprintf(buf, len, "%lld %s%s", n, unit, n == 1 ? "" : "s");
}
