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
 * A check's spec as the parent sends it to the forker (forker.c): the
 * struct as it is, its string pointers cleared, then each string in a
 * fixed order, a flag byte (1: a string follows, 0: NULL) and the
 * string with its NUL.  The pointers to what was set up before the
 * forker was forked (TLS configurations, -staged files, the DNS
 * configuration) travel as they are: the forker is a fork of the
 * parent, the same program with the same memory.  Decoding points the
 * strings into the buffer, which must outlive the spec.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "smtpdane.h"

/* The string fields of a spec, in the order they travel. */
size_t
forkspec_strings(struct check_spec *s,
    const char **slot[FORKSPEC_STRINGS])
{
	size_t	 i, n = 0;

	slot[n++] = &s->host;
	for (i = 0; i < s->nbases; i++)
		slot[n++] = &s->bases[i];
	for (i = 0; i < s->nnames; i++)
		slot[n++] = &s->names[i];
	slot[n++] = &s->helo;
	for (i = 0; i < s->nsig_zones; i++)
		slot[n++] = &s->sig_zones[i];
	return n;
}

static int
spec_counts_ok(const struct check_spec *s)
{
	return s->nbases <= nitems(s->bases) && s->nnames <= MAX_NAMES &&
	    s->nsig_zones <= SIG_MAX_ZONES &&
	    s->addrlen <= sizeof(s->addr) &&
	    memchr(s->addrstr, '\0', sizeof(s->addrstr)) != NULL;
}

/* The spec and its strings into buf; 0 if they do not fit. */
size_t
forkspec_encode(const struct check_spec *spec, uint8_t *buf, size_t cap)
{
	struct check_spec copy = *spec;
	const char	**slot[FORKSPEC_STRINGS];
	size_t		 i, n, len, off = sizeof(copy);

	if (!spec_counts_ok(&copy) || cap < off)
		return 0;
	n = forkspec_strings(&copy, slot);
	for (i = 0; i < n; i++) {
		len = *slot[i] != NULL ? strlen(*slot[i]) + 1 : 0;
		if (off + 1 + len > cap)
			return 0;
		buf[off++] = *slot[i] != NULL;
		if (len > 0)
			memcpy(buf + off, *slot[i], len);
		off += len;
		*slot[i] = NULL;
	}
	memcpy(buf, &copy, sizeof(copy));
	return off;
}

/* The spec in buf, its strings pointing into buf; -1 if malformed. */
int
forkspec_decode(uint8_t *buf, size_t len, struct check_spec *spec)
{
	const char	**slot[FORKSPEC_STRINGS];
	uint8_t		*nul;
	size_t		 i, n, off = sizeof(*spec);

	if (len < off)
		return -1;
	memcpy(spec, buf, sizeof(*spec));
	if (!spec_counts_ok(spec))
		return -1;
	n = forkspec_strings(spec, slot);
	for (i = 0; i < n; i++) {
		if (off >= len || buf[off] > 1)
			return -1;
		if (buf[off++] == 0) {
			*slot[i] = NULL;
			continue;
		}
		if ((nul = memchr(buf + off, '\0', len - off)) == NULL)
			return -1;
		*slot[i] = (const char *)buf + off;
		off = nul - buf + 1;
	}
	return off == len ? 0 : -1;
}
