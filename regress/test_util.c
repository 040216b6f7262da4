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
 * Unit tests of util.c: durations, framing, escaping, domain names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vis.h>

#include "smtpdane.h"

static int	 failures;

static void
check(int ok, const char *name, const char *why)
{
	if (ok)
		printf("PASS: util: %s\n", name);
	else {
		printf("FAIL: util: %s: %s\n", name, why);
		failures++;
	}
}

static void
test_durations(void)
{
	static const struct {
		const char	*in;
		int		 ok;
		time_t		 secs;
	} cases[] = {
		{ "10s", 1, 10 }, { "30", 1, 30 }, { "1h30m", 1, 5400 },
		{ "168h", 1, 604800 }, { "7d", 1, 604800 },
		{ "250ms", 1, 1 }, { "1.5s", 1, 2 }, { "0", 1, 0 },
		{ "2m3s", 1, 123 }, { "", 0, 0 }, { "s", 0, 0 },
		{ "10x", 0, 0 }, { "-5s", 0, 0 }, { "0x10s", 0, 0 },
		{ "1e3s", 0, 0 }, { "inf", 0, 0 }, { "99999d", 0, 0 },
		{ "10 s", 0, 0 }, { "5m10", 0, 0 },
	};
	char	 name[64], why[64];
	time_t	 t;
	size_t	 i;
	int	 r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = -1;
		r = parse_duration(cases[i].in, &t);
		snprintf(name, sizeof(name), "duration \"%s\"", cases[i].in);
		snprintf(why, sizeof(why), "returned %d, %lld", r,
		    (long long)t);
		check(cases[i].ok ? r == 0 && t == cases[i].secs : r == -1,
		    name, why);
	}
}

static void
test_framing(void)
{
	struct msgbuf	 mb = { NULL, 0, 0 };
	struct msgreader r;
	uint32_t	 type;
	size_t		 used, len;
	char		*s;
	uint8_t		 bad[8] = { 0, 0, 0, 99, 0, 0, 0, 0 };
	uint8_t		 huge[8] = { 0, 0, 0, 1, 0x7f, 0, 0, 0 };

	msg_begin(&mb, MSG_RESULT);
	msg_put_u32(&mb, 7);
	msg_put_cstr(&mb, "reason");
	/* msg_send fills the length; emulate it without a pipe. */
	mb.buf[4] = mb.buf[5] = mb.buf[6] = 0;
	mb.buf[7] = mb.len - 8;
	check(msg_frame(mb.buf, mb.len - 1, &type, &r, &used) == 0,
	    "short frame waits", "");
	check(msg_frame(mb.buf, mb.len, &type, &r, &used) == 1 &&
	    type == MSG_RESULT && used == mb.len, "whole frame", "");
	check(msg_get_u32(&r) == 7, "u32 field", "");
	s = msg_get_str(&r, &len);
	check(s != NULL && len == 6 && strcmp(s, "reason") == 0,
	    "string field", s ? s : "NULL");
	free(s);
	check(msg_get_u32(&r) == 0 && r.bad, "read past the end is bad", "");
	check(msg_frame(bad, sizeof(bad), &type, &r, &used) == -1,
	    "unknown type rejected", "");
	check(msg_frame(huge, sizeof(huge), &type, &r, &used) == -1,
	    "oversized length rejected", "");
	/* A string whose length runs past the payload. */
	r.p = (const uint8_t *)"\0\0\0\x10" "abc";
	r.left = 7;
	r.bad = 0;
	check(msg_get_str(&r, NULL) == NULL && r.bad,
	    "string past the payload rejected", "");
	free(mb.buf);
}

/*
 * Every byte value, alone and between plain letters: the copy that
 * vis_text() and vis_copy() make of plain text must be what strvisx()
 * itself makes of it.
 */
static void
test_vis_plain(void)
{
	char	 in[3], *v, want[16], got[16];
	int	 c, bad = 0;

	for (c = 0; c < 256; c++) {
		in[0] = 'a';
		in[1] = (char)c;
		in[2] = 'b';
		(void)strvisx(want, in, 3, VIS_POLICY);
		v = vis_text(in, 3);
		vis_copy(got, sizeof(got), in, 3);
		if (v == NULL || strcmp(v, want) != 0 || strcmp(got, want) != 0)
			bad++;
		free(v);
	}
	check(bad == 0, "vis_text and vis_copy agree with strvisx on every "
	    "byte", "");
}

static void
test_escaping(void)
{
	char	*v;
	uint8_t	 raw[] = { 'a', 0x1b, '[', '2', 'J', '\n', 0xff, 0, 'z' };
	char	 hex[9], buf[64];

	v = vis_text((const char *)raw, sizeof(raw));
	check(v != NULL && strchr(v, 0x1b) == NULL && strchr(v, '\n') == NULL
	    && strstr(v, "\\033") != NULL && strstr(v, "\\000z") != NULL,
	    "control bytes escaped", v ? v : "NULL");
	free(v);
	/* One policy: octal, and a backslash left alone. */
	v = vis_text("a\r\n\t\\b", 6);
	check(v != NULL && strcmp(v, "a\\015\\012\\011\\b") == 0,
	    "CR LF TAB as octal", v ? v : "NULL");
	free(v);
	vis_copy(buf, sizeof(buf), "x\r\ny", 4);
	check(strcmp(buf, "x\\015\\012y") == 0, "vis_copy as vis_text", buf);
	test_vis_plain();
	vis_copy(buf, 6, "x\r\ny", 4);
	check(strcmp(buf, "x\\015") == 0, "vis_copy cuts short", buf);
	hexify((const uint8_t *)"\x01\xab\xff", 3, hex, sizeof(hex));
	check(strcmp(hex, "01abff") == 0, "hexify", hex);
	hexify((const uint8_t *)"\x01\xab\xff", 3, hex, 5);
	check(strcmp(hex, "01ab") == 0, "hexify truncates", hex);
	check(strcmp(result_name(R_TLSA_MISMATCH), "tlsa-mismatch") == 0 &&
	    strcmp(result_name(R__MAX), "internal-error") == 0,
	    "result names", "");
}

static void
test_targets(void)
{
	static const struct {
		const char	*in;
		const char	*host;	/* NULL: rejected */
		unsigned	 port;
		const char	*err;
	} cases[] = {
		{ "mx.example.org", "mx.example.org", 25, NULL },
		{ "MX.Example.ORG.", "mx.example.org", 25, NULL },
		{ "mx.example.org:2525", "mx.example.org", 2525, NULL },
		{ "mx.example.org:smtp", "mx.example.org", 25, NULL },
		{ "mx.example.org:submission", "mx.example.org", 587, NULL },
		{ "[mx.example.org]:465", "mx.example.org", 465, NULL },
		{ "mx.example.org:0", NULL, 0, "bad port" },
		{ "mx.example.org:65536", NULL, 0, "bad port" },
		{ "mx.example.org:nosuchservice", NULL, 0, "bad port" },
		{ "mx.example.org:", NULL, 0, "bad port" },
		{ "192.0.2.25", NULL, 0, "address" },
		{ "192.0.2.25:25", NULL, 0, "address" },
		{ "[2001:db8::25]:25", NULL, 0, "address" },
		{ "2001:db8::25", NULL, 0, "address" },
		{ "[2001:db8::25", NULL, 0, "missing ']'" },
		{ "[2001:db8::25]x", NULL, 0, "junk" },
		{ "mx..example.org", NULL, 0, "not a valid host name" },
		{ ".example.org", NULL, 0, "not a valid host name" },
		{ "mx example.org", NULL, 0, "not a valid host name" },
		{ "mx.exa$mple.org", NULL, 0, "not a valid host name" },
		{ "", NULL, 0, "not a valid host name" },
		{ "a23456789012345678901234567890123456789012345678901234567"
		    "8901234.org", NULL, 0, "not a valid host name" },
	};
	char		 host[MAX_HOSTNAME], name[128], why[300];
	const char	*err;
	uint16_t	 port;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		host[0] = '\0';
		port = 0;
		err = parse_target(cases[i].in, 25, host, sizeof(host), &port);
		snprintf(name, sizeof(name), "target \"%.60s\"", cases[i].in);
		snprintf(why, sizeof(why), "got %s, %s:%u", err ? err : "ok",
		    host, port);
		if (cases[i].host != NULL)
			check(err == NULL && strcmp(host, cases[i].host) == 0 &&
			    port == cases[i].port, name, why);
		else
			check(err != NULL && strstr(err, cases[i].err) != NULL,
			    name, why);
	}
}

/* domain_check(), the one rule, and the two forms built on it. */
static void
test_names(void)
{
	static const struct {
		const char	*in;
		const char	*why;	/* NULL: accepted */
		int		 host;	/* valid_hostname() too */
	} cases[] = {
		{ "mx.example.org", NULL, 1 },
		{ "MX-1.Example.ORG", NULL, 1 },
		{ "xn--bcher-kva.example", NULL, 1 },
		{ "_25._tcp.mx.example.org", NULL, 1 },
		{ "_submission._tcp.example.org", NULL, 1 },
		{ "mx_1.example.org", NULL, 1 },
		{ "1.2.example", NULL, 1 },
		{ "mx.example.org.", NULL, 0 },
		{ ".", NULL, 0 },
		{ "-mx.example.org", "label starts with '-'", 0 },
		{ "mx.-example.org", "label starts with '-'", 0 },
		{ "mx-.example.org", "label ends with '-'", 0 },
		{ "mx.example-", "label ends with '-'", 0 },
		{ "mx.example-.", "label ends with '-'", 0 },
		{ "", "empty name", 0 },
		{ "mx..example.org", "empty label", 0 },
		{ ".example.org", "empty label", 0 },
		{ "mx example.org", "bad byte 0x20", 0 },
		{ "mx.ex$mple.org", "bad character '$'", 0 },
		{ "b\xc3\xbc" "cher.example", "bad byte 0xc3", 0 },
		{ "a23456789012345678901234567890123456789012345678901234567"
		    "890123.org", NULL, 1 },
		{ "a23456789012345678901234567890123456789012345678901234567"
		    "8901234.org", "label longer than 63 bytes", 0 },
	};
	char	 name[300], why[128], out[MAX_HOSTNAME], big[300];
	size_t	 i;
	int	 r;

	for (i = 0; i < nitems(cases); i++) {
		why[0] = '\0';
		r = domain_check(cases[i].in, strlen(cases[i].in), why,
		    sizeof(why));
		snprintf(name, sizeof(name), "name \"%.70s\"", cases[i].in);
		if (cases[i].why == NULL)
			check(r == 0, name, why);
		else
			check(r == -1 && strcmp(why, cases[i].why) == 0, name,
			    why);
		snprintf(name, sizeof(name), "host name \"%.70s\"",
		    cases[i].in);
		check(valid_hostname(cases[i].in) == cases[i].host, name,
		    cases[i].host ? "refused" : "accepted");
	}
	/* 253 bytes is the most a name without its final dot can hold. */
	memset(big, 'a', 253);
	for (i = 63; i < 253; i += 64)
		big[i] = '.';
	big[253] = '\0';
	check(valid_hostname(big), "host name of 253 bytes", "refused");
	big[252] = '.';
	big[253] = 'a';
	big[254] = '\0';
	check(!valid_hostname(big) && domain_check(big, 254, why,
	    sizeof(why)) == -1 && strcmp(why, "name longer than 255 bytes") ==
	    0, "host name of 254 bytes", why);
	check(name_norm("Mx.Example.ORG", 14, out, sizeof(out), why,
	    sizeof(why)) == 0 && strcmp(out, "mx.example.org.") == 0,
	    "name_norm: lower case and a final dot", out);
	check(name_norm(".", 1, out, sizeof(out), why, sizeof(why)) == 0 &&
	    strcmp(out, ".") == 0, "name_norm: the root", out);
	check(name_norm("mx.example.org", 14, out, 15, why,
	    sizeof(why)) == -1 && strcmp(why, "name too long") == 0,
	    "name_norm: no room for the dot", why);
}

/* Text cut at a length bound says so; text that fits is left alone. */
static void
test_cut(void)
{
	char	 buf[16];

	cutf(buf, sizeof(buf), "%s", "short");
	check(strcmp(buf, "short") == 0, "vcutf: fits, no mark", buf);
	cutf(buf, sizeof(buf), "%s", "exactly 15 char");
	check(strcmp(buf, "exactly 15 char") == 0, "vcutf: full, no mark",
	    buf);
	cutf(buf, sizeof(buf), "%s", "one byte too long");
	check(strcmp(buf, "one byte t" CUT_MARK) == 0 &&
	    strlen(buf) == sizeof(buf) - 1, "vcutf: cut ends in the mark",
	    buf);
	strlcpy(buf, "0123456789abcdefgh", sizeof(buf));
	mark_cut(buf, sizeof(buf));
	check(strcmp(buf, "0123456789" CUT_MARK) == 0, "mark_cut", buf);
	strlcpy(buf, "abc", 4);
	mark_cut(buf, 4);
	check(strcmp(buf, "abc") == 0, "mark_cut: no room, unchanged", buf);
}

int
main(void)
{
	test_cut();
	test_names();
	test_targets();
	test_durations();
	test_framing();
	test_escaping();
	return failures > 0;
}
