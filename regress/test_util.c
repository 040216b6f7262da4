/*
 * Unit tests of util.c: durations, framing, escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
test_escaping(void)
{
	char	*v;
	uint8_t	 raw[] = { 'a', 0x1b, '[', '2', 'J', '\n', 0xff, 0, 'z' };
	char	 hex[9];

	v = vis_text((const char *)raw, sizeof(raw));
	check(v != NULL && strchr(v, 0x1b) == NULL && strchr(v, '\n') == NULL
	    && strstr(v, "\\033") != NULL && strstr(v, "\\000z") != NULL,
	    "control bytes escaped", v ? v : "NULL");
	free(v);
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

int
main(void)
{
	test_targets();
	test_durations();
	test_framing();
	test_escaping();
	return failures > 0;
}
