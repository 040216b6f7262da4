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
 * labsmtpd-dual: the lab's SMTP server with more than one key pair
 * under one name (an ECDSA and an RSA certificate), for -all-keys.
 * libtls keeps several key pairs only for SNI; OpenSSL keeps one
 * certificate a key type in one SSL_CTX and picks by the client's
 * cipher suites and signature algorithms, so this server uses OpenSSL
 * directly.  It plays the lab's "good" mode only: banner, EHLO with
 * STARTTLS, the handshake, EHLO and QUIT, one child a connection.
 * Test code only.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAXLISTEN	16
#define MAXPAIRS	4
#define CHILD_TIMEOUT	60
#define MAXLINE		1000

static const char	*bannername = "labsmtpd.test";
static int		 logfd = -1;

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: labsmtpd-dual -c chain -k key [-c chain -k "
	    "key ...] -l addr:port ... [-L logfile] [-m good]\n"
	    "\t[-n bannername] [-P pidfile]\n");
	exit(2);
}

static int
listen_on(const char *spec)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	char			 host[64], *p;
	socklen_t		 len;
	int			 fd, on = 1;
	long			 port;

	if (strlcpy(host, spec, sizeof(host)) >= sizeof(host) ||
	    (p = strrchr(host, ':')) == NULL)
		errx(2, "%s: not addr:port", spec);
	*p++ = '\0';
	port = strtol(p, NULL, 10);
	if (port <= 0 || port > 65535)
		errx(2, "%s: bad port", spec);
	if (host[0] == '[' && (p = strchr(host, ']')) != NULL) {
		*p = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else
		errx(2, "%s: not a numeric address", spec);
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		err(1, "bind %s", spec);
	if (listen(fd, 64) == -1)
		err(1, "listen %s", spec);
	return fd;
}

/* One line (CRLF or LF) from the socket or TLS; -1 at the end. */
static int
get_line(int fd, SSL *ssl, char *buf, size_t len)
{
	size_t	 n = 0;
	char	 ch;
	int	 r;

	while (n + 1 < len) {
		r = ssl != NULL ? SSL_read(ssl, &ch, 1) : (int)read(fd, &ch, 1);
		if (r <= 0)
			return -1;
		if (ch == '\n')
			break;
		if (ch != '\r')
			buf[n++] = ch;
	}
	buf[n] = '\0';
	return 0;
}

static void
put(int fd, SSL *ssl, const char *s)
{
	if (ssl != NULL)
		(void)SSL_write(ssl, s, strlen(s));
	else
		(void)write(fd, s, strlen(s));
}

static void
logline(const char *peer, SSL *ssl, const char *end)
{
	char	 line[512];
	int	 n;

	if (logfd == -1)
		return;
	n = snprintf(line, sizeof(line), "peer=%s mode=dual tls=%s "
	    "cipher=%s end=%s\n", peer, ssl != NULL ? SSL_get_version(ssl) :
	    "-", ssl != NULL ? SSL_get_cipher_name(ssl) : "-", end);
	if (n > 0)
		(void)write(logfd, line, (size_t)n < sizeof(line) ? (size_t)n :
		    sizeof(line) - 1);
}

static void __attribute__((__noreturn__))
serve(int fd, SSL_CTX *ctx, const char *peer)
{
	SSL	*ssl = NULL;
	char	 line[MAXLINE + 2], reply[MAXLINE + 64];

	alarm(CHILD_TIMEOUT);
	snprintf(reply, sizeof(reply), "220 %s ESMTP labsmtpd-dual\r\n",
	    bannername);
	put(fd, NULL, reply);
	for (;;) {
		if (get_line(fd, ssl, line, sizeof(line)) == -1) {
			logline(peer, ssl, "eof");
			_exit(0);
		}
		if (strncasecmp(line, "EHLO", 4) == 0) {
			snprintf(reply, sizeof(reply), "250-%s\r\n%s250 "
			    "8BITMIME\r\n", bannername, ssl == NULL ?
			    "250-STARTTLS\r\n" : "");
			put(fd, ssl, reply);
		} else if (ssl == NULL && strcasecmp(line, "STARTTLS") == 0) {
			put(fd, NULL, "220 go ahead\r\n");
			if ((ssl = SSL_new(ctx)) == NULL)
				_exit(1);
			SSL_set_fd(ssl, fd);
			if (SSL_accept(ssl) != 1) {
				logline(peer, NULL, "handshake-failed");
				_exit(0);
			}
		} else if (strcasecmp(line, "QUIT") == 0) {
			put(fd, ssl, "221 bye\r\n");
			logline(peer, ssl, "quit");
			if (ssl != NULL)
				(void)SSL_shutdown(ssl);
			_exit(0);
		} else
			put(fd, ssl, "502 not here\r\n");
	}
}

int
main(int argc, char *argv[])
{
	SSL_CTX			*ctx;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*chains[MAXPAIRS], *keys[MAXPAIRS];
	const char		*pidfile = NULL, *logfile = NULL;
	char			 peer[INET6_ADDRSTRLEN + 8];
	int			 lfd[MAXLISTEN], nl = 0, nc = 0, nk = 0;
	int			 ch, i, fd, maxfd;
	fd_set			 rfds;
	pid_t			 pid;
	FILE			*f;

	while ((ch = getopt(argc, argv, "c:k:L:l:m:n:P:")) != -1) {
		switch (ch) {
		case 'c':
			if (nc == MAXPAIRS)
				usage();
			chains[nc++] = optarg;
			break;
		case 'k':
			if (nk == MAXPAIRS)
				usage();
			keys[nk++] = optarg;
			break;
		case 'L':
			logfile = optarg;
			break;
		case 'l':
			if (nl == MAXLISTEN)
				usage();
			lfd[nl++] = listen_on(optarg);
			break;
		case 'm':
			if (strcmp(optarg, "good") != 0)
				errx(2, "only mode good is played here");
			break;
		case 'n':
			bannername = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (nc == 0 || nc != nk || nl == 0 || argc != optind)
		usage();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		errx(1, "SSL_CTX_new failed");
	/* One certificate a key type: OpenSSL keeps each, and chooses. */
	for (i = 0; i < nc; i++) {
		if (SSL_CTX_use_certificate_chain_file(ctx, chains[i]) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, keys[i],
		    SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			ERR_print_errors_fp(stderr);
			errx(1, "%s, %s: cannot load", chains[i], keys[i]);
		}
	}
	if (logfile != NULL && (logfd = open(logfile, O_WRONLY | O_CREAT |
	    O_APPEND, 0644)) == -1)
		err(1, "%s", logfile);
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* Detach once listening; the pid file says who serves. */
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid > 0) {
		if (pidfile != NULL) {
			if ((f = fopen(pidfile, "w")) == NULL)
				err(1, "%s", pidfile);
			fprintf(f, "%ld\n", (long)pid);
			fclose(f);
		}
		_exit(0);
	}
	(void)setsid();
	for (;;) {
		FD_ZERO(&rfds);
		maxfd = -1;
		for (i = 0; i < nl; i++) {
			FD_SET(lfd[i], &rfds);
			if (lfd[i] > maxfd)
				maxfd = lfd[i];
		}
		if (select(maxfd + 1, &rfds, NULL, NULL, NULL) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "select");
		}
		for (i = 0; i < nl; i++) {
			if (!FD_ISSET(lfd[i], &rfds))
				continue;
			sslen = sizeof(ss);
			if ((fd = accept(lfd[i], (struct sockaddr *)&ss,
			    &sslen)) == -1)
				continue;
			if (inet_ntop(ss.ss_family, ss.ss_family == AF_INET ?
			    (void *)&((struct sockaddr_in *)&ss)->sin_addr :
			    (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
			    peer, sizeof(peer)) == NULL)
				strlcpy(peer, "?", sizeof(peer));
			if ((pid = fork()) == 0) {
				for (ch = 0; ch < nl; ch++)
					close(lfd[ch]);
				serve(fd, ctx, peer);
			}
			close(fd);
		}
	}
}
