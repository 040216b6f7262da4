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
 * What the unit tests of the DNS side (test_dns.c, test_anchors.c)
 * share: PASS:/FAIL: lines and the root zone's keys as IANA publishes
 * them.  Included once per test program.
 */

static int	failures;

#define AUTO	((size_t)-1)	/* length: strlen() of the text */

/* The root KSK-2017 public key, as IANA publishes it. */
#define KSK2017 \
	"AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq" \
	"7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnI" \
	"DdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb" \
	"9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTId" \
	"sIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qih" \
	"ylGa8subX2Nn6UwNR1AkUTV74bU="
#define DS2017 \
	"20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D084" \
	"58E880409BBC683457104237C7F8EC8D"
#define DS2024 \
	"38696 8 2 683D2D0ACB8C9B712A1948B27F741219" \
	"298D0A450D612C483AF444A4C0FB2B16"
#define ECKEY \
	"mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxIL" \
	"fDLUT0rAK9iUzy1L53eKGQ=="

static void
pass(const char *name)
{
	printf("PASS: %s\n", name);
}

static void	fail(const char *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));

static void
fail(const char *name, const char *fmt, ...)
{
	va_list	ap;

	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

