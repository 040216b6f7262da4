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
 * libFuzzer harness: the framing between a child and the parent
 * (util.c).  Two passes over each input:
 *
 * 1. The input is what a child wrote to its pipe.  It is read the way
 *    the parent's parse_frames() and on_message() read it: frames
 *    with msg_frame(), each checked against msg_descs[] with
 *    msg_check(), then the fields each message type holds with
 *    msg_get_u32() and msg_get_str(), strings escaped with vis_text()
 *    and TLSA data turned to hex, as the parent prints them.
 *
 * 2. The input is a script for the writer: a message type, then
 *    fields (u32, byte string, C string).  The frame is built with
 *    msg_begin()/msg_put_*(), sent with msg_send() into a memory file,
 *    read back and parsed, and every field must come back as written.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpdane.h"
#include "fuzz.h"

#define MAX_FIELDS	64

/* The parent keeps at most this much of one text field. */
#define TEXT_CAP	(16 * MAX_TEXT)

static void
get_text(struct msgreader *r)
{
	char	*s, *v;
	size_t	 len = 0;

	if ((s = msg_get_str(r, &len)) == NULL) {
		FUZZ_CHECK(r->bad);
		return;
	}
	FUZZ_CHECK(s[len] == '\0');
	if (len > TEXT_CAP)
		len = TEXT_CAP;
	if ((v = vis_text(s, len)) != NULL) {
		FUZZ_CHECK(fuzz_printable(v, 4 * len + 1));
		free(v);
	}
	free(s);
}

static void
get_hex(struct msgreader *r)
{
	char	*s, hex[2 * 1024 + 1];
	size_t	 len = 0;

	if ((s = msg_get_str(r, &len)) == NULL)
		return;
	hexify((const uint8_t *)s, len > 1024 ? 1024 : len, hex,
	    sizeof(hex));
	FUZZ_CHECK(strlen(hex) == 2 * (len > 1024 ? 1024 : len));
	free(s);
}

/*
 * PEM is printed as it is, so the parent keeps it only when every
 * byte is one PEM may hold; nothing else may pass.
 */
static void
get_pem(struct msgreader *r)
{
	char	*s;
	size_t	 len = 0, i;

	if ((s = msg_get_str(r, &len)) == NULL)
		return;
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=- \n") == len)
		for (i = 0; i < len; i++)
			FUZZ_CHECK(s[i] == '\n' || (s[i] >= ' ' &&
			    s[i] <= '~'));
	free(s);
}

/* A string that must be a host name, as the parent checks it. */
static void
get_host(struct msgreader *r)
{
	char	*s;

	if ((s = msg_get_str(r, NULL)) == NULL)
		return;
	(void)valid_hostname(s);
	free(s);
}

static void
get_address(struct msgreader *r)
{
	char	*s;

	if ((s = msg_get_str(r, NULL)) == NULL)
		return;
	(void)is_address(s);
	free(s);
}

static void
get_u32s(struct msgreader *r, int n)
{
	while (n-- > 0)
		(void)msg_get_u32(r);
}

/* Discovery's MSG_HOST: host, port, canon, cname_secure, names, warning. */
static void
get_hostinfo(struct msgreader *r)
{
	uint32_t	 i, n;

	get_host(r);
	get_u32s(r, 1);
	get_host(r);
	get_u32s(r, 1);
	n = msg_get_u32(r);
	for (i = 0; i < n && !r->bad; i++) {
		if (i >= MAX_NAMES - MAX_NAMES / 2) {
			r->bad = 1;
			return;
		}
		get_host(r);
	}
	get_text(r);
}

/* MSG_SIGS: scope, host, two RRSIGs, bad_future, zones, why (on_sigs()). */
static void
get_sigs(struct msgreader *r)
{
	uint32_t	 i, n;
	int		 k;

	get_u32s(r, 1);
	get_text(r);
	for (k = 0; k < 2; k++) {
		get_u32s(r, 6);
		get_text(r);
		get_text(r);
	}
	get_u32s(r, 1);		/* bad_future */
	n = msg_get_u32(r);
	for (i = 0; i < n && !r->bad; i++) {
		if (i >= SIG_MAX_ZONES) {
			r->bad = 1;
			return;
		}
		get_host(r);
	}
	get_text(r);
}

/*
 * The field sequence of each message type, as the parent's handlers
 * read it; which types exist, who sends them and when is msg_descs[]
 * (msg.c), the parent's own table.  A message type added to
 * smtpdane.h without a case here fails the build, and a case for a
 * type the table lacks (or the reverse) fails the first run.
 */
_Static_assert(MSG__MAX == MSG_NS_VERDICT + 1, "fuzz_frame.c: a new message type");

/* Returns 0 for a type it has no reader for. */
static int
on_message(uint32_t type, struct msgreader *r)
{
	switch (type) {
	case MSG_STAGE:
		(void)stage_name(msg_get_u32(r));
		break;
	case MSG_DETAIL:
	case MSG_WARN:
		get_text(r);
		break;
	case MSG_TLSA:
		get_u32s(r, 3);
		get_hex(r);
		get_u32s(r, 3);
		get_text(r);
		break;
	case MSG_CERT:
		get_u32s(r, 1);
		get_text(r);
		get_text(r);
		get_text(r);
		get_u32s(r, 4);
		get_text(r);		/* SPKI digest */
		get_pem(r);
		break;
	case MSG_TLS:
		get_text(r);
		get_text(r);
		get_text(r);
		get_u32s(r, 1);		/* enum ocsp_staple */
		get_text(r);		/* OCSP responder */
		break;
	case MSG_BASE:
		get_host(r);
		break;
	case MSG_RESULT:
		(void)result_name(msg_get_u32(r));
		get_text(r);
		break;
	case MSG_HOST:
		get_hostinfo(r);
		break;
	case MSG_ADDR:
		get_u32s(r, 2);
		get_address(r);
		get_host(r);
		break;
	case MSG_VERDICT:
		get_host(r);
		get_u32s(r, 2);
		get_text(r);
		break;
	case MSG_SANDBOX:
		get_u32s(r, 1);
		break;
	case MSG_END:
		break;
	case MSG_CHAIN:
		get_pem(r);
		get_text(r);
		break;
	case MSG_DNSSEC:
		(void)dns_security_name(msg_get_u32(r));
		break;
	case MSG_SIGS:
		get_sigs(r);
		break;
	case MSG_OCSP:
		(void)ocsp_status_name(msg_get_u32(r));
		get_u32s(r, 7);		/* known, three times hi, lo */
		get_text(r);		/* CRL reason */
		get_text(r);		/* detail */
		break;
	case MSG_NS:
		get_host(r);		/* zone */
		get_host(r);		/* server */
		get_address(r);
		(void)ns_state_name(msg_get_u32(r));
		get_u32s(r, 4);
		get_text(r);
		break;
	case MSG_NS_VERDICT:
		get_text(r);
		break;
	case MSG_STAGED:
		get_text(r);
		get_u32s(r, 2);
		get_text(r);
		get_text(r);
		get_u32s(r, 1);
		break;
	case MSG_PROBE:
		get_u32s(r, 2);
		get_text(r);
		get_text(r);
		get_text(r);
		get_u32s(r, 1);
		get_text(r);
		get_pem(r);
		break;
	default:
		return 0;
	}
	return 1;
}

/* The readers above cover exactly the types of msg_descs[]. */
static void
check_table(void)
{
	static int	 done;
	struct msgreader r;
	uint32_t	 t;

	if (done++)
		return;
	for (t = 0; t < MSG__MAX; t++) {
		memset(&r, 0, sizeof(r));
		FUZZ_CHECK(on_message(t, &r) == (msg_descs[t].name != NULL));
		FUZZ_CHECK(msg_descs[t].name == NULL ||
		    (msg_descs[t].writer != NULL && msg_descs[t].from != 0 &&
		    (msg_descs[t].from & ~MSG_FROM_ANY) == 0));
	}
}

/*
 * The parent's rule for a (sender, stage): msg_check() must agree with
 * the table, refuse a stage out of range and say why it refused.
 */
static void
check_rule(uint32_t type, int from, int st)
{
	const struct msg_desc	*m = &msg_descs[type];
	char			 why[MAX_TEXT];
	const char		*bad;
	int			 ok;

	bad = msg_check(type, from, st, why, sizeof(why));
	ok = m->name != NULL && st >= 0 && st < ST__MAX &&
	    (m->from & from) != 0 && (m->stages & (1U << st)) != 0;
	FUZZ_CHECK((bad == NULL) == ok);
	FUZZ_CHECK(bad == NULL || (bad == why && why[0] != '\0'));
}

static void
read_frames(const uint8_t *buf, size_t len)
{
	struct msgreader r;
	const uint8_t	*payload;
	uint32_t	 type;
	size_t		 used, off = 0;
	int		 n;

	while ((n = msg_frame(buf + off, len - off, &type, &r,
	    &used)) == 1) {
		FUZZ_CHECK(type > 0 && type < MSG__MAX);
		FUZZ_CHECK(used >= 8 && used <= len - off);
		FUZZ_CHECK(used - 8 <= MSG_MAX_FRAME);
		payload = buf + off + 8;
		FUZZ_CHECK(r.p == payload && r.left == used - 8 && !r.bad);
		/* A sender and a stage from the frame's last byte. */
		check_rule(type, 1 << (buf[off + used - 1] % 3),
		    buf[off + used - 1] / 3 % (ST__MAX + 2));
		FUZZ_CHECK(on_message(type, &r) == (msg_descs[type].name !=
		    NULL));
		/* The reader never leaves its payload. */
		FUZZ_CHECK(r.p >= payload && r.p + r.left == payload +
		    (used - 8));
		if (r.bad)
			return;		/* the parent kills the child */
		off += used;
		if (msg_descs[type].final)
			return;		/* the parent refuses what follows */
	}
	FUZZ_CHECK(n == 0 || n == -1);
	if (n == 0)
		FUZZ_CHECK(len - off < 8 || len - off - 8 < (size_t)(
		    ((uint32_t)buf[off + 4] << 24 | (uint32_t)buf[off + 5] <<
		    16 | (uint32_t)buf[off + 6] << 8 | buf[off + 7])));
}

/* One field the writer was asked for. */
struct field {
	int		 str;
	uint32_t	 u;
	const uint8_t	*p;
	size_t		 len;
};

static uint32_t
take_u32(const uint8_t **p, const uint8_t *end)
{
	uint32_t	 v = 0;
	int		 i;

	for (i = 0; i < 4 && *p < end; i++, (*p)++)
		v = v << 8 | **p;
	return v;
}

/* Write a script's frame through msg_send() and read it back. */
static void
round_trip(const uint8_t *data, size_t size)
{
	static int	 fd = -1;
	struct field	 f[MAX_FIELDS];
	struct msgbuf	 mb;
	struct msgreader r;
	const uint8_t	*p = data, *end = data + size;
	uint8_t		*back;
	uint32_t	 type, gotu;
	char		*s;
	size_t		 nf = 0, i, used, got;
	const uint8_t	*nul;

	if (size < 1)
		return;
	if (fd == -1 && (fd = memfd_create("fuzz-frame", 0)) == -1)
		abort();
	type = *p++ % (MSG__MAX - 1) + 1;
	memset(&mb, 0, sizeof(mb));
	msg_begin(&mb, type);
	while (p < end && nf < MAX_FIELDS) {
		switch (*p++ % 3) {
		case 0:
			f[nf].str = 0;
			f[nf].u = take_u32(&p, end);
			msg_put_u32(&mb, f[nf].u);
			break;
		case 1:
			f[nf].str = 1;
			f[nf].len = p < end ? *p++ : 0;
			if (f[nf].len > (size_t)(end - p))
				f[nf].len = end - p;
			f[nf].p = p;
			msg_put_str(&mb, p, f[nf].len);
			p += f[nf].len;
			break;
		default:
			/* A C string: up to its NUL, or the end of input. */
			s = NULL;
			f[nf].str = 1;
			f[nf].p = p;
			nul = memchr(p, '\0', end - p);
			f[nf].len = nul != NULL ? (size_t)(nul - p) :
			    (size_t)(end - p);
			if ((s = malloc(f[nf].len + 1)) == NULL)
				goto out;
			memcpy(s, p, f[nf].len);
			s[f[nf].len] = '\0';
			msg_put_cstr(&mb, s);
			free(s);
			p += f[nf].len + (nul != NULL);
			break;
		}
		nf++;
	}
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		abort();
	FUZZ_CHECK(msg_send(fd, &mb) == 0);
	if ((back = malloc(mb.len)) == NULL)
		goto out;
	FUZZ_CHECK(pread(fd, back, mb.len, 0) == (ssize_t)mb.len);
	FUZZ_CHECK(msg_frame(back, mb.len, &gotu, &r, &used) == 1);
	FUZZ_CHECK(gotu == type && used == mb.len);
	for (i = 0; i < nf; i++) {
		if (!f[i].str) {
			FUZZ_CHECK(msg_get_u32(&r) == f[i].u);
			continue;
		}
		s = msg_get_str(&r, &got);
		FUZZ_CHECK(s != NULL && got == f[i].len &&
		    (got == 0 || memcmp(s, f[i].p, got) == 0));
		free(s);
	}
	FUZZ_CHECK(!r.bad && r.left == 0);
	/* One more field than was written is an error, not a read. */
	(void)msg_get_u32(&r);
	FUZZ_CHECK(r.bad);
	free(back);
 out:
	free(mb.buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_table();
	read_frames(data, size);
	round_trip(data, size);
	return 0;
}
