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
 * Unit tests for dns.c: resolver lists, resolv.conf, name checks and
 * libunbound set-up, with anchors from anchors.c (whose own tests are
 * test_anchors.c).  No network: the contexts made here are never
 * asked anything (see test_dns_live.sh for lookups against a real
 * signed zone).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>

#include "../smtpdane.h"
#include "unit_dns.h"

/* Parse a list; expect these forwarder strings and ports. */
static void
resolvers_ok(const char *name, const char *list, const char *const *want,
    const uint16_t *ports, size_t nwant)
{
	struct dns_config	cfg;
	char			err[MAX_TEXT];
	size_t			i;

	memset(&cfg, 0, sizeof(cfg));
	if (dns_parse_resolvers(list, &cfg, err, sizeof(err)) == -1) {
		fail(name, "refused: %s", err);
		return;
	}
	if (cfg.nresolvers != nwant) {
		fail(name, "%zu resolvers, wanted %zu", cfg.nresolvers, nwant);
		dns_config_free(&cfg);
		return;
	}
	for (i = 0; i < nwant; i++) {
		if (strcmp(cfg.resolvers[i], want[i]) != 0 ||
		    cfg.resolver_ports[i] != ports[i]) {
			fail(name, "resolver %zu is \"%s\" port %u, wanted "
			    "\"%s\" port %u", i, cfg.resolvers[i],
			    cfg.resolver_ports[i], want[i], ports[i]);
			dns_config_free(&cfg);
			return;
		}
	}
	dns_config_free(&cfg);
	pass(name);
}

static void
resolvers_bad(const char *name, const char *list, const char *want)
{
	struct dns_config	cfg;
	char			err[MAX_TEXT];

	memset(&cfg, 0, sizeof(cfg));
	/* One resolver already there: an error must leave it alone. */
	if (dns_parse_resolvers("127.0.0.9", &cfg, err, sizeof(err)) == -1) {
		fail(name, "set-up refused: %s", err);
		return;
	}
	if (dns_parse_resolvers(list, &cfg, err, sizeof(err)) == 0)
		fail(name, "accepted (%zu resolvers)", cfg.nresolvers);
	else if (cfg.nresolvers != 1 ||
	    strcmp(cfg.resolvers[0], "127.0.0.9@53") != 0)
		fail(name, "error left %zu resolvers", cfg.nresolvers);
	else if (strcmp(err, want) != 0)
		fail(name, "error \"%s\", wanted \"%s\"", err, want);
	else
		pass(name);
	dns_config_free(&cfg);
}

static void
test_resolvers(void)
{
	static const char *const v4[] = { "127.0.0.1@53" };
	static const char *const v4p[] = { "127.0.0.1@5353" };
	static const char *const v6[] = { "::1@53" };
	static const char *const v6p[] = { "::1@5353" };
	static const char *const list[] = {
		"127.0.0.1@53", "127.0.99.53@54", "::1@55", "::1@53",
		"2001:db8::1@53",
	};
	static const uint16_t p53[] = { 53 }, p5353[] = { 5353 };
	static const uint16_t plist[] = { 53, 54, 55, 53, 53 };

	resolvers_ok("resolvers: ip", "127.0.0.1", v4, p53, 1);
	resolvers_ok("resolvers: ip:port", "127.0.0.1:5353", v4p, p5353, 1);
	resolvers_ok("resolvers: [v6]:port", "[::1]:5353", v6p, p5353, 1);
	resolvers_ok("resolvers: bare v6", "::1", v6, p53, 1);
	resolvers_ok("resolvers: [v6] without port", "[::1]", v6, p53, 1);
	resolvers_ok("resolvers: v6 written long", "0:0:0:0:0:0:0:1", v6,
	    p53, 1);
	resolvers_ok("resolvers: list with blanks",
	    "127.0.0.1, 127.0.99.53:54 ,[::1]:55,\t::1 , 2001:DB8:0::1", list,
	    plist, 5);
	resolvers_bad("resolvers bad: host name", "localhost",
	    "resolver \"localhost\": not a numeric IPv4 address (host names "
	    "are not allowed)");
	resolvers_bad("resolvers bad: host name with port", "dns.google:53",
	    "resolver \"dns.google:53\": not a numeric IPv4 address (host "
	    "names are not allowed)");
	resolvers_bad("resolvers bad: short IPv4", "127.1",
	    "resolver \"127.1\": not a numeric IPv4 address (host names are "
	    "not allowed)");
	resolvers_bad("resolvers bad: port 0", "127.0.0.1:0",
	    "resolver \"127.0.0.1:0\": bad port '0'");
	resolvers_bad("resolvers bad: port too big", "127.0.0.1:65536",
	    "resolver \"127.0.0.1:65536\": bad port '65536'");
	resolvers_bad("resolvers bad: port not a number", "[::1]:dns",
	    "resolver \"[::1]:dns\": bad port 'dns'");
	resolvers_bad("resolvers bad: signed port", "127.0.0.1:+53",
	    "resolver \"127.0.0.1:+53\": bad port '+53'");
	resolvers_bad("resolvers bad: empty port", "127.0.0.1:",
	    "resolver \"127.0.0.1:\": bad port ''");
	resolvers_bad("resolvers bad: empty list", "",
	    "resolver list is empty");
	resolvers_bad("resolvers bad: only a comma", ",",
	    "empty item in resolver list");
	resolvers_bad("resolvers bad: trailing comma", "127.0.0.1,",
	    "empty item in resolver list");
	resolvers_bad("resolvers bad: empty item", "127.0.0.1, ,::1",
	    "empty item in resolver list");
	resolvers_bad("resolvers bad: unclosed bracket", "[::1:53",
	    "resolver \"[::1:53\": '[' without ']'");
	resolvers_bad("resolvers bad: text after bracket", "[::1]53",
	    "resolver \"[::1]53\": unexpected text after ']'");
	resolvers_bad("resolvers bad: IPv4 in brackets", "[127.0.0.1]:53",
	    "resolver \"[127.0.0.1]:53\": not a numeric IPv6 address (host "
	    "names are not allowed)");
	resolvers_bad("resolvers bad: scope id", "fe80::1%eth0",
	    "resolver \"fe80::1%eth0\": scope ids are not supported");
	resolvers_bad("resolvers bad: blank inside item", "127.0.0.1 :53",
	    "resolver list has a blank or unprintable byte inside an item");
	resolvers_bad("resolvers bad: control byte", "127.0.0.1\n",
	    "resolver list has a blank or unprintable byte inside an item");
}

static void
resolv_conf_ok(const char *name, const char *text, const char *const *want,
    size_t nwant)
{
	struct dns_config	cfg;
	char			err[MAX_TEXT];
	size_t			i;

	memset(&cfg, 0, sizeof(cfg));
	if (dns_parse_resolv_conf(text, strlen(text), &cfg, err,
	    sizeof(err)) == -1) {
		fail(name, "refused: %s", err);
		return;
	}
	if (cfg.nresolvers != nwant) {
		fail(name, "%zu resolvers, wanted %zu", cfg.nresolvers, nwant);
		dns_config_free(&cfg);
		return;
	}
	for (i = 0; i < nwant; i++) {
		if (strcmp(cfg.resolvers[i], want[i]) != 0 ||
		    cfg.resolver_ports[i] != 53) {
			fail(name, "resolver %zu is \"%s\", wanted \"%s\"", i,
			    cfg.resolvers[i], want[i]);
			dns_config_free(&cfg);
			return;
		}
	}
	dns_config_free(&cfg);
	pass(name);
}

static void
resolv_conf_bad(const char *name, const char *text, size_t len,
    const char *want)
{
	struct dns_config	cfg;
	char			err[MAX_TEXT];

	memset(&cfg, 0, sizeof(cfg));
	if (len == AUTO)
		len = strlen(text);
	if (dns_parse_resolv_conf(text, len, &cfg, err, sizeof(err)) == 0)
		fail(name, "accepted (%zu resolvers)", cfg.nresolvers);
	else if (cfg.nresolvers != 0)
		fail(name, "error left %zu resolvers", cfg.nresolvers);
	else if (strcmp(err, want) != 0)
		fail(name, "error \"%s\", wanted \"%s\"", err, want);
	else
		pass(name);
	dns_config_free(&cfg);
}

static void
test_resolv_conf(void)
{
	static const char *const typical[] = {
		"127.0.0.53@53", "::1@53", "fe80::1@53", "192.0.2.1@53",
	};
	static const char *const one[] = { "192.0.2.7@53" };
	static const char nul[] = "nameserver 127.0.0.1\0junk\n";

	resolv_conf_ok("resolv.conf: typical",
	    "# Generated by NetworkManager\n"
	    "search example.org\n"
	    "options edns0 trust-ad\n"
	    "nameserver 127.0.0.53\n"
	    "nameserver\t::1\n"
	    "nameserver fe80::1%eth0\n"
	    "; nameserver 192.0.2.99\n"
	    "nameserver 192.0.2.1   # the office\n", typical, 4);
	resolv_conf_ok("resolv.conf: CRLF, no final newline",
	    "domain example.org\r\nnameserver 192.0.2.7\r\n"
	    "nameservers 192.0.2.8", one, 1);
	resolv_conf_ok("resolv.conf: bad lines skipped",
	    "nameserver dns.example.org\n"
	    "nameserver\n"
	    "  nameserver 192.0.2.9\n"
	    "nameserver 192.0.2.7\n", one, 1);
	resolv_conf_bad("resolv.conf bad: no nameserver",
	    "search example.org\noptions ndots:2\n", AUTO,
	    "no nameserver line");
	resolv_conf_bad("resolv.conf bad: empty", "", AUTO,
	    "no nameserver line");
	resolv_conf_bad("resolv.conf bad: only unusable lines",
	    "# x\nnameserver dns.example.org\nnameserver 1.2.3\n", AUTO,
	    "no usable nameserver line (line 2 is not a numeric address)");
	resolv_conf_bad("resolv.conf bad: NUL inside the address", nul,
	    sizeof(nul) - 1,
	    "no usable nameserver line (line 1 is not a numeric address)");
}

static void
test_names(void)
{
	struct dns_result	res;
	char			longname[400];
	size_t			i;
	static const struct {
		const char	*test, *name, *why;
	} bad[] = {
		{ "lookup: empty name", "", "invalid name: empty name" },
		{ "lookup: empty label", "mx..example.org",
		    "invalid name: empty label" },
		{ "lookup: leading dot", ".example.org",
		    "invalid name: empty label" },
		{ "lookup: bad character", "mx example.org",
		    "invalid name: bad byte 0x20" },
		{ "lookup: backslash", "mx\\.example.org",
		    "invalid name: bad character '\\'" },
		{ "lookup: label of 64",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaa.org",
		    "invalid name: label longer than 63 bytes" },
	};

	/* No context: a bad name must fail before any query. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dns_lookup(NULL, bad[i].name, 1, &res);
		if (res.status != DNS_FAILED || res.nrr != 0)
			fail(bad[i].test, "status %s",
			    dns_status_name(res.status));
		else if (strcmp(res.why, bad[i].why) != 0)
			fail(bad[i].test, "why \"%s\", wanted \"%s\"",
			    res.why, bad[i].why);
		else
			pass(bad[i].test);
		dns_result_free(&res);
	}
	/* Four labels of 63 bytes: 257 bytes in wire form. */
	memset(longname, 'a', 4 * 64);
	for (i = 1; i <= 4; i++)
		longname[i * 64 - 1] = '.';
	longname[4 * 64] = '\0';
	dns_lookup(NULL, longname, 1, &res);
	if (res.status != DNS_FAILED || strcmp(res.why,
	    "invalid name: name longer than 255 bytes") != 0)
		fail("lookup: name of 257 bytes", "status %s why %s",
		    dns_status_name(res.status), res.why);
	else
		pass("lookup: name of 257 bytes");
	dns_lookup(NULL, "example.org", 0, &res);
	if (res.status != DNS_FAILED || strcmp(res.why,
	    "invalid record type") != 0)
		fail("lookup: type 0", "status %s why %s",
		    dns_status_name(res.status), res.why);
	else
		pass("lookup: type 0");

	memset(&res, 0, sizeof(res));
	dns_result_free(&res);
	pass("result: free of a zeroed result");
}

static void
test_names_of_things(void)
{
	static const struct {
		int		 type;
		const char	*name;
	} types[] = {
		{ 1, "A" }, { 28, "AAAA" }, { 15, "MX" }, { 33, "SRV" },
		{ 52, "TLSA" }, { 5, "CNAME" }, { 48, "DNSKEY" }, { 43, "DS" },
		{ 16, "TYPE16" }, { 65535, "TYPE65535" },
	};
	size_t	i;
	int	ok = 1;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(dns_type_name(types[i].type), types[i].name) != 0) {
			fail("names: types", "%d is %s", types[i].type,
			    dns_type_name(types[i].type));
			ok = 0;
		}
	}
	if (ok)
		pass("names: types");
	if (strcmp(dns_status_name(DNS_ANSWER), "answer") != 0 ||
	    strcmp(dns_status_name(DNS_NODATA), "nodata") != 0 ||
	    strcmp(dns_status_name(DNS_NXDOMAIN), "nxdomain") != 0 ||
	    strcmp(dns_status_name(DNS_FAILED), "failed") != 0)
		fail("names: status", "wrong name");
	else
		pass("names: status");
	if (strcmp(dns_security_name(SEC_SECURE), "secure") != 0 ||
	    strcmp(dns_security_name(SEC_INSECURE), "insecure") != 0 ||
	    strcmp(dns_security_name(SEC_BOGUS), "bogus") != 0)
		fail("names: security", "wrong name");
	else
		pass("names: security");
}

/* Contexts are set up but never asked anything: no network here. */
static void
test_context(void)
{
	struct dns_config	 cfg;
	struct ub_ctx		*ctx;
	char			 err[MAX_TEXT], *saved;
	const char		*text = "example.org. IN DNSKEY 257 3 13 "
	    ECKEY "\n. IN DNSKEY 257 3 8 " KSK2017 "\n";

	memset(&cfg, 0, sizeof(cfg));
	if ((ctx = dns_context(&cfg, err, sizeof(err))) != NULL ||
	    strcmp(err, "no trust anchors") != 0)
		fail("context: no anchors", "%s", ctx ? "accepted" : err);
	else
		pass("context: no anchors");
	if (ctx != NULL)
		ub_ctx_delete(ctx);

	if (dns_builtin_anchors(&cfg) == -1 ||
	    dns_parse_anchors(text, strlen(text), &cfg, err,
	    sizeof(err)) == -1) {
		fail("context: set-up", "%s", err);
		return;
	}
	if ((ctx = dns_context(&cfg, err, sizeof(err))) != NULL ||
	    strcmp(err, "no resolvers") != 0)
		fail("context: no resolvers", "%s", ctx ? "accepted" : err);
	else
		pass("context: no resolvers");
	if (ctx != NULL)
		ub_ctx_delete(ctx);

	if (dns_parse_resolvers("127.0.0.1:9,[::1]:9", &cfg, err,
	    sizeof(err)) == -1) {
		fail("context: set-up", "%s", err);
		return;
	}
	if ((ctx = dns_context(&cfg, err, sizeof(err))) == NULL)
		fail("context: parsed DS and DNSKEY anchors", "%s", err);
	else {
		pass("context: parsed DS and DNSKEY anchors");
		ub_ctx_delete(ctx);
	}

	/* A broken anchor must show when the context is made. */
	saved = cfg.anchors[0];
	cfg.anchors[0] = ". IN DS 20326 8 2 nothex";
	if ((ctx = dns_context(&cfg, err, sizeof(err))) != NULL) {
		fail("context: bad anchor fails at creation", "accepted");
		ub_ctx_delete(ctx);
	} else if (strncmp(err, "libunbound set-up failed: ", 26) != 0)
		fail("context: bad anchor fails at creation", "%s", err);
	else
		printf("PASS: context: bad anchor fails at creation (%s)\n",
		    err);
	cfg.anchors[0] = saved;
	dns_config_free(&cfg);
}

/*
 * dns_parse_answer(): packets as libunbound's event API gives them
 * to the parent, hand-made: compression, CNAME chains, liars.
 */
#define Q	"\002mx\007example\004test\000"
#define PTRQ	"\300\014"

static void
answer_ok(const char *name, const char *pkt, size_t len, int type,
    int rcode, int sec, enum dns_status status, size_t nrr,
    const char *canon, const char *rr0name)
{
	struct dns_result	 res;
	char			 host[MAX_HOSTNAME] = "";
	size_t			 head = type == RR_TYPE_MX ? 2 :
				    type == RR_TYPE_SRV ? 6 : 0;

	dns_parse_answer((const uint8_t *)pkt, len, "mx.example.test.", type,
	    rcode, sec, "why", NULL, &res);
	if (res.nrr > 0 && rr0name != NULL)
		dns_wire_name(res.rr[0].data, res.rr[0].len, head, host,
		    sizeof(host));
	if (res.status == status && res.nrr == nrr &&
	    strcmp(res.canon, canon) == 0 &&
	    (rr0name == NULL || strcmp(host, rr0name) == 0))
		printf("PASS: answer: %s\n", name);
	else {
		printf("FAIL: answer: %s: status %s nrr %zu canon \"%s\" "
		    "rr0 \"%s\" why \"%s\"\n", name,
		    dns_status_name(res.status), res.nrr, res.canon, host,
		    res.why);
		failures++;
	}
	dns_result_free(&res);
}

#define HDR(an)	"\000\001\201\200\000\001\000" an "\000\000\000\000"
#define P(s)	s, sizeof(s) - 1

static void
test_answers(void)
{
	answer_ok("two A records", P(HDR("\002") Q "\000\001\000\001"
	    PTRQ "\000\001\000\001\000\000\001\054\000\004\177\000\012\001"
	    PTRQ "\000\001\000\001\000\000\001\054\000\004\177\000\012\002"),
	    RR_TYPE_A, 0, 2, DNS_ANSWER, 2, "", NULL);
	answer_ok("MX, name compressed", P(HDR("\001") Q "\000\017\000\001"
	    PTRQ "\000\017\000\001\000\000\001\054\000\007\000\012\002mx"
	    "\300\017"), RR_TYPE_MX, 0, 2, DNS_ANSWER, 1, "",
	    "mx.example.test");
	answer_ok("CNAME chain", P(HDR("\002") Q "\000\001\000\001"
	    PTRQ "\000\005\000\001\000\000\001\054\000\007\004real\300\017"
	    "\004real\300\017\000\001\000\001\000\000\001\054\000\004"
	    "\177\000\012\003"), RR_TYPE_A, 0, 0, DNS_ANSWER, 1,
	    "real.example.test", NULL);
	answer_ok("NODATA", P(HDR("\000") Q "\000\001\000\001"),
	    RR_TYPE_A, 0, 2, DNS_NODATA, 0, "", NULL);
	answer_ok("NXDOMAIN", P(HDR("\000") Q "\000\001\000\001"),
	    RR_TYPE_A, 3, 2, DNS_NXDOMAIN, 0, "", NULL);
	answer_ok("bogus", P(HDR("\000") Q "\000\001\000\001"),
	    RR_TYPE_A, 2, 1, DNS_FAILED, 0, "", NULL);
	answer_ok("SERVFAIL", P(HDR("\000") Q "\000\001\000\001"),
	    RR_TYPE_A, 2, 0, DNS_FAILED, 0, "", NULL);
	answer_ok("answer count lies", P(HDR("\003") Q "\000\001\000\001"
	    PTRQ "\000\001\000\001\000\000\001\054\000\004\177\000\012\001"),
	    RR_TYPE_A, 0, 2, DNS_FAILED, 0, "", NULL);
	answer_ok("pointer loop", P(HDR("\001") Q "\000\001\000\001"
	    "\300\040\000\001\000\001\000\000\001\054\000\004\177\000\012\001"),
	    RR_TYPE_A, 0, 2, DNS_FAILED, 0, "", NULL);
	answer_ok("rdata past the end", P(HDR("\001") Q "\000\001\000\001"
	    PTRQ "\000\001\000\001\000\000\001\054\000\010\177\000\012\001"),
	    RR_TYPE_A, 0, 2, DNS_FAILED, 0, "", NULL);
	answer_ok("no packet", NULL, 0, RR_TYPE_A, 0, 2, DNS_FAILED, 0, "",
	    NULL);
}

/*
 * sigs.c: the RRSIG times of answers, by RFC 4034 section 3.1.5, and
 * what they come to.  Packets are built here, at a chosen "now".
 */
struct pkt {
	uint8_t	 b[1024];
	size_t	 len;
};

static void
put(struct pkt *p, const void *d, size_t n)
{
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static void
put16(struct pkt *p, uint32_t v)
{
	uint8_t	 b[2] = { v >> 8, v & 0xff };

	put(p, b, 2);
}

static void
put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

#define NAME_MX	"\002mx\007example\004test"	/* and its final \0 */
#define NAME_EX	"\007example\004test"

/* An RRSIG record at mx.example.test over type, by example.test. */
static void
put_rrsig(struct pkt *p, uint32_t type, uint32_t exp, uint32_t inc,
    uint32_t tag, int cut)
{
	put(p, NAME_MX, sizeof(NAME_MX));
	put16(p, RR_TYPE_RRSIG);
	put16(p, 1);
	put32(p, 300);
	put16(p, cut ? 10 : 18 + sizeof(NAME_EX));
	put16(p, type);
	put(p, "\015\003", 2);			/* algorithm 13, 3 labels */
	put32(p, 300);
	if (cut) {
		put32(p, exp);
		return;
	}
	put32(p, exp);
	put32(p, inc);
	put16(p, tag);
	put(p, NAME_EX, sizeof(NAME_EX));
}

static void
put_header(struct pkt *p, int an, int ns)
{
	p->len = 0;
	put(p, "\000\001\201\200\000\001", 6);
	put16(p, an);
	put16(p, ns);
	put16(p, 0);
	put(p, NAME_MX, sizeof(NAME_MX));
	put16(p, RR_TYPE_A);
	put16(p, 1);
}

static void
sig_ok(const char *name, const struct dns_sigs *s, int64_t first,
    uint32_t tag, int64_t bad, int future)
{
	if (s->first.when == first && s->bad.when == bad &&
	    (bad == 0 || s->bad_future == future) &&
	    (first == 0 || (s->first.keytag == tag &&
	    strcmp(s->first.owner, "mx.example.test") == 0 &&
	    strcmp(s->first.zone, "example.test") == 0)) &&
	    (first == 0 && bad == 0 ? s->nzones == 0 : (s->nzones == 1 &&
	    strcmp(s->zones[0], "example.test") == 0)))
		pass(name);
	else
		fail(name, "first %lld tag %u owner \"%s\" zone \"%s\", bad "
		    "%lld future %d, %zu zones", (long long)s->first.when,
		    s->first.keytag, s->first.owner, s->first.zone,
		    (long long)s->bad.when, s->bad_future, s->nzones);
}

static void
judge_ok(const char *name, const struct dns_sigs *s, time_t now,
    time_t window, int want, const char *text)
{
	char	 buf[MAX_TEXT];
	int	 r;

	buf[0] = '\0';
	r = sigs_judge(s, now, window, buf, sizeof(buf));
	if (r == want && (text == NULL || strstr(buf, text) != NULL))
		pass(name);
	else
		fail(name, "%d \"%s\"", r, buf);
}

#define DAY	86400

static void
test_sigs(void)
{
	struct pkt	 p;
	struct dns_sigs	 s;
	const time_t	 now = 1800000000;
	char		 why[MAX_TEXT];

	put_header(&p, 2, 0);
	put(&p, NAME_MX, sizeof(NAME_MX));
	put(&p, "\000\001\000\001\000\000\001\054\000\004\177\000\000\001",
	    14);
	put_rrsig(&p, RR_TYPE_A, now + 10 * DAY, now - DAY, 4711, 0);
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: one RRSIG", &s, now + 10 * DAY, 4711, 0, 0);
	if (s.first.inception == now - DAY && s.first.type == RR_TYPE_A)
		pass("sigs: its inception and type");
	else
		fail("sigs: its inception and type", "%lld %u",
		    (long long)s.first.inception, s.first.type);

	/* One signature in its window validates: the latest counts. */
	put_header(&p, 2, 0);
	put_rrsig(&p, RR_TYPE_A, now + 10 * DAY, now - DAY, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now + DAY, now - 3600, 2, 0);
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: an RRset holds until its last RRSIG", &s,
	    now + 10 * DAY, 1, 0, 0);

	put_header(&p, 2, 0);
	put_rrsig(&p, RR_TYPE_A, now - 3600, now - 30 * DAY, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now + DAY, now - 3600, 2, 0);
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: a leftover expired RRSIG beside a valid one", &s,
	    now + DAY, 2, 0, 0);

	/* Which KSK signs the DNSKEY RRset is not known: the first. */
	put_header(&p, 2, 0);
	put_rrsig(&p, RR_TYPE_DNSKEY, now + 10 * DAY, now - DAY, 1, 0);
	put_rrsig(&p, RR_TYPE_DNSKEY, now + DAY, now - DAY, 2, 0);
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: a DNSKEY RRset holds until its first RRSIG", &s,
	    now + DAY, 2, 0, 0);

	/* Two RRsets: the one that fails first. */
	put_header(&p, 2, 0);
	put_rrsig(&p, RR_TYPE_A, now + 10 * DAY, now - DAY, 1, 0);
	put_rrsig(&p, RR_TYPE_CNAME, now + 5 * DAY, now - DAY, 3, 0);
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: of two RRsets, the first to fail", &s, now + 5 * DAY,
	    3, 0, 0);

	put_header(&p, 2, 0);
	put_rrsig(&p, RR_TYPE_A, now - 7200, now - 30 * DAY, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now - 3600, now - 30 * DAY, 2, 0);
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: every RRSIG expired", &s, 0, 0, now - 3600, 0);

	put_header(&p, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now + 30 * DAY, now + 3600, 1, 0);
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: not valid yet", &s, 0, 0, now + 30 * DAY, 1);
	put_header(&p, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now + 30 * DAY, now + 60, 1, 0);
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: a minute ahead of this clock is valid", &s,
	    now + 30 * DAY, 1, 0, 0);

	/* 2106: the 32-bit counter wraps, the times do not. */
	put_header(&p, 1, 0);
	put_rrsig(&p, RR_TYPE_A, 0x100, 0xffff0000, 3, 0);
	sigs_scan(p.b, p.len, (time_t)0xffffff00LL, &s);
	sig_ok("sigs: serial arithmetic past 2106", &s, 0x100000100LL, 3, 0,
	    0);

	put_header(&p, 0, 2);
	put_rrsig(&p, RR_TYPE_NSEC, now + 3600, now - 60, 5, 0);
	put_rrsig(&p, 2, now + 60, now - 60, 6, 0);	/* NS: not a proof */
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: a denial's NSEC, not the NS", &s, now + 3600, 5, 0, 0);

	put_header(&p, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now + 60, now - 60, 7, 1);
	sigs_scan(p.b, p.len, now, &s);
	sig_ok("sigs: cut RRSIG rdata ignored", &s, 0, 0, 0, 0);
	sigs_scan(p.b, p.len - 3, now, &s);
	sig_ok("sigs: cut packet", &s, 0, 0, 0, 0);

	put_header(&p, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now + 2 * DAY, now - 28 * DAY, 8, 0);
	sigs_scan(p.b, p.len, now, &s);
	judge_ok("sigs: within the window warns", &s, now, 3 * DAY, 1,
	    "DNSSEC signature expires in 2 days");
	judge_ok("sigs: outside the window", &s, now, DAY, 0, NULL);
	judge_ok("sigs: no window", &s, now, 0, 0, NULL);

	/* Signed on the fly: two days each, warns once a day is left. */
	put_header(&p, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now + 3 * DAY / 2, now - DAY / 2, 9, 0);
	sigs_scan(p.b, p.len, now, &s);
	judge_ok("sigs: a fresh short-lived RRSIG does not warn", &s, now,
	    3 * DAY, 0, NULL);
	put_header(&p, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now + DAY / 2, now - 3 * DAY / 2, 9, 0);
	sigs_scan(p.b, p.len, now, &s);
	judge_ok("sigs: a short-lived RRSIG past half its life warns", &s,
	    now, 3 * DAY, 1, "expires in 12 hours");

	put_header(&p, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now - 3600, now - 30 * DAY, 8, 0);
	sigs_scan(p.b, p.len, now, &s);
	judge_ok("sigs: expired fails", &s, now, 0, -1,
	    "the RRSIG over A mx.example.test (zone example.test, key 8) "
	    "expired");
	strlcpy(why, "validation failure", sizeof(why));
	sigs_explain(&s, why, sizeof(why));
	if (strstr(why, "validation failure; the RRSIG over A "
	    "mx.example.test (zone example.test, key 8) expired ") != NULL)
		pass("sigs: a bogus reason says which RRSIG");
	else
		fail("sigs: a bogus reason says which RRSIG", "\"%s\"", why);
	put_header(&p, 1, 0);
	put_rrsig(&p, RR_TYPE_A, now + 30 * DAY, now + 2 * 3600, 8, 0);
	sigs_scan(p.b, p.len, now, &s);
	judge_ok("sigs: not yet valid fails", &s, now, 0, -1,
	    "is not valid before");
}

int
main(void)
{
	test_resolvers();
	test_resolv_conf();
	test_names();
	test_names_of_things();
	test_context();
	test_answers();
	test_sigs();
	return failures != 0;
}
