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
 * libFuzzer harness: the SMTP reply parser (smtp.c), fed what a
 * hostile server could send.  The input is cut into lines at LF the
 * way the check child's get_line() does: a line longer than its
 * buffer (SMTP_LINE_MAX + 1 bytes before the LF) or an unterminated
 * last line ends the dialogue, as there.  Each line is handed over in
 * a buffer of exactly its length, so a read past it is caught.
 *
 * An input that starts with '#' (never a reply line) is a long-reply
 * script instead: its second byte says how many times (1 to 40) each
 * line of the rest is fed, so that SMTP_REPLY_MAX can be reached by
 * an input of a few KB.
 *
 * After every complete or failed reply: its invariants, the EHLO
 * keyword test against a plain re-implementation, and the escaping
 * the reply text gets before it reaches a report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpdane.h"
#include "fuzz.h"

static const char *const keywords[] = {
	"STARTTLS", "starttls", "PIPELINING", "SIZE", "8BITMIME", "X",
};

/*
 * The EHLO keyword rule, written plainly: on every line after the
 * first, the word before the first space (or NUL) equals keyword,
 * ignoring case.  An empty last line is no line.
 */
static int
ref_has_extension(const struct smtp_reply *r, const char *keyword)
{
	size_t	 klen = strlen(keyword), i = 0, start, w;

	while (i < r->len && r->text[i] != '\n')
		i++;
	for (i++; i < r->len; i++) {
		start = i;
		while (i < r->len && r->text[i] != '\n')
			i++;
		for (w = start; w < i && r->text[w] != ' ' &&
		    r->text[w] != '\0'; w++)
			;
		if (w - start == klen &&
		    strncasecmp(r->text + start, keyword, klen) == 0)
			return 1;
	}
	return 0;
}

/* Once a reply is complete or has failed: what a caller relies on. */
static void
check_reply(const struct smtp_reply *r, int st)
{
	char	*v;
	size_t	 i;

	if (st == REPLY_DONE) {
		FUZZ_CHECK(r->code >= 200 && r->code <= 559);
		FUZZ_CHECK(r->nlines > 0);
	}
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		FUZZ_CHECK(smtp_has_extension(r, keywords[i]) ==
		    ref_has_extension(r, keywords[i]));
	/* What a report would show: no control byte may get through. */
	if ((v = vis_text(r->text, r->len)) != NULL) {
		FUZZ_CHECK(fuzz_printable(v, 4 * r->len + 1));
		free(v);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_reply r;	/* 64 KiB: not on the stack */
	const uint8_t	*p = data, *end = data + size, *nl;
	char		*line, err[256];
	size_t		 n, times = 1, i;
	int		 st;

	if (size >= 2 && data[0] == '#') {
		times = data[1] % 40 + 1;
		p += 2;
	}
	smtp_reply_init(&r);
	while (p < end && (nl = memchr(p, '\n', end - p)) != NULL) {
		n = nl - p;
		if (n > SMTP_LINE_MAX + 1)
			break;		/* get_line(): line too long */
		if ((line = malloc(n > 0 ? n : 1)) == NULL)
			return 0;
		memcpy(line, p, n);
		for (i = 0; i < times; i++) {
			err[0] = '\0';
			st = smtp_reply_line(&r, line, n, err, sizeof(err));
			FUZZ_CHECK(st == REPLY_MORE || st == REPLY_DONE ||
			    st == REPLY_ERROR);
			if (st == REPLY_ERROR)
				FUZZ_CHECK(err[0] != '\0' &&
				    fuzz_printable(err, sizeof(err)));
			FUZZ_CHECK(r.len < sizeof(r.text) &&
			    r.text[r.len] == '\0');
			if (st != REPLY_MORE) {
				check_reply(&r, st);
				smtp_reply_init(&r);	/* the next reply */
			}
		}
		free(line);
		p = nl + 1;
	}
	if (r.nlines > 0)
		check_reply(&r, REPLY_MORE);	/* cut off: still sound */
	return 0;
}
