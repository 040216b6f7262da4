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
 * main() of the parent, straight through: the options, the files read
 * while files may be (trust anchors, resolv.conf, -f, -staged), libtls
 * and libunbound set up before any fork, root dropped, the sandbox
 * stages of the set-up, the validation chain primed; then the job loop
 * (jobs.c) and the exit status (output.c).  Also the parent's one way
 * out, fatal()/fatalx(), and the allocation helpers that end there.
 * parent.h lists the parent's other files.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

#define DEFAULT_JOBS	48
#define AUTH_DNS_PORT	53	/* -all-ns: authoritative servers */

struct options		 opt;
struct dns_config	 dnscfg;
struct tls_config	*tlscfg;
struct tls_config	*probecfg[KEY__MAX];	/* -all-keys */
struct staged_file	 staged[MAX_STAGED];
size_t			 nstaged;
struct ub_ctx		*ubctx;		/* the parent's, copied by the forker */

void
debug(const char *fmt, ...)
{
	char	 line[MAX_TEXT];
	va_list	 ap;

	if (!opt.debug)
		return;
	/* One write: the forker's lines come between the parent's. */
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "debug: %s\n", line);
}

/*
 * The parent's one way out when it cannot go on: every child is killed
 * and reaped, and the exit status says "internal error" (2), or UNKNOWN
 * (3) with a status line for a Nagios plugin.
 */
static pid_t	 parent_pid;	/* fatal() in the forker is its own */

static void
kill_children(void)
{
	size_t	 i;

	for (i = 0; i < nrunning; i++)
		if (running[i].pid != 0 && !by_forker(&running[i]))
			kill(running[i].pid, SIGKILL);
	for (i = 0; i < nrunning; i++)
		if (running[i].pid != 0 && !by_forker(&running[i]))
			while (waitpid(running[i].pid, NULL, 0) == -1 &&
			    errno == EINTR)
				;
	/* The forker kills and reaps its own, then ends. */
	forker_end();
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
	/* Not the parent (the forker): no report, no children of the
	 * parent's to kill; the parent sees it end and says so. */
	if (getpid() != parent_pid) {
		fprintf(stderr, "smtpdane[%ld]: %s\n", (long)getpid(), msg);
		_exit(2);
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

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		fatalx("out of memory");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		fatalx("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatalx("out of memory");
	return p;
}

char *
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

void
strlist_add(char ***list, size_t *n, char *s)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = s;
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
	parent_pid = getpid();
	forker_prepare();
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
	/* OpenBSD "stdio rpath inet proc id getpw sendfd recvfd", unveil:
	 * these files; Linux: read-only open of them, setuid calls, fork,
	 * sockets. */
	sandbox_enter(SB_PARENT_START, NULL);

	load_dns_config(cl.anchor_file);
	sigs_anchors(&dnscfg);
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
	if ((ubctx = dns_event_context(&dnscfg, errbuf, sizeof(errbuf))) ==
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
	/* OpenBSD "stdio inet proc sendfd recvfd"; Linux: no files, fork,
	 * kill, wait, sockets, TCP connect only to the DNS and these SMTP
	 * ports, and the forker's descriptors. */
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
	/* After the priming, which its children inherit. */
	forker_begin();
	output_init(1);
	run_jobs();
	print_ready();
	return output_finish(now_ms() - start, gave_up);
}
