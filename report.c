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
 * The reports, filled from what children send: report_set() gives a
 * report its verdict; the handlers below, one on_*() a message type in
 * msg_handlers[], read each frame's fields into the job's report.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

void
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
	/* msg_get_str() and mark_cut() leave a NUL at s[len]. */
	if (vis_plain(s, len))
		return s;
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

const struct hostinfo *
find_host(const struct target *t, const char *host)
{
	size_t	 i;

	for (i = t->nhosts; i-- > 0; )
		if (strcmp(t->hosts[i].host, host) == 0)
			return &t->hosts[i];
	return NULL;
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

#define SIG_TIME_MAX	((int64_t)1 << 48)	/* MSG_SIGS times below */

/* A time_t as two u32 fields, high half first. */
static time_t
get_time(struct msgreader *r)
{
	uint64_t	 hi, lo;

	hi = msg_get_u32(r);
	lo = msg_get_u32(r);
	return (time_t)((hi << 32) | lo);
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
	f->when = get_time(r);
	f->inception = get_time(r);
	f->type = msg_get_u32(r);
	f->keytag = msg_get_u32(r);
	f->owner = get_text(r);
	f->zone = get_text(r);
	/* 48 bits of time at most; an inception of 0 is 1970 by RFC
	 * 4034's arithmetic, allowed. */
	if (f->when < 0 || f->when >= SIG_TIME_MAX || f->inception < 0 ||
	    f->inception >= SIG_TIME_MAX || f->type > 65535 ||
	    f->keytag > 65535 || f->owner == NULL || f->zone == NULL)
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
	free(f->bad.owner);
	free(f->bad.zone);
	for (i = 0; i < f->nzones; i++)
		free(f->zones[i]);
	free(f->why);
	free(f);
}

static void
free_strlist(char ***l, size_t *n)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		free((*l)[i]);
	free(*l);
	*l = NULL;
	*n = 0;
}

/* One line of each kind: its strings (a half-read one's too). */
static void
free_tlsa_line(struct tlsa_line *l)
{
	free(l->hex);
	free(l->text);
	free(l->data);
}

static void
free_cert_line(struct cert_line *l)
{
	free(l->subject);
	free(l->issuer);
	free(l->names);
	free(l->spki);
	free(l->pem);
}

static void
free_staged_line(struct staged_line *l)
{
	free(l->file);
	free(l->reason);
	free(l->records);
}

static void
free_probe_line(struct probe_line *l)
{
	free(l->tls_version);
	free(l->tls_cipher);
	free(l->leaf_spki);
	free(l->reason);
	free(l->pem);
}

static void
free_ns_line(struct ns_line *l)
{
	free(l->zone);
	free(l->name);
	free(l->addr);
	free(l->reason);
}

static void
free_lines(struct report *r)
{
	size_t	 i;

	for (i = 0; i < r->ntlsa; i++)
		free_tlsa_line(&r->tlsa[i]);
	for (i = 0; i < r->ncerts; i++)
		free_cert_line(&r->certs[i]);
	for (i = 0; i < r->nstaged; i++)
		free_staged_line(&r->staged[i]);
	for (i = 0; i < r->nprobes; i++)
		free_probe_line(&r->probes[i]);
	for (i = 0; i < r->nns; i++)
		free_ns_line(&r->ns[i]);
	free(r->tlsa);
	free(r->certs);
	free(r->staged);
	free(r->probes);
	free(r->ns);
}

/*
 * A printed report's lines, which nothing reads again (print.c): the
 * details and warnings, the TLSA, certificate, -staged, -all-keys and
 * -all-ns lines, the chain, the staple's verdict and the signature
 * times.  The verdict, its reason and the TLS parameters stay.  With
 * shared (a follower's report, share.c), the staple's verdict and the
 * signature times are its leader's, and only let go of.
 */
void
report_release(struct report *r, int shared)
{
	free_strlist(&r->details, &r->ndetails);
	free_strlist(&r->warns, &r->nwarns);
	r->nwarns_own = r->nwarns_pre = r->ndetails_pre = 0;
	free_lines(r);
	r->tlsa = NULL;
	r->certs = NULL;
	r->staged = NULL;
	r->probes = NULL;
	r->ns = NULL;
	r->ntlsa = r->ncerts = r->nstaged = r->nprobes = r->nns = 0;
	free(r->chain);
	r->chain = NULL;
	r->chainlen = 0;
	if (!shared) {
		free(r->ocspv);
		free_sig_facts(r->sigs);
	}
	r->ocspv = NULL;
	r->sigs = NULL;
	free(r->dnssec.owner);
	free(r->dnssec.zone);
	memset(&r->dnssec, 0, sizeof(r->dnssec));
}

/* A printed target's own lines and the signature times of its RRsets. */
void
target_release(struct target *t)
{
	size_t	 i;

	report_release(&t->rep, 0);
	free_sig_facts(t->sigs);
	t->sigs = NULL;
	for (i = 0; i < t->nhosts; i++) {
		free_sig_facts(t->hosts[i].sigs[0]);
		free_sig_facts(t->hosts[i].sigs[1]);
		t->hosts[i].sigs[0] = t->hosts[i].sigs[1] = NULL;
	}
}

static struct sig_facts *
get_sig_facts(struct msgreader *r)
{
	struct sig_facts	*f = xcalloc(1, sizeof(*f));
	uint32_t		 n, i, future;

	get_sig(r, &f->first);
	get_sig(r, &f->bad);
	future = msg_get_u32(r);
	f->bad_future = future == 1;
	n = msg_get_u32(r);
	for (i = 0; i < n && !r->bad; i++) {
		if (i >= SIG_MAX_ZONES ||
		    (f->zones[i] = msg_get_str(r, NULL)) == NULL) {
			r->bad = 1;
			break;
		}
		if (!valid_name(f->zones[f->nzones++]))
			r->bad = 1;
	}
	f->why = get_text(r);
	if (r->bad || f->why == NULL || future > 1 ||
	    (f->first.when <= 0 && f->bad.when <= 0) ||
	    (future && f->bad.when == 0)) {
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
		free_tlsa_line(l);
		return "bad TLSA record";
	}
	hexify((uint8_t *)data, len > 1024 ? 1024 : len, hex, sizeof(hex));
	l->data = (uint8_t *)data;
	l->len = len;
	l->hex = xstrdup(hex);
	rep->ntlsa++;
	return NULL;
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
		free_cert_line(l);
		return "bad certificate";
	}
	/* Only -showcerts prints it: a run of many checks keeps less. */
	if (!opt.showcerts) {
		free(l->pem);
		l->pem = xstrdup("");
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
	struct ocsp_verdict	*v;
	char			*reason, *detail;
	uint32_t		 st;
	int			 ok;

	if (rep->ocspv != NULL)
		return "OCSP judgment sent twice";
	if (rep->tls_version == NULL)
		return "OCSP judgment without a handshake";
	v = xcalloc(1, sizeof(*v));
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
		free(v);
		return "bad OCSP judgment";
	}
	rep->ocspv = v;
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
	const struct check_spec	*s = checks[j->idx].spec;
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
		free_staged_line(l);
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
		free_probe_line(l);
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
static const char *
on_ns(struct job *j, struct msgreader *r)
{
	struct report	*rep = job_report(j);
	struct ns_line	*l;
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
	l->sig_expire = get_time(r);
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
const char *
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

