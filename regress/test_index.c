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
 * index.c against a plain list: insertions, removals (the gap each one
 * leaves is closed, or keys further along the probe would be lost),
 * growth, and both kinds of key, in an order that makes long probes.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

#define NKEYS	5000

struct check	*checks;
size_t		 nchecks;
static int	 failures;
static int	 present[NKEYS];

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL) {
		perror("calloc");
		exit(2);
	}
	return p;
}

static void
check(int ok, const char *name, const char *fmt, ...)
{
	va_list	 ap;

	if (ok) {
		printf("PASS: index: %s\n", name);
		return;
	}
	printf("FAIL: index: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

/* Is every key that was added and not removed found, and no other? */
static int
consistent(const struct index *ix, char **why)
{
	static char	 buf[128];
	size_t		 i, found;

	for (i = 0; i < NKEYS; i++) {
		found = index_find(ix, ix->conn ? checks[i].conn_key :
		    checks[i].key);
		if (present[i] ? found != i : found != SIZE_MAX) {
			snprintf(buf, sizeof(buf), "key %zu: found %zu, %s",
			    i, found, present[i] ? "present" : "removed");
			*why = buf;
			return 0;
		}
	}
	return 1;
}

static void
run(int conn)
{
	struct index	 ix = { NULL, 0, 0, conn };
	char		 name[64], *why = "";
	size_t		 i, n = 0;
	int		 ok = 1;

	memset(present, 0, sizeof(present));
	/* Add all, removing every third along the way. */
	for (i = 0; i < NKEYS && ok; i++) {
		index_add(&ix, i);
		present[i] = 1;
		if (i % 3 == 2) {
			index_remove(&ix, i - 1);
			present[i - 1] = 0;
		}
		if (i % 97 == 0)
			ok = consistent(&ix, &why);
	}
	snprintf(name, sizeof(name), "%s key: add, remove every third",
	    conn ? "connection" : "check");
	check(ok && consistent(&ix, &why), name, "%s", why);

	/* Remove the rest in a stride order; removing twice is a no-op. */
	for (i = 0; i < NKEYS && ok; i++) {
		n = (i * 7919) % NKEYS;
		index_remove(&ix, n);
		index_remove(&ix, n);
		present[n] = 0;
		if (i % 101 == 0)
			ok = consistent(&ix, &why);
	}
	snprintf(name, sizeof(name), "%s key: remove all", conn ?
	    "connection" : "check");
	check(ok && consistent(&ix, &why) && ix.n == 0, name, "%s; %zu left",
	    why, ix.n);

	/* Removed keys come back. */
	for (i = 0; i < NKEYS; i += 2) {
		index_add(&ix, i);
		present[i] = 1;
	}
	snprintf(name, sizeof(name), "%s key: added again", conn ?
	    "connection" : "check");
	check(consistent(&ix, &why), name, "%s", why);
	free(ix.slot);
}

int
main(void)
{
	struct index	 empty = { NULL, 0, 0, 0 };
	size_t		 i;

	checks = xcalloc(NKEYS, sizeof(*checks));
	nchecks = NKEYS;
	for (i = 0; i < NKEYS; i++) {
		/* Keys alike but for a few characters, as real ones are. */
		if (asprintf(&checks[i].key, "check\nmx%zu.example\n192.0.2.%zu"
		    "\n25\n\n", i / 7, i % 7) == -1 ||
		    asprintf(&checks[i].conn_key, "mx%zu.example\n%zu\n25\n",
		    i, i) == -1) {
			perror("asprintf");
			return 2;
		}
	}
	index_remove(&empty, 0);
	check(index_find(&empty, "x") == SIZE_MAX && empty.n == 0,
	    "empty index", "not empty");
	run(0);
	run(1);
	for (i = 0; i < NKEYS; i++) {
		free(checks[i].key);
		free(checks[i].conn_key);
	}
	free(checks);
	return failures > 0;
}
