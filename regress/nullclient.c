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
 * nullclient: the least work any DANE checker must do, as the bench's
 * ceiling.  One process, no fork, no DNS, no DANE: it connects to
 * every host of a bench hosts file at once (non-blocking, one epoll
 * loop), reads the banner, sends EHLO and STARTTLS and does the TLS
 * handshake with libtls configured as smtpdane configures it, then
 * hangs up.  It prints one line:
 *
 *	hosts N ok K wall S user U sys Y
 *
 * (seconds), and exits 0 only when every handshake completed.
 *
 * With -j J it is the ceiling of a checker shaped as smtpdane is: it
 * forks one child per host, J at a time, and each child does the same
 * work for its host alone, with libtls set up before the fork.  Still
 * no DNS, no DANE and no sandbox; user and sys then count the children
 * too.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#define MAXREPLY	4096

enum state { S_CONNECT, S_BANNER, S_EHLO, S_STARTTLS, S_HANDSHAKE, S_DONE };

struct conn {
	int		 fd;
	enum state	 state;
	char		 name[256];
	struct sockaddr_in sin;
	struct tls	*tls;
	char		 in[MAXREPLY];
	size_t		 inlen;
};

static struct tls_config *cfg;
static int		 ep;
static int		 ok, left;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
want(struct conn *c, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		err(1, "epoll_ctl");
}

static void
done(struct conn *c, const char *why)
{
	if (why != NULL)
		warnx("%s: %s", c->name, why);
	else
		ok++;
	if (c->tls != NULL)
		tls_free(c->tls);
	c->tls = NULL;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->state = S_DONE;
	left--;
}

static int
send_line(struct conn *c, const char *line)
{
	size_t	 len = strlen(line);

	/* A line this short fits any socket buffer. */
	if (write(c->fd, line, len) != (ssize_t)len) {
		done(c, "write failed");
		return 0;
	}
	return 1;
}

/*
 * The code of the complete reply in the buffer, 0 while incomplete,
 * -1 when it cannot be one.
 */
static int
reply_code(struct conn *c)
{
	char	*p = c->in, *nl;

	while ((nl = memchr(p, '\n', c->inlen - (p - c->in))) != NULL) {
		if (nl - p < 4)
			return -1;
		if (p[3] == ' ' || p[3] == '\r') {
			c->inlen = 0;
			return atoi(p);
		}
		p = nl + 1;
	}
	return c->inlen >= sizeof(c->in) ? -1 : 0;
}

static void
handshake(struct conn *c)
{
	int	 r;

	r = tls_handshake(c->tls);
	if (r == TLS_WANT_POLLIN)
		want(c, EPOLLIN);
	else if (r == TLS_WANT_POLLOUT)
		want(c, EPOLLOUT);
	else if (r == -1)
		done(c, tls_error(c->tls));
	else
		done(c, NULL);
}

static void
step(struct conn *c)
{
	ssize_t	 n;
	int	 code, e;
	socklen_t len;

	switch (c->state) {
	case S_CONNECT:
		len = sizeof(e);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1 ||
		    e != 0) {
			done(c, "connect failed");
			return;
		}
		c->state = S_BANNER;
		want(c, EPOLLIN);
		return;
	case S_HANDSHAKE:
		handshake(c);
		return;
	case S_DONE:
		return;
	default:
		break;
	}
	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		done(c, "connection closed");
		return;
	}
	c->inlen += n;
	if ((code = reply_code(c)) == 0)
		return;
	switch (c->state) {
	case S_BANNER:
		if (code != 220)
			done(c, "bad banner");
		else if (send_line(c, "EHLO nullclient.invalid\r\n"))
			c->state = S_EHLO;
		break;
	case S_EHLO:
		if (code != 250)
			done(c, "bad EHLO reply");
		else if (send_line(c, "STARTTLS\r\n"))
			c->state = S_STARTTLS;
		break;
	case S_STARTTLS:
		if (code != 220) {
			done(c, "STARTTLS refused");
			break;
		}
		if ((c->tls = tls_client()) == NULL)
			errx(1, "tls_client");
		if (tls_configure(c->tls, cfg) == -1 ||
		    tls_connect_socket(c->tls, c->fd, c->name) == -1) {
			done(c, tls_error(c->tls));
			break;
		}
		c->state = S_HANDSHAKE;
		handshake(c);
		break;
	default:
		break;
	}
}

/* Check hosts conns[0..n-1] at once in this process; how many passed. */
static int
run(struct conn *conns, size_t n)
{
	struct epoll_event ev, evs[256];
	struct conn	*c;
	size_t		 i;
	int		 k;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	for (i = 0; i < n; i++) {
		c = &conns[i];
		if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			err(1, "socket");
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLOUT;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
			err(1, "epoll_ctl");
		left++;
		if (connect(c->fd, (struct sockaddr *)&c->sin,
		    sizeof(c->sin)) == -1 && errno != EINPROGRESS)
			done(c, strerror(errno));
	}
	while (left > 0) {
		if ((k = epoll_wait(ep, evs, 256, 60000)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		if (k == 0)
			errx(1, "no progress in 60 s, %d hosts left", left);
		while (k-- > 0)
			step(evs[k].data.ptr);
	}
	close(ep);
	return ok;
}

/* One child per host, jobs at a time; how many children passed. */
static int
run_forked(struct conn *conns, size_t n, int jobs)
{
	size_t	 i;
	int	 running = 0, passed = 0, status;
	pid_t	 pid;

	for (i = 0; i < n || running > 0; ) {
		if (i < n && running < jobs) {
			if ((pid = fork()) == -1)
				err(1, "fork");
			if (pid == 0)
				_exit(run(&conns[i], 1) == 1 ? 0 : 1);
			running++;
			i++;
			continue;
		}
		if (wait(&status) == -1)
			err(1, "wait");
		running--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			passed++;
	}
	return passed;
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	struct rusage	 ru;
	struct conn	*conns = NULL, *c;
	char		 line[512], name[256], addr[64];
	const char	*errstr;
	double		 t0, t1, user, sys;
	FILE		*f;
	size_t		 n = 0, size = 0;
	int		 jobs = 0;

	if (argc == 4 && strcmp(argv[1], "-j") == 0) {
		jobs = strtonum(argv[2], 1, 10000, &errstr);
		if (errstr != NULL)
			errx(2, "-j %s: %s", argv[2], errstr);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: nullclient [-j jobs] hostsfile\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((f = fopen(argv[1], "r")) == NULL)
		err(1, "%s", argv[1]);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%255s %63s", name, addr) != 2)
			continue;
		if (n == size) {
			size = size ? size * 2 : 256;
			if ((conns = reallocarray(conns, size,
			    sizeof(*conns))) == NULL)
				err(1, NULL);
		}
		c = &conns[n];
		memset(c, 0, sizeof(*c));
		strlcpy(c->name, name, sizeof(c->name));
		c->sin.sin_family = AF_INET;
		c->sin.sin_port = htons(25);
		if (inet_pton(AF_INET, addr, &c->sin.sin_addr) != 1)
			errx(1, "bad address %s", addr);
		n++;
	}
	fclose(f);

	/* As smtpdane sets libtls up. */
	if (tls_init() == -1 || (cfg = tls_config_new()) == NULL)
		errx(1, "tls_config_new");
	tls_config_insecure_noverifycert(cfg);
	tls_config_insecure_noverifyname(cfg);
	tls_config_insecure_noverifytime(cfg);
	if (tls_config_set_protocols(cfg, TLS_PROTOCOLS_DEFAULT) == -1)
		errx(1, "%s", tls_config_error(cfg));

	t0 = now();
	ok = jobs > 0 ? run_forked(conns, n, jobs) : run(conns, n);
	t1 = now();
	getrusage(RUSAGE_SELF, &ru);
	user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	getrusage(RUSAGE_CHILDREN, &ru);
	user += ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	sys += ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("hosts %zu ok %d wall %.4f user %.4f sys %.4f\n", n, ok,
	    t1 - t0, user, sys);
	return ok == (int)n ? 0 : 1;
}
