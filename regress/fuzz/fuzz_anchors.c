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
 * libFuzzer harness: the trust-anchor file reader (anchors.c,
 * dns_parse_anchors) on arbitrary text, exactly as long as the file
 * (no NUL after it).  The text is read twice: into an empty
 * configuration and into one that already holds the built-in root
 * anchors.  Both must agree, a failure must leave what was there
 * untouched, and whatever is accepted must be one clean line that
 * libunbound is given as is.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpdane.h"
#include "fuzz.h"

/* A record as anchors.c writes it: "owner. IN DS ..." or "... DNSKEY ...". */
static void
check_anchor(const char *a)
{
	const char	*sp;

	FUZZ_CHECK(fuzz_printable(a, 200000));
	FUZZ_CHECK((sp = strchr(a, ' ')) != NULL && sp > a && sp[-1] == '.');
	FUZZ_CHECK(strncmp(sp, " IN DS ", 7) == 0 ||
	    strncmp(sp, " IN DNSKEY ", 11) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_config	 a, b;
	char			 erra[512], errb[512];
	size_t			 i, keep;
	int			 ra, rb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (dns_builtin_anchors(&b) == -1)
		return 0;
	keep = b.nanchors;
	erra[0] = errb[0] = '\0';
	ra = dns_parse_anchors((const char *)data, size, &a, erra,
	    sizeof(erra));
	rb = dns_parse_anchors((const char *)data, size, &b, errb,
	    sizeof(errb));
	FUZZ_CHECK(ra == 0 || ra == -1);
	FUZZ_CHECK(ra == rb);
	if (ra == -1) {
		/* A reason a person can act on, and nothing left behind. */
		FUZZ_CHECK(erra[0] != '\0' && fuzz_printable(erra,
		    sizeof(erra)));
		FUZZ_CHECK(strcmp(erra, errb) == 0);
		FUZZ_CHECK(a.nanchors == 0 && b.nanchors == keep);
	} else {
		FUZZ_CHECK(a.nanchors > 0 && b.nanchors == keep + a.nanchors);
		for (i = 0; i < a.nanchors; i++) {
			check_anchor(a.anchors[i]);
			FUZZ_CHECK(strcmp(a.anchors[i],
			    b.anchors[keep + i]) == 0);
		}
	}
	dns_config_free(&a);
	dns_config_free(&b);
	return 0;
}
