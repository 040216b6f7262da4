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
 * nosandbox.c: the sandbox interface of smtpdane.h with no sandbox
 * behind it, for a build that runs under valgrind only
 * (regress/test_valgrind.sh).  valgrind emulates neither seccomp nor
 * Landlock, and the real sandbox refuses to run without seccomp.
 * Never link this into smtpdane itself.  Where sandbox_openbsd.c has
 * nothing to do either, the two read alike on purpose.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "smtpdane.h"

void
sandbox_init(int debug)
{
	if (debug)
		fprintf(stderr, "debug: sandbox: none (a build for "
		    "valgrind)\n");
}

void
sandbox_dns_ports(const uint16_t *ports, size_t n)
{
	(void)ports;
	(void)n;
}

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

void
sandbox_enter(enum sandbox_stage stage, const struct sandbox_net *net)
{
	(void)stage;
	(void)net;
}

const char *
sandbox_syscall_name(int nr)
{
	static char	 buf[32];

	snprintf(buf, sizeof(buf), "system call %d", nr);
	return buf;
}

const char *
sandbox_kill_text(int sig)
{
	(void)sig;
	return NULL;
}
