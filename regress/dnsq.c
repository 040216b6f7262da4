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
 * dnsq: one validated lookup through dns.c, for tests and debugging.
 *
 *	dnsq [-d] [-A anchorfile] [-r resolvers] name [type ...]
 *
 * Resolvers come from -r, else $DNS_RESOLVER, else /etc/resolv.conf;
 * anchors from -A, else the built-in root anchors.  Each lookup
 * prints one line: the type, status, security, rcode, ttl, canon and
 * the number of records, then one line per record (rdata in hex, and
 * the address for A and AAAA), then "why: ..." if there is a reason.
 * Exit status: 0 if every lookup ran, 2 on a usage or set-up error.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <unbound.h>

#include "../smtpdane.h"

static const struct {
	const char	*name;
	int		 type;
} types[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
	{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 },
	{ "DS", 43 }, { "DNSKEY", 48 }, { "TLSA", 52 },
};

static __dead void
usage(void)
{
	fprintf(stderr, "usage: dnsq [-d] [-A anchorfile] [-r resolvers] "
	    "name [type ...]\n");
	exit(2);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 cap = 0, n;

	*len = 0;
	if ((f = fopen(path, "r")) == NULL)
		err(2, "%s", path);
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				err(2, NULL);
		}
		if ((n = fread(buf + *len, 1, cap - *len, f)) == 0)
			break;
		*len += n;
	}
	if (ferror(f))
		err(2, "%s", path);
	fclose(f);
	return buf;
}

static int
parse_type(const char *s)
{
	const char	*errstr;
	size_t		 i;
	int		 t;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].type;
	if (strncasecmp(s, "TYPE", 4) == 0)
		s += 4;
	t = (int)strtonum(s, 1, 65535, &errstr);
	if (errstr != NULL)
		errx(2, "unknown type %s", s);
	return t;
}

static void
print_result(const char *name, int type, const struct dns_result *res,
    double secs)
{
	char	addr[INET6_ADDRSTRLEN];
	size_t	i, j;

	printf("%s %s status=%s sec=%s rcode=%d ttl=%u canon=%s nrr=%zu "
	    "time=%.3f\n", name, dns_type_name(type),
	    dns_status_name(res->status), dns_security_name(res->sec),
	    res->rcode, res->ttl, res->canon[0] ? res->canon : "-",
	    res->nrr, secs);
	for (i = 0; i < res->nrr; i++) {
		printf("  rr %zu:", i);
		for (j = 0; j < res->rr[i].len; j++)
			printf("%s%02x", j ? "" : " ", res->rr[i].data[j]);
		if (type == 1 && res->rr[i].len == 4 &&
		    inet_ntop(AF_INET, res->rr[i].data, addr, sizeof(addr)))
			printf(" (%s)", addr);
		if (type == 28 && res->rr[i].len == 16 &&
		    inet_ntop(AF_INET6, res->rr[i].data, addr, sizeof(addr)))
			printf(" (%s)", addr);
		printf("\n");
	}
	if (res->why[0] != '\0')
		printf("  why: %s\n", res->why);
}

int
main(int argc, char *argv[])
{
	struct dns_config	 cfg;
	struct dns_result	 res;
	struct timespec		 t0, t1;
	struct ub_ctx		*ctx;
	const char		*anchorfile = NULL, *resolvers = NULL;
	char			 errbuf[MAX_TEXT], *text;
	size_t			 len;
	int			 ch, i;

	memset(&cfg, 0, sizeof(cfg));
	while ((ch = getopt(argc, argv, "A:dr:")) != -1) {
		switch (ch) {
		case 'A':
			anchorfile = optarg;
			break;
		case 'd':
			cfg.debug++;
			break;
		case 'r':
			resolvers = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	if (anchorfile != NULL) {
		text = slurp(anchorfile, &len);
		if (dns_parse_anchors(text, len, &cfg, errbuf,
		    sizeof(errbuf)) == -1)
			errx(2, "%s: %s", anchorfile, errbuf);
		free(text);
	} else if (dns_builtin_anchors(&cfg) == -1)
		errx(2, "built-in anchors: out of memory");
	if (resolvers == NULL)
		resolvers = getenv("DNS_RESOLVER");
	if (resolvers != NULL) {
		if (dns_parse_resolvers(resolvers, &cfg, errbuf,
		    sizeof(errbuf)) == -1)
			errx(2, "resolvers: %s", errbuf);
	} else {
		text = slurp("/etc/resolv.conf", &len);
		if (dns_parse_resolv_conf(text, len, &cfg, errbuf,
		    sizeof(errbuf)) == -1)
			errx(2, "/etc/resolv.conf: %s", errbuf);
		free(text);
	}
	if ((ctx = dns_context(&cfg, errbuf, sizeof(errbuf))) == NULL)
		errx(2, "%s", errbuf);

	for (i = 1; i < argc || i == 1; i++) {
		int type = i < argc ? parse_type(argv[i]) : 1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		dns_lookup(ctx, argv[0], type, &res);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		print_result(argv[0], type, &res,
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		dns_result_free(&res);
	}
	ub_ctx_delete(ctx);
	dns_config_free(&cfg);
	return 0;
}
