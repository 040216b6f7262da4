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
 * smtpdane: check that SMTP servers are protected by DANE.
 *
 * The parent parses the command line, loads the trust anchors and the
 * resolver list, sets up libunbound and libtls, primes the validation
 * chain, then forks children: one discovery child per target (address
 * lookups), then one check child per (host, address, port).  Children
 * report over pipes; the parent polls them, kills any that passes its
 * deadline, and prints the results in command-line order.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>
#include <unbound.h>

#include "smtpdane.h"
#include "output.h"

#define DEFAULT_JOBS	20
#define CHILD_OUTPUT_MAX (4 * 1024 * 1024)
#define DISCOVERY_POLL_MS 2	/* poll timeout with lookups in flight */
#define PRIME_MAX	32	/* zones primed before forking */
#define AUTH_DNS_PORT	53	/* -all-ns: authoritative servers */

enum job_kind { JOB_DISCOVER, JOB_CHECK, JOB_VERIFY, JOB__MAX };

struct job {
	enum job_kind	 kind;
	size_t		 idx;		/* target or check */
	pid_t		 pid;		/* 0 once reaped */
	int		 fd;		/* -1 once the pipe is closed */
	int		 final;		/* the child's last message came */
	int		 killed;	/* we sent SIGKILL */
	int64_t		 deadline;
	int64_t		 closed_at;
	uint8_t		*buf;
	size_t		 len, cap;
};

struct options		 opt;
struct target		*targets;
size_t			 ntargets;
struct check		*checks;
size_t			 nchecks;
static size_t		 targets_cap, checks_cap;
static struct dns_config dnscfg;
static struct tls_config *tlscfg;
static struct tls_config *probecfg[KEY__MAX];	/* -all-keys */
static struct staged_file staged[MAX_STAGED];
static size_t		 nstaged;
static struct ub_ctx	*ubctx;
static struct ub_ctx	*evctx;		/* the parent's own lookups */
static struct job	*running;
static size_t		 nrunning;
static size_t		 next_to_print;

static char *get_text(struct msgreader *);
static char *xprintf(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2)));
static void add_verdict(struct target *, enum result, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));
static void report_set(struct report *, enum result, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));
static void debug(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2)));

static void
debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!opt.debug)
		return;
	va_start(ap, fmt);
	fputs("debug: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * The parent's one way out when it cannot go on: every child is killed
 * and reaped, and the exit status says "internal error" (2), or UNKNOWN
 * (3) with a status line for a Nagios plugin.
 */
static void
kill_children(void)
{
	size_t	 i;

	for (i = 0; i < nrunning; i++)
		if (running[i].pid != 0)
			kill(running[i].pid, SIGKILL);
	for (i = 0; i < nrunning; i++)
		if (running[i].pid != 0)
			while (waitpid(running[i].pid, NULL, 0) == -1 &&
			    errno == EINTR)
				;
	nrunning = 0;
}

static __dead void
vfatal(int with_errno, const char *fmt, va_list ap)
{
	char	 msg[MAX_TEXT];
	int	 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		strlcat(msg, ": ", sizeof(msg));
		strlcat(msg, strerror(saved), sizeof(msg));
	}
	kill_children();
	if (opt.nagios)
		printf("DANE UNKNOWN - smtpdane: %s\n", msg);
	fflush(stdout);
	fprintf(stderr, "smtpdane: %s\n", msg);
	exit(opt.nagios ? 3 : 2);
}

__dead void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfatal(1, fmt, ap);
}

__dead void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfatal(0, fmt, ap);
}

static void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		fatalx("out of memory");
	return p;
}

static void *
xreallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		fatalx("out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatalx("out of memory");
	return p;
}

static char *
xprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatalx("out of memory");
	return p;
}

static void
strlist_add(char ***list, size_t *n, char *s)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = s;
}

static void
report_set(struct report *r, enum result res, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	free(r->reason);
	r->reason = s;
	r->result = res;
	r->done = 1;
	r->ended = now_ms();
}


static const char	*target_file;	/* -f, for "FILE:LINE:" */

/* A line of the -f file that names no target: its own verdict. */
static struct target *new_target(const char *, int);

static void
add_bad_line(const char *spec, int lineno, const char *why)
{
	struct target	*t;

	t = new_target(spec, lineno);
	t->host = xstrdup(spec);
	t->port = opt.port;
	t->discovered = 1;
	add_verdict(t, R_USAGE, "%s:%d: %s", target_file, lineno, why);
}

static struct target *
new_target(const char *spec, int lineno)
{
	struct target	*t;

	if (ntargets == targets_cap) {
		targets_cap = targets_cap ? targets_cap * 2 : 64;
		targets = xreallocarray(targets, targets_cap,
		    sizeof(*targets));
	}
	t = &targets[ntargets++];
	memset(t, 0, sizeof(*t));
	t->spec = xstrdup(spec);
	t->lineno = lineno;
	return t;
}

static void
add_target(const char *spec, int lineno)
{
	struct target	*t;
	char		 host[MAX_HOSTNAME];
	const char	*why;

	t = new_target(spec, lineno);
	/* "smtpdane -- -x": a word after "--" is no option, nor a host. */
	if (spec[0] == '-')
		why = "a target cannot begin with '-'";
	else
		why = parse_target(spec, opt.port, host, sizeof(host),
		    &t->port);
	if (why != NULL) {
		/* A malformed target on the command line is a usage error;
		 * an address literal, or a bad line of a file, a verdict. */
		if (lineno == 0 && why != target_address_error)
			usage_error("bad target \"%s\": %s", spec, why);
		t->host = xstrdup(spec);
		t->port = opt.port;
		t->discovered = 1;
		if (lineno > 0)
			add_verdict(t, R_USAGE, "%s:%d: %s", target_file,
			    lineno, why);
		else
			add_verdict(t, R_USAGE, "%s", why);
		return;
	}
	t->host = xstrdup(host);
	t->disc.name = t->host;
	t->disc.mode = disc_mode;
	t->disc.service = disc_service;
	t->disc.port = t->port;
	/* Host names have no ':'; address literals were refused. */
	t->disc.port_given = strchr(spec, ':') != NULL;
	t->disc.family = opt.family;
	t->disc.timeout = opt.timeout;
}

/*
 * One target per line; '#' comments and blank lines are skipped.  A
 * line with more than one word is a bad line, not its first word.
 */
static void
add_targets_from_text(char *text)
{
	char	*line, *next, *hash, *end;
	int	 lineno = 0;

	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		line += strspn(line, " \t\r");
		end = line + strcspn(line, " \t\r");
		if (end[strspn(end, " \t\r")] != '\0') {
			add_bad_line(line, lineno, "more than one word on "
			    "the line");
			continue;
		}
		*end = '\0';
		if (*line != '\0')
			add_target(line, lineno);
	}
}

/*
 * Set-up, before any sandbox stage that forbids files.
 */
static void
load_dns_config(const char *anchor_file)
{
	char		 errbuf[512], *text;
	const char	*env;
	size_t		 len;

	dnscfg.debug = opt.debug;
	dnscfg.timeout = opt.timeout;
	if (anchor_file != NULL) {
		if (read_whole_file(anchor_file, &text, &len, errbuf,
		    sizeof(errbuf)) == -1)
			setup_error("trust anchors: %s", errbuf);
		if (dns_parse_anchors(text, len, &dnscfg, errbuf,
		    sizeof(errbuf)) == -1)
			setup_error("trust anchors: %s: %s", anchor_file,
			    errbuf);
		free(text);
	} else if (dns_builtin_anchors(&dnscfg) == -1)
		setup_error("built-in trust anchors: out of memory");
	if ((env = getenv("DNS_RESOLVER")) != NULL && *env != '\0') {
		if (dns_parse_resolvers(env, &dnscfg, errbuf,
		    sizeof(errbuf)) == -1)
			setup_error("DNS_RESOLVER: %s", errbuf);
		return;
	}
	if (read_whole_file("/etc/resolv.conf", &text, &len, errbuf,
	    sizeof(errbuf)) == -1)
		setup_error("%s (set DNS_RESOLVER to name a resolver)",
		    errbuf);
	if (dns_parse_resolv_conf(text, len, &dnscfg, errbuf,
	    sizeof(errbuf)) == -1)
		setup_error("/etc/resolv.conf: %s", errbuf);
	free(text);
}

/*
 * -staged: the files are read now, while files may be; every check
 * child inherits them.  What is neither a certificate nor a public key
 * is a usage error here rather than a warning in every check.
 */
static void
load_staged(const struct cmdline *cl)
{
	char	 errbuf[512];
	size_t	 i;

	for (i = 0; i < cl->nstaged; i++) {
		if (read_whole_file(cl->staged[i], &staged[i].pem,
		    &staged[i].len, errbuf, sizeof(errbuf)) == -1)
			setup_error("-staged: %s", errbuf);
		if (dane_pem_kind(staged[i].pem, staged[i].len) == -1)
			setup_error("-staged: %s: neither a certificate nor a "
			    "public key (no BEGIN CERTIFICATE or BEGIN PUBLIC "
			    "KEY line)", cl->staged[i]);
		staged[i].name = cl->staged[i];
		nstaged++;
	}
}

/*
 * libtls is set up once, here, before any fork: what OpenSSL loads
 * later would need executable mappings the sandbox forbids.  Its own
 * verification is off: names, dates and chains are judged by dane.c.
 */
/*
 * -all-keys: TLS 1.2, where the cipher suite names the authentication
 * and so the certificate; TLS 1.3 suites do not (smtpdane.1, CAVEATS).
 */
static void
setup_probe_tls(void)
{
	static const char *const ciphers[KEY__MAX] = {
		[KEY_ECDSA] = "ECDHE-ECDSA-AES128-GCM-SHA256:"
		    "ECDHE-ECDSA-AES256-GCM-SHA384:"
		    "ECDHE-ECDSA-CHACHA20-POLY1305",
		[KEY_RSA] = "ECDHE-RSA-AES128-GCM-SHA256:"
		    "ECDHE-RSA-AES256-GCM-SHA384:"
		    "ECDHE-RSA-CHACHA20-POLY1305",
	};
	size_t	 k;

	for (k = 0; k < KEY__MAX; k++) {
		if ((probecfg[k] = tls_config_new()) == NULL)
			setup_error("tls_config_new failed");
		tls_config_insecure_noverifycert(probecfg[k]);
		tls_config_insecure_noverifyname(probecfg[k]);
		tls_config_insecure_noverifytime(probecfg[k]);
		if (tls_config_set_protocols(probecfg[k],
		    TLS_PROTOCOL_TLSv1_2) == -1)
			setup_error("tls protocols: %s",
			    tls_config_error(probecfg[k]));
		if (tls_config_set_ciphers(probecfg[k], ciphers[k]) == -1)
			setup_error("tls ciphers: %s",
			    tls_config_error(probecfg[k]));
	}
}

static void
setup_tls(void)
{
	if (tls_init() == -1)
		setup_error("tls_init failed");
	if ((tlscfg = tls_config_new()) == NULL)
		setup_error("tls_config_new failed");
	tls_config_insecure_noverifycert(tlscfg);
	tls_config_insecure_noverifyname(tlscfg);
	tls_config_insecure_noverifytime(tlscfg);
	if (tls_config_set_protocols(tlscfg, TLS_PROTOCOLS_DEFAULT) == -1)
		setup_error("tls protocols: %s", tls_config_error(tlscfg));
	/*
	 * With its own verification off, libtls checks a staple no further
	 * than this: present, for a certificate that names an OCSP
	 * responder.  The check child reports a handshake that failed for
	 * want of one as ocsp-missing; what a staple says, ocsp.c judges.
	 */
	if (opt.expect_ocsp)
		tls_config_ocsp_require_stapling(tlscfg);
	if (opt.all_keys)
		setup_probe_tls();
}

/*
 * Validate the root DNSKEY RRset, then the zones above each host, in
 * the parent: every child inherits the warm cache, so its TLSA lookup
 * costs one query instead of the seven a cold one took here.  A
 * root that cannot be validated means nothing can be: say so once.
 */
static int
prime_validation(char *why, size_t whylen)
{
	struct dns_result	 res;
	char			*zones[PRIME_MAX];
	const char		*dot;
	size_t			 i, j, nzones = 0;

	memset(&res, 0, sizeof(res));
	dns_lookup(ubctx, ".", RR_TYPE_DNSKEY, &res);
	debug("prime: DNSKEY . %s %s", dns_status_name(res.status),
	    dns_security_name(res.sec));
	if (res.status != DNS_ANSWER || res.sec != SEC_SECURE) {
		snprintf(why, whylen, "cannot validate DNSSEC: the root "
		    "DNSKEY RRset is %s%s%.900s%s",
		    res.sec == SEC_BOGUS ? "bogus" :
		    res.status == DNS_FAILED ? "unavailable" :
		    res.status != DNS_ANSWER ? "missing" : "insecure",
		    res.why[0] ? ": " : "", res.why, "");
		dns_result_free(&res);
		return -1;
	}
	dns_result_free(&res);
	for (i = 0; i < ntargets && nzones < PRIME_MAX; i++) {
		if (targets[i].discovered ||
		    (dot = strchr(targets[i].host, '.')) == NULL)
			continue;
		for (j = 0; j < nzones; j++)
			if (strcmp(zones[j], dot + 1) == 0)
				break;
		if (j == nzones)
			zones[nzones++] = (char *)dot + 1;
	}
	for (j = 0; j < nzones; j++) {
		memset(&res, 0, sizeof(res));
		dns_lookup(ubctx, zones[j], RR_TYPE_DNSKEY, &res);
		debug("prime: DNSKEY %s %s %s", zones[j],
		    dns_status_name(res.status), dns_security_name(res.sec));
		dns_result_free(&res);
	}
	return 0;
}

/*
 * Jobs: children to start, at most opt.jobs at a time.  Checks go
 * before discoveries, so that output flows while discovery goes on.
 */
struct queue {
	size_t	*idx;
	size_t	 n, cap, head;
};

static struct queue	 queues[JOB__MAX];

static void
enqueue(enum job_kind kind, size_t idx)
{
	struct queue	*q = &queues[kind];

	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 256;
		q->idx = xreallocarray(q->idx, q->cap, sizeof(*q->idx));
	}
	q->idx[q->n++] = idx;
}

static int
queued(enum job_kind kind)
{
	return queues[kind].head < queues[kind].n;
}

/* The next job to start, left in its queue until it has started. */
static int
peek(enum job_kind *kind, size_t *idx)
{
	*kind = queued(JOB_CHECK) ? JOB_CHECK : JOB_VERIFY;
	if (!queued(*kind))
		return 0;
	*idx = queues[*kind].idx[queues[*kind].head];
	return 1;
}

static const char *
job_kind_name(enum job_kind kind)
{
	switch (kind) {
	case JOB_DISCOVER:
		return "discovery";
	case JOB_VERIFY:
		return "verify";
	default:
		return "check";
	}
}

/*
 * Out of descriptors or processes is back-pressure, not an error: the
 * job goes back to its queue until a running one ends.  With nothing
 * running the parent waits a little and tries again; when that does
 * not help either, the jobs still queued are reported as not checked
 * and the run ends with exit status 2.
 */
#define START_RETRIES	50
#define START_RETRY_MS	100

static int	 start_failures;	/* in a row, with nothing running */
static char	 gave_up[MAX_TEXT];	/* why jobs were left unchecked */

static void abandon_queued(const char *);
static __dead void start_verify_child(int, size_t);
static void followers_ready(size_t);

static int
start_failed(const char *what)
{
	char	 why[MAX_TEXT];

	if (nrunning > 0)
		return 0;
	if (++start_failures < START_RETRIES) {
		debug("%s: %s, trying again", what, strerror(errno));
		poll(NULL, 0, START_RETRY_MS);
		return 0;
	}
	snprintf(why, sizeof(why), "not checked: %s: %s", what,
	    strerror(errno));
	abandon_queued(why);
	return 0;
}

static int
start_job(enum job_kind kind, size_t idx)
{
	struct job	*j;
	int		 p[2];
	size_t		 i;
	pid_t		 pid;

	if (pipe(p) == -1) {
		if (errno == EMFILE || errno == ENFILE)
			return start_failed("pipe");
		fatal("pipe");
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		if (errno == EAGAIN || errno == ENOMEM)
			return start_failed("fork");
		fatal("fork");
	}
	if (pid == 0) {
		/* A child's failures are its exit codes, not the parent's
		 * way out. */
		parent_fatal_hook = NULL;
		close(p[0]);
		for (i = 0; i < nrunning; i++)
			close(running[i].fd);
		if (kind == JOB_VERIFY)
			start_verify_child(p[1], idx);
		check_child(p[1], ubctx, &checks[idx].spec);
	}
	close(p[1]);
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	j = &running[nrunning++];
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->idx = idx;
	j->pid = pid;
	j->fd = p[0];
	j->deadline = now_ms() + opt.timeout * 1000 + CHILD_GRACE_MS;
	checks[idx].rep.started = now_ms();
	start_failures = 0;
	debug("started %s child %ld for %s", job_kind_name(kind),
	    (long)pid, checks[idx].spec.addrstr);
	return 1;
}

static struct report *
job_report(const struct job *j)
{
	return j->kind != JOB_DISCOVER ? &checks[j->idx].rep :
	    &targets[j->idx].rep;
}

/*
 * Checks.  The same (host, address, port) reached from two targets is
 * checked once and reported under each, but only when everything the
 * verdict depends on is the same too: the DANE-TA name check depends
 * on the next-hop domain (RFC 7672 section 3.2.2), and the alias
 * warning on how the host was reached.  So the key is the host, the
 * address, the port, the reference identifiers and the warning.  A
 * verdict without an address belongs to its target alone.
 */
static size_t	 nverdicts;

static char *
check_key(const struct target *t, const char *host, uint16_t port,
    const char *addr, const struct hostinfo *h)
{
	char	*key, *names = NULL, *tmp;
	size_t	 i;

	/* Each verdict its own line: none may hide another. */
	if (h == NULL) {
		if (asprintf(&key, "verdict\n%zu\n%s\n%u\n%zu", (size_t)(t -
		    targets), host, port, nverdicts++) == -1)
			fatalx("out of memory");
		return key;
	}
	if ((names = strdup("")) == NULL)
		fatalx("out of memory");
	for (i = 0; i < h->nnames; i++) {
		if (asprintf(&tmp, "%s %s", names, h->names[i]) == -1)
			fatalx("out of memory");
		free(names);
		names = tmp;
	}
	if (asprintf(&key, "check\n%s\n%s\n%u\n%s\n%s", host, addr, port,
	    names, h->warning) == -1)
		fatalx("out of memory");
	free(names);
	return key;
}

/*
 * FNV-1a, open addressing: checks by their key, and the checks that own
 * a connection by host, address and port.
 */
struct index {
	size_t	*slot;		/* check + 1, 0 = empty */
	size_t	 nslots, n;
	int	 conn;		/* keyed by conn_key */
};

static struct index	 by_key, by_conn = { NULL, 0, 0, 1 };

static uint64_t
key_hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static const char *
index_key(const struct index *ix, size_t i)
{
	return ix->conn ? checks[i].conn_key : checks[i].key;
}

static void
index_insert(struct index *ix, size_t i)
{
	size_t	 slot = key_hash(index_key(ix, i)) & (ix->nslots - 1);

	while (ix->slot[slot] != 0)
		slot = (slot + 1) & (ix->nslots - 1);
	ix->slot[slot] = i + 1;
}

static void
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

static size_t
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

static size_t
find_or_add_check(struct target *t, const char *host, uint16_t port,
    const char *addr, const struct hostinfo *h, int *added)
{
	struct check	*c;
	char		*key = check_key(t, host, port, addr, h);
	size_t		 i, k;

	*added = 0;
	if ((i = index_find(&by_key, key)) != SIZE_MAX) {
		free(key);
		goto found;
	}
	if (nchecks == checks_cap) {
		checks_cap = checks_cap ? checks_cap * 2 : 64;
		checks = xreallocarray(checks, checks_cap, sizeof(*checks));
	}
	c = &checks[nchecks];
	memset(c, 0, sizeof(*c));
	c->key = key;
	c->leader = SIZE_MAX;
	c->host = xstrdup(host);
	c->spec.host = c->host;
	c->spec.port = port;
	strlcpy(c->spec.addrstr, addr, sizeof(c->spec.addrstr));
	i = nchecks++;
	index_add(&by_key, i);
	*added = 1;
 found:
	for (k = 0; k < t->nchecks; k++)
		if (t->checks[k] == i)
			return i;	/* one line per check and target */
	if (t->nchecks == t->checks_cap) {
		t->checks_cap = t->checks_cap ? t->checks_cap * 2 : 4;
		t->checks = xreallocarray(t->checks, t->checks_cap,
		    sizeof(*t->checks));
	}
	t->checks[t->nchecks++] = i;
	return i;
}

static void
set_address(struct check_spec *s, int af, const char *addr)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&s->addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&s->addr;

	memset(&s->addr, 0, sizeof(s->addr));
	s->addr.ss_family = af;
	if (af == AF_INET) {
		sin->sin_port = htons(s->port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
		s->addrlen = sizeof(*sin);
	} else {
		sin6->sin6_port = htons(s->port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		s->addrlen = sizeof(*sin6);
	}
}

/*
 * The TLSA base domain candidates (RFC 7672 section 2.2.2): for an
 * alias whose whole chain is secure, the expanded name, then the
 * original; when the expansion left secure DNS, the original only,
 * and only if its CNAME is secure.  Returns how many.
 */
static size_t
set_bases(struct check_spec *s, const struct hostinfo *h, int addr_secure)
{
	int	 alias = h->canon[0] != '\0';

	s->nbases = 0;
	if (addr_secure && alias)
		s->bases[s->nbases++] = h->canon;
	if (addr_secure || (alias && h->cname_secure))
		s->bases[s->nbases++] = h->host;
	return s->nbases;
}

static void
fill_spec(struct check_spec *s, const struct hostinfo *h)
{
	const struct sig_facts	*f;
	size_t			 i;

	s->nnames = 0;
	for (i = 0; i < h->nnames && s->nnames < MAX_NAMES; i++)
		s->names[s->nnames++] = h->names[i];
	for (i = 0; i < opt.naka && s->nnames < MAX_NAMES; i++)
		s->names[s->nnames++] = opt.aka[i];
	s->tls_on_connect = opt.tls_on_connect;
	s->helo = opt.helo;
	s->connect_timeout = opt.connect_timeout;
	s->timeout = opt.timeout;
	s->warn_window = opt.warn_window;
	s->expect_ocsp = opt.expect_ocsp;
	s->tlscfg = tlscfg;
	s->staged = staged;
	s->nstaged = nstaged;
	memcpy(s->probecfg, probecfg, sizeof(s->probecfg));
	/* MSG_SIGS of the host comes before its addresses. */
	f = h->sigs[s->addr.ss_family == AF_INET6];
	for (i = s->nsig_zones = 0; f != NULL && i < f->nzones; i++)
		s->sig_zones[s->nsig_zones++] = f->zones[i];
	s->all_ns = opt.all_ns;
	s->family = opt.family;
	s->dnscfg = &dnscfg;
}

/* A verdict without an address, for a host, a domain or a target. */
static void
add_verdict_for(struct target *t, const char *host, uint16_t port,
    enum result res, const char *reason)
{
	struct check	*c;
	size_t		 i;
	int		 added;

	/* Not &checks[find_or_add_check()]: that may move checks. */
	i = find_or_add_check(t, host, port, "", NULL, &added);
	c = &checks[i];
	if (!c->rep.done)
		report_set(&c->rep, res, "%s", reason);
}

static void
add_verdict(struct target *t, enum result res, const char *fmt, ...)
{
	va_list	 ap;
	char	 text[MAX_TEXT];

	va_start(ap, fmt);
	vcutf(text, sizeof(text), fmt, ap);
	va_end(ap);
	add_verdict_for(t, t->host, t->port, res, text);
}

/*
 * Messages from children.  A child is untrusted: every frame is checked
 * against msg_descs[] in msg.c (who may send it, in which stage, what
 * may follow it) and read by its handler in msg_handlers[]; every list has
 * a bound, every string is escaped on arrival so that no byte a server
 * chose reaches the terminal raw, and a frame with bytes left after its
 * last field is refused.  A handler returns NULL, or why it refused.
 */
#define MAX_LINES	64	/* detail or warning lines per report */
#define MAX_TLSA_LINES	1024	/* TLSA records reported per check */
#define MAX_CERT_LINES	64	/* certificates reported per check */
#define MAX_HOSTS	1024	/* hosts per target (MX, SRV) */
#define MAX_TARGET_CHECKS 4096	/* checks and verdicts per target */
#define EXIT_GRACE_MS	1000	/* after end of file, before SIGKILL */

static const char *
add_line(char ***list, size_t *n, char *s)
{
	if (s == NULL)
		return "bad text";
	if (*n >= MAX_LINES) {
		free(s);
		return "too many lines";
	}
	strlist_add(list, n, s);
	return NULL;
}

static char *
get_text(struct msgreader *r)
{
	char	*s, *v;
	size_t	 len;

	if ((s = msg_get_str(r, &len)) == NULL)
		return NULL;
	if (len > 16 * MAX_TEXT) {
		/* Said so: the end of what is kept becomes CUT_MARK. */
		mark_cut(s, 16 * MAX_TEXT + 1);
		len = 16 * MAX_TEXT;
	}
	v = vis_text(s, len);
	free(s);
	return v;
}

/* PEM is printed as it is: accept only what PEM may hold. */
static char *
get_pem(struct msgreader *r)
{
	char	*s;
	size_t	 len;

	if ((s = msg_get_str(r, &len)) == NULL)
		return NULL;
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=- \n") != len) {
		free(s);
		return xstrdup("");
	}
	return s;
}

static int
valid_name(const char *s)
{
	return strcmp(s, ".") == 0 || valid_hostname(s);
}

static void
free_hostinfo(struct hostinfo *h)
{
	size_t	 i;

	free(h->host);
	free(h->canon);
	free(h->warning);
	for (i = 0; i < h->nnames; i++)
		free(h->names[i]);
}

static const char *
on_host(struct job *j, struct msgreader *r)
{
	struct target	*t = &targets[j->idx];
	struct hostinfo	*h;
	uint32_t	 n, i, port;

	if (t->nhosts >= MAX_HOSTS)
		return "too many hosts";
	t->hosts = xreallocarray(t->hosts, t->nhosts + 1, sizeof(*t->hosts));
	h = &t->hosts[t->nhosts];
	memset(h, 0, sizeof(*h));
	h->host = msg_get_str(r, NULL);
	port = msg_get_u32(r);
	h->port = port;
	h->canon = msg_get_str(r, NULL);
	h->cname_secure = msg_get_u32(r) != 0;
	n = msg_get_u32(r);
	for (i = 0; i < n && !r->bad; i++) {
		if (i >= MAX_NAMES - MAX_NAMES / 2) {
			r->bad = 1;
			break;
		}
		h->names[h->nnames] = msg_get_str(r, NULL);
		if (h->names[h->nnames] == NULL ||
		    !valid_name(h->names[h->nnames]))
			r->bad = 1;
		h->nnames++;
	}
	h->warning = get_text(r);
	if (r->bad || h->host == NULL || h->canon == NULL ||
	    h->warning == NULL || !valid_hostname(h->host) ||
	    port == 0 || port > 65535 ||
	    (h->canon[0] != '\0' && !valid_hostname(h->canon))) {
		free_hostinfo(h);
		return "bad host";
	}
	t->nhosts++;
	return NULL;
}

static const struct hostinfo *
find_host(const struct target *t, const char *host)
{
	size_t	 i;

	for (i = t->nhosts; i-- > 0; )
		if (strcmp(t->hosts[i].host, host) == 0)
			return &t->hosts[i];
	return NULL;
}

/*
 * Sharing one connection.  Checks of the same (host, address, port) for
 * targets with other reference names (two mail domains with one mail
 * host) share the first one's connection: once it is done, a verify
 * child judges the chain it saw for the other names, without a network
 * of its own; a check that never got as far as a chain takes the first
 * one's verdict, which did not depend on names.
 */
static void
copy_lines(char ***dst, size_t *ndst, char **src, size_t from, size_t to)
{
	for (; from < to; from++)
		strlist_add(dst, ndst, xstrdup(src[from]));
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* -all-ns: what the servers said does not depend on names. */
static void
copy_ns(struct report *f, const struct report *l)
{
	size_t	 k;

	f->ns = l->nns > 0 ? xcalloc(l->nns, sizeof(*f->ns)) : NULL;
	for (k = 0; k < l->nns; k++) {
		f->ns[k] = l->ns[k];
		f->ns[k].zone = xstrdup(l->ns[k].zone);
		f->ns[k].name = xstrdup(l->ns[k].name);
		f->ns[k].addr = xstrdup(l->ns[k].addr);
		f->ns[k].reason = xstrdup(l->ns[k].reason);
	}
	f->nns = l->nns;
	f->ns_fail = dup_or_null(l->ns_fail);
}

static void
follower_ready(size_t i)
{
	struct check	*c = &checks[i];
	struct report	*f = &c->rep, *l = &checks[c->leader].rep;
	/*
	 * Only a leader that ended cleanly, its whole report read, has a
	 * chain and TLSA records worth judging again; one that was killed
	 * or broke its sandbox passes on its failure instead.
	 */
	int		 chain = checks[c->leader].clean_end &&
			    l->chain != NULL && l->base != NULL;

	copy_lines(&f->details, &f->ndetails, l->details, 0,
	    chain ? l->ndetails_pre : l->ndetails);
	copy_lines(&f->warns, &f->nwarns, l->warns, l->nwarns_own,
	    chain ? l->nwarns_pre : l->nwarns);
	f->tls_version = dup_or_null(l->tls_version);
	f->tls_cipher = dup_or_null(l->tls_cipher);
	f->sni = dup_or_null(l->sni);
	f->ocsp = l->ocsp;
	f->ocsp_url = dup_or_null(l->ocsp_url);
	f->has_ocsp = l->has_ocsp;
	f->ocspv = l->ocspv;
	f->base = dup_or_null(l->base);
	f->stage = l->stage;
	f->sigs = l->sigs;	/* shared, never freed */
	copy_ns(f, l);
	if (chain) {
		enqueue(JOB_VERIFY, i);
		return;
	}
	if (l->result == R_VERIFIED || l->result == R_VERIFIED_WARN)
		report_set(f, R_INTERNAL, "the shared check verified without "
		    "a chain to judge for these names");
	else
		report_set(f, l->result, "%s", l->reason != NULL ?
		    l->reason : "");
	f->started = l->started;
	f->ended = l->ended;
	c->finished = 1;
}

static void
followers_ready(size_t leader)
{
	size_t	 k;

	for (k = 0; k < checks[leader].nfollowers; k++)
		follower_ready(checks[leader].followers[k]);
}

static void
share_or_enqueue(size_t i)
{
	struct check	*c = &checks[i], *l;
	char		*ck;
	size_t		 li;

	/* The base domain candidates too: a follower is judged under the
	 * base its leader chose. */
	if (asprintf(&ck, "%s\n%s\n%u\n%s\n%s", c->host, c->spec.addrstr,
	    c->spec.port, c->spec.bases[0], c->spec.nbases > 1 ?
	    c->spec.bases[1] : "") == -1)
		fatalx("out of memory");
	if ((li = index_find(&by_conn, ck)) == SIZE_MAX) {
		c->conn_key = ck;
		index_add(&by_conn, i);
		enqueue(JOB_CHECK, i);
		return;
	}
	free(ck);
	c->leader = li;
	l = &checks[li];
	l->followers = xreallocarray(l->followers, l->nfollowers + 1,
	    sizeof(*l->followers));
	l->followers[l->nfollowers++] = i;
	debug("%s [%s]:%u for other names shares check %zu", c->host,
	    c->spec.addrstr, c->spec.port, li);
	if (l->finished)
		follower_ready(i);
}

/* In the verify child: the leader's chain and records, our names. */
static __dead void
start_verify_child(int fd, size_t i)
{
	const struct check	*c = &checks[i];
	const struct report	*l = &checks[c->leader].rep;
	struct verify_spec	 vs;
	struct key_probe	*pr;
	struct tlsa		*t;
	size_t			 k;

	if ((t = calloc(l->ntlsa ? l->ntlsa : 1, sizeof(*t))) == NULL)
		_exit(3);
	for (k = 0; k < l->ntlsa; k++) {
		t[k].usage = l->tlsa[k].usage;
		t[k].selector = l->tlsa[k].selector;
		t[k].mtype = l->tlsa[k].mtype;
		t[k].data = l->tlsa[k].data;
		t[k].len = l->tlsa[k].len;
	}
	memset(&vs, 0, sizeof(vs));
	vs.check = &c->spec;
	vs.base = l->base;
	vs.pem = l->chain;
	vs.pemlen = l->chainlen;
	vs.tlsa = t;
	vs.ntlsa = l->ntlsa;
	vs.smtp_err = l->smtp_err != NULL ? l->smtp_err : "";
	vs.tlsa_ttl = l->tlsa_ttl;
	if ((pr = calloc(KEY__MAX, sizeof(*pr))) == NULL)
		_exit(3);
	for (k = 0; k < l->nprobes && k < KEY__MAX; k++) {
		pr[k].key = l->probes[k].key;
		pr[k].state = l->probes[k].state;
		pr[k].fail = l->probes[k].result;
		strlcpy(pr[k].err, l->probes[k].reason, sizeof(pr[k].err));
		strlcpy(pr[k].version, l->probes[k].tls_version,
		    sizeof(pr[k].version));
		strlcpy(pr[k].cipher, l->probes[k].tls_cipher,
		    sizeof(pr[k].cipher));
		pr[k].pem = l->probes[k].pem;
		pr[k].pemlen = l->probes[k].pemlen;
	}
	vs.probes = pr;
	vs.nprobes = k;
	vs.ocsp = l->has_ocsp ? &l->ocspv : NULL;
	vs.ns_fail = l->ns_fail != NULL ? l->ns_fail : "";
	verify_child(fd, &vs);
}

static void
new_check(struct check *c, const struct hostinfo *h, int af,
    const char *addr, int sec)
{
	set_address(&c->spec, af, addr);
	fill_spec(&c->spec, h);
	if (h->warning[0] != '\0') {
		strlist_add(&c->rep.warns, &c->rep.nwarns,
		    xstrdup(h->warning));
		c->rep.nwarns_own = c->rep.nwarns;
	}
	/* RFC 7672 section 2.2.2: no DANE without a secure base. */
	if (set_bases(&c->spec, h, sec == SEC_SECURE) == 0) {
		report_set(&c->rep, R_DANE_NA, "address records insecure "
		    "(%s RRset not signed): DANE not applicable",
		    af == AF_INET ? "A" : "AAAA");
		c->finished = 1;
	} else
		share_or_enqueue(c - checks);
}

static int
address_of_family(int af, const char *addr)
{
	struct in6_addr	 a;

	return inet_pton(af, addr, &a) == 1;
}

static const char *
on_address(struct job *j, struct msgreader *r)
{
	struct target		*t = &targets[j->idx];
	const struct hostinfo	*h;
	const char		*why = NULL;
	uint32_t		 af, sec;
	char			*addr, *host;
	size_t			 i;
	int			 added;

	af = msg_get_u32(r);
	sec = msg_get_u32(r);
	addr = msg_get_str(r, NULL);
	host = msg_get_str(r, NULL);
	if (r->bad || addr == NULL || host == NULL ||
	    (af != AF_INET && af != AF_INET6) || sec > SEC_BOGUS ||
	    !address_of_family(af, addr) || (h = find_host(t, host)) == NULL)
		why = "bad address";
	else if (t->nchecks >= MAX_TARGET_CHECKS)
		why = "too many addresses";
	else {
		i = find_or_add_check(t, host, h->port, addr, h, &added);
		if (added)
			new_check(&checks[i], h, af, addr, sec);
	}
	free(addr);
	free(host);
	return why;
}

/* Shaped like on_address(), on purpose: other fields, other checks. */
static const char *
on_verdict(struct job *j, struct msgreader *r)
{
	struct target	*t = &targets[j->idx];
	const char	*why = NULL;
	char		*host, *reason;
	uint32_t	 port, res;

	host = msg_get_str(r, NULL);
	port = msg_get_u32(r);
	res = msg_get_u32(r);
	reason = get_text(r);
	if (r->bad || host == NULL || reason == NULL || res >= R__MAX ||
	    res == R_VERIFIED || res == R_VERIFIED_WARN || port > 65535 ||
	    !valid_hostname(host))
		why = "bad verdict";
	else if (t->nchecks >= MAX_TARGET_CHECKS)
		why = "too many verdicts";
	else
		add_verdict_for(t, host, port, res, reason);
	free(host);
	free(reason);
	return why;
}

static const char *
on_dnssec(struct job *j, struct msgreader *r)
{
	struct target	*t = &targets[j->idx];
	uint32_t	 v = msg_get_u32(r);

	if (t->has_dnssec)
		return "DNSSEC state sent twice";
	if (r->bad || (v != SEC_SECURE && v != SEC_INSECURE &&
	    v != SEC_BOGUS))
		return "bad DNSSEC state";
	t->has_dnssec = 1;
	t->dnssec = v;
	return NULL;
}

/*
 * MSG_SIGS: the RRSIG times of an answer (sigs.c msg_put_sigs()).
 * Discovery sends the MX or SRV RRset's and each host's A and AAAA
 * RRsets', whose zones the parent walks; a check child its TLSA
 * RRset's, with the chain above it already merged in.
 */
static void
get_sig(struct msgreader *r, struct sig_fact *f)
{
	uint32_t	 hi = msg_get_u32(r), lo = msg_get_u32(r);

	f->when = (int64_t)((uint64_t)hi << 32 | lo);
	f->type = msg_get_u32(r);
	f->keytag = msg_get_u32(r);
	f->owner = get_text(r);
	f->zone = get_text(r);
	if (hi > 0xffff || f->type > 65535 || f->keytag > 65535 ||
	    f->owner == NULL || f->zone == NULL)
		r->bad = 1;
}

static void
free_sig_facts(struct sig_facts *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	free(f->first.owner);
	free(f->first.zone);
	free(f->newest.owner);
	free(f->newest.zone);
	for (i = 0; i < f->nzones; i++)
		free(f->zones[i]);
	free(f->why);
	free(f);
}

static struct sig_facts *
get_sig_facts(struct msgreader *r)
{
	struct sig_facts	*f = xcalloc(1, sizeof(*f));
	uint32_t		 n, i;

	get_sig(r, &f->first);
	get_sig(r, &f->newest);
	n = msg_get_u32(r);
	for (i = 0; i < n && !r->bad; i++) {
		if (i >= SIG_MAX_ZONES ||
		    (f->zones[i] = msg_get_str(r, NULL)) == NULL ||
		    !valid_name(f->zones[i])) {
			r->bad = 1;
			break;
		}
		f->nzones++;
	}
	f->why = get_text(r);
	if (r->bad || f->why == NULL || f->first.when <= 0) {
		free_sig_facts(f);
		return NULL;
	}
	return f;
}

static const char *
on_sigs(struct job *j, struct msgreader *r)
{
	struct sig_facts	**slot, *f;
	struct hostinfo		*h = NULL;
	uint32_t		 scope = msg_get_u32(r);
	char			*host = msg_get_str(r, NULL);
	const char		*why = NULL;

	if (host == NULL || scope >= SIG_SCOPE__MAX)
		why = "bad scope";
	else if ((scope == SIG_SCOPE_CHECK) != (j->kind == JOB_CHECK))
		why = "scope of another sender";
	else if (scope == SIG_SCOPE_A || scope == SIG_SCOPE_AAAA) {
		if ((h = (struct hostinfo *)find_host(&targets[j->idx],
		    host)) == NULL)
			why = "unknown host";
	} else if (host[0] != '\0')
		why = "a host where none belongs";
	free(host);
	if (why != NULL)
		return why;
	slot = h != NULL ? &h->sigs[scope == SIG_SCOPE_AAAA] :
	    scope == SIG_SCOPE_CHECK ? &checks[j->idx].rep.sigs :
	    &targets[j->idx].sigs;
	if (*slot != NULL)
		return "sent twice";
	if ((f = get_sig_facts(r)) == NULL)
		return "bad signature times";
	*slot = f;
	return NULL;
}

static const char *
on_stage(struct job *j, struct msgreader *r)
{
	uint32_t	 v = msg_get_u32(r);

	if (j->kind == JOB_DISCOVER ? v != ST_DISCOVER :
	    j->kind == JOB_VERIFY ? v != ST_VERIFY :
	    v == ST_START || (v > ST_DONE && (v != ST_NS || !opt.all_ns)))
		return "bad stage";
	job_report(j)->stage = v;
	return NULL;
}

static const char *
on_detail(struct job *j, struct msgreader *r)
{
	struct report	*rep = job_report(j);

	return add_line(&rep->details, &rep->ndetails, get_text(r));
}

static const char *
on_warn(struct job *j, struct msgreader *r)
{
	struct report	*rep = job_report(j);

	return add_line(&rep->warns, &rep->nwarns, get_text(r));
}

static const char *
on_tlsa(struct job *j, struct msgreader *r)
{
	struct report		*rep = job_report(j);
	struct tlsa_line	*l;
	char			*data, hex[2 * 1024 + 1];
	size_t			 len;

	if (rep->ntlsa >= MAX_TLSA_LINES)
		return "too many TLSA records";
	rep->tlsa = xreallocarray(rep->tlsa, rep->ntlsa + 1,
	    sizeof(*rep->tlsa));
	l = &rep->tlsa[rep->ntlsa];
	memset(l, 0, sizeof(*l));
	l->usage = msg_get_u32(r);
	l->selector = msg_get_u32(r);
	l->mtype = msg_get_u32(r);
	data = msg_get_str(r, &len);
	l->usable = msg_get_u32(r) != 0;
	l->matched = msg_get_u32(r) != 0;
	l->depth = (int)(msg_get_u32(r) & 0xff) - 1;
	l->text = get_text(r);
	if (r->bad || data == NULL || l->text == NULL || l->usage > 255 ||
	    l->selector > 255 || l->mtype > 255) {
		free(data);
		free(l->text);
		return "bad TLSA record";
	}
	hexify((uint8_t *)data, len > 1024 ? 1024 : len, hex, sizeof(hex));
	l->data = (uint8_t *)data;
	l->len = len;
	l->hex = xstrdup(hex);
	rep->ntlsa++;
	return NULL;
}

/* A time_t as two u32 fields, high half first. */
static time_t
get_time(struct msgreader *r)
{
	uint64_t	 hi, lo;

	hi = msg_get_u32(r);
	lo = msg_get_u32(r);
	return (time_t)((hi << 32) | lo);
}

static const char *
on_cert(struct job *j, struct msgreader *r)
{
	struct report		*rep = job_report(j);
	struct cert_line	*l;

	if (rep->ncerts >= MAX_CERT_LINES)
		return "too many certificates";
	rep->certs = xreallocarray(rep->certs, rep->ncerts + 1,
	    sizeof(*rep->certs));
	l = &rep->certs[rep->ncerts];
	memset(l, 0, sizeof(*l));
	l->depth = msg_get_u32(r) & 0xff;
	l->subject = get_text(r);
	l->issuer = get_text(r);
	l->names = get_text(r);
	l->not_before = get_time(r);
	l->not_after = get_time(r);
	l->spki = get_text(r);
	l->pem = get_pem(r);
	if (r->bad || l->subject == NULL || l->issuer == NULL ||
	    l->names == NULL || l->spki == NULL || l->pem == NULL) {
		free(l->subject);
		free(l->issuer);
		free(l->names);
		free(l->spki);
		free(l->pem);
		return "bad certificate";
	}
	rep->ncerts++;
	return NULL;
}

static const char *
on_tls(struct job *j, struct msgreader *r)
{
	struct report	*rep = job_report(j);
	uint32_t	 staple;

	if (rep->tls_version != NULL)
		return "TLS facts sent twice";
	rep->tls_version = get_text(r);
	rep->tls_cipher = get_text(r);
	rep->sni = get_text(r);
	staple = msg_get_u32(r);
	rep->ocsp_url = get_text(r);
	/* -expect-ocsp: libtls fails a handshake without a staple. */
	if (r->bad || staple >= OCSP__MAX || rep->ocsp_url == NULL ||
	    (opt.expect_ocsp && staple == OCSP_NO_STAPLE))
		return "bad TLS facts";
	rep->ocsp = staple;
	return NULL;
}

/*
 * What the staple says, as the check child judged it.  Each field must
 * fit the status, and the status what MSG_TLS said came.
 */
static int
ocsp_fits(const struct report *rep, const struct ocsp_verdict *v)
{
	uint32_t	 want = 0;

	switch (rep->ocsp) {
	case OCSP_NO_STAPLE:
		if (v->status != OCSP_ST_NONE)
			return 0;
		break;
	case OCSP_UNSEEN:
		if (v->status != OCSP_ST_UNCHECKED)
			return 0;
		break;
	default:
		if (v->status == OCSP_ST_NONE)
			return 0;
		break;
	}
	if (ocsp_dated(v->status))
		want |= OCSP_HAS_THIS;
	if (v->status == OCSP_ST_REVOKED)
		want |= OCSP_HAS_REVOKED;
	if ((v->known & want) != want || (v->known & ~OCSP_HAS_ALL) != 0 ||
	    (!ocsp_dated(v->status) && v->known != 0) ||
	    (v->status != OCSP_ST_REVOKED &&
	    ((v->known & OCSP_HAS_REVOKED) || v->reason[0] != '\0')))
		return 0;
	return 1;
}

static const char *
on_ocsp(struct job *j, struct msgreader *r)
{
	struct report		*rep = job_report(j);
	struct ocsp_verdict	*v = &rep->ocspv;
	char			*reason, *detail;
	uint32_t		 st;
	int			 ok;

	if (rep->has_ocsp)
		return "OCSP judgment sent twice";
	if (rep->tls_version == NULL)
		return "OCSP judgment without a handshake";
	memset(v, 0, sizeof(*v));
	st = msg_get_u32(r);
	v->known = msg_get_u32(r);
	v->this_update = get_time(r);
	v->next_update = get_time(r);
	v->revoked_at = get_time(r);
	reason = get_text(r);
	detail = get_text(r);
	ok = !r->bad && st < OCSP_ST__MAX && reason != NULL &&
	    detail != NULL && strlen(reason) < sizeof(v->reason) &&
	    strlen(detail) < sizeof(v->detail);
	if (ok) {
		v->status = st;
		(void)strlcpy(v->reason, reason, sizeof(v->reason));
		(void)strlcpy(v->detail, detail, sizeof(v->detail));
		ok = ocsp_fits(rep, v);
	}
	free(reason);
	free(detail);
	if (!ok) {
		memset(v, 0, sizeof(*v));
		return "bad OCSP judgment";
	}
	rep->has_ocsp = 1;
	return NULL;
}

static const char *
on_chain(struct job *j, struct msgreader *r)
{
	struct report	*rep = job_report(j);
	char		*pem, *err;
	size_t		 len, elen;

	if (rep->chain != NULL)
		return "chain sent twice";
	pem = msg_get_str(r, &len);
	err = msg_get_str(r, &elen);
	if (r->bad || pem == NULL || err == NULL || elen > MAX_TEXT ||
	    strspn(pem, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=- \n") != len) {
		free(pem);
		free(err);
		return "bad chain";
	}
	/* Kept raw for a verify child; never printed. */
	rep->chain = pem;
	rep->chainlen = len;
	rep->smtp_err = err;
	rep->nwarns_pre = rep->nwarns;
	rep->ndetails_pre = rep->ndetails;
	return NULL;
}

static const char *
on_base(struct job *j, struct msgreader *r)
{
	struct report		*rep = job_report(j);
	const struct check_spec	*s = &checks[j->idx].spec;
	char			*base;
	size_t			 i;

	if (rep->base != NULL)
		return "base domain sent twice";
	if ((base = get_text(r)) == NULL)
		return "bad base domain";
	/* It must be one of the candidates the child was given. */
	for (i = 0; i < s->nbases; i++)
		if (strcmp(base, s->bases[i]) == 0) {
			rep->base = base;
			return NULL;
		}
	free(base);
	return "not one of the base domain candidates";
}

/*
 * -staged: one judgment.  One that would not verify is a warning of
 * the check (verified-with-warnings), never its failure.
 */
static const char *
on_staged(struct job *j, struct msgreader *r)
{
	struct report		*rep = job_report(j);
	struct staged_line	*l;
	char			 ttl[32];

	if (rep->nstaged >= MAX_STAGED)
		return "too many staged judgments";
	rep->staged = xreallocarray(rep->staged, rep->nstaged + 1,
	    sizeof(*rep->staged));
	l = &rep->staged[rep->nstaged];
	memset(l, 0, sizeof(*l));
	l->file = get_text(r);
	l->safe = msg_get_u32(r) != 0;
	l->bare_key = msg_get_u32(r) != 0;
	l->reason = get_text(r);
	l->records = get_text(r);
	l->ttl = msg_get_u32(r);
	if (r->bad || l->file == NULL || l->reason == NULL ||
	    l->records == NULL || (!l->safe && l->records[0] == '\0' &&
	    l->reason[0] == '\0')) {
		free(l->file);
		free(l->reason);
		free(l->records);
		return "bad staged judgment";
	}
	rep->nstaged++;
	rep->tlsa_ttl = l->ttl;
	if (l->safe)
		return NULL;
	format_ttl(l->ttl, ttl, sizeof(ttl));
	if (l->records[0] == '\0')
		return add_line(&rep->warns, &rep->nwarns, xprintf("staged %s: "
		    "not safe to deploy yet: %s", l->file, l->reason));
	return add_line(&rep->warns, &rep->nwarns, xprintf("staged %s: not "
	    "safe to deploy yet: %s; publish %s and wait at least %s (the "
	    "TTL of the TLSA RRset) before deploying", l->file, l->reason,
	    l->records, ttl));
}

/*
 * -all-keys: one probe.  The child has made a failing probe the
 * check's result already; this keeps the facts for the renderers and
 * the chain for a verify child.
 */
static const char *
on_probe(struct job *j, struct msgreader *r)
{
	struct report		*rep = job_report(j);
	struct probe_line	*l;
	size_t			 i, len;

	if (rep->nprobes >= KEY__MAX)
		return "too many key probes";
	rep->probes = xreallocarray(rep->probes, rep->nprobes + 1,
	    sizeof(*rep->probes));
	l = &rep->probes[rep->nprobes];
	memset(l, 0, sizeof(*l));
	l->key = msg_get_u32(r);
	l->state = msg_get_u32(r);
	l->tls_version = get_text(r);
	l->tls_cipher = get_text(r);
	l->leaf_spki = get_text(r);
	l->result = msg_get_u32(r);
	l->reason = get_text(r);
	l->pem = msg_get_str(r, &len);
	l->pemlen = len;
	for (i = 0; i < rep->nprobes; i++)
		if (rep->probes[i].key == l->key)
			break;
	if (r->bad || i < rep->nprobes || l->key >= KEY__MAX ||
	    l->state >= PROBE__MAX || (unsigned)l->result >= R__MAX ||
	    l->tls_version == NULL || l->tls_cipher == NULL ||
	    l->leaf_spki == NULL || l->reason == NULL || l->pem == NULL ||
	    strspn(l->leaf_spki, "0123456789abcdef") !=
	    strlen(l->leaf_spki) ||
	    (l->state == PROBE_DONE) != (len > 0) ||
	    strspn(l->pem, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=- \n") != len) {
		free(l->tls_version);
		free(l->tls_cipher);
		free(l->leaf_spki);
		free(l->reason);
		free(l->pem);
		return "bad key probe";
	}
	rep->nprobes++;
	return NULL;
}

/*
 * -all-ns: one authoritative server of the TLSA RRset's zone.  One
 * that differs is a warning of the check; one that failed has made
 * the child's result ns-failure already.  All of them name one zone.
 */
static void
free_ns_line(struct ns_line *l)
{
	free(l->zone);
	free(l->name);
	free(l->addr);
	free(l->reason);
}

static const char *
on_ns(struct job *j, struct msgreader *r)
{
	struct report	*rep = job_report(j);
	struct ns_line	*l;
	uint64_t	 hi, lo;
	uint32_t	 has_serial;
	char		 line[3 * MAX_TEXT];

	if (!opt.all_ns)
		return "nameserver comparison without -all-ns";
	if (rep->nns >= ALLNS_MAX)
		return "too many nameservers";
	rep->ns = xreallocarray(rep->ns, rep->nns + 1, sizeof(*rep->ns));
	l = &rep->ns[rep->nns];
	memset(l, 0, sizeof(*l));
	l->zone = msg_get_str(r, NULL);
	l->name = msg_get_str(r, NULL);
	l->addr = msg_get_str(r, NULL);
	l->state = msg_get_u32(r);
	has_serial = msg_get_u32(r);
	l->serial = msg_get_u32(r);
	hi = msg_get_u32(r);
	lo = msg_get_u32(r);
	l->sig_expire = (time_t)((hi << 32) | lo);
	l->reason = get_text(r);
	if (r->bad || l->zone == NULL || l->name == NULL || l->addr == NULL ||
	    l->reason == NULL || l->reason[0] == '\0' ||
	    !valid_name(l->zone) || !valid_hostname(l->name) ||
	    (l->addr[0] != '\0' && !is_address(l->addr)) ||
	    l->state >= NS__MAX || has_serial > 1 ||
	    (l->state == NS_FAILED && (has_serial || l->sig_expire != 0)) ||
	    (l->addr[0] == '\0' && l->state != NS_FAILED) ||
	    (rep->nns > 0 && strcmp(l->zone, rep->ns[0].zone) != 0)) {
		free_ns_line(l);
		return "bad nameserver comparison";
	}
	l->has_serial = has_serial;
	rep->nns++;
	if (l->state != NS_DIFFERS)
		return NULL;
	format_ns(l, line, sizeof(line));
	return add_line(&rep->warns, &rep->nwarns, xstrdup(line));
}

/*
 * The end of the comparison: why it failed, if it did, for a verify
 * child of another target's names (start_verify_child()).  A server
 * that failed is a failure of the comparison.
 */
static const char *
on_ns_verdict(struct job *j, struct msgreader *r)
{
	struct report	*rep = job_report(j);
	size_t		 i;

	if (!opt.all_ns)
		return "nameserver verdict without -all-ns";
	if (rep->ns_fail != NULL)
		return "nameserver verdict sent twice";
	if ((rep->ns_fail = get_text(r)) == NULL)
		return "bad nameserver verdict";
	for (i = 0; i < rep->nns; i++)
		if (rep->ns[i].state == NS_FAILED && rep->ns_fail[0] == '\0')
			return "a server failed, the comparison did not";
	return NULL;
}

/* Results a check child may send; discovery sends MSG_VERDICT. */
static int
check_result(uint32_t v)
{
	switch (v) {
	case R_MX_INSECURE:
	case R_SRV_INSECURE:
	case R_NULL_MX:
	case R_NO_SERVICE:
	case R_USAGE:
	case R_NO_ADDRESS:
		return 0;
	default:
		return v < R__MAX;
	}
}

static const char *
on_result(struct job *j, struct msgreader *r)
{
	struct report	*rep = job_report(j);
	uint32_t	 v;
	char		*s;

	v = msg_get_u32(r);
	if ((s = get_text(r)) == NULL || r->bad || !check_result(v) ||
	    (v == R_NS_FAILURE && !opt.all_ns)) {
		free(s);
		return "bad result";
	}
	/* Verified rests on a chain judged in the verification stage. */
	if ((v == R_VERIFIED || v == R_VERIFIED_WARN) &&
	    (rep->stage != ST_VERIFY ||
	    (j->kind == JOB_CHECK && rep->chain == NULL))) {
		free(s);
		return "verified without a chain";
	}
	if (!rep->done)
		report_set(rep, v, "%s", s);
	free(s);
	return NULL;
}

static const char *
on_end(struct job *j, struct msgreader *r)
{
	return NULL;
}

static const char *
on_sandbox(struct job *j, struct msgreader *r)
{
	struct report	*rep = job_report(j);
	uint32_t	 v = msg_get_u32(r);

	if (r->bad)
		return "bad sandbox report";
	report_set(rep, R_INTERNAL, "sandbox violation: %s during %s",
	    sandbox_syscall_name(v), stage_name(rep->stage));
	return NULL;
}

/*
 * The handler of each message type; who may send it, and when, is in
 * msg_descs[] (msg.c), whose row names the writer.
 */
static const char *(*const msg_handlers[MSG__MAX])(struct job *,
    struct msgreader *) = {
	[MSG_STAGE] =	on_stage,
	[MSG_DETAIL] =	on_detail,
	[MSG_WARN] =	on_warn,
	[MSG_TLSA] =	on_tlsa,
	[MSG_CERT] =	on_cert,
	[MSG_TLS] =	on_tls,
	[MSG_RESULT] =	on_result,
	[MSG_CHAIN] =	on_chain,
	[MSG_STAGED] =	on_staged,
	[MSG_PROBE] =	on_probe,
	[MSG_BASE] =	on_base,
	[MSG_HOST] =	on_host,
	[MSG_ADDR] =	on_address,
	[MSG_VERDICT] =	on_verdict,
	[MSG_SANDBOX] =	on_sandbox,
	[MSG_END] =	on_end,
	[MSG_DNSSEC] =	on_dnssec,
	[MSG_SIGS] =	on_sigs,
	[MSG_OCSP] =	on_ocsp,
	[MSG_NS] =	on_ns,
	[MSG_NS_VERDICT] = on_ns_verdict,
};

/* A job's kind is its sender bit in msg_descs[]. */
_Static_assert(MSG_FROM_DISCOVER == 1 << JOB_DISCOVER &&
    MSG_FROM_CHECK == 1 << JOB_CHECK && MSG_FROM_VERIFY == 1 << JOB_VERIFY,
    "enum job_kind and MSG_FROM_*");

/* Returns NULL, or why the frame is refused (the child is killed). */
static const char *
on_message(struct job *j, uint32_t type, struct msgreader *r,
    char *why, size_t whylen)
{
	const struct msg_desc	*m;
	const char		*bad;
	enum stage		 st = job_report(j)->stage;

	if (j->final) {
		snprintf(why, whylen, "a message after the final one");
		return why;
	}
	if (msg_check(type, 1 << j->kind, st, why, whylen) != NULL)
		return why;
	m = &msg_descs[type];
	if (msg_handlers[type] == NULL) {
		snprintf(why, whylen, "%s message: no handler", m->name);
		return why;
	}
	if ((bad = msg_handlers[type](j, r)) == NULL && !r->bad &&
	    r->left != 0)
		bad = "bytes after its last field";
	if (bad != NULL || r->bad) {
		snprintf(why, whylen, "%s message: %s", m->name,
		    bad != NULL ? bad : "malformed");
		return why;
	}
	j->final = m->final;
	return NULL;
}

/*
 * Discovery ended.  A child that died or timed out leaves a verdict;
 * one that found nothing at all is a bug, said so rather than hidden.
 */
static void
discovery_done(struct target *t)
{
	t->discovered = 1;
	if (t->rep.done && t->rep.result != R_VERIFIED)
		add_verdict(t, t->rep.result, "%s", t->rep.reason);
	else if (t->nchecks == 0)
		add_verdict(t, R_INTERNAL, "discovery reported nothing");
}

/*
 * How a child ended: a result it sent, or why there is none.
 */
static void
judge_exit(struct job *j, int status)
{
	struct report	*rep = job_report(j);
	const char	*killed, *why;
	int		 sig;

	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		killed = sandbox_kill_text(sig);
		if (killed != NULL)
			report_set(rep, R_INTERNAL, "%s during %s", killed,
			    stage_name(rep->stage));
		else if (rep->done || j->final)
			return;
		else if (sig == SIGALRM)
			report_set(rep, R_TIMEOUT, "timed out after %lld.%llds "
			    "during %s", (long long)(now_ms() - rep->started) /
			    1000, (long long)(now_ms() - rep->started) % 1000 /
			    100, stage_name(rep->stage));
		else
			report_set(rep, R_INTERNAL, "child crashed during %s: "
			    "signal %d (%s)", stage_name(rep->stage), sig,
			    strsignal(sig));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		if (rep->done)
			;
		else if ((why = child_exit_text(WEXITSTATUS(status))) != NULL)
			report_set(rep, R_INTERNAL, "child failed during %s: "
			    "%s", stage_name(rep->stage), why);
		else
			report_set(rep, R_INTERNAL, "child failed during %s: "
			    "exit status %d", stage_name(rep->stage),
			    WEXITSTATUS(status));
	} else if (!rep->done && !j->final)
		report_set(rep, R_INTERNAL, "child ended without a result "
		    "during %s", stage_name(rep->stage));
}

/* The job's pipe is done with; the process is reaped later. */
static void
close_job(struct job *j)
{
	close(j->fd);
	j->fd = -1;
	j->closed_at = now_ms();
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
}

/* Never blocks: a child that outlives its pipe is killed, then reaped. */
static void
reap_job(struct job *j)
{
	pid_t	 pid;
	int	 status;

	if ((pid = waitpid(j->pid, &status, WNOHANG)) == 0) {
		if (!j->killed && now_ms() - j->closed_at >= EXIT_GRACE_MS) {
			kill(j->pid, SIGKILL);
			j->killed = 1;
			if (!job_report(j)->done && !j->final)
				report_set(job_report(j), R_INTERNAL, "child "
				    "did not exit after closing its pipe, "
				    "during %s", stage_name(
				    job_report(j)->stage));
		}
		return;
	}
	if (pid == -1 && errno == EINTR)
		return;
	if (pid == -1)
		fatal("waitpid");
	judge_exit(j, status);
	j->pid = 0;
	if (j->kind == JOB_DISCOVER)
		discovery_done(&targets[j->idx]);
	else {
		checks[j->idx].finished = 1;
		checks[j->idx].clean_end = j->final &&
		    checks[j->idx].rep.result != R_INTERNAL;
		if (j->kind == JOB_CHECK)
			followers_ready(j->idx);
	}
	debug("child done: %s", job_report(j)->done ?
	    result_name(job_report(j)->result) : "addresses");
}

static void
kill_job(struct job *j, enum result res, const char *why)
{
	struct report	*rep = job_report(j);

	kill(j->pid, SIGKILL);
	j->killed = 1;
	if (res == R_INTERNAL || (!rep->done && !j->final))
		report_set(rep, res, "%s", why);
	close_job(j);
}

static void
parse_frames(struct job *j)
{
	struct msgreader	 r;
	uint32_t		 type;
	size_t			 used, off = 0;
	char			 why[256], msg[300];
	int			 n;

	while ((n = msg_frame(j->buf + off, j->len - off, &type, &r,
	    &used)) == 1) {
		if (on_message(j, type, &r, why, sizeof(why)) != NULL) {
			snprintf(msg, sizeof(msg), "refused the child's "
			    "report: %s", why);
			kill_job(j, R_INTERNAL, msg);
			return;
		}
		off += used;
	}
	if (n == -1) {
		kill_job(j, R_INTERNAL, "malformed frame from the child");
		return;
	}
	memmove(j->buf, j->buf + off, j->len - off);
	j->len -= off;
}

/* Read what a child wrote: READ_DATA, READ_NONE (would block), or
 * READ_CLOSED once its pipe is closed. */
enum { READ_CLOSED, READ_NONE, READ_DATA };

static int
read_job(struct job *j)
{
	ssize_t	 n;

	if (j->cap - j->len < 65536) {
		if (j->cap >= CHILD_OUTPUT_MAX) {
			kill_job(j, R_INTERNAL, "child wrote too much");
			return READ_CLOSED;
		}
		j->cap = j->cap ? j->cap * 2 : 131072;
		j->buf = xreallocarray(j->buf, j->cap, 1);
	}
	n = read(j->fd, j->buf + j->len, j->cap - j->len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return READ_NONE;
	if (n <= 0) {
		if (j->len > 0)
			kill_job(j, R_INTERNAL, "child output ends in the "
			    "middle of a message");
		else
			close_job(j);
		return READ_CLOSED;
	}
	j->len += n;
	parse_frames(j);
	return j->fd != -1 ? READ_DATA : READ_CLOSED;
}

/*
 * A child past its deadline is killed, but first whatever it has
 * written is read: when the parent itself was held up, a child that
 * finished in time must not be judged by the parent's lateness.
 */
static void
expire_jobs(void)
{
	struct job	*j;
	char		 why[256];
	size_t		 i;
	long long	 ms;

	for (i = 0; i < nrunning; i++) {
		j = &running[i];
		if (j->fd == -1 || now_ms() < j->deadline)
			continue;
		/* What is there already, not what may come. */
		while (!j->final && read_job(j) == READ_DATA)
			;
		if (j->fd == -1)
			continue;
		if (j->final) {
			close_job(j);
			continue;
		}
		ms = now_ms() - job_report(j)->started;
		snprintf(why, sizeof(why), "timed out after %lld.%llds "
		    "during %s", ms / 1000, ms % 1000 / 100,
		    stage_name(job_report(j)->stage));
		kill_job(j, R_TIMEOUT, why);
	}
}

static void
reap_finished(void)
{
	size_t	 i, k = 0;

	for (i = 0; i < nrunning; i++) {
		if (running[i].fd == -1 && running[i].pid != 0)
			reap_job(&running[i]);
		if (running[i].fd != -1 || running[i].pid != 0)
			running[k++] = running[i];
	}
	nrunning = k;
}

static void print_ready(void);

/* The parent cannot start children: what is still queued is not run. */
static void
abandon_queued(const char *why)
{
	struct queue	*q;
	size_t		 i;

	strlcpy(gave_up, why, sizeof(gave_up));
	q = &queues[JOB_CHECK];
	for (; q->head < q->n; q->head++) {
		i = q->idx[q->head];
		report_set(&checks[i].rep, R_INTERNAL, "%s", why);
		checks[i].finished = 1;
		followers_ready(i);
	}
	q = &queues[JOB_VERIFY];
	for (; q->head < q->n; q->head++) {
		i = q->idx[q->head];
		report_set(&checks[i].rep, R_INTERNAL, "%s", why);
		checks[i].finished = 1;
	}
	q = &queues[JOB_DISCOVER];
	for (; q->head < q->n; q->head++) {
		i = q->idx[q->head];
		targets[i].discovered = 1;
		add_verdict(&targets[i], R_INTERNAL, "%s", why);
	}
}

/*
 * Discoveries run in the parent, without a child: their lookups go
 * through the event context (dns_event_run), each with a deadline,
 * and what they conclude comes as frames judged by msg_descs[] like
 * a child's.  At most opt.jobs run at once, and none starts while
 * plenty of checks wait, so that a long target list is not all
 * looked up (and held in memory) before it is checked.
 */
struct discovery {
	struct disc	*d;
	struct job	 j;	/* kind JOB_DISCOVER; no pid, no fd */
};

static struct discovery	*discs;
static size_t		 ndiscs;

#define CHECKS_AHEAD(jobs)	(4 * (size_t)(jobs))

static size_t
checks_waiting(void)
{
	return queues[JOB_CHECK].n - queues[JOB_CHECK].head;
}

static void
start_discoveries(void)
{
	struct discovery	*s;
	struct queue		*q = &queues[JOB_DISCOVER];
	size_t			 idx;

	while (ndiscs < (size_t)opt.jobs && queued(JOB_DISCOVER) &&
	    checks_waiting() < CHECKS_AHEAD(opt.jobs)) {
		idx = q->idx[q->head];
		s = &discs[ndiscs];
		memset(s, 0, sizeof(*s));
		s->j.kind = JOB_DISCOVER;
		s->j.idx = idx;
		s->j.fd = -1;
		s->j.deadline = now_ms() + opt.timeout * 1000 + CHILD_GRACE_MS;
		targets[idx].rep.started = now_ms();
		if ((s->d = discover_start(evctx, &targets[idx].disc)) == NULL)
			fatal("discovery");
		q->head++;
		ndiscs++;
		debug("started discovery for %s", targets[idx].host);
	}
}

/* Judge the frames a discovery wrote; -1 once it must end. */
static int
discovery_frames(struct discovery *s)
{
	struct job		*j = &s->j;
	struct msgreader	 r;
	const uint8_t		*p;
	uint32_t		 type;
	size_t			 len, used, off = 0;
	char			 why[256];
	int			 n, finished;

	p = discover_frames(s->d, &len, &finished);
	if (len > 0) {
		if (j->len + len > CHILD_OUTPUT_MAX) {
			report_set(job_report(j), R_INTERNAL, "discovery "
			    "wrote too much");
			return -1;
		}
		if (j->cap - j->len < len) {
			j->cap = j->len + len;
			j->buf = xreallocarray(j->buf, j->cap, 1);
		}
		memcpy(j->buf + j->len, p, len);
		j->len += len;
		discover_taken(s->d);
	}
	while ((n = msg_frame(j->buf + off, j->len - off, &type, &r,
	    &used)) == 1) {
		if (on_message(j, type, &r, why, sizeof(why)) != NULL) {
			report_set(job_report(j), R_INTERNAL, "refused the "
			    "discovery's report: %s", why);
			return -1;
		}
		off += used;
	}
	if (n == -1) {
		report_set(job_report(j), R_INTERNAL, "malformed frame in "
		    "discovery");
		return -1;
	}
	memmove(j->buf, j->buf + off, j->len - off);
	j->len -= off;
	if (!finished)
		return 0;
	if (!j->final)
		report_set(job_report(j), R_INTERNAL, "discovery ended "
		    "without a result during %s",
		    stage_name(job_report(j)->stage));
	return -1;
}

static void
end_discovery(size_t i)
{
	struct discovery	*s = &discs[i];

	discover_free(s->d);
	free(s->j.buf);
	discovery_done(&targets[s->j.idx]);
	debug("discovery done: %s", targets[s->j.idx].host);
	discs[i] = discs[--ndiscs];
}

/* Lookups answered, frames judged, deadlines kept. */
/*
 * The event context is busy while a discovery runs, and after it while
 * the walks of sigs.c (DNSKEY and DS RRsets above its zones) finish.
 */
static int
dns_busy(void)
{
	return ndiscs > 0 || dns_event_inflight() > 0;
}

static void
run_discoveries(void)
{
	struct discovery	*s;
	size_t			 i;
	long long		 ms;

	if (!dns_busy())
		return;
	dns_event_run(evctx);
	for (i = 0; i < ndiscs;) {
		s = &discs[i];
		if (discovery_frames(s) == -1) {
			end_discovery(i);
			continue;
		}
		if (now_ms() >= s->j.deadline) {
			ms = now_ms() - job_report(&s->j)->started;
			report_set(job_report(&s->j), R_TIMEOUT, "timed out "
			    "after %lld.%llds during %s", ms / 1000,
			    ms % 1000 / 100, stage_name(job_report(&s->j)->stage));
			end_discovery(i);
			continue;
		}
		i++;
	}
}

/* Once nothing more can be forked, the parent narrows again. */
static void
maybe_narrow(int *narrowed)
{
	size_t	 i;

	if (*narrowed || queued(JOB_CHECK) || queued(JOB_DISCOVER) ||
	    queued(JOB_VERIFY) || dns_busy())
		return;
	/* A discovery may add checks, a check with followers verifies. */
	for (i = 0; i < nrunning; i++)
		if (running[i].pid != 0 && (running[i].kind == JOB_DISCOVER ||
		    (running[i].kind == JOB_CHECK &&
		    checks[running[i].idx].nfollowers > 0)))
			return;
	/* OpenBSD "stdio proc"; Linux: poll, read, write, kill, wait. */
	sandbox_enter(SB_PARENT_WAIT, NULL);
	*narrowed = 1;
	debug("every child forked");
}

/* How long poll may sleep: until the next deadline or reap. */
static int
poll_wait(void)
{
	int64_t	 soonest = INT64_MAX, wait;
	size_t	 i;

	for (i = 0; i < nrunning; i++) {
		if (running[i].fd == -1) {
			soonest = now_ms() + 5;	/* a child to reap */
			break;
		}
		if (running[i].deadline < soonest)
			soonest = running[i].deadline;
	}
	/* Lookups in flight: the event base is looked at often. */
	if (dns_busy() && soonest > now_ms() + DISCOVERY_POLL_MS)
		soonest = now_ms() + DISCOVERY_POLL_MS;
	wait = soonest - now_ms();
	if (wait < 0)
		wait = 0;
	return wait > 60000 ? 60000 : (int)wait;
}

static void
run_jobs(void)
{
	struct pollfd	*pfd;
	size_t		*which;
	enum job_kind	 kind;
	size_t		 i, q, npfd;
	int		 narrowed = 0, n;

	pfd = xcalloc(opt.jobs, sizeof(*pfd));
	which = xcalloc(opt.jobs, sizeof(*which));
	discs = xcalloc(opt.jobs, sizeof(*discs));
	while (queued(JOB_CHECK) || queued(JOB_DISCOVER) ||
	    queued(JOB_VERIFY) || nrunning > 0 || dns_busy()) {
		start_discoveries();
		run_discoveries();
		while (nrunning < (size_t)opt.jobs && peek(&kind, &q) &&
		    start_job(kind, q))
			queues[kind].head++;
		maybe_narrow(&narrowed);
		for (i = npfd = 0; i < nrunning; i++) {
			if (running[i].fd == -1)
				continue;
			pfd[npfd].fd = running[i].fd;
			pfd[npfd].events = POLLIN;
			pfd[npfd].revents = 0;
			which[npfd++] = i;
		}
		/* Nothing running: a start that failed is retried now. */
		n = poll(pfd, npfd, nrunning > 0 || dns_busy() ?
		    poll_wait() : 0);
		if (n == -1 && errno != EINTR)
			fatal("poll");
		for (i = 0; n > 0 && i < npfd; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				read_job(&running[which[i]]);
		expire_jobs();
		reap_finished();
		print_ready();
	}
	free(pfd);
	free(which);
	free(discs);
}

/*
 * -dnssec-warning: what the RRSIGs under one check come to: its own
 * (the TLSA RRset's, and the chain above it that only the child
 * walked), its host's address RRset's and its target's MX or SRV
 * RRset's, with the chains above their zones that the parent walked.
 * Judged once, when its target is complete.  Only a check that found
 * a secure TLSA RRset has a DANE verdict for these to rest under.
 */
/* f's times into s; with walked, the chains above its zones too. */
static int
add_sig_facts(struct dns_sigs *s, const struct sig_facts *f, int walked,
    char *why, size_t whylen)
{
	size_t		 i;
	int		 whole = 1;

	if (f == NULL)
		return 1;
	sigs_add_facts(s, &f->first, &f->newest);
	if (f->why[0] != '\0' && why[0] == '\0')
		strlcpy(why, f->why, whylen);
	for (i = 0; walked && i < f->nzones; i++)
		if (!sigs_chain(f->zones[i], s, why, whylen))
			whole = 0;
	return whole;
}

/* 1 once every fact of the check is in (the parent's walks done). */
static int
check_sigs(const struct target *t, const struct check *c,
    struct dns_sigs *s, char *why, size_t whylen)
{
	const struct hostinfo	*h = find_host(t, c->host);
	int			 whole;

	memset(s, 0, sizeof(*s));
	why[0] = '\0';
	whole = add_sig_facts(s, c->rep.sigs, 0, why, whylen);
	if (h != NULL && !add_sig_facts(s, h->sigs[c->spec.addr.ss_family ==
	    AF_INET6], 1, why, whylen))
		whole = 0;
	if (!add_sig_facts(s, t->sigs, 1, why, whylen))
		whole = 0;
	return whole;
}

static void
judge_sigs(const struct target *t, struct check *c)
{
	struct dns_sigs	 s;
	char		 why[MAX_TEXT], text[MAX_TEXT];
	struct report	*rep = &c->rep;

	if (c->sigs_judged || rep->sigs == NULL)
		return;
	c->sigs_judged = 1;
	(void)check_sigs(t, c, &s, why, sizeof(why));
	rep->dnssec.when = s.first.when;
	rep->dnssec.type = s.first.type;
	rep->dnssec.keytag = s.first.keytag;
	rep->dnssec.owner = xstrdup(s.first.owner);
	rep->dnssec.zone = xstrdup(s.first.zone);
	switch (sigs_judge(&s, time(NULL), opt.dnssec_window, text,
	    sizeof(text))) {
	case -1:
		if (rep->result == R_VERIFIED || rep->result == R_VERIFIED_WARN)
			report_set(rep, R_DNS_BOGUS, "%s", text);
		else
			strlist_add(&rep->warns, &rep->nwarns, xstrdup(text));
		break;
	case 1:
		strlist_add(&rep->warns, &rep->nwarns, xstrdup(text));
		break;
	}
	if (why[0] != '\0')
		strlist_add(&rep->warns, &rep->nwarns, xprintf("DNSSEC "
		    "signature times not all known: %s", why));
}

/* A target is complete once the walks its checks rest on are done. */
static int
sigs_ready(const struct target *t)
{
	struct dns_sigs	 s;
	char		 why[MAX_TEXT];
	size_t		 i;

	for (i = 0; i < t->nchecks; i++)
		if (checks[t->checks[i]].rep.sigs != NULL &&
		    !checks[t->checks[i]].sigs_judged &&
		    !check_sigs(t, &checks[t->checks[i]], &s, why, sizeof(why)))
			return 0;
	return 1;
}

/* Targets are printed in input order, each once it is complete. */
static int
target_complete(const struct target *t)
{
	size_t	 i;

	if (!t->discovered)
		return 0;
	for (i = 0; i < t->nchecks; i++)
		if (!checks[t->checks[i]].rep.done)
			return 0;
	return sigs_ready(t);
}

static void
print_ready(void)
{
	struct target	*t;
	size_t		 i;

	while (next_to_print < ntargets &&
	    target_complete(&targets[next_to_print])) {
		t = &targets[next_to_print++];
		for (i = 0; i < t->nchecks; i++)
			judge_sigs(t, &checks[t->checks[i]]);
		output_target(t);
	}
}

/* Colour on a terminal, unless NO_COLOR is set and not empty
 * (no-color.org) or the terminal is TERM=dumb. */
static int
want_color(void)
{
	const char	*nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (!isatty(STDOUT_FILENO) || (nc != NULL && *nc != '\0'))
		return 0;
	return term == NULL || strcmp(term, "dumb") != 0;
}

/* Each port once: a million targets on port 25 are one rule. */
static void
add_port(uint16_t *ports, size_t *n, uint16_t port)
{
	static uint8_t	 seen[65536];

	if (seen[port])
		return;
	seen[port] = 1;
	ports[(*n)++] = port;
}

/*
 * Every running child holds a pipe in the parent: fit -j to the
 * descriptor limit (raised to its hard limit first), leaving room for
 * libunbound's sockets and the standard streams.
 */
#define FD_RESERVE	32

static void
fit_jobs_to_limits(void)
{
	struct rlimit	 rl;
	rlim_t		 room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	room = rl.rlim_cur > 2 * FD_RESERVE ? rl.rlim_cur - FD_RESERVE : 
	    FD_RESERVE;
	if ((rlim_t)opt.jobs > room) {
		debug("-j %d lowered to %llu: %llu file descriptors allowed",
		    opt.jobs, (unsigned long long)room,
		    (unsigned long long)rl.rlim_cur);
		opt.jobs = room;
	}
}

int
main(int argc, char *argv[])
{
	struct cmdline	 cl;
	struct sandbox_net net;
	char		 why[MAX_TEXT], errbuf[512], *text;
	uint16_t	*ports, *dnsports;
	size_t		 i, len, nports, ndns;
	int64_t		 start = now_ms();

	/* libtls's handshake reads /etc/localtime: no child may. */
	tzset();
	signal(SIGPIPE, SIG_IGN);
	memset(&cl, 0, sizeof(cl));
	opt.port = 25;
	opt.helo = "smtpdane.invalid";
	opt.connect_timeout = 10;
	opt.timeout = 30;
	opt.warn_window = 168 * 3600;
	opt.dnssec_window = 3 * 86400;
	opt.jobs = DEFAULT_JOBS;
	use_color = want_color();
	parse_command_line(argc, argv, &cl);
	fit_jobs_to_limits();
	if (opt.nagios || opt.json)
		use_color = 0;
	parent_fatal_hook = fatalx;
	sandbox_init(opt.debug);
	sandbox_allow_read(cl.anchor_file);
	sandbox_allow_read(cl.target_file);
	for (i = 0; i < cl.nstaged; i++)
		sandbox_allow_read(cl.staged[i]);
	/* OpenBSD "stdio rpath inet proc id getpw", unveil: these files;
	 * Linux: read-only open of them, setuid calls, fork, sockets. */
	sandbox_enter(SB_PARENT_START, NULL);

	load_dns_config(cl.anchor_file);
	for (i = 0; i < cl.ntargets; i++)
		add_target(cl.targets[i], 0);
	if (cl.target_file != NULL) {
		if (read_whole_file(cl.target_file, &text, &len, errbuf,
		    sizeof(errbuf)) == -1)
			setup_error("-f: %s", errbuf);
		target_file = strcmp(cl.target_file, "-") == 0 ?
		    "(stdin)" : cl.target_file;
		add_targets_from_text(text);
		free(text);
	}
	if (ntargets == 0)
		setup_error("no target found in %s", cl.target_file);
	load_staged(&cl);
	setup_tls();
	if ((ubctx = dns_context(&dnscfg, errbuf, sizeof(errbuf))) == NULL)
		setup_error("DNS set-up: %s", errbuf);
	if ((evctx = dns_event_context(&dnscfg, errbuf, sizeof(errbuf))) ==
	    NULL)
		setup_error("DNS set-up: %s", errbuf);
	/* Root no more, before the first packet. */
	if (priv_drop(opt.allow_root, errbuf, sizeof(errbuf)) == -1)
		setup_error("%s", errbuf);

	/* From here on: no files; DNS, SMTP ports, children. */
	nports = 0;
	ports = xcalloc(dnscfg.nresolvers + ntargets, sizeof(*ports));
	for (i = 0; i < dnscfg.nresolvers; i++)
		add_port(ports, &nports, dnscfg.resolver_ports[i]);
	for (i = 0; i < ntargets; i++)
		/* SRV records name ports we do not know yet. */
		add_port(ports, &nports, targets[i].disc.mode == DISC_SRV &&
		    !targets[i].disc.port_given ? SANDBOX_ANY_PORT :
		    targets[i].port);
	net.ports = ports;
	net.nports = nports;
	/* -all-ns: TCP to the authoritative servers' port too (a
	 * truncated answer), whatever the resolvers' ports are. */
	dnsports = xcalloc(dnscfg.nresolvers + 1, sizeof(*dnsports));
	for (ndns = 0; ndns < dnscfg.nresolvers; ndns++)
		dnsports[ndns] = dnscfg.resolver_ports[ndns];
	if (opt.all_ns)
		dnsports[ndns++] = AUTH_DNS_PORT;
	sandbox_dns_ports(dnsports, ndns);
	free(dnsports);
	/* OpenBSD "stdio inet proc"; Linux: no files, fork, kill, wait,
	 * sockets, TCP connect only to the DNS and these SMTP ports. */
	sandbox_enter(SB_PARENT_RUN, &net);
	free(ports);

	running = xcalloc(opt.jobs, sizeof(*running));
	for (i = 0; i < ntargets; i++)
		if (!targets[i].discovered)
			enqueue(JOB_DISCOVER, i);
	/* No query at all when every target was refused already. */
	if (queued(JOB_DISCOVER) && prime_validation(why, sizeof(why)) == -1) {
		queues[JOB_DISCOVER].head = queues[JOB_DISCOVER].n;
		for (i = 0; i < ntargets; i++)
			if (!targets[i].discovered) {
				targets[i].discovered = 1;
				add_verdict(&targets[i], R_DNS_FAILURE, "%s",
				    why);
			}
	}
	output_init(1);
	run_jobs();
	print_ready();
	return output_finish(now_ms() - start, gave_up);
}
