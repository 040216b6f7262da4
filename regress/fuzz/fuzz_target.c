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
 * libFuzzer harness: what the user types or the environment holds.
 * The input, NUL-terminated, is a target for parse_target() (util.c),
 * a -timeout value for parse_duration() and a DNS_RESOLVER list for
 * dns_parse_resolvers(); as it is, it is /etc/resolv.conf for
 * dns_parse_resolv_conf() (dns.c).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpdane.h"
#include "fuzz.h"

static void
check_target(const char *s)
{
	char		 host[MAX_HOSTNAME], small[8];
	const char	*why;
	uint16_t	 port = 0;
	size_t		 i;

	memset(host, 'Z', sizeof(host));
	if ((why = parse_target(s, 25, host, sizeof(host), &port)) != NULL) {
		FUZZ_CHECK(why[0] != '\0' && fuzz_printable(why, MAX_TEXT));
	} else {
		/* A name libunbound will take: checked, lower case. */
		FUZZ_CHECK(port != 0);
		FUZZ_CHECK(memchr(host, '\0', sizeof(host)) != NULL);
		FUZZ_CHECK(valid_hostname(host) && !is_address(host));
		for (i = 0; host[i] != '\0'; i++)
			FUZZ_CHECK(host[i] < 'A' || host[i] > 'Z');
	}
	/* A host buffer too small must be said so, never overrun. */
	memset(small, 'Z', sizeof(small));
	if (parse_target(s, 25, small, sizeof(small), &port) == NULL)
		FUZZ_CHECK(strlen(small) < sizeof(small));
}

static void
check_duration(const char *s)
{
	time_t	 t = -1;

	if (parse_duration(s, &t) == 0)
		FUZZ_CHECK(t >= 0 && t <= 10 * 365 * 86400 + 1);
}

/* Every resolver is "address@port", its port also in the list. */
static void
check_resolvers(const struct dns_config *cfg, size_t from)
{
	struct in6_addr	 a6;
	char		 addr[INET6_ADDRSTRLEN + 8], *at;
	const char	*errstr;
	size_t		 i;
	long long	 port;

	for (i = from; i < cfg->nresolvers; i++) {
		FUZZ_CHECK(strlen(cfg->resolvers[i]) < sizeof(addr));
		strlcpy(addr, cfg->resolvers[i], sizeof(addr));
		FUZZ_CHECK((at = strchr(addr, '@')) != NULL);
		*at = '\0';
		FUZZ_CHECK(inet_pton(AF_INET, addr, &a6) == 1 ||
		    inet_pton(AF_INET6, addr, &a6) == 1);
		port = strtonum(at + 1, 1, 65535, &errstr);
		FUZZ_CHECK(errstr == NULL);
		FUZZ_CHECK(cfg->resolver_ports[i] == port);
	}
}

static void
check_resolver_list(const char *s)
{
	struct dns_config	 cfg;
	char			 err[256];

	/* One resolver already there, as after an earlier item. */
	memset(&cfg, 0, sizeof(cfg));
	if (dns_parse_resolvers("127.0.0.1:5353", &cfg, err,
	    sizeof(err)) == -1)
		return;
	err[0] = '\0';
	if (dns_parse_resolvers(s, &cfg, err, sizeof(err)) == 0) {
		FUZZ_CHECK(cfg.nresolvers > 1);
		check_resolvers(&cfg, 0);
	} else {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(cfg.nresolvers == 1);
		FUZZ_CHECK(strcmp(cfg.resolvers[0], "127.0.0.1@5353") == 0);
	}
	dns_config_free(&cfg);
}

static void
check_resolv_conf(const uint8_t *data, size_t size)
{
	struct dns_config	 cfg;
	char			 err[256];

	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	if (dns_parse_resolv_conf((const char *)data, size, &cfg, err,
	    sizeof(err)) == 0) {
		FUZZ_CHECK(cfg.nresolvers > 0);
		check_resolvers(&cfg, 0);
	} else {
		FUZZ_CHECK(err[0] != '\0' && fuzz_printable(err,
		    sizeof(err)));
		FUZZ_CHECK(cfg.nresolvers == 0);
	}
	dns_config_free(&cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_target(s);
	check_duration(s);
	check_resolver_list(s);
	free(s);
	check_resolv_conf(data, size);
	return 0;
}
