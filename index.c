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
 * The parent's indexes of checks (struct index, parent.h): FNV-1a and
 * open addressing with linear probing, keyed by a check's key
 * (checks.c) or its connection key (share.c), growing geometrically,
 * and a removal that closes its gap, for checks let go of once printed
 * (print.c).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

static uint64_t
key_hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static char **
key_field(const struct index *ix, size_t i)
{
	return ix->conn ? &checks[i].conn_key : &checks[i].key;
}

static const char *
index_key(const struct index *ix, size_t i)
{
	return *key_field(ix, i);
}

static void
index_insert(struct index *ix, size_t i)
{
	size_t	 slot = key_hash(index_key(ix, i)) & (ix->nslots - 1);

	while (ix->slot[slot] != 0)
		slot = (slot + 1) & (ix->nslots - 1);
	ix->slot[slot] = i + 1;
}

void
index_add(struct index *ix, size_t i)
{
	size_t	*old = ix->slot, oldn = ix->nslots, k;

	if (2 * ++ix->n > ix->nslots) {
		ix->nslots = ix->nslots ? ix->nslots * 2 : 1024;
		ix->slot = xcalloc(ix->nslots, sizeof(*ix->slot));
		for (k = 0; k < oldn; k++)
			if (old[k] != 0)
				index_insert(ix, old[k] - 1);
		free(old);
	}
	index_insert(ix, i);
}

size_t
index_find(const struct index *ix, const char *key)
{
	size_t	 slot, i;

	if (ix->nslots == 0)
		return SIZE_MAX;
	slot = key_hash(key) & (ix->nslots - 1);
	while ((i = ix->slot[slot]) != 0) {
		if (strcmp(index_key(ix, i - 1), key) == 0)
			return i - 1;
		slot = (slot + 1) & (ix->nslots - 1);
	}
	return SIZE_MAX;
}

/* Linear probing: close the gap, so that no key after it is lost. */
void
index_remove(struct index *ix, size_t i)
{
	size_t	 mask = ix->nslots - 1, hole, slot, home;

	if (ix->nslots == 0)
		return;
	hole = key_hash(index_key(ix, i)) & mask;
	while (ix->slot[hole] != i + 1) {
		if (ix->slot[hole] == 0)
			return;
		hole = (hole + 1) & mask;
	}
	ix->slot[hole] = 0;
	ix->n--;
	for (slot = (hole + 1) & mask; ix->slot[slot] != 0;
	    slot = (slot + 1) & mask) {
		home = key_hash(index_key(ix, ix->slot[slot] - 1)) & mask;
		/* An entry whose home lies after the hole stays put. */
		if (((slot - home) & mask) < ((slot - hole) & mask))
			continue;
		ix->slot[hole] = ix->slot[slot];
		ix->slot[slot] = 0;
		hole = slot;
	}
}

/* Check i leaves the index, its key freed: let go of (print.c). */
void
index_forget(struct index *ix, size_t i)
{
	char	**key = key_field(ix, i);

	if (*key == NULL)
		return;
	index_remove(ix, i);
	free(*key);
	*key = NULL;
}
