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
 * One header for every enum, structure and prototype shared between
 * the parent (smtpdane.c, parent.h), the DNS layer (dns.c), the trust-anchor
 * reader (anchors.c), the SMTP child (smtp.c), the DANE matcher
 * (dane.c), the OCSP staple judge (ocsp.c), the framing helpers
 * (util.c) and the sandbox (sandbox_*.c).
 */
#ifndef SMTPDANE_H
#define SMTPDANE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

#define SMTPDANE_VERSION	"1.0"

#define MAX_NAMES	16	/* reference identifiers per check */
#define MAX_HOSTNAME	256	/* presentation form, with the NUL */
#define MAX_TEXT	1024	/* one reason or detail line */

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * The verdict of one (host, address, port) check.  Every output form
 * (text, -nagios, -json) prints the same stable name (result_name()).
 */
enum result {
	R_VERIFIED,		/* a usable TLSA record matched, no warning */
	R_VERIFIED_WARN,	/* verified, but something needs attention */
	R_DANE_NA,		/* DANE not in effect: insecure/absent TLSA,
				   insecure address records */
	R_TLSA_UNUSABLE,	/* secure TLSA RRset, no usable record */
	R_TLSA_MISMATCH,	/* no usable record matched the chain */
	R_NAME_MISMATCH,	/* DANE-TA matched, leaf name did not */
	R_CERT_EXPIRED,		/* DANE-TA chain has an expired certificate */
	R_CERT_NOT_YET_VALID,	/* DANE-TA chain has a future certificate */
	R_CHAIN_INVALID,	/* DANE-TA matched, chain does not verify */
	R_DNS_BOGUS,		/* DNSSEC validation failed */
	R_DNS_FAILURE,		/* lookup failed (SERVFAIL, timeout, ...) */
	R_NS_FAILURE,		/* -all-ns: an authoritative server of the
				   TLSA RRset's zone failed or is bogus */
	R_NO_ADDRESS,		/* host has no usable address */
	R_SMTP_ERROR,		/* unexpected or malformed SMTP reply */
	R_STARTTLS_MISSING,	/* server did not offer STARTTLS */
	R_TLS_FAILURE,		/* TLS handshake failed */
	R_CONNECT_FAILURE,	/* TCP connect failed */
	R_TIMEOUT,		/* a deadline passed */
	R_OCSP_MISSING,		/* -expect-ocsp, but no OCSP staple */
	R_OCSP_REVOKED,		/* the stapled OCSP response says revoked */
	R_MX_INSECURE,		/* MX RRset insecure: domain not DANE-safe */
	R_SRV_INSECURE,		/* SRV RRset insecure: likewise */
	R_NULL_MX,		/* the domain accepts no mail (RFC 7505) */
	R_NO_SERVICE,		/* no SRV records, or target "." */
	R_USAGE,		/* the target itself is unusable (literal) */
	R_INTERNAL,		/* smtpdane failed itself (crash, sandbox) */
	R__MAX
};

/*
 * The exit status of a child that could not send its result: the
 * parent's judge_exit() turns each into words (child_exit_text()).
 * A child that reported normally exits 0, even when a check failed.
 */
enum child_exit {
	CHILD_EXIT_OK = 0,
	CHILD_EXIT_SANDBOX = 2,		/* a system call its sandbox refuses
					   (sandbox_linux.c sb_sigsys) */
	CHILD_EXIT_NOMEM = 3,		/* out of memory */
	CHILD_EXIT_SANDBOX_SETUP = 4	/* could not enter its sandbox */
};

/* The stage a check child is in, reported so a timeout can name it. */
enum stage {
	ST_START,
	ST_TLSA,		/* TLSA lookup */
	ST_CONNECT,		/* TCP connect */
	ST_BANNER,		/* waiting for the 220 greeting */
	ST_EHLO,
	ST_STARTTLS,
	ST_HANDSHAKE,
	ST_EHLO_TLS,		/* EHLO again, over TLS */
	ST_VERIFY,		/* DANE verification */
	ST_QUIT,
	ST_DONE,
	ST_DISCOVER,		/* discovery child: MX, SRV, addresses */
	ST_NS,			/* -all-ns: asking each authoritative
				   server, after ST_TLSA */
	ST__MAX
};

/*
 * DNS.  A lookup says what came back (status) and how well it is
 * protected (security); the two are independent: a secure NXDOMAIN
 * differs from an insecure one.
 */
enum dns_status {
	DNS_ANSWER,		/* data for the name and type */
	DNS_NODATA,		/* the name exists, not the type */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_FAILED		/* SERVFAIL, REFUSED, no answer, ... */
};

enum dns_security {
	SEC_SECURE,
	SEC_INSECURE,
	SEC_BOGUS
};

struct dns_rr {
	size_t		 len;
	uint8_t		*data;		/* rdata, wire format */
};

/*
 * An RRSIG of an answer (sigs.c), its 32-bit times made absolute by
 * the serial arithmetic of RFC 4034 section 3.1.5.
 */
struct dns_sig {
	int64_t		 when;		/* expiration; 0: none */
	int64_t		 inception;
	uint32_t	 type;		/* the type it covers */
	uint32_t	 keytag;
	char		 owner[MAX_HOSTNAME];
	char		 zone[MAX_HOSTNAME];	/* its signer */
};

/* The same, kept small for a whole run (the parent's model, sigs.c). */
struct sig_fact {
	int64_t		 when;		/* 0: none */
	int64_t		 inception;
	uint32_t	 type, keytag;
	char		*owner, *zone;
};

#define SIG_MAX_ZONES	4		/* signer zones kept per answer */

/*
 * The RRSIGs of a secure (or bogus) answer: of its RRsets, the one
 * whose signatures run out first, and one with none in its validity
 * window now (sigs.c).
 */
struct dns_sigs {
	struct dns_sig	 first;		/* the RRset that fails first */
	struct dns_sig	 bad;		/* when != 0: an RRset out of its
					   window */
	int		 bad_future;	/* ...not yet valid, else expired */
	char		 zones[SIG_MAX_ZONES][MAX_HOSTNAME];
	size_t		 nzones;	/* distinct signers, in order */
	int		 zones_cut;	/* more than were kept */
};

struct dns_result {
	enum dns_status	 status;
	enum dns_security sec;
	int		 rcode;		/* DNS rcode of the final answer */
	char		 why[MAX_TEXT];	/* why_bogus, or what failed */
	char		 canon[MAX_HOSTNAME];	/* name after CNAMEs, or "" */
	uint32_t	 ttl;
	size_t		 nrr;
	struct dns_rr	*rr;
	struct dns_sigs	 sigs;		/* secure and bogus answers */
};

/* What the parent loads before any sandbox; children inherit it. */
struct dns_config {
	char		**anchors;	/* DS/DNSKEY records, one line each */
	size_t		 nanchors;
	char		**resolvers;	/* "addr" or "addr@port", unbound form */
	size_t		 nresolvers;
	uint16_t	*resolver_ports; /* one per resolver, for the sandbox */
	int		 debug;
	time_t		 timeout;	/* per check; bounds resolver retries */
};

struct ub_ctx;
struct tls_config;

/* anchors.c: trust anchors, as DS/DNSKEY strings for libunbound */
int	 dns_builtin_anchors(struct dns_config *);
int	 dns_parse_anchors(const char *, size_t, struct dns_config *,
	    char *, size_t);

/* dns.c: the libunbound layer */
int	 dns_parse_resolvers(const char *, struct dns_config *,
	    char *, size_t);
int	 dns_parse_resolv_conf(const char *, size_t, struct dns_config *,
	    char *, size_t);
void	 dns_config_free(struct dns_config *);
struct ub_ctx *dns_context(const struct dns_config *, char *, size_t);
void	 dns_lookup(struct ub_ctx *, const char *, int, struct dns_result *);
void	 dns_result_free(struct dns_result *);
const char *dns_status_name(enum dns_status);
const char *dns_security_name(enum dns_security);
const char *dns_type_name(int);
int	 dns_wire_name(const uint8_t *, size_t, size_t, char *, size_t);
int	 dns_pkt_name(const uint8_t *, size_t, size_t *, uint8_t *, size_t *);

/* sigs.c: DNSSEC signature expiry, from the RRSIGs of answers */
enum sig_scope {
	SIG_SCOPE_TARGET,	/* the MX or SRV RRset (discovery) */
	SIG_SCOPE_A,		/* a host's A RRset (discovery) */
	SIG_SCOPE_AAAA,		/* a host's AAAA RRset (discovery) */
	SIG_SCOPE_CHECK,	/* the TLSA RRset and its own chain (check) */
	SIG_SCOPE__MAX
};
struct msgbuf;
void	 msg_put_sigs(struct msgbuf *, enum sig_scope, const char *,
	    const struct dns_sigs *, const char *);
void	 sigs_scan(const uint8_t *, size_t, time_t, struct dns_sigs *);
void	 sigs_merge(struct dns_sigs *, const struct dns_sigs *);
void	 sigs_explain(const struct dns_sigs *, char *, size_t);
void	 sig_describe(const struct dns_sig *, char *, size_t);
void	 sig_from_fact(struct dns_sig *, const struct sig_fact *);
void	 sigs_add_facts(struct dns_sigs *, const struct sig_fact *,
	    const struct sig_fact *, int);
void	 sigs_anchors(const struct dns_config *);	/* before forking */
const char *sigs_anchor_zone(size_t);
void	 sigs_walk(struct ub_ctx *, const char *);	/* the parent */
size_t	 sigs_pending(void);
int	 sigs_chain(const char *, struct dns_sigs *, char *, size_t);
int	 sigs_judge(const struct dns_sigs *, time_t, time_t, char *, size_t);
void	 sigs_walk_sync(struct ub_ctx *, const char *, const char *const *,
	    size_t, struct dns_sigs *, char *, size_t);	/* a child */

/* dns.c: the parent's asynchronous lookups (libunbound's event API) */
struct dns_query;
typedef void (*dns_callback)(void *, struct dns_result *);
struct ub_ctx *dns_event_context(const struct dns_config *, char *, size_t);
struct dns_query *dns_lookup_async(struct ub_ctx *, const char *, int,
	    dns_callback, void *, struct dns_result *);
void	 dns_cancel(struct dns_query *);
void	 dns_event_run(struct ub_ctx *);
size_t	 dns_event_inflight(void);
void	 dns_parse_answer(const uint8_t *, size_t, const char *, int, int,
	    int, const char *, const char *, struct dns_result *);

/*
 * dns.c, for -all-ns (allns.c) in a check child: contexts that ask
 * one authoritative server for one zone (the RRSIGs of each answer are
 * in its dns_result, sigs.c).
 */
struct ub_ctx *dns_stub_context(const struct dns_config *, const char *,
	    const char *, char *, size_t);

#define RR_TYPE_A	1
#define RR_TYPE_NS	2
#define RR_TYPE_CNAME	5
#define RR_TYPE_SOA	6
#define RR_TYPE_MX	15
#define RR_TYPE_AAAA	28
#define RR_TYPE_SRV	33
#define RR_TYPE_DS	43
#define RR_TYPE_RRSIG	46
#define RR_TYPE_NSEC	47
#define RR_TYPE_DNSKEY	48
#define RR_TYPE_NSEC3	50
#define RR_TYPE_TLSA	52

/* The start of a lookup's why when the resolver timed out (dns.c). */
#define DNS_NO_ANSWER	"resolver did not answer"

/*
 * TLSA (RFC 6698).  Records are kept even when unusable, so that the
 * report can name them.
 */
enum { TLSA_PKIX_TA = 0, TLSA_PKIX_EE = 1, TLSA_DANE_TA = 2, TLSA_DANE_EE = 3 };
enum { TLSA_SEL_CERT = 0, TLSA_SEL_SPKI = 1 };
enum { TLSA_MT_FULL = 0, TLSA_MT_SHA256 = 1, TLSA_MT_SHA512 = 2 };

struct tlsa {
	uint8_t		 usage;
	uint8_t		 selector;
	uint8_t		 mtype;
	size_t		 len;
	uint8_t		*data;
};

int	 tlsa_parse(const uint8_t *, size_t, struct tlsa *);
void	 tlsa_free(struct tlsa *);
const char *tlsa_unusable(const struct tlsa *);
void	 tlsa_format(const struct tlsa *, char *, size_t);

/*
 * DANE verification (dane.c): pure functions over a PEM chain as the
 * server sent it, a TLSA RRset and the reference identifiers.
 */
struct dane_cert {
	int		 depth;		/* position in the built chain */
	char		 subject[MAX_TEXT];
	char		 issuer[MAX_TEXT];
	char		 names[MAX_TEXT];	/* DNS SANs, comma separated */
	time_t		 not_before;
	time_t		 not_after;
	char		 spki_sha256[65];	/* hex */
	char		*pem;			/* as presented */
};

struct dane_outcome {			/* one per TLSA record, in order */
	int		 usable;
	int		 matched;	/* the record matched a certificate */
	int		 verified;	/* ...and every check after it passed */
	int		 depth;		/* where it matched, -1 if nowhere */
	enum result	 result;	/* R_VERIFIED or why this one failed */
	char		 text[MAX_TEXT];
};

#define DANE_MAX_WARN	8

struct dane_report {
	enum result	 result;
	char		 reason[MAX_TEXT];
	size_t		 nout;
	struct dane_outcome *out;
	size_t		 ncert;
	struct dane_cert *cert;		/* chain in built order, leaf first */
	size_t		 nwarn;
	char		 warn[DANE_MAX_WARN][MAX_TEXT];
};

struct dane_params {
	const struct tlsa *tlsa;
	size_t		 ntlsa;
	const char	*names[MAX_NAMES];	/* reference identifiers */
	size_t		 nnames;
	time_t		 now;
	time_t		 warn_window;	/* seconds; 0 disables */
};

int	 dane_verify(const char *, size_t, const struct dane_params *,
	    struct dane_report *);
struct x509_st;			/* libcrypto's X509 */
struct asn1_string_st;		/* ...and its ASN1_TIME */
int	 cert_issued_by(struct x509_st *, struct x509_st *);
int	 dane_asn1_time(const struct asn1_string_st *, time_t *);
int	 dane_no_passphrase(char *, int, int, void *);
void	 dane_report_free(struct dane_report *);

/*
 * -staged: a chain, certificate or bare public key about to be
 * deployed, judged against the TLSA RRset as published now.
 */
enum { DANE_PEM_CHAIN, DANE_PEM_KEY };

struct dane_staged {
	int		 safe;		/* the RRset would verify it */
	int		 bare_key;	/* a public key, no certificate */
	enum result	 result;	/* as dane_verify() would say */
	char		 reason[MAX_TEXT];
	char		 leaf_spki[65];	/* SHA2-256 of the leaf's SPKI, hex */
	char		 ta_spki[65];	/* of the top certificate, or "" */
};

struct staged_file {
	const char	*name;		/* as given */
	char		*pem;
	size_t		 len;
};

int	 dane_pem_kind(const char *, size_t);	/* util.c */

/*
 * -all-keys: one extra handshake a key type, TLS 1.2 with cipher
 * suites of that authentication only (smtpdane.1, CAVEATS).
 */
enum key_type { KEY_ECDSA, KEY_RSA, KEY__MAX };
enum probe_state {
	PROBE_DONE,		/* handshake done, chain judged */
	PROBE_NOT_OFFERED,	/* no shared cipher: no such key */
	PROBE_FAILED,		/* timeout or any other failure */
	PROBE__MAX
};

struct key_probe {
	uint32_t	 key;		/* enum key_type */
	uint32_t	 state;		/* enum probe_state */
	enum result	 fail;		/* PROBE_FAILED: what failed */
	char		 err[MAX_TEXT];	/* not offered or failed: why */
	char		 version[32];
	char		 cipher[64];
	char		*pem;		/* PROBE_DONE: the chain presented */
	size_t		 pemlen;
};

/*
 * -all-ns (allns.c): in the check child, after a secure TLSA lookup,
 * the RRset as each authoritative server of its zone serves it.
 */
#define ALLNS_MAX	16	/* (NS name, address) pairs asked */

enum ns_state {
	NS_SAME,		/* serves what the resolvers gave */
	NS_DIFFERS,		/* another TLSA RRset, an older SOA serial
				   or earlier RRSIG expiry: a warning */
	NS_FAILED,		/* no address, no answer, an error, bogus:
				   the check's result is ns-failure */
	NS__MAX
};

struct allns_params {
	int		 out;		/* the parent's pipe */
	struct msgbuf	*mb;
	struct ub_ctx	*ctx;		/* the check's context */
	const struct dns_config *cfg;	/* one like it per server */
	const char	*owner;		/* of the TLSA RRset */
	const struct dns_result *tlsa;	/* as the resolvers gave it */
	int		 family;	/* AF_UNSPEC, or -4's or -6's */
	int64_t		 deadline;	/* now_ms() */
};

int	 allns_compare(const struct allns_params *, char *, size_t);
const char *ns_state_name(uint32_t);

const char *key_type_name(uint32_t);	/* util.c */
int	 dane_staged(const char *, size_t, const struct dane_params *,
	    struct dane_staged *);

/*
 * SMTP replies (smtp.c).  Lines are fed one at a time, without CRLF.
 */
#define SMTP_LINE_MAX	2048	/* longest reply line accepted */
#define SMTP_REPLY_MAX	(64 * 1024)	/* whole multi-line reply */

struct smtp_reply {
	int		 code;		/* 0 until the first line */
	size_t		 nlines;
	size_t		 len;
	char		 text[SMTP_REPLY_MAX];	/* lines joined by '\n' */
};

enum { REPLY_MORE, REPLY_DONE, REPLY_ERROR };

void	 smtp_reply_init(struct smtp_reply *);
int	 smtp_reply_line(struct smtp_reply *, const char *, size_t,
	    char *, size_t);
int	 smtp_has_extension(const struct smtp_reply *, const char *);

/*
 * Targets and checks (targets.c, checks.c).  A target is what the user named;
 * discovery turns it into checks, one per (host, address, port).
 */
struct options {
	uint16_t	 port;
	int		 tls_on_connect;
	int		 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	const char	*helo;
	const char	*aka[MAX_NAMES];
	size_t		 naka;
	time_t		 connect_timeout;	/* seconds */
	time_t		 timeout;		/* seconds */
	time_t		 warn_window;		/* seconds */
	time_t		 crit_window;		/* seconds, -nagios */
	time_t		 dnssec_window;		/* seconds, RRSIG expiry */
	int		 jobs;
	int		 quiet;
	int		 terse;
	int		 nagios;
	int		 json;
	int		 show_cert_info;
	int		 showcerts;
	int		 show_tlsa;
	int		 expect_ocsp;
	int		 debug;
	int		 allow_root;	/* -allow-root: may stay root */
	int		 all_keys;	/* -all-keys: probe ECDSA and RSA */
	int		 all_ns;	/* -all-ns: ask every server */
};

/*
 * What a check child needs.  It travels to the forker (forkspec.c);
 * what its pointers reach was set up before the forker was forked.
 */
struct check_spec {
	const char	*host;		/* the host as named (MX host, ...) */
	const char	*bases[2];	/* TLSA base domain candidates, in
					   order (RFC 7672 section 2.2.2) */
	size_t		 nbases;
	const char	*names[MAX_NAMES];	/* DANE-TA reference ids
					   besides the base domain */
	size_t		 nnames;
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	char		 addrstr[64];	/* numeric, for messages */
	uint16_t	 port;
	int		 tls_on_connect;
	const char	*helo;
	time_t		 connect_timeout;
	time_t		 timeout;
	time_t		 warn_window;
	int		 expect_ocsp;
	struct tls_config *tlscfg;	/* set up in the parent, before fork */
	const struct staged_file *staged;	/* -staged, read by the parent */
	size_t		 nstaged;
	struct tls_config *probecfg[KEY__MAX];	/* -all-keys, or NULL */
	const char	*sig_zones[SIG_MAX_ZONES];	/* signers of the
					   address RRset: the parent walks
					   the chains above them */
	size_t		 nsig_zones;
	int		 all_ns;	/* -all-ns */
	int		 family;	/* -4, -6: the servers' addresses */
	const struct dns_config *dnscfg;	/* for -all-ns contexts */
};

/*
 * forkspec.c: a check_spec as the parent sends it to the forker; the
 * decoded strings point into the buffer.  At most FORKSPEC_MAX bytes.
 */
/* host, the bases, the names, helo, the signer zones */
#define FORKSPEC_STRINGS	(1 + 2 + MAX_NAMES + 1 + SIG_MAX_ZONES)
#define FORKSPEC_MAX	(sizeof(struct check_spec) + \
			 FORKSPEC_STRINGS * (MAX_HOSTNAME + 1))
size_t	 forkspec_strings(struct check_spec *,
	    const char **[FORKSPEC_STRINGS]);
size_t	 forkspec_encode(const struct check_spec *, uint8_t *, size_t);
int	 forkspec_decode(uint8_t *, size_t, struct check_spec *);

/* What a discovery child needs. */
enum discover_mode { DISC_HOST, DISC_MX, DISC_SRV };

struct discover_spec {
	const char	*name;		/* host, or mail/service domain */
	enum discover_mode mode;
	const char	*service;	/* "_submission._tcp" for DISC_SRV */
	uint16_t	 port;
	int		 port_given;	/* the target named a port */
	int		 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	time_t		 timeout;
};

/*
 * discover.c: one target's discovery, run in the parent over the
 * event context; it writes the frames a child would send.
 */
struct disc;
struct disc *discover_start(struct ub_ctx *, const struct discover_spec *);
const uint8_t *discover_frames(struct disc *, size_t *, int *);
void	 discover_taken(struct disc *);
void	 discover_free(struct disc *);

/*
 * Framing child -> parent (util.c).  A frame is a 32-bit type and a
 * 32-bit length, both in network order, then the payload.  Payloads
 * are built from fields: a u32, or a length-prefixed byte string.
 */
enum msg_type {
	MSG_STAGE = 1,		/* u32 stage */
	MSG_DETAIL,		/* str: one line of report */
	MSG_WARN,		/* str: a warning */
	MSG_TLSA,		/* u32 usage, selector, mtype; str data;
				   u32 usable, matched, depth+1; str text */
	MSG_CERT,		/* u32 depth; str subject, issuer, names;
				   u32 not_before_hi, lo, not_after_hi, lo;
				   str spki_sha256, pem */
	MSG_TLS,		/* str version, cipher, servername;
				   u32 staple (enum ocsp_staple); str the
				   leaf's OCSP responder, "" if none */
	MSG_RESULT,		/* u32 result; str reason */
	MSG_BASE,		/* str: the TLSA base domain chosen */
	MSG_HOST,		/* discovery: str host; u32 port; str canon
				   ("" unless an alias); u32 cname_secure,
				   nnames; str names...; str warning */
	MSG_ADDR,		/* discovery: u32 family, sec; str addr;
				   str host */
	MSG_VERDICT,		/* discovery: str host; u32 port, result;
				   str reason */
	MSG_SANDBOX,		/* u32 system call number: the child broke
				   its sandbox and exits */
	MSG_END,		/* discovery: nothing more follows */
	MSG_CHAIN,		/* check: str the chain as presented (PEM),
				   str SMTP error after TLS ("" if none) */
	MSG_STAGED,		/* check, verify: str -staged file; u32 safe,
				   bare_key; str reason; str records to add
				   (zone-file lines, "\n" between, "" when
				   safe); u32 TTL of the TLSA RRset */
	MSG_PROBE,		/* check, verify: u32 key type, probe state;
				   str TLS version, cipher, leaf SPKI SHA2-256
				   (hex, "" unless done); u32 result; str
				   reason; str chain (PEM, "" unless done) */
	MSG_DNSSEC,		/* discovery: u32 enum dns_security of the
				   MX or SRV RRset (or of its denial) */
	MSG_SIGS,		/* discovery, check: u32 enum sig_scope; str
				   host ("" for the target); then twice (the
				   RRset that fails first, one out of its
				   window): u32 expiration hi, lo, inception
				   hi, lo, type, key tag; str owner, zone;
				   then u32 bad_future, nzones; str zones...;
				   str why the chain is not whole, or "" */
	MSG_OCSP,		/* check: u32 status (enum ocsp_status),
				   known (OCSP_HAS_*); u32 this_update hi,
				   lo, next_update hi, lo, revoked_at hi,
				   lo; str CRL reason, detail */
	MSG_NS,			/* check, -all-ns: str zone, server name,
				   address ("" if none); u32 state (enum
				   ns_state), has_serial, SOA serial,
				   TLSA RRSIG expiry hi, lo (0: unknown);
				   str reason */
	MSG_NS_VERDICT,		/* check, -all-ns: str why the comparison
				   failed, "" if it did not; last of ST_NS */
	MSG__MAX
};

#define MSG_MAX_FRAME	(256 * 1024)

/*
 * The message table (msg.c): for each type, who may send it, in which
 * stages, and whether it ends a report.  The parent's on_message() and
 * the frame fuzzer both check frames against it.
 */
#define MSG_FROM_DISCOVER	0x1	/* discover.c, in the parent */
#define MSG_FROM_CHECK		0x2	/* smtp.c check_child() */
#define MSG_FROM_VERIFY		0x4	/* smtp.c verify_child() */
#define MSG_FROM_ANY		0x7

struct msg_desc {
	const char	*name;		/* for messages about a bad frame */
	int		 from;		/* MSG_FROM_* bits */
	uint32_t	 stages;	/* 1 << enum stage, for each allowed */
	int		 final;		/* nothing may follow it */
	const char	*writer;	/* where a child writes it */
};

extern const struct msg_desc msg_descs[MSG__MAX];
const char *msg_check(uint32_t, int, enum stage, char *, size_t);
const char *msg_sender_name(int);

/*
 * OCSP stapling (ocsp.c).  MSG_TLS says whether a staple came, read
 * from under libtls (ocsp_take(): libtls itself judges no staple with
 * its verification off); the parse stage judges it (ocsp_judge()) and
 * sends MSG_OCSP.  Under -expect-ocsp, libtls fails a handshake
 * without one (R_OCSP_MISSING).
 */
enum ocsp_staple {
	OCSP_NO_STAPLE,		/* the server stapled nothing */
	OCSP_STAPLED,		/* a response came; MSG_OCSP judges it */
	OCSP_UNSEEN,		/* libtls's connection was not seen */
	OCSP__MAX
};

/* What the staple says; ocsp_status_name() in util.c names them. */
enum ocsp_status {
	OCSP_ST_NONE,		/* "missing": nothing stapled */
	OCSP_ST_GOOD,		/* verified, current, status good */
	OCSP_ST_REVOKED,	/* verified, status revoked: a failure */
	OCSP_ST_UNKNOWN,	/* verified, the responder does not know it */
	OCSP_ST_TRYLATER,	/* responseStatus tryLater, no status */
	OCSP_ST_ERROR,		/* another responder error, no status */
	OCSP_ST_INVALID,	/* does not parse or does not verify */
	OCSP_ST_STALE,		/* verified, outside thisUpdate..nextUpdate */
	OCSP_ST_UNCHECKED,	/* "not-checked": smtpdane could not tell */
	OCSP_ST__MAX
};

#define OCSP_HAS_THIS		0x1	/* this_update is set */
#define OCSP_HAS_NEXT		0x2	/* next_update is set */
#define OCSP_HAS_REVOKED	0x4	/* revoked_at is set */
#define OCSP_HAS_ALL		0x7

struct ocsp_verdict {
	enum ocsp_status status;
	uint32_t	 known;		/* OCSP_HAS_* */
	time_t		 this_update, next_update, revoked_at;
	char		 reason[64];	/* CRL reason of a revocation, or "" */
	char		 detail[MAX_TEXT];	/* who signed it, or what is
						   wrong with it */
};

void	 ocsp_watch(void);
int	 ocsp_take(uint8_t **, size_t *);
void	 ocsp_judge(const uint8_t *, size_t, const char *, size_t, time_t,
	    struct ocsp_verdict *);
const char *ocsp_status_name(enum ocsp_status);	/* util.c */
int	 ocsp_status_bad(enum ocsp_status);	/* util.c */
int	 ocsp_dated(enum ocsp_status);		/* util.c */

/* A check child spends its whole -timeout, then reports; the parent
 * kills it only this much later. */
#define CHILD_GRACE_MS	500

struct msgbuf {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
};

void	 msg_begin(struct msgbuf *, enum msg_type);
void	 msg_put_u32(struct msgbuf *, uint32_t);
void	 msg_put_time(struct msgbuf *, int64_t);
void	 msg_put_str(struct msgbuf *, const void *, size_t);
void	 msg_put_cstr(struct msgbuf *, const char *);
int	 msg_send(int, struct msgbuf *);
int	 msg_send_text(int, struct msgbuf *, enum msg_type, const char *, ...)
	    __attribute__((__format__(__printf__, 4, 5)));

struct msgreader {
	const uint8_t	*p;
	size_t		 left;
	int		 bad;
};

int	 msg_frame(const uint8_t *, size_t, uint32_t *, struct msgreader *,
	    size_t *);
uint32_t msg_get_u32(struct msgreader *);
char	*msg_get_str(struct msgreader *, size_t *);

/* util.c */
const char *result_name(enum result);
const char *stage_name(enum stage);
const char *child_exit_text(int);

/*
 * A failure of the parent inside a shared file (a sandbox it cannot
 * enter): parent_fatalx() ends the run through the hook that main()
 * set (smtpdane.c's fatalx(): children killed, exit 2, or UNKNOWN and
 * 3 under -nagios), else with errx(2).  Never called in a child.
 */
extern void	(*parent_fatal_hook)(const char *, ...);
__dead void	 parent_fatalx(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));

/* The end of text cut at a length bound (util.c vcutf, mark_cut). */
#define CUT_MARK	"[cut]"
void	 mark_cut(char *, size_t);
int	 cutf(char *, size_t, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));
void	 cutcatf(char *, size_t, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));
void	 vcutcatf(char *, size_t, const char *, va_list)
    __attribute__((__format__(__printf__, 3, 0)));
int	 vcutf(char *, size_t, const char *, va_list)
	    __attribute__((__format__(__printf__, 3, 0)));
int	 parse_duration(const char *, time_t *);
/* The flags of <vis.h> that vis_text() and vis_copy() use (util.c). */
#define VIS_POLICY	(VIS_OCTAL | VIS_NOSLASH | VIS_NL | VIS_TAB)
int	 vis_plain(const char *, size_t);
char	*vis_text(const char *, size_t);
void	 vis_copy(char *, size_t, const void *, size_t);
int64_t	 now_ms(void);
void	 format_time(time_t, char *, size_t);
void	 format_rfc3339(time_t, char *, size_t);
void	 format_span(time_t, char *, size_t);
int	 read_whole_file(const char *, char **, size_t *, char *, size_t);
void	 hexify(const uint8_t *, size_t, char *, size_t);
uint16_t parse_port(const char *);
int	 valid_hostname(const char *);
int	 is_address(const char *);
void	 seterr(char *, size_t, const char *, ...)
	    __attribute__((__format__(__printf__, 3, 4)));
int	 isdigit_a(int);
int	 isalpha_a(int);
int	 tolower_a(int);
int	 parse_num(const char *, size_t, unsigned long, unsigned long *);
int	 add_string(char ***, size_t *, char *);
int	 domain_check(const char *, size_t, char *, size_t);
int	 name_norm(const char *, size_t, char *, size_t, char *, size_t);
const char *parse_target(const char *, uint16_t, char *, size_t, uint16_t *);
extern const char target_address_error[];

/* smtp.c: the check child */
__dead void check_child(int, struct ub_ctx *, const struct check_spec *);

/*
 * smtp.c: the verify child judges a chain that a check child saw for
 * another target's reference names, without a connection of its own.
 */
struct verify_spec {
	const struct check_spec *check;	/* names, warn window, timeout */
	const char	*base;		/* the TLSA base domain used */
	const char	*pem;		/* the chain as presented */
	size_t		 pemlen;
	const struct tlsa *tlsa;
	size_t		 ntlsa;
	const char	*smtp_err;	/* after TLS, or "" */
	uint32_t	 tlsa_ttl;	/* of the leader's TLSA RRset */
	const struct key_probe *probes;	/* -all-keys: the leader's */
	size_t		 nprobes;
	const struct ocsp_verdict *ocsp;	/* the leader's staple */
	const char	*ns_fail;	/* -all-ns: the leader's, or "" */
};

__dead void verify_child(int, const struct verify_spec *);

/*
 * Sandbox (sandbox_openbsd.c, sandbox_linux.c): each process calls
 * sandbox_enter() as it narrows; stages only ever shrink.
 */
enum sandbox_stage {
	SB_PARENT_START,	/* reading files, setting up */
	SB_PARENT_RUN,		/* forking, DNS priming, polling */
	SB_PARENT_WAIT,		/* every child forked: poll and reap */
	SB_CHILD_NET,		/* check or discovery child */
	SB_CHILD_PARSE		/* child done with the network */
};

struct sandbox_net {
	const uint16_t	*ports;		/* TCP ports it may connect to */
	size_t		 nports;
};

/* In a port list: no TCP port limit at this stage (SRV ports). */
#define SANDBOX_ANY_PORT	0

void	 sandbox_init(int);	/* debug flag: say what is not available */
void	 sandbox_allow_read(const char *);	/* util.c; before SB_PARENT_START */
const char *const *sandbox_read_files(size_t *);	/* util.c */
void	 sandbox_dns_ports(const uint16_t *, size_t);	/* before RUN */
void	 sandbox_report_fd(int);	/* a child, before SB_CHILD_NET */
/* A forker's child: SIGKILL when the forker (pid) ends; 0, -1 if gone. */
int	 sandbox_die_with_parent(pid_t);
void	 sandbox_enter(enum sandbox_stage, const struct sandbox_net *);
const char *sandbox_syscall_name(int);	/* for MSG_SANDBOX */
const char *sandbox_kill_text(int);	/* NULL or why the sandbox killed */

/*
 * smtpdane.c: the parent's one way out (exit 2, or UNKNOWN under
 * -nagios, children killed and reaped); code that runs in the parent
 * (discover.c) calls it too.
 */
__dead void fatalx(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2)));

/* priv.c: started as root, become _smtpdane or nobody */
int	 priv_drop(int, char *, size_t);

#endif /* SMTPDANE_H */
