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
 *	dnsq [-de] [-A anchorfile] [-r resolvers] name [type ...]
 *
 * Resolvers come from -r, else $DNS_RESOLVER, else /etc/resolv.conf;
 * anchors from -A, else the built-in root anchors.  Each lookup
 * prints one line: the type, status, security, rcode, ttl, canon and
 * the number of records, then one line per record (rdata in hex, and
 * the address for A and AAAA), then "why: ..." if there is a reason.
 * Exit status: 0 if every lookup ran, 2 on a usage or set-up error.
 *
 * -e: the context smtpdane's parent makes (dns_event_context), used
 * as smtpdane uses it.  A lookup of name and the first type starts
 * through the event API and stays in flight while a forked child,
 * like a check child, makes the lookups synchronously on its copy;
 * then the parent prints the in-flight answer, as "event: " and the
 * line above.  libunbound's header says an event context is for
 * ub_resolve_event alone: this is where a libunbound that enforced
 * it would show.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

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
	fprintf(stderr, "usage: dnsq [-de] [-A anchorfile] [-r resolvers] "
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

/* Each lookup of the command line, synchronously on ctx. */
static void
lookups(struct ub_ctx *ctx, int argc, char *argv[])
{
	struct dns_result	 res;
	int64_t			 t0;
	int			 i, type;

	for (i = 1; i < argc || i == 1; i++) {
		type = i < argc ? parse_type(argv[i]) : 1;
		t0 = now_ms();
		dns_lookup(ctx, argv[0], type, &res);
		print_result(argv[0], type, &res, (now_ms() - t0) / 1000.0);
		dns_result_free(&res);
	}
	fflush(stdout);
}

static void
event_answer(void *arg, struct dns_result *res)
{
	const char	**q = arg;

	printf("event: ");
	print_result(q[0], parse_type(q[1]), res, 0);
	dns_result_free(res);
}

/* -e: a lookup in flight in the parent, the rest in a forked child. */
static void
event_and_fork(struct ub_ctx *ctx, int argc, char *argv[])
{
	struct dns_result	 res;
	const char		*q[2];
	pid_t			 pid;
	int			 status, i;

	q[0] = argv[0];
	q[1] = argc > 1 ? argv[1] : "A";
	if (dns_lookup_async(ctx, q[0], parse_type(q[1]), event_answer, q,
	    &res) == NULL)
		errx(2, "event lookup: %s", res.why);
	dns_event_run(ctx);
	fflush(stdout);
	if ((pid = fork()) == -1)
		err(2, "fork");
	if (pid == 0) {
		lookups(ctx, argc, argv);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(2, "the forked lookups failed");
	for (i = 0; i < 500 && dns_event_inflight() > 0; i++) {
		usleep(10000);
		dns_event_run(ctx);
	}
	if (dns_event_inflight() > 0)
		errx(2, "no event answer in 5 s");
}

int
main(int argc, char *argv[])
{
	struct dns_config	 cfg;
	struct ub_ctx		*ctx;
	const char		*anchorfile = NULL, *resolvers = NULL;
	char			 errbuf[MAX_TEXT], *text;
	size_t			 len;
	int			 ch, event = 0;

	memset(&cfg, 0, sizeof(cfg));
	while ((ch = getopt(argc, argv, "A:der:")) != -1) {
		switch (ch) {
		case 'A':
			anchorfile = optarg;
			break;
		case 'd':
			cfg.debug++;
			break;
		case 'e':
			event = 1;
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
	if ((ctx = event ? dns_event_context(&cfg, errbuf, sizeof(errbuf)) :
	    dns_context(&cfg, errbuf, sizeof(errbuf))) == NULL)
		errx(2, "%s", errbuf);
	if (event)
		event_and_fork(ctx, argc, argv);
	else
		lookups(ctx, argc, argv);
	ub_ctx_delete(ctx);
	dns_config_free(&cfg);
	return 0;
}
