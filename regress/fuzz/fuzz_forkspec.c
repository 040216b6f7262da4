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
 * libFuzzer harness: the spec the parent sends the forker (forkspec.c).
 * Two passes over each input:
 *
 * 1. The input is a message body.  What forkspec_decode() accepts has
 *    every count within its array and every string inside the buffer
 *    and NUL-terminated; encoded again it is the same bytes but for
 *    the string pointers, and decodes to the same strings.
 *
 * 2. The input is a script for the writer: counts, then strings cut
 *    at NULs.  Whatever forkspec_encode() writes decodes to the same
 *    counts and strings; what does not fit it refuses.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpdane.h"
#include "fuzz.h"

#define SLOTS	FORKSPEC_STRINGS

/* The strings of s, in forkspec_strings()' order. */
static size_t
slots(const struct check_spec *s, const char *out[SLOTS])
{
	const char	**slot[SLOTS];
	size_t		 i, n;

	/* Only read through the slots. */
	n = forkspec_strings((struct check_spec *)s, slot);
	for (i = 0; i < n; i++)
		out[i] = *slot[i];
	return n;
}

static int
same_strings(const struct check_spec *a, const struct check_spec *b)
{
	const char	*sa[SLOTS], *sb[SLOTS];
	size_t		 i, n;

	if ((n = slots(a, sa)) != slots(b, sb))
		return 0;
	for (i = 0; i < n; i++)
		if ((sa[i] == NULL) != (sb[i] == NULL) ||
		    (sa[i] != NULL && strcmp(sa[i], sb[i]) != 0))
			return 0;
	return 1;
}

static void
check_decoded(uint8_t *buf, size_t len, const struct check_spec *s)
{
	static uint8_t		 again[FORKSPEC_MAX + 64];
	struct check_spec	 t;
	const char		*str[SLOTS];
	size_t			 i, n, elen;

	FUZZ_CHECK(s->nbases <= 2 && s->nnames <= MAX_NAMES &&
	    s->nsig_zones <= SIG_MAX_ZONES && s->addrlen <= sizeof(s->addr));
	FUZZ_CHECK(memchr(s->addrstr, '\0', sizeof(s->addrstr)) != NULL);
	n = slots(s, str);
	for (i = 0; i < n; i++) {
		if (str[i] == NULL)
			continue;
		FUZZ_CHECK((const uint8_t *)str[i] >= buf &&
		    (const uint8_t *)str[i] < buf + len);
		FUZZ_CHECK(memchr(str[i], '\0', buf + len -
		    (const uint8_t *)str[i]) != NULL);
	}
	if ((elen = forkspec_encode(s, again, sizeof(again))) == 0)
		return;		/* its strings would not fit */
	FUZZ_CHECK(elen == len);
	FUZZ_CHECK(memcmp(again + sizeof(*s), buf + sizeof(*s),
	    len - sizeof(*s)) == 0);
	FUZZ_CHECK(forkspec_decode(again, elen, &t) == 0);
	FUZZ_CHECK(same_strings(s, &t));
}

/* Pass 2: counts from the first bytes, strings from the rest. */
static void
check_written(const uint8_t *data, size_t size)
{
	static uint8_t		 out[FORKSPEC_MAX];
	struct check_spec	 s, t;
	char			*text, *p, *end;
	const char		**slot[SLOTS];
	size_t			 i, n, len;

	if (size < 3)
		return;
	memset(&s, 0, sizeof(s));
	s.nbases = data[0] % 3;
	s.nnames = data[1] % (MAX_NAMES + 1);
	s.nsig_zones = data[2] % (SIG_MAX_ZONES + 1);
	if ((text = malloc(size - 3 + 1)) == NULL)
		return;
	memcpy(text, data + 3, size - 3);
	text[size - 3] = '\0';
	n = forkspec_strings(&s, slot);
	/* Each string up to the next NUL; past the end: NULL. */
	p = text;
	end = text + size - 3;
	for (i = 0; i < n; i++) {
		*slot[i] = p <= end ? p : NULL;
		if (p <= end)
			p += strlen(p) + 1;
	}
	if ((len = forkspec_encode(&s, out, sizeof(out))) != 0) {
		FUZZ_CHECK(forkspec_decode(out, len, &t) == 0);
		FUZZ_CHECK(t.nbases == s.nbases && t.nnames == s.nnames &&
		    t.nsig_zones == s.nsig_zones);
		FUZZ_CHECK(same_strings(&s, &t));
	}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check_spec	 s;
	uint8_t			*buf;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (forkspec_decode(buf, size, &s) == 0)
		check_decoded(buf, size, &s);
	free(buf);
	check_written(data, size);
	return 0;
}
