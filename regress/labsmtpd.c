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
 * labsmtpd: the regress lab's SMTP server.
 *
 * A small forking SMTP server that listens on loopback addresses and
 * plays one of a fixed set of behaviours (modes), good or broken, so
 * that the scenarios can point smtpdane at a real TLS peer.  Each
 * connection is served by its own child, which gives up after
 * CHILD_TIMEOUT seconds whatever happens, and appends one line that
 * describes the connection to the log file.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>
/* libbsd: keep OpenBSD's strnvis() argument order (and its silence). */
#ifndef LIBBSD_OPENBSD_VIS
#define LIBBSD_OPENBSD_VIS
#endif
#include <vis.h>

#define DEFAULT_PORT	25
#define DEFAULT_NAME	"labsmtpd.test"
#define MAXLISTEN	16
#define MAXCHILD	64
#define CHILD_TIMEOUT	60	/* seconds a connection may live */
#define KILL_GRACE	20	/* 100 ms steps until SIGKILL at exit */
#define MAXLINE		1000	/* RFC 5321 line limit, with CRLF */
#define OUTSIZE		8192
#define LONGLINE	(100 * 1024)
#define ADDRSTRLEN	(INET6_ADDRSTRLEN + 8)

struct conn {
	int		 fd;
	struct tls	*tls;		/* NULL until TLS is up */
	const char	*eol;		/* reply line terminator */
	char		 in[MAXLINE + 2];
	size_t		 inlen;
	char		 out[OUTSIZE];
	size_t		 outlen;
};

/* Every hook returns 0 to end the session, 1 to go on. */
struct mode {
	const char	*name;
	int		 tls_first;	/* TLS at once, as on port 465 */
	int		 tls_only;	/* 10: offer TLS 1.0 only; 13: TLS 1.3 */
	int		(*greet)(struct conn *);
	int		(*command)(struct conn *, const char *);
	void		(*ehlo)(struct conn *);
	int		(*starttls)(struct conn *);
	const char	*what;
};

struct listener {
	int		 fd;
	char		 name[ADDRSTRLEN];
};

/*
 * The connection's log line, built up while the child runs.  The
 * fields are only changed with the log signals blocked, so that the
 * SIGALRM/SIGTERM handler can always write a consistent line.
 */
static struct {
	int		 fd;
	int		 done;
	int		 cmdsfull;
	char		 head[3 * ADDRSTRLEN + 64];
	char		 sni[4 * 256 + 1];
	char		 tls[32];
	char		 ehlo[2048];
	char		 end[32];
	char		 err[1024];
	char		 cmds[8192];
	char		 line[16384];
} lg = { .fd = -1 };

static const struct mode	*mode;
static const char		*bannername = DEFAULT_NAME;
static struct tls		*server;
static struct listener		 listeners[MAXLISTEN];
static int			 nlisteners;
static pid_t			 kids[MAXCHILD];
static int			 nkids;
static sigset_t			 origmask, sigmask;
static volatile sig_atomic_t	 gotterm, gotchld;
/* hang-after-first: this connection comes within 2 s of a served one */
static int			 follows_served;
static struct timespec		 last_served;

static int	greet_good(struct conn *);
static int	greet_silent(struct conn *);
static int	greet_554(struct conn *);
static int	greet_554_nul(struct conn *);
static int	greet_421(struct conn *);
static int	greet_close(struct conn *);
static int	greet_multi(struct conn *);
static int	greet_drip(struct conn *);
static int	greet_long(struct conn *);
static int	greet_bare(struct conn *);
static int	greet_slow(struct conn *);
static int	cmd_smtp(struct conn *, const char *);
static int	cmd_nosvc(struct conn *, const char *);
static void	ehlo_good(struct conn *);
static void	ehlo_nostarttls(struct conn *);
static void	ehlo_200(struct conn *);
static void	ehlo_bad(struct conn *);
static int	starttls_good(struct conn *);
static int	starttls_502(struct conn *);
static int	starttls_454(struct conn *);
static int	starttls_inject(struct conn *);
static int	starttls_nottls(struct conn *);
static int	starttls_hang(struct conn *);
static int	starttls_first_only(struct conn *);

static const struct mode modes[] = {
	{ "good", 0, 0, greet_good, cmd_smtp, ehlo_good, starttls_good,
	    "STARTTLS, then the dialogue again over TLS" },
	{ "tls-on-connect", 1, 0, greet_good, cmd_smtp, ehlo_good,
	    starttls_good, "TLS handshake first, then SMTP over TLS" },
	{ "no-starttls", 0, 0, greet_good, cmd_smtp, ehlo_nostarttls,
	    starttls_502, "STARTTLS not offered, refused with 502" },
	{ "silent", 0, 0, greet_silent, cmd_smtp, ehlo_good, starttls_good,
	    "never send a byte" },
	{ "banner-554", 0, 0, greet_554, cmd_nosvc, ehlo_good, starttls_good,
	    "554 banner, then only QUIT is answered (221)" },
	{ "banner-554-nul", 0, 0, greet_554_nul, cmd_nosvc, ehlo_good,
	    starttls_good, "554 banner with a NUL and 300 bytes more in its "
	    "line, then only QUIT is answered" },
	{ "banner-421", 0, 0, greet_421, cmd_smtp, ehlo_good, starttls_good,
	    "421 banner, then close" },
	{ "close-after-banner", 0, 0, greet_close, cmd_smtp, ehlo_good,
	    starttls_good, "220 banner, then close" },
	{ "multiline-banner", 0, 0, greet_multi, cmd_smtp, ehlo_good,
	    starttls_good, "three-line 220 banner, then like good" },
	{ "starttls-454", 0, 0, greet_good, cmd_smtp, ehlo_good,
	    starttls_454, "STARTTLS answered with 454" },
	{ "inject", 0, 0, greet_good, cmd_smtp, ehlo_good, starttls_inject,
	    "220 Ready plus two forged lines in one write, then TLS" },
	{ "not-tls", 0, 0, greet_good, cmd_smtp, ehlo_good, starttls_nottls,
	    "220 Ready, then plain text instead of TLS" },
	{ "hang-handshake", 0, 0, greet_good, cmd_smtp, ehlo_good,
	    starttls_hang, "220 Ready, then never answer the ClientHello" },
	{ "hang-after-first", 0, 0, greet_good, cmd_smtp, ehlo_good,
	    starttls_first_only, "like good, but a connection within 2 s of "
	    "one served hangs as hang-handshake does (-all-keys probes)" },
	{ "drip", 0, 0, greet_drip, cmd_smtp, ehlo_good, starttls_good,
	    "banner sent one byte per second" },
	{ "long-line", 0, 0, greet_long, cmd_smtp, ehlo_good, starttls_good,
	    "banner of 100 KiB" },
	{ "ehlo-200", 0, 0, greet_good, cmd_smtp, ehlo_200, starttls_good,
	    "EHLO reply of 200 lines, STARTTLS at line 100" },
	{ "tls10", 0, 10, greet_good, cmd_smtp, ehlo_good, starttls_good,
	    "like good, but TLS 1.0 only" },
	{ "tls13", 0, 13, greet_good, cmd_smtp, ehlo_good, starttls_good,
	    "like good, but TLS 1.3 only" },
	{ "bad-ehlo", 0, 0, greet_good, cmd_smtp, ehlo_bad, starttls_good,
	    "malformed EHLO reply" },
	{ "crlf-bare", 0, 0, greet_bare, cmd_smtp, ehlo_good, starttls_good,
	    "every reply line ends in a bare LF" },
	{ "slow-banner", 0, 0, greet_slow, cmd_smtp, ehlo_good,
	    starttls_good, "banner after 2 seconds, then like good" },
};

static void
usage(void)
{
	size_t	i;

	fprintf(stderr, "usage: labsmtpd -l addr[:port] [-l ...] -c chain.pem "
	    "-k key.pem [-f] [-L logfile]\n"
	    "\t[-m mode] [-n bannername] [-O ocsp.der] [-P pidfile]\n"
	    "modes:\n");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(stderr, "\t%-20s %s\n", modes[i].name, modes[i].what);
	exit(2);
}

/*
 * Log line.  These helpers only use memcpy/strlen so that the signal
 * handler may call log_write().
 */

static size_t
cat(char *dst, size_t off, size_t size, const char *s)
{
	size_t	n;

	n = strlen(s);
	if (off + n >= size)
		n = off < size - 1 ? size - 1 - off : 0;
	memcpy(dst + off, s, n);
	off += n;
	dst[off] = '\0';
	return off;
}

static void
log_block(sigset_t *saved)
{
	sigprocmask(SIG_BLOCK, &sigmask, saved);
}

static void
log_unblock(sigset_t *saved)
{
	sigprocmask(SIG_SETMASK, saved, NULL);
}

/* Escape network text; spaces too unless the field allows them. */
static void
escape(char *dst, size_t size, const char *src, int keepspace,
    const char *extra)
{
	char	 buf[4 * MAXLINE + 1];
	size_t	 len;
	int	 flags;

	len = strlen(src);
	if (len > MAXLINE)
		len = MAXLINE;
	flags = VIS_OCTAL | VIS_TAB | VIS_NL;
	if (!keepspace)
		flags |= VIS_SP;
	strsvisx(buf, src, len, flags, extra);
	if (strlcpy(dst, buf, size) >= size && size > 4)
		memcpy(dst + size - 4, "...", 4);
}

static void
log_add(char *field, size_t size, const char *sep, const char *text)
{
	sigset_t	saved;
	size_t		off;

	log_block(&saved);
	off = strlen(field);
	if (off > 0)
		off = cat(field, off, size, sep);
	cat(field, off, size, text);
	log_unblock(&saved);
}

static void
log_set(char *field, size_t size, const char *text)
{
	sigset_t	saved;

	log_block(&saved);
	field[0] = '\0';
	cat(field, 0, size, text);
	log_unblock(&saved);
}

static void
log_init(int fd, const char *peer, const char *local)
{
	lg.fd = fd;
	snprintf(lg.head, sizeof(lg.head), "peer=%s local=%s mode=%s",
	    peer, local, mode->name);
	lg.sni[0] = lg.tls[0] = lg.ehlo[0] = '\0';
	lg.end[0] = lg.err[0] = lg.cmds[0] = '\0';
}

/* The first reason given is the one that counts. */
static void
log_end(const char *why, const char *error)
{
	char	buf[sizeof(lg.err)];

	if (lg.end[0] != '\0')
		return;
	log_set(lg.end, sizeof(lg.end), why);
	if (error != NULL) {
		escape(buf, sizeof(buf), error, 0, "");
		log_set(lg.err, sizeof(lg.err), buf);
	}
}

static void
log_ehlo(const char *name)
{
	char	buf[sizeof(lg.ehlo)];

	escape(buf, sizeof(buf), name, 0, ",");
	log_add(lg.ehlo, sizeof(lg.ehlo), ",", buf);
}

static void
log_cmd(const char *line)
{
	char	buf[4 * MAXLINE + 1];

	if (lg.cmdsfull)
		return;
	escape(buf, sizeof(buf), line, 1, "|");
	/* Keep room for a final "|..." that says the list was cut. */
	if (strlen(lg.cmds) + strlen(buf) + 1 >= sizeof(lg.cmds) - 4) {
		strlcpy(buf, "...", sizeof(buf));
		lg.cmdsfull = 1;
	}
	log_add(lg.cmds, sizeof(lg.cmds), "|", buf);
}

/* Append " name=value" to the line, "-" for an empty value. */
static size_t
field(size_t off, const char *name, const char *value)
{
	off = cat(lg.line, off, sizeof(lg.line) - 1, name);
	return cat(lg.line, off, sizeof(lg.line) - 1,
	    value[0] != '\0' ? value : "-");
}

/* Called with the log signals blocked, or from their handler. */
static void
log_write(const char *why)
{
	size_t	off;

	if (lg.done || lg.fd == -1)
		return;
	lg.done = 1;
	if (why != NULL || lg.end[0] == '\0')
		cat(lg.end, 0, sizeof(lg.end), why != NULL ? why : "closed");
	off = cat(lg.line, 0, sizeof(lg.line) - 1, lg.head);
	off = field(off, " sni=", lg.sni);
	off = field(off, " tls=", lg.tls);
	off = field(off, " ehlo=", lg.ehlo);
	off = field(off, " end=", lg.end);
	off = field(off, " err=", lg.err);
	off = field(off, " cmds=", lg.cmds);
	off = cat(lg.line, off, sizeof(lg.line), "\n");
	/* One write on an O_APPEND descriptor: lines never interleave. */
	(void)write(lg.fd, lg.line, off);
}

static void
log_finish(void)
{
	sigset_t	saved;

	log_block(&saved);
	log_write(NULL);
	log_unblock(&saved);
}

static void
child_sig(int sig)
{
	log_write(sig == SIGALRM ? "timeout" : "killed");
	_exit(1);
}

/* The parent's own trouble: stderr, and the log file if there is one. */
static void
plog(const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	fprintf(stderr, "labsmtpd: %.*s", n, buf);
	if (lg.fd != -1)
		dprintf(lg.fd, "labsmtpd[%ld]: %.*s", (long)getpid(), n, buf);
}

/*
 * Connection I/O: plain socket until TLS is up, libtls after.
 */

static ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	ssize_t	n;

	for (;;) {
		if (c->tls != NULL) {
			n = tls_read(c->tls, buf, len);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT)
				continue;
			if (n == -1)
				log_end("read-error", tls_error(c->tls));
		} else {
			n = read(c->fd, buf, len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				log_end("read-error", strerror(errno));
		}
		if (n == 0)
			log_end("eof", NULL);
		return n;
	}
}

/* A single write(2) when the socket takes it all, as inject needs. */
static int
conn_write(struct conn *c, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if (c->tls != NULL) {
			n = tls_write(c->tls, buf, len);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT)
				continue;
			if (n == -1) {
				log_end("write-error", tls_error(c->tls));
				return -1;
			}
		} else {
			n = write(c->fd, buf, len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				log_end("write-error", strerror(errno));
				return -1;
			}
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int
flush(struct conn *c)
{
	int	rv;

	rv = conn_write(c, c->out, c->outlen);
	c->outlen = 0;
	return rv;
}

/* Queue one reply line; it goes out at the next flush(). */
static void
reply(struct conn *c, const char *fmt, ...)
{
	va_list	ap;
	size_t	room;
	int	n;

	if (c->outlen > sizeof(c->out) - MAXLINE)
		(void)flush(c);
	room = sizeof(c->out) - c->outlen - 3;
	va_start(ap, fmt);
	n = vsnprintf(c->out + c->outlen, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room)
		n = room - 1;
	c->outlen += n;
	c->outlen = cat(c->out, c->outlen, sizeof(c->out), c->eol);
}

/* Read and throw away whatever comes, until the peer gives up. */
static int
discard(struct conn *c)
{
	char	buf[4096];

	while (conn_read(c, buf, sizeof(buf)) > 0)
		;
	return 0;
}

/*
 * One line into line (CR LF or bare LF stripped).  Returns 1 for a
 * line, 2 for a line that was too long (dropped), 0 at the end.
 */
static int
conn_getline(struct conn *c, char *line, size_t size)
{
	char	*nl;
	size_t	 len;
	ssize_t	 n;
	int	 toolong = 0;

	for (;;) {
		if ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
			len = nl - c->in;
			memmove(line, c->in, len < size ? len : size - 1);
			line[len < size ? len : size - 1] = '\0';
			if (len > 0 && len < size && line[len - 1] == '\r')
				line[len - 1] = '\0';
			c->inlen -= len + 1;
			memmove(c->in, nl + 1, c->inlen);
			return toolong || len >= size ? 2 : 1;
		}
		if (c->inlen == sizeof(c->in)) {
			toolong = 1;
			c->inlen = 0;
		}
		n = conn_read(c, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n <= 0)
			return 0;
		c->inlen += n;
	}
}

static void
sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Accept TLS on the connection; 0 if the handshake failed. */
static int
tls_start(struct conn *c)
{
	struct tls	*cctx;
	const char	*s;
	char		 buf[sizeof(lg.sni)];
	int		 rv;

	/* Plaintext pipelined after STARTTLS must not leak into TLS. */
	if (c->inlen > 0) {
		snprintf(buf, sizeof(buf), "<discarded %zu bytes>", c->inlen);
		log_cmd(buf);
		c->inlen = 0;
	}
	if (tls_accept_socket(server, &cctx, c->fd) == -1) {
		log_end("tls-failed", tls_error(server));
		return 0;
	}
	c->tls = cctx;
	do {
		rv = tls_handshake(cctx);
	} while (rv == TLS_WANT_POLLIN || rv == TLS_WANT_POLLOUT);
	if (rv == -1) {
		log_end("tls-failed", tls_error(cctx));
		return 0;
	}
	if ((s = tls_conn_servername(cctx)) != NULL) {
		escape(buf, sizeof(buf), s, 0, "");
		log_set(lg.sni, sizeof(lg.sni), buf);
	}
	if ((s = tls_conn_version(cctx)) != NULL)
		log_set(lg.tls, sizeof(lg.tls), s);
	return 1;
}

/*
 * Greetings.
 */

static int
greet_good(struct conn *c)
{
	reply(c, "220 %s ESMTP labsmtpd", bannername);
	return flush(c) == 0;
}

static int
greet_silent(struct conn *c)
{
	return discard(c);
}

static int
greet_554(struct conn *c)
{
	reply(c, "554 5.3.2 No service here");
	return flush(c) == 0;
}

static int
greet_554_nul(struct conn *c)
{
	static const char head[] = "554 5.3.2 No\0service ";
	char	 buf[sizeof(head) - 1 + 300 + 2];

	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, 'x', 300);
	memcpy(buf + sizeof(buf) - 2, "\r\n", 2);
	return conn_write(c, buf, sizeof(buf)) == 0;
}

static int
greet_421(struct conn *c)
{
	reply(c, "421 4.3.2 Service not available, closing");
	(void)flush(c);
	return 0;
}

static int
greet_close(struct conn *c)
{
	(void)greet_good(c);
	return 0;
}

static int
greet_multi(struct conn *c)
{
	reply(c, "220-%s first line", bannername);
	reply(c, "220-second");
	reply(c, "220 last");
	return flush(c) == 0;
}

static int
greet_drip(struct conn *c)
{
	char	 buf[512];
	int	 i, n;

	n = snprintf(buf, sizeof(buf), "220 %s ESMTP labsmtpd\r\n",
	    bannername);
	for (i = 0; i < n && (size_t)i < sizeof(buf) - 1; i++) {
		if (i > 0)
			sleep_ms(1000);
		if (conn_write(c, buf + i, 1) == -1)
			return 0;
	}
	return 1;
}

static int
greet_long(struct conn *c)
{
	char	*buf;
	int	 rv;

	if ((buf = malloc(LONGLINE + 6)) == NULL) {
		log_end("error", strerror(errno));
		return 0;
	}
	memcpy(buf, "220 ", 4);
	memset(buf + 4, 'x', LONGLINE);
	memcpy(buf + 4 + LONGLINE, "\r\n", 2);
	rv = conn_write(c, buf, LONGLINE + 6) == 0;
	free(buf);
	return rv;
}

static int
greet_bare(struct conn *c)
{
	c->eol = "\n";
	reply(c, "220-%s ESMTP labsmtpd", bannername);
	reply(c, "220 bare LF line endings");
	return flush(c) == 0;
}

static int
greet_slow(struct conn *c)
{
	sleep_ms(2000);
	return greet_good(c);
}

/*
 * EHLO replies.
 */

static void
ehlo_list(struct conn *c, int starttls)
{
	reply(c, "250-%s", bannername);
	reply(c, "250-PIPELINING");
	reply(c, "250-SIZE 10240000");
	if (starttls && c->tls == NULL)
		reply(c, "250-STARTTLS");
	reply(c, "250 8BITMIME");
}

static void
ehlo_good(struct conn *c)
{
	ehlo_list(c, 1);
}

static void
ehlo_nostarttls(struct conn *c)
{
	ehlo_list(c, 0);
}

/* 200 lines in all: the greeting line, EXTn lines, HELP last. */
static void
ehlo_200(struct conn *c)
{
	int	i;

	reply(c, "250-%s", bannername);
	for (i = 2; i < 200; i++) {
		if (i == 100 && c->tls == NULL)
			reply(c, "250-STARTTLS");
		else
			reply(c, "250-EXT%d", i);
	}
	reply(c, "250 HELP");
}

static void
ehlo_bad(struct conn *c)
{
	reply(c, "250-ok");
	reply(c, "25x broken");
}

/*
 * STARTTLS.
 */

static int
ready(struct conn *c)
{
	reply(c, "220 2.0.0 Ready to start TLS");
	return flush(c) == 0;
}

static int
starttls_good(struct conn *c)
{
	return ready(c) && tls_start(c);
}

static int
starttls_502(struct conn *c)
{
	reply(c, "502 5.5.1 STARTTLS not supported");
	return 1;
}

static int
starttls_454(struct conn *c)
{
	reply(c, "454 4.7.0 TLS not available due to temporary reason");
	return 1;
}

static int
starttls_inject(struct conn *c)
{
	static const char	inj[] = "220 2.0.0 Ready to start TLS\r\n"
	    "250-injected\r\n250 forged\r\n";

	if (flush(c) == -1 || conn_write(c, inj, sizeof(inj) - 1) == -1)
		return 0;
	return tls_start(c);
}

static int
starttls_nottls(struct conn *c)
{
	static const char	junk[] = "this is not TLS\r\n";

	if (!ready(c) || conn_write(c, junk, sizeof(junk) - 1) == -1)
		return 0;
	return discard(c);
}

static int
starttls_hang(struct conn *c)
{
	if (!ready(c))
		return 0;
	return discard(c);
}

static int
starttls_first_only(struct conn *c)
{
	return follows_served ? starttls_hang(c) : starttls_good(c);
}

/*
 * Commands.
 */

/* Does line start with verb as a whole word?  arg gets the rest. */
static int
verb(const char *line, const char *name, const char **arg)
{
	size_t	n;

	n = strlen(name);
	if (strncasecmp(line, name, n) != 0 ||
	    (line[n] != '\0' && line[n] != ' '))
		return 0;
	for (line += n; *line == ' '; line++)
		;
	*arg = line;
	return 1;
}

static int
cmd_smtp(struct conn *c, const char *line)
{
	const char	*arg;

	if (verb(line, "EHLO", &arg) || verb(line, "HELO", &arg)) {
		if (*arg == '\0') {
			reply(c, "501 5.5.4 Syntax: %.4s hostname", line);
			return 1;
		}
		log_ehlo(arg);
		if (tolower((unsigned char)line[0]) == 'e')
			mode->ehlo(c);
		else
			reply(c, "250 %s", bannername);
	} else if (verb(line, "STARTTLS", &arg)) {
		if (c->tls != NULL) {
			reply(c, "503 5.5.1 TLS already active");
			return 1;
		}
		return mode->starttls(c);
	} else if (verb(line, "NOOP", &arg) || verb(line, "RSET", &arg))
		reply(c, "250 2.0.0 OK");
	else if (verb(line, "MAIL", &arg))
		reply(c, "250 2.1.0 OK");
	else if (verb(line, "RCPT", &arg))
		reply(c, "250 2.1.5 OK");
	else if (verb(line, "QUIT", &arg)) {
		reply(c, "221 2.0.0 Bye");
		log_end("quit", NULL);
		return 0;
	} else
		reply(c, "502 5.5.2 Command not recognized");
	return 1;
}

/* After a 554 greeting only QUIT is served (RFC 5321 3.1). */
static int
cmd_nosvc(struct conn *c, const char *line)
{
	const char	*arg;

	if (verb(line, "QUIT", &arg)) {
		reply(c, "221 2.0.0 Bye");
		log_end("quit", NULL);
		return 0;
	}
	reply(c, "503 5.5.1 No service here, only QUIT");
	return 1;
}

static void
session(struct conn *c)
{
	char	line[MAXLINE + 1];
	int	rv;

	if (mode->tls_first && !tls_start(c))
		return;
	if (!mode->greet(c))
		return;
	while ((rv = conn_getline(c, line, sizeof(line))) != 0) {
		if (rv == 2) {
			log_cmd("<line too long>");
			reply(c, "500 5.5.2 Line too long");
		} else {
			log_cmd(line);
			rv = mode->command(c, line);
		}
		if (flush(c) == -1 || rv == 0)
			break;
	}
}

static void
child(int fd, const char *peer, const char *local)
{
	struct sigaction	sa;
	struct conn		c;
	int			i, rv, one = 1;

	for (i = 0; i < nlisteners; i++)
		close(listeners[i].fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_sig;
	sa.sa_mask = sigmask;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGCHLD, SIG_DFL);
	log_init(lg.fd, peer, local);
	alarm(CHILD_TIMEOUT);
	sigprocmask(SIG_SETMASK, &origmask, NULL);

	/* Blocking I/O; every reply leaves at once (drip, inject). */
	if ((i = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, i & ~O_NONBLOCK);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.eol = "\r\n";
	session(&c);
	log_finish();
	if (c.tls != NULL) {
		/* Bounded: a peer that never reads must not keep us. */
		for (i = 0; i < 4; i++) {
			rv = tls_close(c.tls);
			if (rv != TLS_WANT_POLLIN && rv != TLS_WANT_POLLOUT)
				break;
		}
		tls_free(c.tls);
	}
	close(fd);
	_exit(0);
}

/*
 * The parent.
 */

static void
addr_fmt(const struct sockaddr *sa, char *buf, size_t size)
{
	char	host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(s4->sin_port));
	} else
		strlcpy(buf, "?", size);
}

/* Parse "a.b.c.d", "a.b.c.d:port", "v6addr", "[v6addr]:port". */
static void
parse_listen(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + 1];
	const char		*p, *port = NULL, *errstr;
	size_t			 n;
	long long		 num = DEFAULT_PORT;

	if (arg[0] == '[') {
		if ((p = strchr(arg, ']')) == NULL ||
		    (p[1] != '\0' && p[1] != ':'))
			errx(2, "-l %s: bad address", arg);
		n = p - arg - 1;
		if (p[1] == ':')
			port = p + 2;
		arg++;
	} else if ((p = strchr(arg, ':')) != NULL && strchr(p + 1, ':') ==
	    NULL) {
		n = p - arg;
		port = p + 1;
	} else
		n = strlen(arg);
	if (n >= sizeof(host))
		errx(2, "-l %.*s: bad address", (int)n, arg);
	memcpy(host, arg, n);
	host[n] = '\0';
	if (port != NULL) {
		num = strtonum(port, 1, 65535, &errstr);
		if (errstr != NULL)
			errx(2, "-l: port %s is %s", port, errstr);
	}

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			errx(2, "-l %s: not a loopback address", host);
		s4->sin_family = AF_INET;
		s4->sin_port = htons(num);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			errx(2, "-l %s: not a loopback address", host);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(num);
		*len = sizeof(*s6);
	} else
		errx(2, "-l %s: not a numeric IPv4 or IPv6 address", host);
}

static void
listen_on(const char *arg)
{
	struct sockaddr_storage	 ss;
	struct listener		*l;
	socklen_t		 len;
	int			 fd, one = 1;

	if (nlisteners == MAXLISTEN)
		errx(2, "too many -l (at most %d)", MAXLISTEN);
	parse_listen(arg, &ss, &len);
	l = &listeners[nlisteners];
	addr_fmt((struct sockaddr *)&ss, l->name, sizeof(l->name));
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		err(1, "SO_REUSEADDR");
	if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1)
		err(1, "IPV6_V6ONLY");
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		err(1, "bind %s", l->name);
	if (listen(fd, 128) == -1)
		err(1, "listen %s", l->name);
	/* poll may report a connection that is gone by accept time. */
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		err(1, "fcntl");
	l->fd = fd;
	nlisteners++;
}

static struct tls *
tls_setup(const char *chain, const char *key, const char *ocsp)
{
	struct tls_config	*cfg;
	struct tls		*ctx;
	uint32_t		 protocols = TLS_PROTOCOLS_DEFAULT;

	if (tls_init() == -1)
		errx(1, "tls_init failed");
	if ((cfg = tls_config_new()) == NULL)
		errx(1, "tls_config_new failed");
	/* The chain goes out exactly as the file holds it. */
	if (tls_config_set_cert_file(cfg, chain) == -1)
		errx(1, "%s: %s", chain, tls_config_error(cfg));
	if (tls_config_set_key_file(cfg, key) == -1)
		errx(1, "%s: %s", key, tls_config_error(cfg));
	if (ocsp != NULL && tls_config_set_ocsp_staple_file(cfg, ocsp) == -1)
		errx(1, "%s: %s", ocsp, tls_config_error(cfg));
	if (mode->tls_only == 13)
		protocols = TLS_PROTOCOL_TLSv1_3;
	if (mode->tls_only == 10) {
		protocols = TLS_PROTOCOL_TLSv1_0;
		/* OpenSSL 3 refuses TLS 1.0's SHA-1 above level 0. */
		if (tls_config_set_ciphers(cfg, "ALL:@SECLEVEL=0") == -1)
			errx(1, "ciphers: %s", tls_config_error(cfg));
	}
	if (tls_config_set_protocols(cfg, protocols) == -1)
		errx(1, "protocols: %s", tls_config_error(cfg));
	if ((ctx = tls_server()) == NULL)
		errx(1, "tls_server failed");
	if (tls_configure(ctx, cfg) == -1)
		errx(1, "tls_configure: %s", tls_error(ctx));
	tls_config_free(cfg);
	return ctx;
}

static void
writepid(const char *path)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		err(1, "%s", path);
	if (dprintf(fd, "%ld\n", (long)getpid()) < 0)
		err(1, "%s", path);
	if (close(fd) == -1)
		err(1, "%s", path);
}

/*
 * Fork; the parent returns (exits) only once the daemon has its own
 * session, its pid file and /dev/null for stdio, so that a script
 * knows the server is up when the command returns.
 */
static void
daemonize(const char *pidfile)
{
	ssize_t	n;
	int	p[2], fd;
	char	ok;

	if (pipe(p) == -1)
		err(1, "pipe");
	switch (fork()) {
	case -1:
		err(1, "fork");
	case 0:
		break;
	default:
		close(p[1]);
		while ((n = read(p[0], &ok, 1)) == -1 && errno == EINTR)
			;
		_exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() == -1)
		err(1, "setsid");
	if (pidfile != NULL)
		writepid(pidfile);
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		err(1, "/dev/null");
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		err(1, "dup2");
	if (fd > STDERR_FILENO)
		close(fd);
	(void)write(p[1], "", 1);
	close(p[1]);
}

static void
parent_sig(int sig)
{
	if (sig == SIGCHLD)
		gotchld = 1;
	else
		gotterm = 1;
}

static void
signals(void)
{
	struct sigaction	sa;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigmask);
	sigaddset(&sigmask, SIGCHLD);
	sigaddset(&sigmask, SIGTERM);
	sigaddset(&sigmask, SIGINT);
	sigaddset(&sigmask, SIGHUP);
	sigaddset(&sigmask, SIGALRM);
	/* Only delivered inside ppoll(), so no wakeup is ever lost. */
	sigprocmask(SIG_BLOCK, &sigmask, &origmask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = parent_sig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
reap(void)
{
	pid_t	pid;
	int	i, status;

	gotchld = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nkids; i++)
			if (kids[i] == pid) {
				kids[i] = kids[--nkids];
				break;
			}
	}
}

static void
accept_one(struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 peer[ADDRSTRLEN];
	struct timespec		 now;
	pid_t			 pid;
	int			 fd;

	if ((fd = accept(l->fd, (struct sockaddr *)&ss, &len)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			return;
		plog("accept %s: %s", l->name, strerror(errno));
		/* Out of descriptors: do not spin on the ready listener. */
		sleep_ms(100);
		return;
	}
	addr_fmt((struct sockaddr *)&ss, peer, sizeof(peer));
	clock_gettime(CLOCK_MONOTONIC, &now);
	follows_served = last_served.tv_sec != 0 &&
	    now.tv_sec - last_served.tv_sec < 2;
	if (!follows_served)
		last_served = now;
	if ((pid = fork()) == -1) {
		plog("fork: %s", strerror(errno));
		close(fd);
		return;
	}
	if (pid == 0)
		child(fd, peer, l->name);
	kids[nkids++] = pid;
	close(fd);
}

static void
serve(void)
{
	struct pollfd	pfd[MAXLISTEN];
	int		i;

	while (!gotterm) {
		if (gotchld)
			reap();
		for (i = 0; i < nlisteners; i++) {
			/* At the child limit, wait for one to finish. */
			pfd[i].fd = nkids < MAXCHILD ? listeners[i].fd : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (ppoll(pfd, nlisteners, NULL, &origmask) == -1) {
			if (errno == EINTR)
				continue;
			plog("ppoll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < nlisteners && nkids < MAXCHILD; i++)
			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				accept_one(&listeners[i]);
	}
}

/* Stop every child: SIGTERM, a short grace, then SIGKILL. */
static void
stop_kids(void)
{
	int	i, tries;

	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGTERM);
	for (tries = 0; nkids > 0 && tries < KILL_GRACE; tries++) {
		sleep_ms(100);
		reap();
	}
	for (i = 0; i < nkids; i++) {
		kill(kids[i], SIGKILL);
		while (waitpid(kids[i], NULL, 0) == -1 && errno == EINTR)
			;
	}
	nkids = 0;
}

static const struct mode *
find_mode(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, name) == 0)
			return &modes[i];
	warnx("unknown mode: %s", name);
	usage();
	return NULL;
}

int
main(int argc, char *argv[])
{
	const char	*chain = NULL, *key = NULL, *ocsp = NULL;
	const char	*pidfile = NULL, *logfile = NULL;
	const char	*listen_args[MAXLISTEN];
	int		 ch, i, foreground = 0, nlisten = 0;

	mode = &modes[0];
	while ((ch = getopt(argc, argv, "c:fk:L:l:m:n:O:P:")) != -1) {
		switch (ch) {
		case 'c':
			chain = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'k':
			key = optarg;
			break;
		case 'L':
			logfile = optarg;
			break;
		case 'l':
			if (nlisten == MAXLISTEN)
				errx(2, "too many -l (at most %d)", MAXLISTEN);
			listen_args[nlisten++] = optarg;
			break;
		case 'm':
			mode = find_mode(optarg);
			break;
		case 'n':
			if (strlen(optarg) == 0 || strlen(optarg) > 255 ||
			    strcspn(optarg, " \t\r\n") != strlen(optarg))
				errx(2, "-n: bad banner name");
			bannername = optarg;
			break;
		case 'O':
			ocsp = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || nlisten == 0 || chain == NULL || key == NULL)
		usage();

	tzset();
	signals();
	server = tls_setup(chain, key, ocsp);
	if (logfile != NULL && (lg.fd = open(logfile,
	    O_WRONLY | O_APPEND | O_CREAT, 0644)) == -1)
		err(1, "%s", logfile);
	for (i = 0; i < nlisten; i++)
		listen_on(listen_args[i]);
	if (!foreground)
		daemonize(pidfile);
	else if (pidfile != NULL)
		writepid(pidfile);

	serve();
	stop_kids();
	for (i = 0; i < nlisteners; i++)
		close(listeners[i].fd);
	if (pidfile != NULL)
		unlink(pidfile);
	tls_free(server);
	return 0;
}
