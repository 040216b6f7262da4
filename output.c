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
 * Output: the renderer chosen once from the options, the tally every
 * renderer and the exit status read, and what goes to standard error
 * (the summary of a -terse or -quiet run, the progress line).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smtpdane.h"
#include "output.h"

#define PROGRESS_MIN	20	/* targets before a progress line shows */
#define ESC_RING	8

int				 use_color;
static const struct output	*out;
static struct summary		 sum;
static int			 progress;	/* a progress line may show */
static int			 progress_shown;
static time_t			 run_start;

void
output_init(int want_progress)
{
	if (opt.nagios)
		out = &nagios_output;
	else if (opt.json)
		out = &json_output;
	else
		out = &text_output;
	sum.gave_up = "";
	run_start = time(NULL);
	progress = want_progress && !opt.nagios && !opt.json &&
	    ntargets > PROGRESS_MIN && isatty(STDERR_FILENO);
	if (out->begin != NULL)
		out->begin();
}

/*
 * Escaped for printing: what the user or the network supplied never
 * reaches a terminal raw.  The result lives until ESC_RING more calls.
 */
char *
esc(const char *s)
{
	static char	*ring[ESC_RING];
	static size_t	 next;
	char		*v;

	if (s == NULL)
		s = "";
	if ((v = vis_text(s, strlen(s))) == NULL)
		fatalx("out of memory");
	free(ring[next]);
	ring[next] = v;
	next = (next + 1) % ESC_RING;
	return v;
}

/*
 * Nagios takes what follows a '|' as performance data: text that is
 * not ours (server replies, names) must not bring one.
 */
char *
nagios_safe(char *s)
{
	char	*p;

	for (p = s; (p = strchr(p, '|')) != NULL; p++)
		*p = '/';
	return s;
}

/*
 * A report that cannot be written is no report: a full disk or a
 * closed pipe (smtpdane ... | head -1) ends the run at once, children
 * killed and reaped, with exit status 2 (fatal() in smtpdane.c).
 */
void
check_output(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		fatal("writing the report");
}

const struct check *
target_check(const struct target *t, size_t i)
{
	return &checks[t->checks[i]];
}

/* -all-keys: a probe that passes (not offered is no failure). */
int
probe_ok(const struct probe_line *l)
{
	return l->state == PROBE_NOT_OFFERED || (l->state == PROBE_DONE &&
	    (l->result == R_VERIFIED || l->result == R_VERIFIED_WARN));
}

/* One probe as a line: "RSA probe: tlsa-mismatch (TLSv1.2 ...): ..." */
void
format_probe(const struct probe_line *l, char *buf, size_t len)
{
	const char	*what;

	what = l->state == PROBE_NOT_OFFERED ? "not offered" :
	    result_name(l->result);
	if (l->state == PROBE_DONE)
		snprintf(buf, len, "%s probe: %s (%s %s, leaf SPKI SHA2-256 "
		    "%.16s...): %s", key_type_name(l->key), what,
		    l->tls_version, l->tls_cipher, l->leaf_spki, l->reason);
	else
		snprintf(buf, len, "%s probe: %s: %s", key_type_name(l->key),
		    what, l->reason);
}

/* -all-ns: "nameserver ns1.example [192.0.2.53]: same: ..." */
void
format_ns(const struct ns_line *l, char *buf, size_t len)
{
	snprintf(buf, len, "nameserver %s%s%s%s: %s: %s", l->name,
	    l->addr[0] ? " [" : "", l->addr, l->addr[0] ? "]" : "",
	    ns_state_name(l->state), l->reason);
}

/* A TTL as a person reads it: "300s", "1h", "1d12h". */
void
format_ttl(uint32_t ttl, char *buf, size_t len)
{
	static const struct { uint32_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' }
	};
	size_t	 i, off = 0;

	buf[0] = '\0';
	if (ttl == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (i = 0; i < nitems(units) && off < len; i++) {
		if (ttl < units[i].secs)
			continue;
		off += snprintf(buf + off, len - off, "%u%c",
		    ttl / units[i].secs, units[i].unit);
		ttl %= units[i].secs;
	}
}

/* Seconds as whole days, to the nearest (a past time negative). */
static long long
round_days(long long secs)
{
	return secs >= 0 ? (secs + 43200) / 86400 : -((-secs + 43200) / 86400);
}

/* Days left until when, rounded as cert_days is. */
long long
dnssec_days(int64_t when)
{
	return round_days((long long)(when - time(NULL)));
}

/* "valid until ... (30 days); first to expire: the RRSIG over ..." */
void
format_dnssec(const struct report *rep, char *buf, size_t len)
{
	struct dns_sig	 sig;
	char		 when[64], left[64], desc[2 * MAX_HOSTNAME + 64];
	time_t		 now = time(NULL);

	/* Its owner and zone were escaped on arrival (get_text()). */
	sig_from_fact(&sig, &rep->dnssec);
	sig_describe(&sig, desc, sizeof(desc));
	format_time((time_t)sig.when, when, sizeof(when));
	if (sig.when > now)
		format_span((time_t)(sig.when - now), left, sizeof(left));
	else
		strlcpy(left, "expired", sizeof(left));
	snprintf(buf, len, "DNSSEC signatures valid until %s (%s); the first "
	    "to expire: the RRSIG over %s", when, left, desc);
}

enum result
final_result(const struct check *c)
{
	if (c->rep.result == R_VERIFIED && c->rep.nwarns > 0)
		return R_VERIFIED_WARN;
	return c->rep.result;
}

/*
 * The staple line of a check that reached TLS, escaped:
 *	OCSP staple: STATUS[ since T][, reason R][, DETAIL][; thisUpdate T
 *	    [, nextUpdate T]] (responder URL)
 */
const char *
ocsp_text(const struct report *rep)
{
	static char			 buf[3 * MAX_TEXT];
	const struct ocsp_verdict	*v = rep->ocspv;
	char				 t[64], part[MAX_TEXT + 64];

	if (rep->ocspv == NULL) {
		snprintf(buf, sizeof(buf), "OCSP staple: not checked (the "
		    "check ended before it was judged)");
		return buf;
	}
	snprintf(buf, sizeof(buf), "OCSP staple: %s",
	    v->status == OCSP_ST_NONE ? "none" :
	    v->status == OCSP_ST_UNCHECKED ? "not checked" :
	    ocsp_status_name(v->status));
	if (v->known & OCSP_HAS_REVOKED) {
		format_time(v->revoked_at, t, sizeof(t));
		snprintf(part, sizeof(part), " since %s", t);
		strlcat(buf, part, sizeof(buf));
	}
	if (v->reason[0] != '\0') {
		snprintf(part, sizeof(part), ", reason %s", esc(v->reason));
		strlcat(buf, part, sizeof(buf));
	}
	if (v->detail[0] != '\0') {
		snprintf(part, sizeof(part), ", %s", esc(v->detail));
		strlcat(buf, part, sizeof(buf));
	}
	if (v->known & OCSP_HAS_THIS) {
		format_time(v->this_update, t, sizeof(t));
		snprintf(part, sizeof(part), "; thisUpdate %s", t);
		strlcat(buf, part, sizeof(buf));
	}
	if (v->known & OCSP_HAS_NEXT) {
		format_time(v->next_update, t, sizeof(t));
		snprintf(part, sizeof(part), ", nextUpdate %s", t);
		strlcat(buf, part, sizeof(buf));
	}
	if (rep->ocsp_url[0] != '\0')
		snprintf(part, sizeof(part), " (responder %s)",
		    esc(rep->ocsp_url));
	else
		snprintf(part, sizeof(part), " (the leaf names no responder)");
	strlcat(buf, part, sizeof(buf));
	return buf;
}

/*
 * Is the staple worth a word in the short forms (-terse, -nagios)?
 * When one came or -expect-ocsp asked; the text form always says.
 */
int
ocsp_shown(const struct check *c)
{
	enum result	 r = final_result(c);

	return c->rep.tls_version != NULL && (r == R_VERIFIED ||
	    r == R_VERIFIED_WARN) && (opt.expect_ocsp ||
	    c->rep.ocsp == OCSP_STAPLED);
}

/* The staple's status word: JSON, -terse. */
const char *
ocsp_word(const struct report *rep)
{
	return rep->ocspv != NULL ? ocsp_status_name(rep->ocspv->status) :
	    "not-checked";
}

/* "host [addr]:port", "host:port", or a bad target as written. */
void
format_header(const struct check *c, char *buf, size_t len)
{
	if (c->rep.result == R_USAGE)
		snprintf(buf, len, "%s", esc(c->host));
	else if (c->spec->addrstr[0] == '\0')
		snprintf(buf, len, "%s:%u", c->host, c->spec->port);
	else
		snprintf(buf, len, "%s [%s]:%u", c->host, c->spec->addrstr,
		    c->spec->port);
}

static int
is_verified(enum result r)
{
	return r == R_VERIFIED || r == R_VERIFIED_WARN;
}

/* Each check once, however many targets share it. */
static void
count_check(struct check *c)
{
	enum result	 res = final_result(c);
	char		 head[MAX_HOSTNAME + 80];
	long long	 left, now = time(NULL);
	size_t		 i;

	if (c->counted)
		return;
	c->counted = 1;
	sum.checks++;
	format_header(c, head, sizeof(head));
	if (res == R_VERIFIED)
		sum.verified++;
	else if (res == R_VERIFIED_WARN) {
		sum.warned++;
		if (sum.first_warn[0] == '\0')
			snprintf(sum.first_warn, sizeof(sum.first_warn),
			    "%s: %s", head, esc(c->rep.nwarns > 0 ?
			    c->rep.warns[0] : c->rep.reason));
	} else {
		sum.failed++;
		if (res == R_INTERNAL)
			sum.internal++;
		if (sum.first_bad[0] == '\0')
			snprintf(sum.first_bad, sizeof(sum.first_bad),
			    "%s: %s: %s", head, result_name(res),
			    esc(c->rep.reason));
	}
	for (i = 0; i < c->rep.nstaged; i++) {
		sum.staged++;
		sum.staged_unsafe += !c->rep.staged[i].safe;
	}
	for (i = 0; i < c->rep.nprobes; i++) {
		sum.keys_checked += c->rep.probes[i].state == PROBE_DONE;
		sum.keys_failed += !probe_ok(&c->rep.probes[i]);
	}
	for (i = 0; i < c->rep.nns; i++) {
		sum.ns_checked++;
		sum.ns_differ += c->rep.ns[i].state == NS_DIFFERS;
		sum.ns_failed += c->rep.ns[i].state == NS_FAILED;
	}
	if (!is_verified(res))
		return;
	left = (long long)c->rep.dnssec.when - now;
	if (c->rep.dnssec.when != 0 && (!sum.dnssec_known ||
	    left < sum.dnssec_left)) {
		sum.dnssec_left = left;
		sum.dnssec_known = 1;
		sum.dnssec_days = dnssec_days(c->rep.dnssec.when);
	}
	for (i = 0; i < c->rep.ncerts; i++) {
		left = (long long)c->rep.certs[i].not_after - now;
		if (!sum.cert_days_known || left < sum.cert_left) {
			sum.cert_left = left;
			sum.cert_days_known = 1;
		}
	}
	/* In whole days, rounded as the expiry warnings round them. */
	sum.cert_days = round_days(sum.cert_left);
}

static void
progress_erase(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_shown = 0;
	}
}

/* done/total and the failures so far, on a terminal's stderr only. */
void
output_progress(size_t done, size_t total)
{
	if (!progress)
		return;
	fprintf(stderr, "\r\033[Ksmtpdane: %zu/%zu targets, %zu failed",
	    done, total, sum.targets_failed);
	fflush(stderr);
	progress_shown = 1;
}

void
output_target(const struct target *t)
{
	const struct check	*c;
	size_t			 i;
	int			 failed = 0, warned = t->rep.nwarns > 0;

	sum.targets++;
	sum.domain_warnings += t->rep.nwarns;
	if (t->rep.nwarns > 0 && sum.first_warn[0] == '\0')
		snprintf(sum.first_warn, sizeof(sum.first_warn), "%s: %s",
		    esc(t->host), esc(t->rep.warns[0]));
	for (i = 0; i < t->nchecks; i++) {
		c = target_check(t, i);
		count_check(&checks[t->checks[i]]);
		if (!is_verified(final_result(c)))
			failed = 1;
		else if (final_result(c) == R_VERIFIED_WARN)
			warned = 1;
	}
	if (failed)
		sum.targets_failed++;
	else if (warned)
		sum.targets_warned++;
	progress_erase();
	out->target(t, &sum);
	/*
	 * print_ready() flushes what it printed in one go; a failed
	 * write in between shows in ferror() at once.  Under a progress
	 * line each target is flushed before the line comes back.
	 */
	if (progress || ferror(stdout))
		check_output();
	output_progress(sum.targets, ntargets);
}

/*
 * Nagios states: UNKNOWN when work was left unchecked or smtpdane
 * failed itself, CRITICAL for a failed check or a certificate in a
 * verified chain inside -critical, WARNING for any warning.
 */
int
output_nagios_state(const struct summary *s)
{
	if (s->gave_up[0] != '\0')
		return 3;
	if (s->failed > s->internal)
		return 2;
	if (s->internal > 0)
		return 3;
	if (opt.crit_window > 0 && s->cert_days_known &&
	    s->cert_left < (long long)opt.crit_window)
		return 2;
	if (s->warned > 0 || s->domain_warnings > 0)
		return 1;
	return 0;
}

/* The exit status, from the same model as every renderer. */
int
output_finish(int64_t elapsed, const char *gave_up)
{
	int	 code;

	progress_erase();
	progress = 0;
	sum.elapsed_ms = elapsed;
	sum.gave_up = gave_up;
	if (opt.nagios)
		code = output_nagios_state(&sum);
	else if (gave_up[0] != '\0')
		code = 2;
	else
		code = sum.verified == sum.checks &&
		    sum.domain_warnings == 0 ? 0 : 1;
	out->finish(&sum, code);
	check_output();
	/* -terse and -quiet say nothing of the whole: stderr does. */
	if (!opt.nagios && !opt.json && (opt.terse || opt.quiet) &&
	    sum.targets > 1 && (sum.targets_failed > 0 ||
	    sum.targets_warned > 0)) {
		fprintf(stderr, "smtpdane: %zu of %zu %s failed",
		    sum.targets_failed, sum.targets,
		    targets[0].disc.mode == DISC_HOST ? "targets" : "domains");
		if (sum.targets_warned > 0)
			fprintf(stderr, ", %zu with warnings",
			    sum.targets_warned);
		fputc('\n', stderr);
	}
	if (!opt.nagios && gave_up[0] != '\0')
		fprintf(stderr, "smtpdane: %s\n", gave_up);
	return code;
}
