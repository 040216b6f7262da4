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
 * The parent's command line: the option table that getopt_long_only(3)
 * and -help share, the checks that options agree, usage and set-up
 * errors.  What it decides goes to opt (output.h) and struct cmdline.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smtpdane.h"
#include "output.h"

enum discover_mode	 disc_mode = DISC_HOST;
const char		*disc_service;
static uint16_t		 mode_port;	/* the mode's default port */
static int		 port_option;	/* -port was given */

/*
 * Command line: getopt_long_only(3), so that the Go tool's single-dash
 * words work (-port 25, -tls-on-connect), double dashes and
 * --port=25 too, single letters bundle (-qm), and "--" ends options.
 * One table gives getopt its options and -help its lines.
 */
enum opt_id {
	O_PORT = 'p', O_TLS = 'T', O_MX = 'm', O_IPV4 = '4', O_IPV6 = '6',
	O_AKA = 'a', O_HELO = 'H', O_TIMEOUT = 't', O_JOBS = 'j',
	O_FILE = 'f', O_ANCHOR = 'A', O_WARN = 'w', O_QUIET = 'q',
	O_DEBUG = 'd', O_VERSION = 'V', O_HELP = 'h',
	O_SUBMISSION = 256, O_SUBMISSIONS, O_SRV, O_CTIMEOUT, O_OCSP,
	O_TERSE, O_NAGIOS, O_JSON, O_CERTINFO, O_SHOWCERTS, O_TLSA,
	O_NOCOLOR, O_CRITICAL, O_ALLOWROOT, O_STAGED, O_ALLKEYS,
	O_DNSSECWARN, O_ALLNS
};

static const struct option_def {
	const char	*name;
	int		 id;		/* the letter, if it has one */
	const char	*arg;		/* NULL: takes no value */
	const char	*def;		/* the default, or NULL */
	const char	*help;
} options[] = {
	{ "port", O_PORT, "port", "25", "default port: a number, a service "
	    "name, or smtp(25)" },
	{ "tls-on-connect", O_TLS, NULL, NULL, "start TLS at once instead "
	    "of STARTTLS (RFC 8314)" },
	{ "mx", O_MX, NULL, NULL, "targets are mail domains: check every "
	    "MX host" },
	{ "submission", O_SUBMISSION, NULL, NULL, "targets are domains: "
	    "_submission._tcp SRV hosts, port 587" },
	{ "submissions", O_SUBMISSIONS, NULL, NULL, "targets are domains: "
	    "_submissions._tcp SRV hosts, port 465, TLS on connect" },
	{ "srv", O_SRV, "name", NULL, "targets are domains: SRV hosts of "
	    "_name._tcp" },
	{ "4", O_IPV4, NULL, NULL, "IPv4 addresses only" },
	{ "6", O_IPV6, NULL, NULL, "IPv6 addresses only" },
	{ "aka", O_AKA, "name", NULL, "also accept name in DANE-TA leaf "
	    "name checks (repeatable)" },
	{ "helo", O_HELO, "name", "smtpdane.invalid", "the EHLO name" },
	{ "connect-timeout", O_CTIMEOUT, "duration", "10s", "TCP connect "
	    "time limit" },
	{ "timeout", O_TIMEOUT, "duration", "30s", "time limit of each "
	    "check of a (host, address, port)" },
	{ "jobs", O_JOBS, "jobs", "48", "checks running at once (fitted to "
	    "the descriptor limit)" },
	{ "file", O_FILE, "file", NULL, "read targets from file, one a "
	    "line ('-': standard input)" },
	{ "trust-anchor", O_ANCHOR, "file", "built-in root KSKs", "DS or "
	    "DNSKEY records (zone-file text) to validate with" },
	{ "expiration-warning", O_WARN, "duration", "168h", "warn when a "
	    "chain certificate expires within duration (bare number: days; "
	    "0: off)" },
	{ "critical", O_CRITICAL, "duration", "off", "-nagios: CRITICAL "
	    "when a chain certificate expires within duration (bare number: "
	    "days)" },
	{ "dnssec-warning", O_DNSSECWARN, "duration", "3d", "warn when an "
	    "RRSIG the verdict rests on expires within duration (bare "
	    "number: days; 0: off)" },
	{ "staged", O_STAGED, "file", NULL, "also judge the chain, "
	    "certificate or public key (PEM) about to be deployed against "
	    "the published TLSA RRset (repeatable)" },
	{ "all-keys", O_ALLKEYS, NULL, NULL, "also probe with ECDSA-only and "
	    "RSA-only TLS 1.2 cipher suites; every chain must match" },
	{ "all-ns", O_ALLNS, NULL, NULL, "compare the TLSA RRset as each "
	    "authoritative server of its zone serves it" },
	{ "expect-ocsp", O_OCSP, NULL, NULL, "a missing OCSP staple is an "
	    "error, one that is not good a warning" },
	{ "quiet", O_QUIET, NULL, NULL, "print nothing unless something is "
	    "wrong" },
	{ "terse", O_TERSE, NULL, NULL, "one line per check and per "
	    "discovery warning" },
	{ "nagios", O_NAGIOS, NULL, NULL, "Nagios plugin output and exit "
	    "status" },
	{ "json", O_JSON, NULL, NULL, "one JSON object per line" },
	{ "show-cert-info", O_CERTINFO, NULL, NULL, "describe each "
	    "certificate of the chain" },
	{ "showcerts", O_SHOWCERTS, NULL, NULL, "print the chain as PEM" },
	{ "tlsa", O_TLSA, NULL, NULL, "print TLSA records that match the "
	    "presented chain, as zone-file lines" },
	{ "nocolor", O_NOCOLOR, NULL, NULL, "no colour, even on a "
	    "terminal" },
	{ "allow-root", O_ALLOWROOT, NULL, NULL, "keep running as root "
	    "when no unprivileged user exists" },
	{ "debug", O_DEBUG, NULL, NULL, "say what happens on standard "
	    "error" },
	{ "version", O_VERSION, NULL, NULL, "print the version and exit" },
	{ "help", O_HELP, NULL, NULL, "print this help and exit" },
};

#define NOPTIONS	(sizeof(options) / sizeof(options[0]))


static void
print_usage(FILE *f)
{
	fprintf(f,
	    "usage: smtpdane [-46dhmqTV] [-A file] [-a name] [-f file] "
	    "[-H name] [-j jobs]\n"
	    "                [-p port] [-t duration] [-w duration] "
	    "[-allow-root]\n"
	    "                [-connect-timeout duration] "
	    "[-critical duration]\n"
	    "                [-dnssec-warning duration] [-expect-ocsp]\n"
	    "                [-json | -nagios | -terse] [-nocolor] "
	    "[-show-cert-info]\n"
	    "                [-showcerts] [-srv name | -submission | "
	    "-submissions]\n"
	    "                [-all-keys] [-all-ns] [-staged file] [-tlsa] "
	    "target ...\n"
	    "       smtpdane [options] -f file [target ...]\n");
}

/* -help: every option, its value, its default and what it does. */
static void
print_help(void)
{
	const struct option_def	*o;
	char			 word[64];
	size_t			 i;

	print_usage(stdout);
	printf("\noptions (one dash or two; -name=value works too):\n");
	for (i = 0; i < NOPTIONS; i++) {
		o = &options[i];
		if (o->id < 256 && strlen(o->name) > 1)
			snprintf(word, sizeof(word), "-%s, -%c%s%s", o->name,
			    o->id, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(word, sizeof(word), "-%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %s\n        %s", word, o->help);
		if (o->def != NULL)
			printf(" (default %s)", o->def);
		putchar('\n');
	}
	printf("\ndurations: 10s, 1h30m, 168h, 7d; environment: "
	    "DNS_RESOLVER=ip[:port],...\n");
}

__dead void
usage_error(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[MAX_TEXT], *v;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The words come from the user: no control byte goes out raw. */
	if ((v = vis_text(msg, strlen(msg))) == NULL)
		fatalx("out of memory");
	fprintf(stderr, "smtpdane: %s\n", v);
	if (opt.nagios)
		printf("DANE UNKNOWN - smtpdane: %s\n", nagios_safe(v));
	free(v);
	print_usage(stderr);
	exit(opt.nagios ? 3 : 2);
}

/* Setup errors exit 2, or UNKNOWN (3) for a Nagios plugin. */
__dead void
setup_error(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (opt.nagios)
		printf("DANE UNKNOWN - %s\n", nagios_safe(msg));
	fprintf(stderr, "smtpdane: %s\n", msg);
	exit(opt.nagios ? 3 : 2);
}

static time_t
option_duration(const char *name, const char *value, int zero_ok)
{
	time_t	 t;

	if (parse_duration(value, &t) == -1)
		usage_error("-%s: bad duration \"%s\" (use e.g. 30s, 1h30m, "
		    "7d)", name, value);
	if (!zero_ok && t == 0)
		usage_error("-%s: must be longer than 0", name);
	return t;
}

/* Discovery modes exclude each other; each brings its default port. */
static void
set_mode(enum discover_mode mode, const char *service, uint16_t port,
    int tls)
{
	static char	 buf[80];

	if (disc_mode != DISC_HOST)
		usage_error("-mx, -submission, -submissions and -srv exclude "
		    "each other");
	disc_mode = mode;
	if (service != NULL) {
		strlcpy(buf, service, sizeof(buf));
		disc_service = buf;
	}
	if (port != 0)
		mode_port = port;
	if (tls)
		opt.tls_on_connect = 1;
}

/* -srv NAME: "submission" or "_submission._tcp". */
static void
set_srv_service(const char *v)
{
	char	 service[80];
	size_t	 len = strlen(v);

	if (len > 2 && v[0] == '_' && len > 6 &&
	    strcmp(v + len - 5, "._tcp") == 0)
		strlcpy(service, v, sizeof(service));
	else if (snprintf(service, sizeof(service), "_%s._tcp", v) >=
	    (int)sizeof(service))
		usage_error("-srv: name too long");
	if (!valid_hostname(service) || strchr(service, '.') !=
	    strrchr(service, '.'))
		usage_error("-srv: bad service name \"%s\" (e.g. "
		    "submission, or _submission._tcp)", v);
	set_mode(DISC_SRV, service, 0, 0);
}

/* -port: a number, a service name, or the Go tool's "smtp(25)". */
static uint16_t
option_port(const char *v)
{
	const char	*open, *errstr;
	char		 num[8];
	size_t		 len = strlen(v);
	long long	 n;

	if ((open = strchr(v, '(')) != NULL && len > 2 && v[len - 1] == ')' &&
	    (size_t)(v + len - 1 - (open + 1)) < sizeof(num)) {
		memcpy(num, open + 1, v + len - 1 - (open + 1));
		num[v + len - 1 - (open + 1)] = '\0';
		n = strtonum(num, 1, 65535, &errstr);
		return errstr == NULL ? n : 0;
	}
	return parse_port(v);
}

/* -w and -critical: a bare number is days, as plugin users expect. */
static time_t
option_days(const char *name, const char *v)
{
	char	 buf[64];

	if (*v != '\0' && strspn(v, "0123456789.") == strlen(v) &&
	    snprintf(buf, sizeof(buf), "%sd", v) < (int)sizeof(buf))
		return option_duration(name, buf, 1);
	return option_duration(name, v, 1);
}

static void
apply_option(const struct option_def *o, const char *v, struct cmdline *cl)
{
	const char	*errstr;

	if (o->arg != NULL && *v == '\0')
		usage_error("-%s: empty value", o->name);
	switch (o->id) {
	case O_PORT:
		if ((opt.port = option_port(v)) == 0)
			usage_error("-port: bad port \"%s\"", v);
		port_option = 1;
		break;
	case O_TLS:
		opt.tls_on_connect = 1;
		break;
	case O_MX:
		set_mode(DISC_MX, NULL, 0, 0);
		break;
	case O_SUBMISSION:
		set_mode(DISC_SRV, "_submission._tcp", 587, 0);
		break;
	case O_SUBMISSIONS:
		/* RFC 8314: implicit TLS. */
		set_mode(DISC_SRV, "_submissions._tcp", 465, 1);
		break;
	case O_SRV:
		set_srv_service(v);
		break;
	case O_IPV4:
		opt.family = opt.family == AF_INET6 ? -1 : AF_INET;
		break;
	case O_IPV6:
		opt.family = opt.family == AF_INET ? -1 : AF_INET6;
		break;
	case O_AKA:
		/* A leading dot would make X509_check_host() match any
		 * subdomain: only plain host names are reference ids. */
		if (!valid_hostname(v))
			usage_error("-aka: \"%s\" is not a host name", v);
		if (opt.naka >= MAX_NAMES - 2)
			usage_error("-aka: at most %d names", MAX_NAMES - 2);
		opt.aka[opt.naka++] = v;
		break;
	case O_HELO:
		if (strcspn(v, " \t\r\n") != strlen(v) || strlen(v) > 255)
			usage_error("-helo: bad name \"%s\"", v);
		opt.helo = v;
		break;
	case O_CTIMEOUT:
		opt.connect_timeout = option_duration(o->name, v, 0);
		break;
	case O_TIMEOUT:
		opt.timeout = option_duration(o->name, v, 0);
		break;
	case O_WARN:
		opt.warn_window = option_days(o->name, v);
		break;
	case O_CRITICAL:
		opt.crit_window = option_days(o->name, v);
		break;
	case O_DNSSECWARN:
		opt.dnssec_window = option_days(o->name, v);
		break;
	case O_JOBS:
		opt.jobs = strtonum(v, 1, MAX_JOBS, &errstr);
		if (errstr != NULL)
			usage_error("-jobs: %s is %s (1 to %d)", v, errstr,
			    MAX_JOBS);
		break;
	case O_FILE:
		cl->target_file = v;
		break;
	case O_ANCHOR:
		cl->anchor_file = v;
		break;
	case O_ALLKEYS:
		opt.all_keys = 1;
		break;
	case O_ALLNS:
		opt.all_ns = 1;
		break;
	case O_OCSP:
		opt.expect_ocsp = 1;
		break;
	case O_QUIET:
		opt.quiet = 1;
		break;
	case O_TERSE:
		opt.terse = 1;
		break;
	case O_NAGIOS:
		opt.nagios = 1;
		break;
	case O_JSON:
		opt.json = 1;
		break;
	case O_CERTINFO:
		opt.show_cert_info = 1;
		break;
	case O_SHOWCERTS:
		opt.showcerts = 1;
		break;
	case O_TLSA:
		opt.show_tlsa = 1;
		break;
	case O_NOCOLOR:
		use_color = 0;
		break;
	case O_DEBUG:
		opt.debug = 1;
		break;
	case O_VERSION:
		printf("smtpdane %s\n", SMTPDANE_VERSION);
		check_output();
		exit(0);
	case O_HELP:
		print_help();
		check_output();
		exit(0);
	case O_ALLOWROOT:
		opt.allow_root = 1;
		break;
	case O_STAGED:
		if (cl->nstaged == MAX_STAGED)
			usage_error("-staged: at most %d files", MAX_STAGED);
		cl->staged[cl->nstaged++] = v;
		break;
	}
}

static const struct option_def *
option_by_id(int id)
{
	size_t	 i;

	for (i = 0; i < NOPTIONS; i++)
		if (options[i].id == id)
			return &options[i];
	return NULL;
}

void
parse_command_line(int argc, char *argv[], struct cmdline *cl)
{
	static struct option	 longopts[NOPTIONS + 1];
	const struct option_def	*o;
	char			 letters[3 * NOPTIONS + 2], *p = letters;
	const char		*word;
	size_t			 i;
	int			 ch, modes;

	/* -nagios changes how usage errors are reported: find it first. */
	for (i = 1; i < (size_t)argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-nagios") == 0 ||
		    strcmp(argv[i], "--nagios") == 0)
			opt.nagios = 1;
	*p++ = ':';
	for (i = 0; i < NOPTIONS; i++) {
		longopts[i].name = options[i].name;
		longopts[i].has_arg = options[i].arg != NULL ?
		    required_argument : no_argument;
		longopts[i].val = options[i].id;
		if (options[i].id < 256) {
			*p++ = options[i].id;
			if (options[i].arg != NULL)
				*p++ = ':';
		}
	}
	*p = '\0';
	opterr = 0;
	while ((ch = getopt_long_only(argc, argv, letters, longopts,
	    NULL)) != -1) {
		word = argv[optind - 1];
		if (ch == '?' || ch == ':') {
			if (optopt != 0 && (optopt >= 256 ||
			    strncmp(word, "--", 2) == 0 || strlen(word) > 2))
				o = option_by_id(optopt);
			else
				o = NULL;
			if (ch == ':' && o != NULL)
				usage_error("-%s needs a value", o->name);
			if (ch == ':')
				usage_error("-%c needs a value", optopt);
			if (optopt != 0 && o == NULL)
				usage_error("unknown option -%c", optopt);
			usage_error("unknown option %s", word);
		}
		if ((o = option_by_id(ch)) == NULL)
			usage_error("unknown option %s", word);
		apply_option(o, optarg, cl);
	}
	modes = opt.json + opt.nagios + opt.terse;
	if (modes > 1)
		usage_error("-json, -nagios and -terse exclude each other");
	if (opt.nagios && opt.quiet)
		usage_error("-nagios and -quiet exclude each other");
	if (opt.family == -1)
		usage_error("-4 and -6 exclude each other");
	if (mode_port != 0 && !port_option)
		opt.port = mode_port;
	cl->targets = argv + optind;
	cl->ntargets = argc - optind;
	if (cl->ntargets == 0 && cl->target_file == NULL)
		usage_error("no target given");
}
