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
 * blackhole: a DNS "resolver" that never answers.  It binds UDP and TCP
 * on one loopback address (port 53 by default), reads every query and
 * accepts every connection, and replies to none of them, so that a
 * client has to give up on its own deadline.
 *
 *	blackhole [-l addr[:port]] [-P pidfile]
 *
 * With -P it detaches once its sockets are bound; the pid file names
 * the detached process and is written before the command returns.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONNS	64	/* TCP clients held open at once */

static void	usage(void);
static void	parse_listen(const char *, struct sockaddr_in *);
static int	bind_socket(const struct sockaddr_in *, int);
static void	detach(const char *);
static void	serve(int, int);

static void
usage(void)
{
	fprintf(stderr, "usage: blackhole [-l addr[:port]] [-P pidfile]\n");
	exit(2);
}

/* Only IPv4 literals: the lab's silent resolver lives on 127.53.0.3. */
static void
parse_listen(const char *arg, struct sockaddr_in *sin)
{
	char		 host[INET_ADDRSTRLEN];
	const char	*colon;
	size_t		 len;
	long		 port = 53;
	char		*end;

	colon = strchr(arg, ':');
	len = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
	if (len == 0 || len >= sizeof(host))
		errx(2, "bad listen address: %s", arg);
	memcpy(host, arg, len);
	host[len] = '\0';
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || errno != 0 ||
		    port < 1 || port > 65535)
			errx(2, "bad port: %s", colon + 1);
	}
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		errx(2, "bad listen address: %s", host);
}

static int
bind_socket(const struct sockaddr_in *sin, int type)
{
	int	 fd, on = 1;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		err(1, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		err(1, "setsockopt");
	if (bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1)
		err(1, "bind %s:%u/%s", inet_ntoa(sin->sin_addr),
		    ntohs(sin->sin_port), type == SOCK_STREAM ? "tcp" : "udp");
	if (type == SOCK_STREAM && listen(fd, 16) == -1)
		err(1, "listen");
	return fd;
}

/*
 * The parent writes the child's pid itself before it exits, so the pid
 * file is complete by the time the caller's command returns.
 */
static void
detach(const char *pidfile)
{
	FILE	*fp;
	pid_t	 pid;
	int	 fd;

	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid > 0) {
		if ((fp = fopen(pidfile, "w")) == NULL ||
		    fprintf(fp, "%ld\n", (long)pid) < 0 || fclose(fp) == EOF) {
			kill(pid, SIGTERM);
			err(1, "%s", pidfile);
		}
		_exit(0);
	}
	if (setsid() == -1)
		err(1, "setsid");
	if (chdir("/") == -1)
		err(1, "chdir");
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		err(1, "/dev/null");
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Read everything, answer nothing; hold TCP clients open until they go. */
static void
serve(int udp, int tcp)
{
	struct pollfd	 pfd[2 + MAX_CONNS];
	char		 buf[4096];
	nfds_t		 nfds = 2, i;
	ssize_t		 n;
	int		 fd;

	pfd[0].fd = udp;
	pfd[0].events = POLLIN;
	pfd[1].fd = tcp;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, nfds, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (pfd[0].revents & POLLIN)
			(void)recv(udp, buf, sizeof(buf), 0);
		/* When full, leave new clients in the listen queue. */
		if ((pfd[1].revents & POLLIN) && nfds < 2 + MAX_CONNS) {
			if ((fd = accept(tcp, NULL, NULL)) != -1) {
				pfd[nfds].fd = fd;
				pfd[nfds].events = POLLIN;
				pfd[nfds].revents = 0;
				nfds++;
			}
		}
		for (i = 2; i < nfds; i++) {
			if (pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, buf, sizeof(buf));
			if (n > 0 || (n == -1 && errno == EINTR))
				continue;
			close(pfd[i].fd);
			pfd[i] = pfd[--nfds];
			i--;
		}
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	const char		*pidfile = NULL;
	int			 ch, udp, tcp;

	parse_listen("127.53.0.3", &sin);
	while ((ch = getopt(argc, argv, "l:P:")) != -1) {
		switch (ch) {
		case 'l':
			parse_listen(optarg, &sin);
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	signal(SIGPIPE, SIG_IGN);
	udp = bind_socket(&sin, SOCK_DGRAM);
	tcp = bind_socket(&sin, SOCK_STREAM);
	if (pidfile != NULL)
		detach(pidfile);
	serve(udp, tcp);
	return 0;
}
