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
 * OpenBSD: pledge(2) and unveil(2) map the stages directly.  Promises
 * only shrink, so the start stage holds what any later one needs.
 *
 *	start	stdio rpath inet proc id getpw sendfd recvfd
 *						files, priv_drop, fork later
 *	run	stdio inet proc sendfd recvfd	DNS, fork, kill, wait; the
 *						forker's pipes (forker.c)
 *	wait	stdio proc			kill, wait
 *	network	stdio inet			DNS and one SMTP connection
 *	parse	stdio				nothing but memory and the pipe
 *
 * unveil: the start stage sees only the files named with
 * sandbox_allow_read() and the system's own; from the run stage on
 * no promise allows a path at all.  Ports are not restricted here:
 * pledge has no port rules, and "inet" is any TCP or UDP socket.
 *
 * A violation is killed by the kernel with an uncatchable SIGABRT;
 * sandbox_kill_text() turns that into the parent's message.
 */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smtpdane.h"

static const char *const sb_promises[] = {
	[SB_PARENT_START] = "stdio rpath inet proc id getpw sendfd recvfd",
	[SB_PARENT_RUN] = "stdio inet proc sendfd recvfd",	/* forker.c */
	[SB_PARENT_WAIT] = "stdio proc",
	[SB_CHILD_NET] = "stdio inet",
	[SB_CHILD_PARSE] = "stdio",
};

/* What the start stage reads besides the files named to us. */
static const char *const sb_system_files[] = {
	"/etc/resolv.conf",	/* resolvers, unless DNS_RESOLVER */
	"/etc/pwd.db",		/* priv_drop: getpwnam */
	"/etc/services",	/* port names */
};

void
sandbox_init(int debug)
{
	if (debug)
		fprintf(stderr, "debug: sandbox: pledge and unveil; no TCP "
		    "port rules on OpenBSD\n");
}

/* pledge(2) has no port rules: nothing to remember. */
void
sandbox_dns_ports(const uint16_t *ports, size_t n)
{
	(void)ports;
	(void)n;
}

/* A pledge violation cannot be caught: nothing to report on. */
/*
 * OpenBSD has no death signal: a forker that is killed leaves its
 * children to their own alarm(2), which a check sets to its -timeout.
 */
int
sandbox_die_with_parent(pid_t parent)
{
	return getppid() == parent ? 0 : -1;
}

void
sandbox_report_fd(int fd)
{
	(void)fd;
}

/* The parent's unveil runs in SB_PARENT_START only. */
static void
sb_unveil(const char *path)
{
	/* A file that does not exist needs no view. */
	if (unveil(path, "r") == -1 && errno != ENOENT)
		parent_fatalx("unveil %s: %s", path, strerror(errno));
}

void
sandbox_enter(enum sandbox_stage stage, const struct sandbox_net *net)
{
	const char *const	*files;
	size_t			 i, nfiles;

	(void)net;	/* pledge has no port rules */
	files = sandbox_read_files(&nfiles);
	if (stage == SB_PARENT_START && files != NULL) {
		for (i = 0; i < nitems(sb_system_files); i++)
			sb_unveil(sb_system_files[i]);
		for (i = 0; i < nfiles; i++)
			sb_unveil(files[i]);
		if (unveil(NULL, NULL) == -1)
			parent_fatalx("unveil: %s", strerror(errno));
	}
	if (pledge(sb_promises[stage], NULL) == -1) {
		if (stage == SB_PARENT_START || stage == SB_PARENT_RUN ||
		    stage == SB_PARENT_WAIT)
			parent_fatalx("pledge %s: %s", sb_promises[stage],
			    strerror(errno));
		warn("pledge %s", sb_promises[stage]);
		_exit(CHILD_EXIT_SANDBOX_SETUP);
	}
}

/* No MSG_SANDBOX frame is ever sent here; a number is all there is. */
const char *
sandbox_syscall_name(int nr)
{
	static char	 buf[32];

	snprintf(buf, sizeof(buf), "system call %d", nr);
	return buf;
}

/*
 * abort(3) looks the same; the kernel logs which call broke pledge.
 * Like sandbox_linux.c's, on purpose: one file per mechanism.
 */
const char *
sandbox_kill_text(int sig)
{
	if (sig == SIGABRT)
		return "sandbox violation (pledge)";
	return NULL;
}
