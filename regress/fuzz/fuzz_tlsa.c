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
 * libFuzzer harness: TLSA rdata as it comes out of a DNS answer
 * (dane.c): tlsa_parse(), tlsa_unusable() (which parses full
 * certificates and keys with libcrypto) and tlsa_format() into
 * buffers of every awkward size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpdane.h"
#include "fuzz.h"

/* Output buffer sizes: tiny ones cut inside "u s m", then the hex. */
static const size_t sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
    64, 65, 66, 129, 130 };

/* What tlsa_format() must write when the buffer is large enough. */
static char *
reference(const struct tlsa *t)
{
	char	*s;
	size_t	 i, n, cap = 3 * 4 + 2 + 2 * t->len + 1;

	if ((s = malloc(cap)) == NULL)
		return NULL;
	n = (size_t)snprintf(s, cap, "%u %u %u", t->usage, t->selector,
	    t->mtype);
	if (t->len > 0)
		s[n++] = ' ';
	for (i = 0; i < t->len; i++)
		n += (size_t)snprintf(s + n, cap - n, "%02x", t->data[i]);
	s[n] = '\0';
	return s;
}

static void
check_format(const struct tlsa *t)
{
	char	*ref, *buf;
	size_t	 i, sz, reflen;

	if ((ref = reference(t)) == NULL)
		return;
	reflen = strlen(ref);
	for (i = 0; i <= sizeof(sizes) / sizeof(sizes[0]); i++) {
		sz = i < sizeof(sizes) / sizeof(sizes[0]) ? sizes[i] :
		    reflen + 1;
		if ((buf = malloc(sz)) == NULL)
			break;
		memset(buf, 'Z', sz);
		tlsa_format(t, buf, sz);
		/* Cut short, never overrun, always a prefix of the whole. */
		FUZZ_CHECK(memchr(buf, '\0', sz) != NULL);
		FUZZ_CHECK(strncmp(buf, ref, strlen(buf)) == 0);
		if (sz > reflen)
			FUZZ_CHECK(strcmp(buf, ref) == 0);
		free(buf);
	}
	free(ref);
}

static void
check_unusable(const struct tlsa *t)
{
	const char	*why;

	why = tlsa_unusable(t);
	if (why != NULL) {
		FUZZ_CHECK(why[0] != '\0' && fuzz_printable(why, 64));
		return;
	}
	/* Usable: DANE-TA or DANE-EE, a known selector, a right length. */
	FUZZ_CHECK(t->usage == TLSA_DANE_TA || t->usage == TLSA_DANE_EE);
	FUZZ_CHECK(t->selector == TLSA_SEL_CERT ||
	    t->selector == TLSA_SEL_SPKI);
	FUZZ_CHECK(t->mtype <= TLSA_MT_SHA512);
	if (t->mtype == TLSA_MT_SHA256)
		FUZZ_CHECK(t->len == 32);
	else if (t->mtype == TLSA_MT_SHA512)
		FUZZ_CHECK(t->len == 64);
	else
		FUZZ_CHECK(t->len > 0 && t->data != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsa	 t;

	if (tlsa_parse(data, size, &t) == -1) {
		FUZZ_CHECK(size < 3);
		FUZZ_CHECK(t.data == NULL && t.len == 0);
		return 0;
	}
	FUZZ_CHECK(size >= 3 && t.len == size - 3);
	FUZZ_CHECK(t.usage == data[0] && t.selector == data[1] &&
	    t.mtype == data[2]);
	FUZZ_CHECK(t.len == 0 || memcmp(t.data, data + 3, t.len) == 0);
	check_unusable(&t);
	check_format(&t);
	tlsa_free(&t);
	FUZZ_CHECK(t.data == NULL && t.len == 0);
	return 0;
}
