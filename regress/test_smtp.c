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
 * Unit tests of the SMTP reply parser (smtp.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpdane.h"

static int	 failures, passes;

static void
check(int ok, const char *name, const char *why)
{
	if (ok) {
		printf("PASS: smtp: %s\n", name);
		passes++;
	} else {
		printf("FAIL: smtp: %s: %s\n", name, why);
		failures++;
	}
}

/* Feed lines; return the final parser state and the error text. */
static int
feed(struct smtp_reply *r, const char *const *lines, size_t n, char *err,
    size_t errlen)
{
	size_t	 i;
	int	 st = REPLY_MORE;

	smtp_reply_init(r);
	err[0] = '\0';
	for (i = 0; i < n; i++) {
		st = smtp_reply_line(r, lines[i], strlen(lines[i]), err,
		    errlen);
		if (st != REPLY_MORE)
			break;
	}
	return st;
}

static void
test_good(struct smtp_reply *r)
{
	const char	*one[] = { "220 mx.example.test ESMTP ready\r" };
	const char	*multi[] = { "250-mx.example.test hello",
			    "250-PIPELINING", "250-starttls", "250 SIZE 100" };
	const char	*bare[] = { "250" };
	const char	*greet[] = { "250-STARTTLS hello", "250 SIZE" };
	const char	*near[] = { "250-mx", "250-STARTTLSX",
			    "250 X-STARTTLS" };
	char		 err[256];

	check(feed(r, one, 1, err, sizeof(err)) == REPLY_DONE &&
	    r->code == 220 && strcmp(r->text, "mx.example.test ESMTP ready")
	    == 0, "single line with CR", r->text);
	check(feed(r, multi, 4, err, sizeof(err)) == REPLY_DONE &&
	    r->code == 250 && r->nlines == 4, "multi-line", err);
	check(smtp_has_extension(r, "STARTTLS"), "STARTTLS any case",
	    r->text);
	check(smtp_has_extension(r, "size"), "extension with argument",
	    r->text);
	check(!smtp_has_extension(r, "8BITMIME"), "absent extension",
	    r->text);
	check(feed(r, bare, 1, err, sizeof(err)) == REPLY_DONE &&
	    r->code == 250 && r->text[0] == '\0', "code without text", err);
	feed(r, greet, 2, err, sizeof(err));
	check(!smtp_has_extension(r, "STARTTLS"),
	    "greeting line is not an extension", r->text);
	feed(r, near, 3, err, sizeof(err));
	check(!smtp_has_extension(r, "STARTTLS"), "near-miss keywords",
	    r->text);
}

static void
test_bad(struct smtp_reply *r)
{
	static const struct {
		const char	*name;
		const char	*lines[3];
		size_t		 n;
		const char	*err;
	} cases[] = {
		{ "too short", { "25" }, 1, "malformed" },
		{ "letters", { "abc hello" }, 1, "malformed" },
		{ "no separator", { "220x" }, 1, "malformed" },
		{ "first digit 6", { "600 no" }, 1, "malformed" },
		{ "first digit 1", { "199 no" }, 1, "malformed" },
		{ "second digit 7", { "270 no" }, 1, "malformed" },
		{ "empty line", { "" }, 1, "malformed" },
		{ "code changes", { "250-a", "251 b" }, 2, "code changed" },
		{ "tab separator", { "250\tx" }, 1, "malformed" },
	};
	char	 err[256];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(feed(r, cases[i].lines, cases[i].n, err, sizeof(err)) ==
		    REPLY_ERROR && strstr(err, cases[i].err) != NULL,
		    cases[i].name, err);
}

static void
test_limits(struct smtp_reply *r)
{
	char	 line[SMTP_LINE_MAX + 10], err[256];
	size_t	 i;
	int	 st = REPLY_MORE;

	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	smtp_reply_init(r);
	check(smtp_reply_line(r, line, sizeof(line), err, sizeof(err)) ==
	    REPLY_ERROR && strstr(err, "too long") != NULL,
	    "over-long line", err);

	/* 200 lines with STARTTLS in the middle: fine. */
	smtp_reply_init(r);
	for (i = 0; i < 200 && st == REPLY_MORE; i++) {
		snprintf(line, sizeof(line), "250%c%s", i == 199 ? ' ' : '-',
		    i == 100 ? "STARTTLS" : "EXTENSION");
		st = smtp_reply_line(r, line, strlen(line), err, sizeof(err));
	}
	check(st == REPLY_DONE && r->nlines == 200 &&
	    smtp_has_extension(r, "STARTTLS"), "200-line EHLO reply", err);

	/* A reply that never ends must not grow without bound. */
	smtp_reply_init(r);
	memset(line + 4, 'y', 1000);
	line[3] = '-';
	line[1004] = '\0';
	for (i = 0; i < 1000 && st != REPLY_ERROR; i++)
		st = smtp_reply_line(r, line, 1004, err, sizeof(err));
	check(st == REPLY_ERROR && strstr(err, "longer than") != NULL,
	    "endless multi-line reply", err);
}

/* discover.c's way out is smtpdane.c's, which this test does not link. */
__dead void
fatalx(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

int
main(void)
{
	struct smtp_reply	*r;

	if ((r = malloc(sizeof(*r))) == NULL)
		return 2;
	test_good(r);
	test_bad(r);
	test_limits(r);
	free(r);
	return failures > 0;
}
