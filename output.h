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
 * The result model and its renderers.
 *
 * The parent (report.c) fills the model from its children's reports:
 * targets, each with what its discovery found (struct report, the MX or
 * SRV hosts, their warnings) and the checks it led to, one per (host,
 * address, port), each with its TLSA outcomes, chain, TLS facts,
 * warnings and verdict.  Every output mode is a renderer of that model
 * (output.c chooses one from the options, once): output_text.c (text,
 * -terse, -quiet), output_json.c (-json) and output_nagios.c (-nagios).
 * The exit status is computed from the same model (output_finish()).
 *
 * Text in the model: what a child sent was escaped on arrival (vis(3)
 * style, report.c's get_text()); what the user supplied (targets, file
 * names) is kept as written and each renderer escapes it.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdio.h>

struct tlsa_line {
	uint32_t	 usage, selector, mtype;
	char		*hex;
	int		 usable, matched, depth;
	char		*text;
	uint8_t		*data;		/* whole, for a verify child */
	size_t		 len;
};

struct cert_line {
	int		 depth;
	char		*subject, *issuer, *names, *spki, *pem;
	time_t		 not_before, not_after;
};

/* -staged: the RRset as published, judged against one staged file. */
struct staged_line {
	char		*file;
	int		 safe, bare_key;
	char		*reason;
	char		*records;	/* to add, "\n" between; "" when safe */
	uint32_t	 ttl;		/* of the TLSA RRset, seconds */
};

/* -all-keys: one probe a key type (MSG_PROBE). */
struct probe_line {
	uint32_t	 key;		/* enum key_type */
	uint32_t	 state;		/* enum probe_state */
	char		*tls_version, *tls_cipher;
	char		*leaf_spki;	/* SHA2-256 hex, "" unless done */
	enum result	 result;	/* DANE verdict, or what failed */
	char		*reason;
	char		*pem;		/* raw, for a verify child */
	size_t		 pemlen;
};

/* -dnssec-warning: the RRSIG times of one MSG_SIGS (struct sig_fact:
 * smtpdane.h), kept small. */
struct sig_facts {
	struct sig_fact	 first;		/* the RRset that fails first */
	struct sig_fact	 bad;		/* when != 0: one out of its window */
	int		 bad_future;	/* ...not yet valid, else expired */
	char		*zones[SIG_MAX_ZONES];	/* signers: the parent
					   walks the chains above them */
	size_t		 nzones;
	char		*why;		/* "" or why the chain is not whole */
};

/* -all-ns: one authoritative server of the TLSA RRset's zone (MSG_NS). */
struct ns_line {
	char		*zone, *name;
	char		*addr;		/* "" when the name has none */
	uint32_t	 state;		/* enum ns_state */
	int		 has_serial;
	uint32_t	 serial;	/* SOA serial, if has_serial */
	time_t		 sig_expire;	/* of its TLSA RRSIGs, 0: unknown */
	char		*reason;
};

struct report {
	int		 done;
	enum result	 result;
	char		*reason;
	enum stage	 stage;
	char		**details;
	size_t		 ndetails;
	char		**warns;
	size_t		 nwarns;
	struct tlsa_line *tlsa;
	size_t		 ntlsa;
	struct cert_line *certs;
	size_t		 ncerts;
	char		*tls_version, *tls_cipher, *sni;
	enum ocsp_staple ocsp;		/* MSG_TLS, when tls_version is set */
	char		*ocsp_url;	/* the leaf's responder, or "" */
	struct ocsp_verdict *ocspv;	/* MSG_OCSP: what the staple says,
					   or NULL (1 KB: not in every
					   report) */
	char		*base;		/* TLSA base domain the child chose */
	char		*chain;		/* MSG_CHAIN: as presented, or NULL */
	size_t		 chainlen;
	char		*smtp_err;	/* MSG_CHAIN: after TLS, or "" */
	size_t		 nwarns_own;	/* added by the parent, not shared */
	size_t		 nwarns_pre;	/* warnings before verification */
	size_t		 ndetails_pre;	/* details before verification */
	struct staged_line *staged;	/* MSG_STAGED, one per -staged */
	size_t		 nstaged;
	uint32_t	 tlsa_ttl;	/* from MSG_STAGED, for a follower */
	struct probe_line *probes;	/* MSG_PROBE, -all-keys */
	size_t		 nprobes;
	struct sig_facts *sigs;		/* MSG_SIGS of the TLSA RRset */
	struct sig_fact	 dnssec;	/* of all RRSIGs the verdict rests
					   on, the first to expire (when 0:
					   not judged) */
	struct ns_line	*ns;		/* MSG_NS, -all-ns */
	size_t		 nns;
	char		*ns_fail;	/* MSG_NS_VERDICT: "" or why */
	int64_t		 started, ended;
};

struct check {
	struct check_spec *spec;	/* NULL once let go of (print.c) */
	char		*key;		/* see check_key() */
	char		*conn_key;	/* host, address, port: see leader */
	size_t		 leader;	/* the check whose connection this
					   one shares, or SIZE_MAX */
	size_t		*followers;	/* checks sharing this connection */
	size_t		 nfollowers;
	int		 finished;	/* its own child, if any, is done */
	int		 clean_end;	/* ...after its final message, and
					   not for an internal error */
	char		*host;
	struct report	 rep;
	int		 counted;	/* in the tally (once, however often
					   it is printed) */
	int		 sigs_judged;	/* -dnssec-warning, once */
	size_t		 nunprinted;	/* targets that list it, not
					   printed yet */
};

/* What discovery said of one host (MSG_HOST). */
struct hostinfo {
	char		*host;
	uint16_t	 port;
	char		*canon;		/* "" unless an alias */
	int		 cname_secure;
	char		*names[MAX_NAMES];
	size_t		 nnames;
	char		*warning;	/* "" or about this host */
	struct sig_facts *sigs[2];	/* its A and AAAA RRsets */
};

struct target {
	char		*spec;		/* as given, raw */
	struct discover_spec disc;
	struct hostinfo	*hosts;
	size_t		 nhosts;
	char		*host;		/* raw when the target is unusable */
	uint16_t	 port;
	int		 lineno;	/* in the -f file, or 0 */
	size_t		*checks;	/* indices into checks[] */
	size_t		 nchecks, checks_cap;
	struct report	 rep;		/* discovery, and target-wide failure */
	int		 has_dnssec;	/* MSG_DNSSEC came: */
	enum dns_security dnssec;	/* the MX or SRV RRset's state */
	struct sig_facts *sigs;		/* the MX or SRV RRset's RRSIGs */
	int		 discovered;
	int		 printed;
};

/* The model: opt in smtpdane.c, targets in targets.c, checks in checks.c. */
extern struct options	 opt;
extern struct target	*targets;
extern size_t		 ntargets;
extern struct check	*checks;
extern size_t		 nchecks;

/* What the whole run came to, counted as targets are printed. */
struct summary {
	size_t		 targets, targets_failed, targets_warned;
	size_t		 checks, verified, warned, failed, internal;
	size_t		 domain_warnings;	/* discovery warnings */
	char		 first_bad[MAX_TEXT];	/* escaped, for a status */
	char		 first_warn[MAX_TEXT];
	int		 cert_days_known;	/* earliest expiry in a */
	long long	 cert_left;		/* verified chain: seconds */
	long long	 cert_days;		/* and days left */
	size_t		 staged, staged_unsafe;	/* -staged judgments */
	size_t		 keys_checked, keys_failed;	/* -all-keys probes */
	int		 dnssec_known;		/* earliest RRSIG expiry */
	long long	 dnssec_left, dnssec_days;	/* of all checks */
	size_t		 ns_checked, ns_differ, ns_failed;	/* -all-ns */
	int64_t		 elapsed_ms;
	const char	*gave_up;	/* "" or why work was left unchecked */
};

/*
 * A renderer: begin once, target() once per target in input order as
 * each completes, finish() at the end.  A renderer writes to stdout
 * only; output.c owns stderr (summary, progress).
 */
struct output {
	void	(*begin)(void);
	void	(*target)(const struct target *, const struct summary *);
	void	(*finish)(const struct summary *, int);
};

extern const struct output text_output, json_output, nagios_output;

/* smtpdane.c */
__dead void fatal(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2)));
__dead void fatalx(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2)));

/* output.c */
void	 output_init(int);
void	 output_target(const struct target *);
void	 output_progress(size_t, size_t);
int	 output_finish(int64_t, const char *);
int	 output_nagios_state(const struct summary *);
void	 check_output(void);
enum result final_result(const struct check *);
const struct check *target_check(const struct target *, size_t);
void	 format_header(const struct check *, char *, size_t);
char	*esc(const char *);
char	*nagios_safe(char *);
const char *ocsp_text(const struct report *);
const char *ocsp_word(const struct report *);
int	 ocsp_shown(const struct check *);
void	 format_ttl(uint32_t, char *, size_t);
int	 probe_ok(const struct probe_line *);
void	 format_probe(const struct probe_line *, char *, size_t);
void	 format_dnssec(const struct report *, char *, size_t);
long long dnssec_days(int64_t);
void	 format_ns(const struct ns_line *, char *, size_t);
extern int use_color;

/* output_text.c */
void	 print_check_line(const struct check *, int);
void	 print_ocsp_line(const struct check *);
void	 print_ns(const struct check *, int, int);
int	 tlsa_published(const struct report *, int, const char *);
void	 tlsa_suggestion(const struct check *, size_t, char *, size_t);

/* output_json.c */
void	 json_put_string(FILE *, const char *);


/* options.c: the command line */
#define MAX_JOBS	512	/* -j */
#define MAX_STAGED	8	/* -staged files */

struct cmdline {
	const char	*staged[MAX_STAGED];
	size_t		 nstaged;
	const char	*anchor_file;
	const char	*target_file;
	char		**targets;
	size_t		 ntargets;
};

extern enum discover_mode disc_mode;
extern const char	*disc_service;

void	 parse_command_line(int, char *[], struct cmdline *);
__dead void usage_error(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2)));
__dead void setup_error(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2)));

#endif /* OUTPUT_H */
