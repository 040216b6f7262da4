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
 * The check child: one (host, address, port).  It looks up the TLSA
 * RRset, speaks SMTP up to STARTTLS (or TLS at once), does the libtls
 * handshake, has the chain verified by dane.c and reports everything
 * to the parent as framed messages.  It never uses stdio.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "smtpdane.h"


struct conn {
	const struct check_spec *spec;
	int		 out;		/* pipe to the parent */
	struct msgbuf	 mb;
	enum stage	 stage;
	int		 fd;
	struct tls	*tls;
	char		 buf[SMTP_LINE_MAX + 2];
	size_t		 len;
	int64_t		 deadline;	/* monotonic milliseconds */
	time_t		 limit;		/* seconds, for "timed out after" */
	int64_t		 since;		/* when that time limit began */
	const char	*hint;		/* added to a timeout message */
	const char	*base;		/* the TLSA base domain chosen */
	uint32_t	 tlsa_ttl;	/* of its TLSA RRset */
	char		*soft_err;	/* set: failures are noted, not final */
	size_t		 soft_len;
	enum result	 soft_res;	/* the result a noted failure had */
	int		 not_offered;	/* a probe: no shared cipher */
	jmp_buf		 soft_jmp;
	int		 staple;	/* enum ocsp_staple */
	uint8_t		*staple_der;	/* OCSP_STAPLED: the response */
	size_t		 staple_len;
	char		 ns_fail[MAX_TEXT];	/* -all-ns: a server failed */
};

/*
 * Reply parser (RFC 5321 §4.2): "ddd-text" lines continue a reply,
 * "ddd text" or "ddd" ends it; every line has the same code.
 */
void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->len = 0;
	r->text[0] = '\0';
}

int
smtp_reply_line(struct smtp_reply *r, const char *line, size_t len,
    char *err, size_t errlen)
{
	int	 code, last;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > SMTP_LINE_MAX) {
		snprintf(err, errlen, "reply line too long (%zu bytes)", len);
		return REPLY_ERROR;
	}
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '5' ||
	    !isdigit((unsigned char)line[2]) ||
	    (len > 3 && line[3] != ' ' && line[3] != '-')) {
		snprintf(err, errlen, "malformed reply line");
		return REPLY_ERROR;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code) {
		snprintf(err, errlen, "reply code changed from %d to %d "
		    "within one reply", r->code, code);
		return REPLY_ERROR;
	}
	last = len == 3 || line[3] == ' ';
	/* Keep the text after the code; lines joined by '\n'. */
	len = len > 4 ? len - 4 : 0;
	if (r->len + len + 2 > sizeof(r->text)) {
		snprintf(err, errlen, "reply longer than %d bytes",
		    SMTP_REPLY_MAX);
		return REPLY_ERROR;
	}
	if (r->nlines > 0)
		r->text[r->len++] = '\n';
	if (len > 0)
		memcpy(r->text + r->len, line + 4, len);
	r->len += len;
	r->text[r->len] = '\0';
	r->code = code;
	r->nlines++;
	return last ? REPLY_DONE : REPLY_MORE;
}

/* Is keyword among the EHLO extensions (every line but the first)? */
int
smtp_has_extension(const struct smtp_reply *r, const char *keyword)
{
	const char	*p, *nl;
	size_t		 klen = strlen(keyword), wlen;

	if ((p = memchr(r->text, '\n', r->len)) == NULL)
		return 0;
	for (p++; p < r->text + r->len; p = nl + 1) {
		if ((nl = memchr(p, '\n', r->text + r->len - p)) == NULL)
			nl = r->text + r->len;
		wlen = strcspn(p, " \n");
		if (wlen == klen && strncasecmp(p, keyword, klen) == 0)
			return 1;
	}
	return 0;
}

/*
 * Reporting to the parent.
 */
static void
send_stage(struct conn *c, enum stage st)
{
	c->stage = st;
	msg_begin(&c->mb, MSG_STAGE);
	msg_put_u32(&c->mb, st);
	msg_send(c->out, &c->mb);
}

static __dead void
finish(struct conn *c, enum result res, const char *fmt, ...)
{
	char	 text[MAX_TEXT];
	va_list	 ap;

	va_start(ap, fmt);
	vcutf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (c->soft_err != NULL) {
		strlcpy(c->soft_err, text, c->soft_len);
		c->soft_res = res;
		c->soft_err = NULL;
		longjmp(c->soft_jmp, 1);
	}
	msg_begin(&c->mb, MSG_RESULT);
	msg_put_u32(&c->mb, res);
	msg_put_cstr(&c->mb, text);
	msg_send(c->out, &c->mb);
	if (c->tls != NULL)
		tls_free(c->tls);
	if (c->fd != -1)
		close(c->fd);
	_exit(0);
}

/*
 * Server text, escaped and cut short for one report line: its first
 * line, a NUL in it escaped like any other byte, then CUT_MARK if that
 * line was longer, " ..." if more lines followed.
 */
#define QUOTE_MAX	199

static void
quote_reply(const struct smtp_reply *r, char *out, size_t outlen)
{
	const char	*nl;
	char		*v;
	size_t		 n;

	nl = memchr(r->text, '\n', r->len);
	n = nl != NULL ? (size_t)(nl - r->text) : r->len;
	if ((v = vis_text(r->text, n > QUOTE_MAX ? QUOTE_MAX : n)) == NULL) {
		snprintf(out, outlen, "%d", r->code);
		return;
	}
	snprintf(out, outlen, "%d %s%s%s", r->code, v,
	    n > QUOTE_MAX ? CUT_MARK : "", r->nlines > 1 ? " ..." : "");
	free(v);
}

static __dead void
timed_out(struct conn *c)
{
	long long	 ms = now_ms() - c->since;

	/* The time that passed, not the limit: they differ when a
	 * stage began late or the machine was held up. */
	finish(c, R_TIMEOUT, "timed out after %lld.%llds waiting for %s%s",
	    ms / 1000, ms % 1000 / 100, stage_name(c->stage),
	    c->hint != NULL ? c->hint : "");
}

/*
 * Before waiting for the server: acknowledge what it sends at once.
 * A server under Nagle's rule (most MTAs leave it on) holds back the
 * rest of a reply written in pieces, such as the EHLO reply after its
 * TLS 1.3 session tickets, until the first piece is acknowledged, and
 * Linux delays that acknowledgement in a request-and-reply exchange:
 * the stall cost every check 20 ms on the bench.  Linux drops the
 * setting again by itself, so it is set before every wait.
 */
static void
quick_ack(struct conn *c)
{
#ifdef TCP_QUICKACK
	int	 on = 1;

	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
#else
	(void)c;
#endif
}

/*
 * Wait until fd is ready for events or the deadline passes.
 */
static void
wait_fd(struct conn *c, short events)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 n;

	if (events & POLLIN)
		quick_ack(c);
	for (;;) {
		left = c->deadline - now_ms();
		if (left <= 0)
			timed_out(c);
		pfd.fd = c->fd;
		pfd.events = events;
		n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			finish(c, R_INTERNAL, "poll: %s", strerror(errno));
		if (n > 0)
			return;
	}
}

/* Read more bytes into the line buffer; 0 on end of file. */
static size_t
fill(struct conn *c)
{
	ssize_t	 n;

	for (;;) {
		if (c->tls != NULL) {
			n = tls_read(c->tls, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
				wait_fd(c, n == TLS_WANT_POLLIN ? POLLIN :
				    POLLOUT);
				continue;
			}
			if (n == -1)
				finish(c, R_TLS_FAILURE, "TLS read failed "
				    "waiting for %s: %s", stage_name(c->stage),
				    tls_error(c->tls));
		} else {
			wait_fd(c, POLLIN);
			n = read(c->fd, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n == -1)
				finish(c, R_SMTP_ERROR, "read failed waiting "
				    "for %s: %s", stage_name(c->stage),
				    strerror(errno));
		}
		c->len += n;
		return n;
	}
}

/*
 * One line, without its LF, into line (NUL-terminated).  A line that
 * does not fit the buffer is the server's fault, not ours.
 */
static size_t
get_line(struct conn *c, char *line)
{
	char	*nl;
	size_t	 n;

	while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len == sizeof(c->buf))
			finish(c, R_SMTP_ERROR, "reply line too long (more "
			    "than %d bytes) waiting for %s", SMTP_LINE_MAX,
			    stage_name(c->stage));
		if (fill(c) == 0)
			finish(c, R_SMTP_ERROR, "connection closed by the "
			    "server waiting for %s", stage_name(c->stage));
	}
	n = nl - c->buf;
	memcpy(line, c->buf, n);
	line[n] = '\0';
	c->len -= n + 1;
	memmove(c->buf, nl + 1, c->len);
	return n;
}

static void
read_reply(struct conn *c, struct smtp_reply *r)
{
	char	 line[sizeof(c->buf)], err[256];
	size_t	 n;
	int	 st;

	smtp_reply_init(r);
	do {
		n = get_line(c, line);
		st = smtp_reply_line(r, line, n, err, sizeof(err));
		if (st == REPLY_ERROR)
			finish(c, R_SMTP_ERROR, "%s waiting for %s", err,
			    stage_name(c->stage));
	} while (st == REPLY_MORE);
}

static void
send_line(struct conn *c, const char *cmd)
{
	char	 line[512];
	size_t	 len, off = 0;
	ssize_t	 n;

	len = snprintf(line, sizeof(line), "%s\r\n", cmd);
	while (off < len) {
		if (c->tls != NULL) {
			n = tls_write(c->tls, line + off, len - off);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
				wait_fd(c, n == TLS_WANT_POLLIN ? POLLIN :
				    POLLOUT);
				continue;
			}
			if (n == -1)
				finish(c, R_TLS_FAILURE, "TLS write failed: %s",
				    tls_error(c->tls));
		} else {
			wait_fd(c, POLLOUT);
			n = write(c->fd, line + off, len - off);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n == -1)
				finish(c, R_SMTP_ERROR, "write failed: %s",
				    strerror(errno));
		}
		off += n;
	}
}

/*
 * Connecting: a numeric address, no resolver (getaddrinfo would read
 * /etc files and open netlink sockets in the sandbox), with its own
 * limit so a black hole is told apart from a slow server.
 */
static void
tcp_connect(struct conn *c)
{
	const struct check_spec *s = c->spec;
	int64_t		 whole = c->deadline;
	socklen_t	 len = sizeof(int);
	int		 soerr = 0, on = 1;

	send_stage(c, ST_CONNECT);
	if ((c->fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK,
	    IPPROTO_TCP)) == -1)
		finish(c, R_INTERNAL, "socket: %s", strerror(errno));
	/*
	 * Without it the EHLO that follows the client's Finished waits,
	 * under Nagle's rule, until the server acknowledges the Finished:
	 * a round trip more for every check.  Only speed hangs on it, so
	 * a failure is let pass.
	 */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(c->fd, (const struct sockaddr *)&s->addr,
	    s->addrlen) == -1 && errno != EINPROGRESS)
		finish(c, R_CONNECT_FAILURE, "connect to %s port %u: %s",
		    s->addrstr, s->port, strerror(errno));
	if (s->connect_timeout < s->timeout &&
	    now_ms() + s->connect_timeout * 1000 < whole) {
		c->since = now_ms();
		c->deadline = c->since + s->connect_timeout * 1000;
		c->limit = s->connect_timeout;
	}
	wait_fd(c, POLLOUT);
	c->deadline = whole;
	c->limit = s->timeout;
	c->since = whole - s->timeout * 1000;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		finish(c, R_INTERNAL, "getsockopt: %s", strerror(errno));
	if (soerr != 0)
		finish(c, R_CONNECT_FAILURE, "connect to %s port %u: %s",
		    s->addrstr, s->port, strerror(soerr));
}

/*
 * A probe's handshake that failed for want of a shared cipher: the
 * server has no key of that type (OpenSSL's server says "no shared
 * cipher" and sends a handshake_failure alert).
 */
static int
no_shared_cipher(const char *err)
{
	return strstr(err, "no shared cipher") != NULL ||
	    strstr(err, "handshake failure") != NULL;
}

/*
 * ...or for want of TLS 1.2 at all: a server that speaks only TLS 1.3
 * answers the probe's ClientHello with a protocol_version alert.  Its
 * certificates cannot be probed by key type (see judge_probes()).
 */
#define NO_TLS12	"TLS 1.2 not offered"

static int
no_tls12(const char *err)
{
	return strstr(err, "protocol version") != NULL ||
	    strstr(err, "unsupported protocol") != NULL;
}

/* The handshake with cfg; the main one (probe == 0) reports MSG_TLS. */
static void
tls_start(struct conn *c, struct tls_config *cfg, int probe)
{
	const struct check_spec *s = c->spec;
	const char *url;
	int	 r;

	send_stage(c, ST_HANDSHAKE);
	if ((c->tls = tls_client()) == NULL)
		finish(c, R_INTERNAL, "tls_client failed");
	if (tls_configure(c->tls, cfg) == -1)
		finish(c, R_INTERNAL, "tls_configure: %s", tls_error(c->tls));
	/* The SSL object it makes carries the staple (ocsp.c). */
	if (!probe)
		ocsp_watch();
	/* SNI is the TLSA base domain (RFC 7672 section 8.1). */
	if (tls_connect_socket(c->tls, c->fd, c->base) == -1)
		finish(c, R_TLS_FAILURE, "TLS set-up failed: %s",
		    tls_error(c->tls));
	while ((r = tls_handshake(c->tls)) != 0) {
		if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) {
			wait_fd(c, r == TLS_WANT_POLLIN ? POLLIN : POLLOUT);
			continue;
		}
		if (probe && no_shared_cipher(tls_error(c->tls))) {
			c->not_offered = 1;
			finish(c, R_TLS_FAILURE, "no shared cipher (%s)",
			    tls_error(c->tls));
		}
		if (probe && no_tls12(tls_error(c->tls))) {
			c->not_offered = 1;
			finish(c, R_TLS_FAILURE, NO_TLS12 " (%s)",
			    tls_error(c->tls));
		}
		if (!probe && s->expect_ocsp && strstr(tls_error(c->tls),
		    "no stapled OCSP response") != NULL)
			finish(c, R_OCSP_MISSING, "the server stapled no "
			    "OCSP response (-expect-ocsp)");
		/* libtls takes a staple only for a leaf that names a
		 * responder (tls_ocsp_verify_cb()). */
		if (strstr(tls_error(c->tls), "no OCSP URLs in peer "
		    "certificate") != NULL)
			finish(c, R_TLS_FAILURE, "TLS handshake failed: the "
			    "server stapled an OCSP response for a leaf that "
			    "names no OCSP responder, which libtls refuses "
			    "(%s)", tls_error(c->tls));
		finish(c, R_TLS_FAILURE, "TLS handshake failed: %s%s",
		    tls_error(c->tls), s->tls_on_connect ?
		    " (does the server expect STARTTLS instead of TLS at "
		    "once?)" : "");
	}
	if (probe)
		return;
	/* Judged in the parse stage, check_child(). */
	if ((c->staple = ocsp_take(&c->staple_der, &c->staple_len)) == -1)
		finish(c, R_INTERNAL, "out of memory");
	/* Read by on_tls() in report.c. */
	url = tls_peer_ocsp_url(c->tls);
	msg_begin(&c->mb, MSG_TLS);
	msg_put_cstr(&c->mb, tls_conn_version(c->tls));
	msg_put_cstr(&c->mb, tls_conn_cipher(c->tls));
	msg_put_cstr(&c->mb, c->base);
	msg_put_u32(&c->mb, c->staple);
	msg_put_cstr(&c->mb, url != NULL ? url : "");
	msg_send(c->out, &c->mb);
}

/*
 * RFC 3207 section 4.2: nothing may follow the 220 to STARTTLS before
 * the handshake.  Bytes already buffered, or waiting in the socket,
 * that look like SMTP replies were sent in clear text by someone and
 * would be read as if protected: that is an injection.  Other bytes
 * are a server that does not speak TLS; buffered ones are judged here,
 * the rest by the handshake.
 */
static int
looks_like_reply(const char *p, size_t len)
{
	return len >= 4 && isdigit((unsigned char)p[0]) &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	    (p[3] == ' ' || p[3] == '-' || p[3] == '\r');
}

static void
check_injection(struct conn *c)
{
	char	 peek[64], *v;
	ssize_t	 n;
	size_t	 total;

	n = recv(c->fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		n = 0;
	if (c->len == 0 && n == 0)
		return;
	total = c->len + n;
	if (c->len > 0 ? looks_like_reply(c->buf, c->len) :
	    looks_like_reply(peek, n))
		finish(c, R_SMTP_ERROR, "STARTTLS injection: the server "
		    "sent %zu bytes of SMTP after its 220 reply to STARTTLS, "
		    "before the TLS handshake (RFC 3207 section 4.2)", total);
	if (c->len == 0)
		return;
	if ((v = vis_text(c->buf, c->len > 40 ? 40 : c->len)) == NULL)
		finish(c, R_INTERNAL, "out of memory");
	finish(c, R_TLS_FAILURE, "TLS handshake failed: the server sent "
	    "%zu bytes that are not TLS after its 220 reply to STARTTLS "
	    "(\"%s%s\")", total, v, c->len > 40 ? "..." : "");
}

static void
expect(struct conn *c, const struct smtp_reply *r, int code,
    const char *what)
{
	char	 q[300];

	if (r->code == code)
		return;
	quote_reply(r, q, sizeof(q));
	finish(c, R_SMTP_ERROR, "%s: %s", what, q);
}

/* Banner, EHLO, STARTTLS: up to the moment TLS starts. */
static void
smtp_to_tls(struct conn *c)
{
	struct smtp_reply	*r;
	char			 cmd[300];

	if ((r = malloc(sizeof(*r))) == NULL)
		finish(c, R_INTERNAL, "out of memory");
	send_stage(c, ST_BANNER);
	c->hint = c->spec->tls_on_connect ? "" :
	    " (if the server expects TLS at once, use -tls-on-connect)";
	read_reply(c, r);
	c->hint = NULL;
	expect(c, r, 220, "unexpected banner");
	send_stage(c, ST_EHLO);
	snprintf(cmd, sizeof(cmd), "EHLO %s", c->spec->helo);
	send_line(c, cmd);
	read_reply(c, r);
	expect(c, r, 250, "EHLO rejected");
	if (!smtp_has_extension(r, "STARTTLS"))
		finish(c, R_STARTTLS_MISSING, "server did not offer STARTTLS "
		    "(EHLO reply has %zu lines)", r->nlines);
	send_stage(c, ST_STARTTLS);
	send_line(c, "STARTTLS");
	read_reply(c, r);
	expect(c, r, 220, "STARTTLS refused");
	check_injection(c);
	free(r);
}

/*
 * After the handshake: EHLO over TLS and QUIT, as a real client.  The
 * chain is judged whatever happens here, so a failure in this part is
 * noted (soft_err) instead of ending the check.  The steps of
 * smtp_to_tls() again, on purpose: other stages and words, no STARTTLS.
 */
static void
ehlo_over_tls(struct conn *c, int banner_pending)
{
	struct smtp_reply	*r;
	char			 cmd[300];

	if ((r = malloc(sizeof(*r))) == NULL)
		finish(c, R_INTERNAL, "out of memory");
	if (banner_pending) {
		send_stage(c, ST_BANNER);
		read_reply(c, r);
		expect(c, r, 220, "unexpected banner");
	}
	send_stage(c, ST_EHLO_TLS);
	snprintf(cmd, sizeof(cmd), "EHLO %s", c->spec->helo);
	send_line(c, cmd);
	read_reply(c, r);
	expect(c, r, 250, "EHLO over TLS rejected");
	free(r);
}

/*
 * The 221 reply to QUIT decides nothing (the verdict rests on the
 * handshake and the EHLO over TLS), so it is not waited for: that
 * would cost every check a round trip.
 */
static void
quit(struct conn *c)
{
	send_stage(c, ST_QUIT);
	send_line(c, "QUIT");
}

static void
smtp_after_tls(struct conn *c, int banner_pending, char *err,
    size_t errlen)
{
	char	 qerr[MAX_TEXT];

	c->soft_err = err;
	c->soft_len = errlen;
	if (setjmp(c->soft_jmp) == 0) {
		ehlo_over_tls(c, banner_pending);
		c->soft_err = qerr;
		c->soft_len = sizeof(qerr);
		if (setjmp(c->soft_jmp) == 0)
			quit(c);
		else
			msg_send_text(c->out, &c->mb, MSG_DETAIL,
			    "after QUIT: %s", qerr);
	}
	c->soft_err = NULL;
}

/*
 * One connection up to a finished handshake with cfg: TCP, the SMTP
 * dialogue up to STARTTLS (or TLS at once), libtls.
 */
static void
conn_open(struct conn *c, struct tls_config *cfg, int probe)
{
	tcp_connect(c);
	if (!c->spec->tls_on_connect)
		smtp_to_tls(c);
	tls_start(c, cfg, probe);
}

/* Back to no connection, for the next one. */
static void
conn_reset(struct conn *c)
{
	if (c->tls != NULL) {
		/* A close_notify if it goes at once; no waiting. */
		(void)tls_close(c->tls);
		tls_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->hint = NULL;
	c->not_offered = 0;
}

/*
 * -all-keys: one new connection a key type, with that type's TLS 1.2
 * cipher suites only, within the check's own deadline.  A failure is
 * the probe's, noted (soft_err) and judged later; the chain is taken
 * as presented, to be verified in the parse stage.
 */
static void
probe_one(struct conn *c, struct key_probe *pr)
{
	const uint8_t	*chain;
	size_t		 len;

	conn_reset(c);
	c->soft_err = pr->err;
	c->soft_len = sizeof(pr->err);
	if (setjmp(c->soft_jmp) != 0) {
		pr->state = c->not_offered ? PROBE_NOT_OFFERED : PROBE_FAILED;
		pr->fail = c->soft_res;
		return;
	}
	conn_open(c, c->spec->probecfg[pr->key], 1);
	if ((chain = tls_peer_cert_chain_pem(c->tls, &len)) == NULL)
		finish(c, R_TLS_FAILURE, "the server sent no certificate");
	if ((pr->pem = malloc(len + 1)) == NULL)
		finish(c, R_INTERNAL, "out of memory");
	memcpy(pr->pem, chain, len);
	pr->pem[len] = '\0';
	pr->pemlen = len;
	strlcpy(pr->version, tls_conn_version(c->tls), sizeof(pr->version));
	strlcpy(pr->cipher, tls_conn_cipher(c->tls), sizeof(pr->cipher));
	pr->state = PROBE_DONE;
	/* Polite, but nothing rests on it: a failure is dropped. */
	if (setjmp(c->soft_jmp) == 0)
		quit(c);
	pr->err[0] = '\0';
	c->soft_err = NULL;
}

static void
probe_keys(struct conn *c, struct key_probe *pr)
{
	size_t	 k;

	for (k = 0; k < KEY__MAX; k++) {
		memset(&pr[k], 0, sizeof(pr[k]));
		pr[k].key = k;
		probe_one(c, &pr[k]);
	}
	c->soft_err = NULL;
	conn_reset(c);
}

/*
 * The TLSA RRset at one base domain candidate.  Returns 1 when it is a
 * secure, non-empty RRset (the candidate becomes the base domain), 0
 * when DANE is not in effect there; a failure ends the check, since a
 * lookup that failed is never "no TLSA" (RFC 7672 section 2.2).
 */
static int
tlsa_at(struct conn *c, struct ub_ctx *ctx, const char *base,
    struct dns_result *res, char *why, size_t whylen)
{
	char	 qname[MAX_HOSTNAME + 16];

	snprintf(qname, sizeof(qname), "_%u._tcp.%s", c->spec->port, base);
	memset(res, 0, sizeof(*res));
	dns_lookup(ctx, qname, RR_TYPE_TLSA, res);
	if (res->sec == SEC_BOGUS)
		finish(c, R_DNS_BOGUS, "TLSA lookup bogus: %s: %s", qname,
		    res->why);
	if (res->status == DNS_FAILED)
		finish(c, R_DNS_FAILURE, "TLSA lookup failed: %s: %s", qname,
		    res->why);
	if (res->status == DNS_ANSWER && res->sec == SEC_SECURE)
		return 1;
	if (res->status == DNS_ANSWER)
		snprintf(why, whylen, "TLSA records insecure at %s "
		    "(unsigned zone)", qname);
	else
		snprintf(why, whylen, "no TLSA records at %s (%s %s)", qname,
		    dns_security_name(res->sec), res->status == DNS_NXDOMAIN ?
		    "NXDOMAIN" : "NODATA");
	dns_result_free(res);
	return 0;
}

/*
 * The RRSIGs of the TLSA RRset, and of the DNSKEY and DS RRsets above
 * its zone that the parent's walks from the address records' zones do
 * not cover (sigs.c); read by on_sigs() in report.c.
 */
static void
send_tlsa_sigs(struct conn *c, struct ub_ctx *ctx,
    const struct dns_result *res, const struct dns_sigs *denied)
{
	struct dns_sigs	 s = res->sigs;
	char		 why[MAX_TEXT] = "";
	size_t		 i, nzones;

	/* The secure denials at the candidates before it count too. */
	sigs_merge(&s, denied);
	nzones = s.nzones;
	for (i = 0; i < nzones; i++)
		sigs_walk_sync(ctx, s.zones[i], c->spec->sig_zones,
		    c->spec->nsig_zones, &s, why, sizeof(why));
	msg_begin(&c->mb, MSG_SIGS);
	msg_put_sigs(&c->mb, SIG_SCOPE_CHECK, "", &s, why);
	msg_send(c->out, &c->mb);
}

/*
 * -all-ns: the RRset as each authoritative server of its zone serves
 * it (allns.c), in at most half of the time left.  Differences come as
 * MSG_NS warnings; a server that failed is noted (ns_fail) for the
 * verdict, so that the rest of the check still runs and is reported.
 */
static void
compare_servers(struct conn *c, struct ub_ctx *ctx,
    const struct dns_result *res)
{
	struct allns_params	 p;
	char			 owner[MAX_HOSTNAME + 16];

	send_stage(c, ST_NS);
	if (res->canon[0] != '\0')
		strlcpy(owner, res->canon, sizeof(owner));
	else
		snprintf(owner, sizeof(owner), "_%u._tcp.%s", c->spec->port,
		    c->base);
	memset(&p, 0, sizeof(p));
	p.out = c->out;
	p.mb = &c->mb;
	p.ctx = ctx;
	p.cfg = c->spec->dnscfg;
	p.owner = owner;
	p.tlsa = res;
	p.family = c->spec->family;
	p.deadline = now_ms() + (c->deadline - now_ms()) / 2;
	(void)allns_compare(&p, c->ns_fail, sizeof(c->ns_fail));
}

/*
 * The candidates in order: the first with a secure TLSA RRset is the
 * base domain, even if its records then fail to match (RFC 7672
 * section 2.2.2).
 */
static size_t
tlsa_lookup(struct conn *c, struct ub_ctx *ctx, struct tlsa **out)
{
	struct dns_result	 res;
	struct dns_sigs		 denied;
	struct tlsa		*t;
	char			 why[2][MAX_TEXT / 2];
	size_t			 i, n = 0;

	send_stage(c, ST_TLSA);
	memset(&denied, 0, sizeof(denied));
	for (i = 0; i < c->spec->nbases; i++) {
		if (tlsa_at(c, ctx, c->spec->bases[i], &res, why[i],
		    sizeof(why[i])))
			break;
		/* RFC 7672 section 2.2.2: a secure denial moves on. */
		if (res.sec == SEC_SECURE)
			sigs_merge(&denied, &res.sigs);
	}
	if (i == c->spec->nbases) {
		if (i > 1)
			finish(c, R_DANE_NA, "%s, and %s: DANE not in effect",
			    why[0], why[1]);
		finish(c, R_DANE_NA, "%s: DANE not in effect", why[0]);
	}
	c->base = c->spec->bases[i];
	c->tlsa_ttl = res.ttl;
	msg_begin(&c->mb, MSG_BASE);
	msg_put_cstr(&c->mb, c->base);
	msg_send(c->out, &c->mb);
	send_tlsa_sigs(c, ctx, &res, &denied);
	if (res.canon[0] != '\0')
		msg_send_text(c->out, &c->mb, MSG_DETAIL, "TLSA owner name "
		    "is an alias of %s; the base domain stays %s (RFC 7672 "
		    "section 2.2.3)", res.canon, c->base);
	if ((t = calloc(res.nrr, sizeof(*t))) == NULL)
		finish(c, R_INTERNAL, "out of memory");
	for (i = 0; i < res.nrr; i++) {
		if (tlsa_parse(res.rr[i].data, res.rr[i].len, &t[n]) == -1) {
			msg_send_text(c->out, &c->mb, MSG_WARN, "malformed "
			    "TLSA record (%zu bytes) ignored", res.rr[i].len);
			continue;
		}
		n++;
	}
	msg_send_text(c->out, &c->mb, MSG_DETAIL, "TLSA _%u._tcp.%s: secure, "
	    "%zu record%s", c->spec->port, c->base, n, n == 1 ? "" : "s");
	if (c->spec->all_ns)
		compare_servers(c, ctx, &res);
	dns_result_free(&res);
	*out = t;
	return n;
}

/*
 * DANE verification of the chain as presented, reported to the parent.
 * Shared by the check child and the verify child, which judges the
 * chain a check child saw for another target's reference names.
 */
struct verdict_out {
	int		 fd;
	struct msgbuf	*mb;
};

static void
send_certs(struct verdict_out *o, const struct dane_report *rep)
{
	const struct dane_cert	*dc;
	size_t			 i;

	for (i = 0; i < rep->ncert; i++) {
		dc = &rep->cert[i];
		msg_begin(o->mb, MSG_CERT);
		msg_put_u32(o->mb, dc->depth);
		msg_put_cstr(o->mb, dc->subject);
		msg_put_cstr(o->mb, dc->issuer);
		msg_put_cstr(o->mb, dc->names);
		msg_put_time(o->mb, dc->not_before);
		msg_put_time(o->mb, dc->not_after);
		msg_put_cstr(o->mb, dc->spki_sha256);
		msg_put_cstr(o->mb, dc->pem);
		msg_send(o->fd, o->mb);
	}
}

static void
send_outcomes(struct verdict_out *o, const struct tlsa *t, size_t n,
    const struct dane_report *rep)
{
	const struct dane_outcome *oc;
	size_t			 i;

	for (i = 0; i < n && i < rep->nout; i++) {
		oc = &rep->out[i];
		msg_begin(o->mb, MSG_TLSA);
		msg_put_u32(o->mb, t[i].usage);
		msg_put_u32(o->mb, t[i].selector);
		msg_put_u32(o->mb, t[i].mtype);
		msg_put_str(o->mb, t[i].data, t[i].len);
		msg_put_u32(o->mb, oc->usable);
		msg_put_u32(o->mb, oc->matched);
		msg_put_u32(o->mb, oc->depth + 1);
		msg_put_cstr(o->mb, oc->text);
		msg_send(o->fd, o->mb);
	}
	for (i = 0; i < rep->nwarn; i++)
		msg_send_text(o->fd, o->mb, MSG_WARN, "%s", rep->warn[i]);
}

static int
has_name(const struct dane_params *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->nnames; i++)
		if (strcasecmp(p->names[i], name) == 0)
			return 1;
	return 0;
}

/*
 * -staged (RFC 7671 section 8.1, "current + next"): would the RRset as
 * published now verify each staged chain or key, with the same rules,
 * names and dates?  If not, the one record to add: 2 1 1 for the new
 * trust anchor when the RRset is all DANE-TA and no anchor matched,
 * else 3 1 1 for the new leaf key (DANE-EE has no name or date rules).
 */
/* Would the RRset with a usage 1 1 record of this SPKI verify it? */
static int
staged_fixed_by(const struct dane_params *p, const struct staged_file *f,
    int usage, const char *spki_hex)
{
	struct dane_params	 q = *p;
	struct dane_staged	 st;
	struct tlsa		*t;
	uint8_t			 d[32];
	char			 two[3];
	size_t			 k;
	int			 ok;

	if (strlen(spki_hex) != 2 * sizeof(d) ||
	    strspn(spki_hex, "0123456789abcdefABCDEF") != 2 * sizeof(d))
		return 0;
	for (k = 0; k < sizeof(d); k++) {
		memcpy(two, spki_hex + 2 * k, 2);
		two[2] = '\0';
		d[k] = (uint8_t)strtoul(two, NULL, 16);
	}
	if ((t = calloc(p->ntlsa + 1, sizeof(*t))) == NULL)
		return 0;
	if (p->ntlsa > 0)
		memcpy(t, p->tlsa, p->ntlsa * sizeof(*t));
	t[p->ntlsa].usage = usage;
	t[p->ntlsa].selector = TLSA_SEL_SPKI;
	t[p->ntlsa].mtype = TLSA_MT_SHA256;
	t[p->ntlsa].data = d;
	t[p->ntlsa].len = sizeof(d);
	q.tlsa = t;
	q.ntlsa = p->ntlsa + 1;
	ok = dane_staged(f->pem, f->len, &q, &st) == 0 && st.safe;
	free(t);
	return ok;
}

static void
judge_staged(struct verdict_out *o, const struct dane_params *p,
    const struct check_spec *s, const char *base, uint32_t ttl)
{
	struct dane_staged	 st;
	char			 rec[MAX_HOSTNAME + 200];
	size_t			 i, k;
	int			 ta_only;

	ta_only = 0;
	for (k = 0; k < p->ntlsa; k++) {
		if (tlsa_unusable(&p->tlsa[k]) != NULL)
			continue;
		if (p->tlsa[k].usage != TLSA_DANE_TA) {
			ta_only = 0;
			break;
		}
		ta_only = 1;
	}
	for (i = 0; i < s->nstaged; i++) {
		if (dane_staged(s->staged[i].pem, s->staged[i].len, p,
		    &st) == -1) {
			st.safe = 0;
			(void)strlcpy(st.reason, "out of memory or libcrypto "
			    "failure", sizeof(st.reason));
		}
		rec[0] = '\0';
		if (!st.safe && st.leaf_spki[0] != '\0') {
			if (ta_only && st.result == R_TLSA_MISMATCH &&
			    st.ta_spki[0] != '\0' &&
			    staged_fixed_by(p, &s->staged[i], TLSA_DANE_TA,
			    st.ta_spki))
				snprintf(rec, sizeof(rec), "_%u._tcp.%s. IN TLSA "
				    "2 1 1 %s", s->port, base, st.ta_spki);
			else
				snprintf(rec, sizeof(rec), "_%u._tcp.%s. IN TLSA "
				    "3 1 1 %s", s->port, base, st.leaf_spki);
		}
		msg_begin(o->mb, MSG_STAGED);
		msg_put_cstr(o->mb, s->staged[i].name);
		msg_put_u32(o->mb, st.safe);
		msg_put_u32(o->mb, st.bare_key);
		msg_put_cstr(o->mb, st.reason);
		msg_put_cstr(o->mb, rec);
		msg_put_u32(o->mb, ttl);
		msg_send(o->fd, o->mb);
	}
}

/*
 * -all-keys: each chain a probe saw, judged as the main one is.  The
 * first probe that fails, if the main chain verified, is the check's
 * result (into res and reason).
 */
static void
judge_probes(struct verdict_out *o, const struct dane_params *p,
    const struct key_probe *pr, size_t npr, enum result *res,
    char *reason, size_t reasonlen)
{
	struct dane_report	 rep;
	enum result		 r;
	const char		*kt, *why, *spki;
	size_t			 i, tls13_only = 0;
	int			 ok, first = 1;

	for (i = 0; i < npr; i++) {
		tls13_only += pr[i].state == PROBE_NOT_OFFERED &&
		    strncmp(pr[i].err, NO_TLS12, strlen(NO_TLS12)) == 0;
		memset(&rep, 0, sizeof(rep));
		kt = key_type_name(pr[i].key);
		spki = "";
		if (pr[i].state == PROBE_DONE) {
			dane_verify(pr[i].pem, pr[i].pemlen, p, &rep);
			r = rep.result;
			why = rep.reason;
			if (rep.ncert > 0)
				spki = rep.cert[0].spki_sha256;
		} else {
			r = pr[i].state == PROBE_FAILED ? pr[i].fail :
			    R_VERIFIED;
			why = pr[i].err;
		}
		ok = r == R_VERIFIED || r == R_VERIFIED_WARN;
		msg_begin(o->mb, MSG_PROBE);
		msg_put_u32(o->mb, pr[i].key);
		msg_put_u32(o->mb, pr[i].state);
		msg_put_cstr(o->mb, pr[i].version);
		msg_put_cstr(o->mb, pr[i].cipher);
		msg_put_cstr(o->mb, spki);
		msg_put_u32(o->mb, r);
		msg_put_cstr(o->mb, why);
		if (pr[i].state == PROBE_DONE)
			msg_put_str(o->mb, pr[i].pem, pr[i].pemlen);
		else
			msg_put_cstr(o->mb, "");
		msg_send(o->fd, o->mb);
		if (!ok && first && (*res == R_VERIFIED ||
		    *res == R_VERIFIED_WARN)) {
			first = 0;
			*res = r;
			if (pr[i].state != PROBE_DONE)
				snprintf(reason, reasonlen, "the %s probe "
				    "(-all-keys) failed: %s", kt, why);
			else if (r == R_TLSA_MISMATCH)
				snprintf(reason, reasonlen, "the %s "
				    "certificate does not match; senders that "
				    "prefer %s will defer mail: %s", kt, kt,
				    why);
			else
				snprintf(reason, reasonlen, "the %s "
				    "certificate does not verify; senders that "
				    "prefer %s will defer mail: %s", kt, kt,
				    why);
		}
		dane_report_free(&rep);
	}
	/* Not a failure of the server: of -all-keys, said so. */
	if (npr > 0 && tls13_only == npr)
		msg_send_text(o->fd, o->mb, MSG_WARN, "-all-keys: the server "
		    "speaks only TLS 1.3, where a client cannot ask for an "
		    "RSA or an ECDSA certificate: any other certificate it "
		    "has was not probed");
}

/*
 * The staple's part in the verdict.  A revoked certificate fails a
 * check whose chain verified, with or without -expect-ocsp: a sender
 * that checks staples refuses it, and its key is not to be trusted
 * anyway.  Under -expect-ocsp, a staple that vouches for nothing
 * (tryLater, another responder error, status unknown, out of date,
 * not verifiable) is a warning of its own, named "ocsp-STATUS"; without
 * it, only the OCSP staple line tells (DANE senders look at staples
 * only when configured to, Postfix never).
 */
static void
judge_ocsp(struct verdict_out *o, const struct check_spec *s,
    const struct ocsp_verdict *v, enum result *res, char *reason,
    size_t reasonlen, const char *dane_reason)
{
	char	 when[64], next[64];

	if (v == NULL)
		return;
	if (v->status == OCSP_ST_REVOKED &&
	    (*res == R_VERIFIED || *res == R_VERIFIED_WARN)) {
		format_time(v->revoked_at, when, sizeof(when));
		*res = R_OCSP_REVOKED;
		snprintf(reason, reasonlen, "the certificate is revoked: the "
		    "stapled OCSP response says revoked since %s%s%s (the "
		    "chain itself verified: %s)", when, v->reason[0] != '\0' ?
		    ", reason " : "", v->reason, dane_reason);
		return;
	}
	if (!s->expect_ocsp || !ocsp_status_bad(v->status))
		return;
	switch (v->status) {
	case OCSP_ST_TRYLATER:
	case OCSP_ST_ERROR:
		msg_send_text(o->fd, o->mb, MSG_WARN, "ocsp-%s: the stapled "
		    "OCSP response gives no certificate status: %s "
		    "(-expect-ocsp)", ocsp_status_name(v->status), v->detail);
		break;
	case OCSP_ST_UNKNOWN:
		msg_send_text(o->fd, o->mb, MSG_WARN, "ocsp-unknown: the "
		    "stapled OCSP response says the responder does not know "
		    "the certificate (-expect-ocsp)");
		break;
	case OCSP_ST_STALE:
		format_time(v->this_update, when, sizeof(when));
		if (v->known & OCSP_HAS_NEXT)
			format_time(v->next_update, next, sizeof(next));
		else
			(void)strlcpy(next, "none", sizeof(next));
		msg_send_text(o->fd, o->mb, MSG_WARN, "ocsp-stale: the "
		    "stapled OCSP response is out of date: %s (thisUpdate %s, "
		    "nextUpdate %s) (-expect-ocsp)", v->detail, when, next);
		break;
	case OCSP_ST_INVALID:
		msg_send_text(o->fd, o->mb, MSG_WARN, "ocsp-invalid: the "
		    "stapled OCSP response cannot be trusted: %s "
		    "(-expect-ocsp)", v->detail);
		break;
	default:
		msg_send_text(o->fd, o->mb, MSG_WARN, "ocsp-%s: smtpdane could "
		    "not judge the staple: %s (-expect-ocsp)",
		    ocsp_status_name(v->status), v->detail);
		break;
	}
}

static __dead void
verify_and_report(struct verdict_out *o, const char *pem, size_t pemlen,
    const struct tlsa *t, size_t nt, const char *base,
    const struct check_spec *s, const char *smtp_err, uint32_t ttl,
    const struct key_probe *pr, size_t npr, const struct ocsp_verdict *ocsp,
    const char *ns_fail)
{
	struct dane_params	 p;
	struct dane_report	 rep;
	enum result		 res;
	char			 reason[2 * MAX_TEXT + 64];
	size_t			 i;

	memset(&p, 0, sizeof(p));
	memset(&rep, 0, sizeof(rep));
	p.tlsa = t;
	p.ntlsa = nt;
	/* The base domain, then the next-hop names and -aka names. */
	p.names[p.nnames++] = base;
	for (i = 0; i < s->nnames && p.nnames < MAX_NAMES; i++)
		if (!has_name(&p, s->names[i]))
			p.names[p.nnames++] = s->names[i];
	p.now = time(NULL);
	p.warn_window = s->warn_window;
	dane_verify(pem, pemlen, &p, &rep);
	send_certs(o, &rep);
	send_outcomes(o, t, nt, &rep);
	/* on_staged() */
	judge_staged(o, &p, s, base, ttl);
	res = rep.result;
	strlcpy(reason, rep.reason, sizeof(reason));
	judge_ocsp(o, s, ocsp, &res, reason, sizeof(reason), rep.reason);
	if ((res == R_VERIFIED || res == R_VERIFIED_WARN) &&
	    smtp_err[0] != '\0') {
		res = R_SMTP_ERROR;
		snprintf(reason, sizeof(reason), "%s (the chain itself "
		    "verified: %s)", smtp_err, rep.reason);
	}
	/* on_probe() */
	judge_probes(o, &p, pr, npr, &res, reason, sizeof(reason));
	/* -all-ns: a server failed; the chain verified all the same. */
	if (ns_fail[0] != '\0' && (res == R_VERIFIED ||
	    res == R_VERIFIED_WARN)) {
		res = R_NS_FAILURE;
		strlcpy(reason, ns_fail, sizeof(reason));
	}
	msg_begin(o->mb, MSG_RESULT);
	msg_put_u32(o->mb, res);
	msg_put_cstr(o->mb, reason);
	msg_send(o->fd, o->mb);
	_exit(0);
}

/*
 * The staple the handshake brought (tls_start()), judged against the
 * chain as presented; MSG_OCSP, read by on_ocsp() in report.c.  A
 * verify child takes its leader's verdict: it does not depend on names.
 */
static void
judge_staple(struct conn *c, const char *pem, size_t pemlen,
    struct ocsp_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (c->staple == OCSP_STAPLED)
		ocsp_judge(c->staple_der, c->staple_len, pem, pemlen,
		    time(NULL), v);
	else if (c->staple == OCSP_UNSEEN) {
		v->status = OCSP_ST_UNCHECKED;
		(void)strlcpy(v->detail, "libtls's connection was not seen, "
		    "so its staple could not be read", sizeof(v->detail));
	} else
		v->status = OCSP_ST_NONE;
	msg_begin(&c->mb, MSG_OCSP);
	msg_put_u32(&c->mb, v->status);
	msg_put_u32(&c->mb, v->known);
	msg_put_time(&c->mb, v->this_update);
	msg_put_time(&c->mb, v->next_update);
	msg_put_time(&c->mb, v->revoked_at);
	msg_put_cstr(&c->mb, v->reason);
	msg_put_cstr(&c->mb, v->detail);
	msg_send(c->out, &c->mb);
}

/*
 * The verify child: no network at all, only the chain and TLSA records
 * another check child reported, judged for this check's names.
 */
__dead void
verify_child(int out, const struct verify_spec *vs)
{
	struct msgbuf		 mb;
	struct verdict_out	 o = { out, &mb };

	memset(&mb, 0, sizeof(mb));
	alarm(vs->check->timeout + 2);
	sandbox_report_fd(out);
	/* OpenBSD: "stdio"; Linux: no socket, no file, no TCP port. */
	sandbox_enter(SB_CHILD_PARSE, NULL);
	msg_begin(&mb, MSG_STAGE);
	msg_put_u32(&mb, ST_VERIFY);
	msg_send(out, &mb);
	verify_and_report(&o, vs->pem, vs->pemlen, vs->tlsa, vs->ntlsa,
	    vs->base, vs->check, vs->smtp_err, vs->tlsa_ttl, vs->probes,
	    vs->nprobes, vs->ocsp, vs->ns_fail != NULL ? vs->ns_fail : "");
}

__dead void
check_child(int out, struct ub_ctx *ctx, const struct check_spec *spec)
{
	struct conn	 c;
	struct verdict_out o;
	struct tlsa	*t = NULL;
	struct sandbox_net net;
	struct key_probe probes[KEY__MAX];
	struct ocsp_verdict ov;
	uint16_t	 ports[1];
	const uint8_t	*chain;
	char		*pem, smtp_err[MAX_TEXT] = "";
	size_t		 nt, i, pemlen, nprobes = 0;
	int		 usable = 0;

	memset(&c, 0, sizeof(c));
	c.spec = spec;
	c.out = out;
	c.fd = -1;
	c.limit = spec->timeout;
	/* The whole budget the user gave; the parent waits a little
	 * longer (CHILD_GRACE_MS) before it kills. */
	c.since = now_ms();
	c.deadline = c.since + spec->timeout * 1000;
	/* Our own clock first; the parent's kill is the second line. */
	alarm(spec->timeout + 2);
	ports[0] = spec->port;
	net.ports = ports;
	net.nports = 1;
	sandbox_report_fd(out);
	/* OpenBSD "stdio inet"; Linux: sockets, TCP to DNS and this port. */
	sandbox_enter(SB_CHILD_NET, &net);

	nt = tlsa_lookup(&c, ctx, &t);
	for (i = 0; i < nt; i++)
		usable += tlsa_unusable(&t[i]) == NULL;
	conn_open(&c, spec->tlscfg, 0);
	if ((chain = tls_peer_cert_chain_pem(c.tls, &pemlen)) == NULL)
		finish(&c, R_TLS_FAILURE, "the server sent no certificate");
	if ((pem = malloc(pemlen + 1)) == NULL)
		finish(&c, R_INTERNAL, "out of memory");
	memcpy(pem, chain, pemlen);
	pem[pemlen] = '\0';
	smtp_after_tls(&c, spec->tls_on_connect, smtp_err, sizeof(smtp_err));
	conn_reset(&c);
	if (spec->probecfg[0] != NULL) {
		probe_keys(&c, probes);
		nprobes = KEY__MAX;
	}
	/* OpenBSD "stdio"; Linux: memory, write to the parent, exit. */
	sandbox_enter(SB_CHILD_PARSE, NULL);
	if (usable == 0)
		msg_send_text(c.out, &c.mb, MSG_DETAIL, "TLS established "
		    "although no TLSA record is usable");
	send_stage(&c, ST_VERIFY);
	/* The chain as presented, for checks of other names (MSG_CHAIN). */
	msg_begin(&c.mb, MSG_CHAIN);
	msg_put_str(&c.mb, pem, pemlen);
	msg_put_cstr(&c.mb, smtp_err);
	msg_send(c.out, &c.mb);
	judge_staple(&c, pem, pemlen, &ov);
	o.fd = c.out;
	o.mb = &c.mb;
	verify_and_report(&o, pem, pemlen, t, nt, c.base, spec, smtp_err,
	    c.tlsa_ttl, probes, nprobes, &ov, c.ns_fail);
}
