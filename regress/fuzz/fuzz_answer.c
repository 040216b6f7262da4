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
 * libFuzzer harness: a DNS answer packet as libunbound's event API
 * hands it to the parent (dns.c dns_parse_answer()): compression
 * pointers, CNAME chains, counts and lengths that lie.  Whatever the
 * bytes, the result must be one dns_lookup() could give: a status,
 * records only with an answer, each MX, SRV or CNAME rdata with its
 * name uncompressed, a canonical name that passes domain_check().
 * The RRSIG times read from it (sigs.c) come only from secure or bogus
 * answers, with their names as terminated strings.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpdane.h"
#include "fuzz.h"

static const int	 types[] = { RR_TYPE_A, RR_TYPE_AAAA, RR_TYPE_MX,
    RR_TYPE_SRV, RR_TYPE_CNAME, RR_TYPE_TLSA };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_result	 res;
	char			 name[MAX_HOSTNAME];
	size_t			 i, head;
	int			 type, rcode, sec;

	if (size < 2)
		return 0;
	type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	rcode = (data[1] & 3) == 1 ? 3 : (data[1] & 3) == 2 ? 2 : 0;
	sec = data[1] >> 6 == 1 ? 1 : data[1] >> 6 == 2 ? 2 : 0;
	dns_parse_answer(data + 2, size - 2, "mx.example.test.", type, rcode,
	    sec, "fuzz", NULL, &res);
	FUZZ_CHECK(res.status == DNS_ANSWER || res.status == DNS_NODATA ||
	    res.status == DNS_NXDOMAIN || res.status == DNS_FAILED);
	FUZZ_CHECK(res.nrr == 0 || res.status == DNS_ANSWER);
	FUZZ_CHECK(memchr(res.why, '\0', sizeof(res.why)) != NULL);
	FUZZ_CHECK(memchr(res.canon, '\0', sizeof(res.canon)) != NULL);
	if (sec == 1)
		FUZZ_CHECK(res.sec == SEC_BOGUS && res.status == DNS_FAILED);
	if (res.canon[0] != '\0')
		FUZZ_CHECK(domain_check(res.canon, strlen(res.canon), NULL,
		    0) == 0);
	head = type == RR_TYPE_MX ? 2 : type == RR_TYPE_SRV ? 6 : 0;
	for (i = 0; i < res.nrr; i++) {
		FUZZ_CHECK(res.rr[i].data != NULL);
		if (type == RR_TYPE_MX || type == RR_TYPE_SRV ||
		    type == RR_TYPE_CNAME) {
			/* Uncompressed: the name runs to the end exactly. */
			FUZZ_CHECK(res.rr[i].len > head);
			(void)dns_wire_name(res.rr[i].data, res.rr[i].len,
			    head, name, sizeof(name));
		}
	}
	/* RRSIG times, read from secure and bogus answers only. */
	FUZZ_CHECK(sec != 0 || (res.sigs.first.when == 0 &&
	    res.sigs.nzones == 0));
	FUZZ_CHECK(res.sigs.first.when != 0 || (res.sigs.first.inception == 0 &&
	    res.sigs.first.owner[0] == '\0'));
	FUZZ_CHECK(res.sigs.bad.when != 0 || res.sigs.bad_future == 0);
	FUZZ_CHECK(res.sigs.nzones <= SIG_MAX_ZONES);
	FUZZ_CHECK(memchr(res.sigs.first.owner, '\0',
	    sizeof(res.sigs.first.owner)) != NULL);
	FUZZ_CHECK(memchr(res.sigs.first.zone, '\0',
	    sizeof(res.sigs.first.zone)) != NULL);
	dns_result_free(&res);
	return 0;
}
