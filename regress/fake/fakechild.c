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
 * discover_start() (the parent's in-process discovery) and
 * check_child() behaviours chosen by the first label of the target's
 * name, so that regress/fake/test_fakechild.sh can drive the parent
 * with every wrong message a discovery could write and every wrong
 * message and bad ending a child could produce.  Test code only:
 * never linked into smtpdane.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smtpdane.h"

static struct msgbuf	 mb;

/* A fake discovery: its frames are written at once, into memory. */
struct disc {
	uint8_t	*out;
	size_t	 len, cap;
};

#define DISC_FD	(-2)		/* "write into the current discovery" */
static struct disc	*cur;

static void
disc_append(const void *p, size_t len)
{
	while (cur->cap - cur->len < len) {
		cur->cap = cur->cap ? cur->cap * 2 : 4096;
		if ((cur->out = realloc(cur->out, cur->cap)) == NULL)
			abort();
	}
	memcpy(cur->out + cur->len, p, len);
	cur->len += len;
}

static int
fake_send(int fd, struct msgbuf *m)
{
	uint32_t	n;

	if (fd != DISC_FD)
		return msg_send(fd, m);
	n = htonl(m->len - 8);
	memcpy(m->buf + 4, &n, sizeof(n));
	disc_append(m->buf, m->len);
	return 0;
}

static void
send_detail(int fd, const char *text)
{
	msg_begin(&mb, MSG_DETAIL);
	msg_put_cstr(&mb, text);
	fake_send(fd, &mb);
}

static void
send_stage(int fd, enum stage st)
{
	msg_begin(&mb, MSG_STAGE);
	msg_put_u32(&mb, st);
	fake_send(fd, &mb);
}

/* A host whose one reference name is name. */
static void
send_host_named(int fd, const char *host, uint16_t port, const char *name)
{
	msg_begin(&mb, MSG_HOST);
	msg_put_cstr(&mb, host);
	msg_put_u32(&mb, port);
	msg_put_cstr(&mb, "");
	msg_put_u32(&mb, 0);
	msg_put_u32(&mb, 1);
	msg_put_cstr(&mb, name);
	msg_put_cstr(&mb, "");
	fake_send(fd, &mb);
}

static void
send_host(int fd, const char *host, uint16_t port)
{
	send_host_named(fd, host, port, host);
}

static void
send_addr(int fd, const char *host)
{
	msg_begin(&mb, MSG_ADDR);
	msg_put_u32(&mb, AF_INET);
	msg_put_u32(&mb, SEC_SECURE);
	msg_put_cstr(&mb, "127.0.10.1");
	msg_put_cstr(&mb, host);
	fake_send(fd, &mb);
}

static void
send_result(int fd, enum result res, const char *text)
{
	msg_begin(&mb, MSG_RESULT);
	msg_put_u32(&mb, res);
	msg_put_cstr(&mb, text);
	fake_send(fd, &mb);
}

static void	send_tls(int, const char *, uint32_t);

/* What an honest check child sends before "verified": its base
 * domain, the TLS facts (staple >= 0: with that enum ocsp_staple),
 * the verification stage and the chain it judged. */
static void
send_chain_tls(int fd, const char *host, int staple)
{
	msg_begin(&mb, MSG_BASE);
	msg_put_cstr(&mb, host);
	msg_send(fd, &mb);
	if (staple >= 0)
		send_tls(fd, host, staple);
	send_stage(fd, ST_VERIFY);
	msg_begin(&mb, MSG_CHAIN);
	msg_put_cstr(&mb, "");
	msg_put_cstr(&mb, "");
	msg_send(fd, &mb);
}

static void
send_chain(int fd, const char *host)
{
	send_chain_tls(fd, host, -1);
}

/* The TLS facts, in the handshake stage, as tls_start() sends them. */
static void
send_tls(int fd, const char *host, uint32_t staple)
{
	send_stage(fd, ST_HANDSHAKE);
	msg_begin(&mb, MSG_TLS);
	msg_put_cstr(&mb, "TLSv1.3");
	msg_put_cstr(&mb, "x");
	msg_put_cstr(&mb, host);
	msg_put_u32(&mb, staple);
	msg_put_cstr(&mb, "http://127.0.0.1/ocsp");
	msg_send(fd, &mb);
}

/* A staple's verdict, its times all "now" where known says so. */
static void
send_ocsp(int fd, uint32_t status, uint32_t known, const char *reason)
{
	uint64_t	 t = (uint64_t)time(NULL);
	int		 i;

	msg_begin(&mb, MSG_OCSP);
	msg_put_u32(&mb, status);
	msg_put_u32(&mb, known);
	for (i = 0; i < 3; i++) {
		msg_put_u32(&mb, t >> 32);
		msg_put_u32(&mb, (uint32_t)t);
	}
	msg_put_cstr(&mb, reason);
	msg_put_cstr(&mb, "fake");
	msg_send(fd, &mb);
}

static void
send_verified(int fd, const char *host, const char *text)
{
	send_chain(fd, host);
	send_result(fd, R_VERIFIED, text);
}

/* -all-ns: one server of dane.test, as allns.c reports it. */
static void
send_ns(int fd, const char *zone, const char *addr, uint32_t state,
    uint32_t has_serial)
{
	msg_begin(&mb, MSG_NS);
	msg_put_cstr(&mb, zone);
	msg_put_cstr(&mb, "ns1.test");
	msg_put_cstr(&mb, addr);
	msg_put_u32(&mb, state);
	msg_put_u32(&mb, has_serial);
	msg_put_u32(&mb, 1);
	msg_put_u32(&mb, 0);
	msg_put_u32(&mb, 0);
	msg_put_cstr(&mb, state == NS_DIFFERS ? "fake difference" : "fake");
	msg_send(fd, &mb);
}

static void
send_ns_verdict(int fd, const char *why)
{
	msg_begin(&mb, MSG_NS_VERDICT);
	msg_put_cstr(&mb, why);
	msg_send(fd, &mb);
}

static void
send_dnssec(int fd, uint32_t sec)
{
	msg_begin(&mb, MSG_DNSSEC);
	msg_put_u32(&mb, sec);
	fake_send(fd, &mb);
}

static void
send_end(int fd)
{
	msg_begin(&mb, MSG_END);
	fake_send(fd, &mb);
}

/*
 * MSG_SIGS of one RRSIG over a TLSA RRset, valid until when; with
 * expired, an RRset whose signature expired then instead.
 */
static void
send_sigs(int fd, uint32_t scope, const char *host, int64_t when,
    int expired)
{
	struct dns_sigs	 sigs;
	struct dns_sig	*sig = expired ? &sigs.bad : &sigs.first;

	memset(&sigs, 0, sizeof(sigs));
	sig->when = when;
	sig->inception = when != 0 ? when - 30 * 86400 : 0;
	sig->type = RR_TYPE_TLSA;
	sig->keytag = 4711;
	strlcpy(sig->owner, "_25._tcp.fake.dane.test", sizeof(sig->owner));
	strlcpy(sig->zone, "dane.test", sizeof(sig->zone));
	msg_begin(&mb, MSG_SIGS);
	msg_put_sigs(&mb, scope, host, &sigs, "");
	fake_send(fd, &mb);
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

/*
 * "a.v-LABEL.dane.test" and "b.v-LABEL.dane.test" both name the mail
 * host "v-LABEL.dane.test", each with itself as the reference name: the
 * second one's check shares the first one's connection and gets a
 * verify child, which does what LABEL says.
 */
static void
shared_discovery(int fd, const struct discover_spec *s)
{
	const char	*host = s->name + 2;

	send_host_named(fd, host, s->port, s->name);
	send_addr(fd, host);
	send_end(fd);
}

struct disc *
discover_start(struct ub_ctx *ctx, const struct discover_spec *s)
{
	const char	*n = s->name;
	char		 line[32];
	int		 fd = DISC_FD, i;

	(void)ctx;
	if ((cur = calloc(1, sizeof(*cur))) == NULL)
		abort();
	send_stage(fd, ST_DISCOVER);
	if (is(n, "d-result"))		/* a check child's message */
		send_result(fd, R_VERIFIED_WARN, "fake");
	else if (is(n, "d-stage"))
		send_stage(fd, ST_VERIFY);
	else if (is(n, "d-unknown")) {
		msg_begin(&mb, 99);
		fake_send(fd, &mb);
	} else if (is(n, "d-trailing")) {
		msg_begin(&mb, MSG_END);
		msg_put_u32(&mb, 1);
		fake_send(fd, &mb);
	} else if (is(n, "d-afterend")) {
		send_end(fd);
		send_detail(fd, "after the end");
	} else if (is(n, "d-details")) {
		for (i = 0; i < 1000; i++) {
			snprintf(line, sizeof(line), "line %d", i);
			send_detail(fd, line);
		}
	} else if (is(n, "d-hosts")) {
		for (i = 0; i < 5000; i++)
			send_host(fd, n, s->port);
	} else if (is(n, "d-verdict")) {
		msg_begin(&mb, MSG_VERDICT);
		msg_put_cstr(&mb, n);
		msg_put_u32(&mb, s->port);
		msg_put_u32(&mb, R_VERIFIED);
		msg_put_cstr(&mb, "fake");
		fake_send(fd, &mb);
	} else if (is(n, "d-sigs2")) {
		send_sigs(fd, SIG_SCOPE_TARGET, "", time(NULL) + 86400 * 30, 0);
		send_sigs(fd, SIG_SCOPE_TARGET, "", time(NULL) + 86400 * 30, 0);
	} else if (is(n, "d-sigshost"))	/* before its MSG_HOST */
		send_sigs(fd, SIG_SCOPE_A, n, time(NULL) + 86400 * 30, 0);
	else if (is(n, "d-sigscheck"))
		send_sigs(fd, SIG_SCOPE_CHECK, "", time(NULL) + 86400 * 30, 0);
	else if (is(n, "d-sigszero"))
		send_sigs(fd, SIG_SCOPE_TARGET, "", 0, 0);
	else if (is(n, "d-noend")) {
		send_host(fd, n, s->port);
		send_addr(fd, n);
		return cur;
	} else if (is(n, "d-dnssec2")) {
		send_dnssec(fd, SEC_SECURE);
		send_dnssec(fd, SEC_SECURE);
	} else if (is(n, "d-dnssecbad"))
		send_dnssec(fd, 7);
	else if (is(n, "d-mxsec")) {
		send_dnssec(fd, SEC_INSECURE);
		good_discovery(fd, s);
		return cur;
	} else if (is(n, "d-mxtext")) {
		/* A detail line is for people: it sets no DNSSEC state. */
		send_detail(fd, "MX d-mxtext.dane.test: 10 x.dane.test "
		    "(secure)");
		good_discovery(fd, s);
		return cur;
	} else if (is(n, "d-garbage")) {
		disc_append("\377\377\377\377\377\377\377\377garbage", 15);
	} else if ((n[0] == 'a' || n[0] == 'b') && n[1] == '.' &&
	    strncmp(n + 2, "v-", 2) == 0) {
		shared_discovery(fd, s);
		return cur;
	} else {
		good_discovery(fd, s);
		return cur;
	}
	send_end(fd);
	return cur;
}

/* Everything is written at once: the discovery is finished. */
const uint8_t *
discover_frames(struct disc *d, size_t *len, int *finished)
{
	*len = d->len;
	*finished = 1;
	return d->out;
}

void
discover_taken(struct disc *d)
{
	d->len = 0;
}

void
discover_free(struct disc *d)
{
	if (d == NULL)
		return;
	free(d->out);
	free(d);
}

/*
 * "c-ocsp*": MSG_OCSP that does not fit what came before it (or comes
 * too early, or twice); c-ocspgood is an honest revoked staple.
 */
static const struct {
	const char	*label;
	int		 staple;	/* in MSG_TLS; -1: no MSG_TLS */
	uint32_t	 status, known;
	const char	*reason;
	int		 times;		/* MSG_OCSP sent so often */
} ocsp_cases[] = {
	{ "c-ocspnotls", -1, OCSP_ST_NONE, 0, "", 1 },
	/* No staple came, yet it judges one. */
	{ "c-ocspnone", OCSP_NO_STAPLE, OCSP_ST_GOOD, OCSP_HAS_THIS, "", 1 },
	{ "c-ocspundated", OCSP_STAPLED, OCSP_ST_GOOD, 0, "", 1 },
	/* A CRL reason on a status that is not revoked. */
	{ "c-ocspreason", OCSP_STAPLED, OCSP_ST_GOOD, OCSP_HAS_THIS,
	  "keyCompromise", 1 },
	{ "c-ocspstatus", OCSP_STAPLED, OCSP_ST__MAX, 0, "", 1 },
	{ "c-ocsptwice", OCSP_STAPLED, OCSP_ST_TRYLATER, 0, "", 2 },
	{ "c-ocspgood", OCSP_STAPLED, OCSP_ST_REVOKED, OCSP_HAS_THIS |
	  OCSP_HAS_REVOKED, "keyCompromise", 1 },
};

static int
fake_ocsp(int fd, const char *n)
{
	size_t	 i;
	int	 k;

	if (is(n, "c-ocspearly")) {	/* before the verification stage */
		send_tls(fd, n, OCSP_STAPLED);
		send_ocsp(fd, OCSP_ST_GOOD, OCSP_HAS_THIS, "");
		return 1;
	}
	for (i = 0; i < nitems(ocsp_cases); i++)
		if (is(n, ocsp_cases[i].label))
			break;
	if (i == nitems(ocsp_cases))
		return 0;
	send_chain_tls(fd, n, ocsp_cases[i].staple);
	for (k = 0; k < ocsp_cases[i].times; k++)
		send_ocsp(fd, ocsp_cases[i].status, ocsp_cases[i].known,
		    ocsp_cases[i].reason);
	if (is(n, "c-ocspgood"))
		send_result(fd, R_OCSP_REVOKED, "fake revoked");
	return 1;
}

/*
 * "n-LABEL.dane.test", run with -all-ns: the base domain, then the
 * stage of the comparison with what LABEL says, then a verified chain.
 */
static void
fake_allns(int fd, const char *n)
{
	int	 i;

	msg_begin(&mb, MSG_BASE);
	msg_put_cstr(&mb, n);
	msg_send(fd, &mb);
	send_stage(fd, ST_NS);
	if (is(n, "n-good")) {
		send_ns(fd, "dane.test", "127.53.0.1", NS_SAME, 1);
		send_ns(fd, "dane.test", "127.53.0.4", NS_DIFFERS, 1);
		send_ns_verdict(fd, "");
	} else if (is(n, "n-badaddr"))
		send_ns(fd, "dane.test", "not-an-address", NS_SAME, 1);
	else if (is(n, "n-state"))
		send_ns(fd, "dane.test", "127.53.0.1", 7, 1);
	else if (is(n, "n-zones")) {
		send_ns(fd, "dane.test", "127.53.0.1", NS_SAME, 1);
		send_ns(fd, "test", "127.53.0.4", NS_SAME, 1);
	} else if (is(n, "n-many")) {
		for (i = 0; i <= ALLNS_MAX; i++)
			send_ns(fd, "dane.test", "127.53.0.1", NS_SAME, 1);
	} else if (is(n, "n-noaddr"))
		send_ns(fd, "dane.test", "", NS_SAME, 1);
	else if (is(n, "n-failserial"))
		send_ns(fd, "dane.test", "127.53.0.1", NS_FAILED, 1);
	else if (is(n, "n-hidden")) {
		send_ns(fd, "dane.test", "127.53.0.1", NS_FAILED, 0);
		send_ns_verdict(fd, "");
	} else if (is(n, "n-twice")) {
		send_ns_verdict(fd, "");
		send_ns_verdict(fd, "");
	}
	send_stage(fd, ST_VERIFY);
	msg_begin(&mb, MSG_CHAIN);
	msg_put_cstr(&mb, "");
	msg_put_cstr(&mb, "");
	msg_send(fd, &mb);
	send_result(fd, R_VERIFIED, "fake verified");
}

__dead void
check_child(int fd, struct ub_ctx *ctx, const struct check_spec *s)
{
	const char	*n = s->host;

	(void)ctx;
	send_stage(fd, ST_TLSA);
	if (fake_ocsp(fd, n))
		_exit(0);
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
		send_verified(fd, n, "fake verified");
		send_result(fd, R_VERIFIED, "fake verified again");
	} else if (is(n, "c-nochain"))	/* verified, but nothing judged */
		send_result(fd, R_VERIFIED, "fake verified");
	else if (is(n, "c-sigstarget"))
		send_sigs(fd, SIG_SCOPE_TARGET, "", time(NULL) + 86400 * 30, 0);
	else if (is(n, "c-sigsexpired")) {
		/* Within libunbound's skew, yet expired: a failure. */
		send_sigs(fd, SIG_SCOPE_CHECK, "", time(NULL) - 3600, 1);
		send_verified(fd, n, "fake verified");
	} else if (is(n, "c-sigssoon")) {
		send_sigs(fd, SIG_SCOPE_CHECK, "", time(NULL) + 86400, 0);
		send_verified(fd, n, "fake verified");
	} else if (is(n, "c-nsstage"))	/* -all-ns's stage without it */
		send_stage(fd, ST_NS);
	else if (is(n, "c-nsresult"))
		send_result(fd, R_NS_FAILURE, "fake");
	else if (is(n, "n-early"))
		send_ns(fd, "dane.test", "127.53.0.1", NS_SAME, 1);
	else if (strncmp(n, "n-", 2) == 0)
		fake_allns(fd, n);
	else if (is(n, "c-badbase")) {
		msg_begin(&mb, MSG_BASE);
		msg_put_cstr(&mb, "elsewhere.dane.test");
		msg_send(fd, &mb);
	} else if (is(n, "c-linger")) {
		send_verified(fd, n, "fake verified, then lingers");
		linger(fd);
	} else if (is(n, "c-slow")) {
		/* The final frame, then the pipe stays open past the
		 * deadline: still verified, never "timed out". */
		send_verified(fd, n, "fake verified, pipe kept open");
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
	else if (is(n, "v-leaderdies")) {
		/* The chain, then a crash: nothing to judge again. */
		send_chain(fd, n);
		raise(SIGABRT);
	} else if (strncmp(n, "v-", 2) == 0)
		/* A leader whose chain a verify child judges again. */
		send_verified(fd, n, "fake verified, chain sent");
	else
		send_verified(fd, n, "fake verified");
	_exit(0);
}

__dead void
verify_child(int fd, const struct verify_spec *vs)
{
	const char	*n = vs->check->host;

	send_stage(fd, ST_VERIFY);
	if (is(n, "v-chain")) {		/* a check child's message */
		msg_begin(&mb, MSG_CHAIN);
		msg_put_cstr(&mb, "");
		msg_put_cstr(&mb, "");
		msg_send(fd, &mb);
	} else if (is(n, "v-stage"))
		send_stage(fd, ST_CONNECT);
	else if (is(n, "v-tls")) {
		msg_begin(&mb, MSG_TLS);
		msg_put_cstr(&mb, "TLSv1.3");
		msg_put_cstr(&mb, "x");
		msg_put_cstr(&mb, n);
		msg_send(fd, &mb);
	} else if (is(n, "v-ocsp"))
		send_ocsp(fd, OCSP_ST_NONE, 0, "");
	else if (is(n, "v-noresult"))
		_exit(0);
	else
		send_result(fd, R_VERIFIED, "fake verify");
	_exit(0);
}
