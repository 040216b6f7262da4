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
 * Unit tests for anchors.c: the trust-anchor file (DS and DNSKEY
 * records in zone-file text), what it accepts, how it writes each
 * record for libunbound, and the message for each mistake.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../smtpdane.h"
#include "unit_dns.h"

/* Parse text; expect these normalized anchor lines, in order. */
static void
anchors_ok(const char *name, const char *text, const char *const *want,
    size_t nwant)
{
	struct dns_config	cfg;
	char			err[MAX_TEXT];
	size_t			i;

	memset(&cfg, 0, sizeof(cfg));
	if (dns_parse_anchors(text, strlen(text), &cfg, err,
	    sizeof(err)) == -1) {
		fail(name, "refused: %s", err);
		return;
	}
	if (cfg.nanchors != nwant) {
		fail(name, "%zu anchors, wanted %zu", cfg.nanchors, nwant);
		dns_config_free(&cfg);
		return;
	}
	for (i = 0; i < nwant; i++) {
		if (strcmp(cfg.anchors[i], want[i]) != 0) {
			fail(name, "anchor %zu is \"%s\", wanted \"%s\"", i,
			    cfg.anchors[i], want[i]);
			dns_config_free(&cfg);
			return;
		}
	}
	dns_config_free(&cfg);
	pass(name);
}

/* Parse text; expect exactly this error and no anchor added. */
static void
anchors_bad(const char *name, const char *text, size_t len, const char *want)
{
	struct dns_config	cfg;
	char			err[MAX_TEXT];

	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	if (len == AUTO)
		len = strlen(text);
	if (dns_parse_anchors(text, len, &cfg, err, sizeof(err)) == 0) {
		fail(name, "accepted (%zu anchors)", cfg.nanchors);
		dns_config_free(&cfg);
		return;
	}
	if (cfg.nanchors != 0)
		fail(name, "error left %zu anchors behind", cfg.nanchors);
	else if (strcmp(err, want) != 0)
		fail(name, "error \"%s\", wanted \"%s\"", err, want);
	else
		pass(name);
	dns_config_free(&cfg);
}

static void
test_anchors_good(void)
{
	static const char *const ds[] = { ". IN DS " DS2017 };
	static const char *const key[] = { ". IN DNSKEY 257 3 8 " KSK2017 };
	static const char *const both[] = {
		". IN DS " DS2017, ". IN DS " DS2024,
		". IN DNSKEY 257 3 8 " KSK2017,
	};
	static const char *const ex[] = {
		"example. IN DS 12345 13 2 "
		    "4B446F0E323BA72D5EC63D039D4FBDE0"
		    "ED9B437B491E4F2ACEC64BFE3CF7B7A9",
	};
	static const char *const eckey[] = {
		"example.org. IN DNSKEY 257 3 13 " ECKEY,
	};
	static const char *const ttls[] = {
		"a. IN DS " DS2017, "b. IN DS " DS2017, "c. IN DS " DS2017,
		"d. IN DS " DS2017, "e. IN DS " DS2017, "f. IN DS " DS2017,
	};
	static const char *const origin[] = {
		"example.org. IN DS " DS2017, "sub.example.org. IN DS " DS2017,
		"sub.example.org. IN DS " DS2024, "org. IN DS " DS2024,
	};
	static const char *const sha1[] = {
		"example. IN DS 1 5 1 0123456789ABCDEF0123456789ABCDEF01234567",
		"example. IN DS 65535 255 4 "
		    "00112233445566778899AABBCCDDEEFF"
		    "00112233445566778899AABBCCDDEEFF"
		    "00112233445566778899AABBCCDDEEFF",
	};

	anchors_ok("anchors: DS line", ". IN DS " DS2017 "\n", ds, 1);
	anchors_ok("anchors: DS without newline or class", ". DS " DS2017,
	    ds, 1);
	anchors_ok("anchors: lower-case hex and keywords",
	    ". in ds 20326 8 2 "
	    "e06d44b80b8f1d39a95c0b0d7c65d084"
	    "58e880409bbc683457104237c7f8ec8d\n",
	    ds, 1);
	anchors_ok("anchors: DNSKEY line",
	    ". 172800 IN DNSKEY 257 3 8 " KSK2017 "\n", key, 1);
	anchors_ok("anchors: multi-line DNSKEY in parentheses",
	    "; root key, BIND style\n"
	    ".\t\t\t172800\tIN DNSKEY 257 3 8 (\n"
	    "\t\t\t\tAwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTO\n"
	    "\t\t\t\tiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN\n"
	    "\t\t\t\t7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5 ; more\n"
	    "\t\t\t\tLKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8\n"
	    "\t\t\t\tefS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7\n"
	    "\t\t\t\tpr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLY\n"
	    "\t\t\t\tA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws\n"
	    "\t\t\t\t9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=\n"
	    "\t\t\t\t) ; KSK; alg = RSASHA256 ; key id = 20326\n",
	    key, 1);
	anchors_ok("anchors: DS digest split inside parentheses",
	    ". IN DS 20326 8 2 ( E06D44B80B8F1D39A95C0B0D7C65D084\n"
	    "   58E880409BBC683457104237C7F8EC8D )\n", ds, 1);
	anchors_ok("anchors: comments, blank lines, CRLF",
	    "; IANA root anchors\r\n\r\n   \r\n"
	    ". IN DS " DS2017 " ; KSK-2017\r\n"
	    ";. IN DS 19036 8 2 49AAC11D7B6F6446702E54A1607371607A1A41855200F"
	    "D2CE1CDDE32F24E8FB5\r\n"
	    "\t; indented comment\n"
	    ". IN DS " DS2024 "\r\n"
	    ". IN DNSKEY 257 3 RSASHA256 " KSK2017 "\n", both, 3);
	anchors_ok("anchors: ldns-key2ds output",
	    "example.\t3600\tIN\tDS\t12345 13 2 4b446f0e323ba72d5ec63d039d4fb"
	    "de0ed9b437b491e4f2acec64bfe3cf7b7a9\n", ex, 1);
	anchors_ok("anchors: ldns-keygen .key file",
	    "example.org.\tIN\tDNSKEY\t257 3 13 " ECKEY
	    " ;{id = 36427 (ksk), size = 256b}\n", eckey, 1);
	anchors_ok("anchors: BIND K*.key file",
	    "; This is a key-signing key, keyid 36427, for example.org.\n"
	    "; Created: 20240101000000 (Mon Jan  1 00:00:00 2024)\n"
	    "; Publish: 20240101000000 (Mon Jan  1 00:00:00 2024)\n"
	    "; Activate: 20240101000000 (Mon Jan  1 00:00:00 2024)\n"
	    "Example.ORG. 3600 IN DNSKEY 257 3 ECDSAP256SHA256 " ECKEY "\n",
	    eckey, 1);
	anchors_ok("anchors: TTL and class in any order",
	    "a. 3600 IN DS " DS2017 "\n"
	    "b. IN 3600 DS " DS2017 "\n"
	    "c. 1h30m DS " DS2017 "\n"
	    "d. IN DS " DS2017 "\n"
	    "e. 0 in DS " DS2017 "\n"
	    "f. 2W ds " DS2017 "\n", ttls, 6);
	anchors_ok("anchors: $TTL, $ORIGIN, @, relative and blank owner",
	    "$TTL 86400\n"
	    "$ORIGIN example.org.\n"
	    "@ IN DS " DS2017 "\n"
	    "sub IN DS " DS2017 "\n"
	    "    IN DS " DS2024 "\n"
	    "$ORIGIN .\n"
	    "org 3600 DS " DS2024 "\n", origin, 4);
	anchors_ok("anchors: SHA-1 and SHA-384 digests, tag and alg limits",
	    "example. DS 1 RSASHA1 1 0123456789abcdef0123456789abcdef01234567\n"
	    "example. DS 65535 255 4 00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\n",
	    sha1, 2);
}

static void
test_anchors_bad(void)
{
	static const char nul[] = ". IN DS 20326 8 2 E0\0" "6D";

	anchors_bad("anchors bad: SHA-256 digest one byte short",
	    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC68"
	    "3457104237C7F8EC\n", AUTO,
	    "line 1: DS digest has 31 bytes, SHA-256 needs 32");
	anchors_bad("anchors bad: SHA-1 digest too long on line 3",
	    "; comment\n\nexample. DS 1 8 1 "
	    "0123456789abcdef0123456789abcdef0123456789\n", AUTO,
	    "line 3: DS digest has 21 bytes, SHA-1 needs 20");
	anchors_bad("anchors bad: SHA-384 digest too short",
	    "example. DS 1 8 4 00112233445566778899aabbccddeeff\n", AUTO,
	    "line 1: DS digest has 16 bytes, SHA-384 needs 48");
	anchors_bad("anchors bad: odd number of hex digits",
	    "x. DS 1 8 2 ABC\n", AUTO,
	    "line 1: DS digest has an odd number of hex digits (3)");
	anchors_bad("anchors bad: digest not hex",
	    "x. DS 1 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC68345710"
	    "4237C7F8EC8G\n", AUTO,
	    "line 1: DS digest 'E06D44B80B8F1D39A95C0B0D7C65D08458E88040...' "
	    "has a character that is not hex: 'G'");
	anchors_bad("anchors bad: key tag too big",
	    "x. DS 65536 8 2 00\n", AUTO,
	    "line 1: DS key tag '65536' is not a number from 0 to 65535");
	anchors_bad("anchors bad: negative key tag",
	    "x. DS -1 8 2 00\n", AUTO,
	    "line 1: DS key tag '-1' is not a number from 0 to 65535");
	anchors_bad("anchors bad: DS algorithm too big",
	    "x. DS 1 256 2 00\n", AUTO,
	    "line 1: DS algorithm '256' is not a number from 0 to 255 or a "
	    "known mnemonic");
	anchors_bad("anchors bad: unknown digest type",
	    "x. DS 1 8 3 00\n", AUTO,
	    "line 1: DS digest type 3 is not supported (1 SHA-1, 2 SHA-256, "
	    "4 SHA-384)");
	anchors_bad("anchors bad: DS without digest",
	    "x. IN DS 1 8 2\n", AUTO,
	    "line 1: DS record needs key tag, algorithm, digest type and "
	    "digest");
	anchors_bad("anchors bad: DNSKEY protocol not 3",
	    "x. DNSKEY 257 4 13 " ECKEY "\n", AUTO,
	    "line 1: DNSKEY protocol is '4', it must be 3");
	anchors_bad("anchors bad: DNSKEY without zone key flag",
	    "x. DNSKEY 1 3 13 " ECKEY "\n", AUTO,
	    "line 1: DNSKEY flags 1 lack the zone key bit (256): not a key "
	    "that signs a zone");
	anchors_bad("anchors bad: revoked DNSKEY",
	    "x. DNSKEY 385 3 13 " ECKEY "\n", AUTO,
	    "line 1: DNSKEY flags 385 have the revoke bit (128) set");
	anchors_bad("anchors bad: DNSKEY flags too big",
	    "x. DNSKEY 65536 3 13 " ECKEY "\n", AUTO,
	    "line 1: DNSKEY flags '65536' are not a number from 0 to 65535");
	anchors_bad("anchors bad: DNSKEY key not base64",
	    "x. DNSKEY 257 3 13 (\n  mdsswUyr3DPW\n  132mOi8V*9xESWE8\n  )\n",
	    AUTO,
	    "line 3: DNSKEY public key '132mOi8V*9xESWE8' has a character "
	    "that is not base64: '*'");
	anchors_bad("anchors bad: DNSKEY base64 length",
	    "x. DNSKEY 257 3 13 mdsswUyr3DP\n", AUTO,
	    "line 1: DNSKEY public key is not valid base64 (11 characters, 0 "
	    "of them '=')");
	anchors_bad("anchors bad: DNSKEY data after padding",
	    "x. DNSKEY 257 3 13 md==sswU\n", AUTO,
	    "line 1: DNSKEY public key has base64 data after '=' padding");
	anchors_bad("anchors bad: DNSKEY without key",
	    "x. DNSKEY 257 3 13\n", AUTO,
	    "line 1: DNSKEY record needs flags, protocol, algorithm and "
	    "public key");
	anchors_bad("anchors bad: relative owner",
	    "example IN DS 1 8 2 00\n", AUTO,
	    "line 1: owner name 'example' is not absolute (end it with '.')");
	anchors_bad("anchors bad: empty label",
	    "a..b. IN DS " DS2017 "\n", AUTO,
	    "line 1: owner name 'a..b.': empty label");
	anchors_bad("anchors bad: long label",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa. "
	    "DS " DS2017 "\n", AUTO,
	    "line 1: owner name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...': "
	    "label longer than 63 bytes");
	anchors_bad("anchors bad: bad character in owner",
	    "ex*ample. IN DS " DS2017 "\n", AUTO,
	    "line 1: owner name 'ex*ample.': bad character '*'");
	anchors_bad("anchors bad: class CH",
	    ". CH DS " DS2017 "\n", AUTO,
	    "line 1: class 'CH' is not supported, only IN");
	anchors_bad("anchors bad: two TTLs",
	    ". 1 2 DS " DS2017 "\n", AUTO, "line 1: bad TTL '2'");
	anchors_bad("anchors bad: bad TTL unit",
	    ". 1x DS " DS2017 "\n", AUTO, "line 1: bad TTL '1x'");
	anchors_bad("anchors bad: record of another type",
	    "www.example. IN A 192.0.2.1\n", AUTO,
	    "line 1: record type 'A' is not DS or DNSKEY");
	anchors_bad("anchors bad: owner only",
	    "example. IN 3600\n", AUTO,
	    "line 1: record has no type and no data");
	anchors_bad("anchors bad: '(' never closed",
	    ". IN DNSKEY 257 3 8 (\n" KSK2017 "\n", AUTO,
	    "line 1: '(' is never closed");
	anchors_bad("anchors bad: ')' without '('",
	    ". IN DS " DS2017 " )\n", AUTO, "line 1: ')' without '('");
	anchors_bad("anchors bad: nested '('",
	    ". IN DS ( 1 (\n", AUTO, "line 1: '(' inside '(' of line 1");
	anchors_bad("anchors bad: quoted string",
	    ". IN DS \"1\"\n", AUTO,
	    "line 1: quoted strings have no place in DS or DNSKEY records");
	anchors_bad("anchors bad: NUL byte", nul, sizeof(nul) - 1,
	    "line 1: unexpected byte 0x00");
	anchors_bad("anchors bad: non-ASCII byte",
	    ". IN DS 20326 8 2 \xc3\xa9\n", AUTO,
	    "line 1: unexpected byte 0xc3");
	anchors_bad("anchors bad: empty text", "", AUTO,
	    "no DS or DNSKEY record found");
	anchors_bad("anchors bad: only comments and $TTL",
	    "; nothing here\n$TTL 3600\n\n", AUTO,
	    "no DS or DNSKEY record found");
	anchors_bad("anchors bad: $INCLUDE", "$INCLUDE /etc/passwd\n", AUTO,
	    "line 1: $INCLUDE is not supported");
	anchors_bad("anchors bad: unknown directive", "$GENERATE 1-2 x A 1\n",
	    AUTO, "line 1: unknown directive '$GENERATE'");
	anchors_bad("anchors bad: relative $ORIGIN", "$ORIGIN org\n", AUTO,
	    "line 1: $ORIGIN 'org' is not absolute (end it with '.')");
	anchors_bad("anchors bad: '@' without $ORIGIN",
	    "@ IN DS " DS2017 "\n", AUTO,
	    "line 1: '@' used but no $ORIGIN was given");
	anchors_bad("anchors bad: blank owner on first record",
	    "  IN DS " DS2017 "\n", AUTO,
	    "line 1: record starts with a blank, but there is no earlier "
	    "owner name");
	anchors_bad("anchors bad: error after good records rolls back",
	    ". IN DS " DS2017 "\n. IN DS " DS2024 "\n. IN DS 1 8 2 00\n",
	    AUTO, "line 3: DS digest has 1 byte, SHA-256 needs 32");
}

static void
test_anchors_append(void)
{
	struct dns_config	cfg;
	char			err[MAX_TEXT];
	const char		*bad = ". IN DS 1 8 2 00\n";
	const char		*good = "example. IN DS " DS2017 "\n";
	const char		*name = "anchors: errors keep earlier anchors";

	memset(&cfg, 0, sizeof(cfg));
	if (dns_builtin_anchors(&cfg) == -1) {
		fail(name, "built-in anchors failed");
		return;
	}
	if (dns_parse_anchors(bad, strlen(bad), &cfg, err, sizeof(err)) != -1)
		fail(name, "bad text accepted");
	else if (cfg.nanchors != 2)
		fail(name, "%zu anchors after error, wanted 2", cfg.nanchors);
	else if (dns_parse_anchors(good, strlen(good), &cfg, err,
	    sizeof(err)) == -1)
		fail(name, "good text refused: %s", err);
	else if (cfg.nanchors != 3 || strcmp(cfg.anchors[2],
	    "example. IN DS " DS2017) != 0)
		fail(name, "append gave %zu anchors", cfg.nanchors);
	else
		pass(name);
	dns_config_free(&cfg);
	if (cfg.anchors != NULL || cfg.nanchors != 0)
		fail("config: free clears", "anchors left");
	else
		pass("config: free clears");
	dns_config_free(&cfg);
	pass("config: free twice");
}

static void
test_builtin(void)
{
	struct dns_config	cfg;
	const char		*name = "anchors: built-in root KSKs";

	memset(&cfg, 0, sizeof(cfg));
	if (dns_builtin_anchors(&cfg) == -1)
		fail(name, "failed");
	else if (cfg.nanchors != 2)
		fail(name, "%zu anchors", cfg.nanchors);
	else if (strcmp(cfg.anchors[0], ". IN DS " DS2017) != 0 ||
	    strcmp(cfg.anchors[1], ". IN DS " DS2024) != 0)
		fail(name, "\"%s\", \"%s\"", cfg.anchors[0], cfg.anchors[1]);
	else
		pass(name);
	dns_config_free(&cfg);
}

int
main(void)
{
	test_builtin();
	test_anchors_good();
	test_anchors_bad();
	test_anchors_append();
	return failures != 0;
}
