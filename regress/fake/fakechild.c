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
 * fakechild.c: hostile children for the real parent.  Linked into
 * smtpdane-fake in place of discover.c and smtp.c, it gives
 * discover_child() and check_child() behaviours chosen by the first
 * label of the target's name (see behaviours[] below), so that
 * regress/fake/test_fakechild.sh can drive the parent with every wrong
 * message and every bad ending a child could produce.  Test code only:
 * never linked into smtpdane.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "smtpdane.h"

static struct msgbuf	 mb;

static void
send_stage(int fd, enum stage st)
{
	msg_begin(&mb, MSG_STAGE);
	msg_put_u32(&mb, st);
	msg_send(fd, &mb);
}

static void
send_host(int fd, const char *host, uint16_t port)
{
	msg_begin(&mb, MSG_HOST);
	msg_put_cstr(&mb, host);
	msg_put_u32(&mb, port);
	msg_put_cstr(&mb, "");
	msg_put_u32(&mb, 0);
	msg_put_u32(&mb, 1);
	msg_put_cstr(&mb, host);
	msg_put_cstr(&mb, "");
	msg_send(fd, &mb);
}

static void
send_addr(int fd, const char *host)
{
	msg_begin(&mb, MSG_ADDR);
	msg_put_u32(&mb, AF_INET);
	msg_put_u32(&mb, SEC_SECURE);
	msg_put_cstr(&mb, "127.0.10.1");
	msg_put_cstr(&mb, host);
	msg_send(fd, &mb);
}

static void
send_result(int fd, enum result res, const char *text)
{
	msg_begin(&mb, MSG_RESULT);
	msg_put_u32(&mb, res);
	msg_put_cstr(&mb, text);
	msg_send(fd, &mb);
}

static void
send_dnssec(int fd, uint32_t sec)
{
	msg_begin(&mb, MSG_DNSSEC);
	msg_put_u32(&mb, sec);
	msg_send(fd, &mb);
}

static void
send_end(int fd)
{
	msg_begin(&mb, MSG_END);
	msg_send(fd, &mb);
}

/* Closed pipe, deaf to SIGALRM: only SIGKILL ends it. */
static __dead void
linger(int fd)
{
	close(fd);
	signal(SIGALRM, SIG_IGN);
	for (;;)
		pause();
}

static int
is(const char *name, const char *label)
{
	size_t	 n = strlen(label);

	return strncmp(name, label, n) == 0 && name[n] == '.';
}

static void
good_discovery(int fd, const struct discover_spec *s)
{
	send_host(fd, s->name, s->port);
	send_addr(fd, s->name);
	send_end(fd);
}

__dead void
discover_child(int fd, struct ub_ctx *ctx, const struct discover_spec *s)
{
	const char	*n = s->name;
	int		 i;

	(void)ctx;
	send_stage(fd, ST_DISCOVER);
	if (is(n, "d-result"))		/* a check child's message */
		send_result(fd, R_VERIFIED_WARN, "fake");
	else if (is(n, "d-stage"))
		send_stage(fd, ST_VERIFY);
	else if (is(n, "d-unknown")) {
		msg_begin(&mb, 99);
		msg_send(fd, &mb);
	} else if (is(n, "d-trailing")) {
		msg_begin(&mb, MSG_END);
		msg_put_u32(&mb, 1);
		msg_send(fd, &mb);
	} else if (is(n, "d-afterend")) {
		send_end(fd);
		msg_send_text(fd, &mb, MSG_DETAIL, "after the end");
	} else if (is(n, "d-details")) {
		for (i = 0; i < 1000; i++)
			msg_send_text(fd, &mb, MSG_DETAIL, "line %d", i);
	} else if (is(n, "d-hosts")) {
		for (i = 0; i < 5000; i++)
			send_host(fd, n, s->port);
	} else if (is(n, "d-verdict")) {
		msg_begin(&mb, MSG_VERDICT);
		msg_put_cstr(&mb, n);
		msg_put_u32(&mb, s->port);
		msg_put_u32(&mb, R_VERIFIED);
		msg_put_cstr(&mb, "fake");
		msg_send(fd, &mb);
	} else if (is(n, "d-noend")) {
		send_host(fd, n, s->port);
		send_addr(fd, n);
		_exit(0);
	} else if (is(n, "d-linger"))
		linger(fd);
	else if (is(n, "d-crash"))
		raise(SIGABRT);
	else if (is(n, "d-dnssec2")) {
		send_dnssec(fd, SEC_SECURE);
		send_dnssec(fd, SEC_SECURE);
	} else if (is(n, "d-dnssecbad"))
		send_dnssec(fd, 7);
	else if (is(n, "d-mxsec")) {
		send_dnssec(fd, SEC_INSECURE);
		good_discovery(fd, s);
	} else if (is(n, "d-mxtext")) {
		/* A detail line is for people: it sets no DNSSEC state. */
		msg_begin(&mb, MSG_DETAIL);
		msg_put_cstr(&mb, "MX d-mxtext.dane.test: 10 x.dane.test "
		    "(secure)");
		msg_send(fd, &mb);
		good_discovery(fd, s);
	} else if (is(n, "d-nomem"))
		_exit(CHILD_EXIT_NOMEM);
	else if (is(n, "d-garbage"))
		write(fd, "\377\377\377\377\377\377\377\377garbage", 15);
	else {
		good_discovery(fd, s);
		_exit(0);
	}
	send_end(fd);
	_exit(0);
}

__dead void
check_child(int fd, struct ub_ctx *ctx, const struct check_spec *s)
{
	const char	*n = s->host;

	(void)ctx;
	send_stage(fd, ST_TLSA);
	if (is(n, "c-host"))
		send_host(fd, n, s->port);
	else if (is(n, "c-mxresult"))
		send_result(fd, R_MX_INSECURE, "fake");
	else if (is(n, "c-tlsearly")) {
		msg_begin(&mb, MSG_TLS);
		msg_put_cstr(&mb, "TLSv1.3");
		msg_put_cstr(&mb, "x");
		msg_put_cstr(&mb, n);
		msg_send(fd, &mb);
	} else if (is(n, "c-twice")) {
		send_result(fd, R_VERIFIED, "fake verified");
		send_result(fd, R_VERIFIED, "fake verified again");
	} else if (is(n, "c-linger")) {
		send_result(fd, R_VERIFIED, "fake verified, then lingers");
		linger(fd);
	} else if (is(n, "c-slow")) {
		/* The final frame, then the pipe stays open past the
		 * deadline: still verified, never "timed out". */
		send_result(fd, R_VERIFIED, "fake verified, pipe kept open");
		signal(SIGALRM, SIG_IGN);
		sleep(2 * s->timeout + 2);
	} else if (is(n, "c-noresult"))
		_exit(0);
	else if (is(n, "c-exit2"))
		_exit(CHILD_EXIT_SANDBOX);
	else if (is(n, "c-exit3"))
		_exit(CHILD_EXIT_NOMEM);
	else if (is(n, "c-exit4"))
		_exit(CHILD_EXIT_SANDBOX_SETUP);
	else if (is(n, "c-exit9"))
		_exit(9);
	else
		send_result(fd, R_VERIFIED, "fake verified");
	_exit(0);
}

__dead void
verify_child(int fd, const struct verify_spec *vs)
{
	(void)vs;
	send_stage(fd, ST_VERIFY);
	send_result(fd, R_VERIFIED, "fake verify");
	_exit(0);
}
