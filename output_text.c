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
 * Text output, and its short forms: -terse (one line per check and per
 * discovery warning) and -quiet (only what is not plainly verified).
 *
 *	HOST [ADDRESS]:PORT: RESULT: REASON
 *	    detail, TLSA, TLS, warning and certificate lines (text only)
 *	DOMAIN: warning: TEXT			(a discovery warning)
 *	_PORT._tcp.BASE. IN TLSA 3 1 1 HEX ; published	(-tlsa)
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "smtpdane.h"
#include "output.h"

static const char *
color_of(enum result r)
{
	if (!use_color)
		return "";
	if (r == R_VERIFIED)
		return "\033[32m";
	return r == R_VERIFIED_WARN ? "\033[33m" : "\033[31m";
}

static void
print_certs(const struct report *rep)
{
	const struct cert_line	*l;
	char			 nb[32], na[32];
	size_t			 i;

	for (i = 0; i < rep->ncerts; i++) {
		l = &rep->certs[i];
		if (opt.show_cert_info) {
			format_time(l->not_before, nb, sizeof(nb));
			format_time(l->not_after, na, sizeof(na));
			printf("    certificate depth %d: subject %s\n"
			    "        issuer %s\n        names %s\n"
			    "        valid %s to %s\n"
			    "        SPKI SHA2-256 %s\n", l->depth,
			    esc(l->subject), esc(l->issuer),
			    l->names[0] ? esc(l->names) : "(none)", nb, na,
			    esc(l->spki));
		}
		if (opt.showcerts)
			fputs(l->pem, stdout);
	}
}

/*
 * -tlsa: the records that would match what the server presented, 3 1 1
 * for the leaf and 2 1 1 for each issuer, flush left in zone-file
 * syntax so that they can be pasted, each marked as published or not.
 */
int
tlsa_published(const struct report *rep, int usage, const char *spki)
{
	size_t	 i;

	for (i = 0; i < rep->ntlsa; i++)
		if ((int)rep->tlsa[i].usage == usage &&
		    rep->tlsa[i].selector == 1 && rep->tlsa[i].mtype == 1 &&
		    strcasecmp(rep->tlsa[i].hex, spki) == 0)
			return 1;
	return 0;
}

void
tlsa_suggestion(const struct check *c, size_t i, char *buf, size_t len)
{
	const struct report	*rep = &c->rep;

	snprintf(buf, len, "_%u._tcp.%s. IN TLSA %d 1 1 %s", c->spec->port,
	    rep->base != NULL ? rep->base : c->host, i == 0 ? 3 : 2,
	    esc(rep->certs[i].spki));
}

static void
print_suggested_tlsa(const struct check *c)
{
	const struct report	*rep = &c->rep;
	char			 line[MAX_HOSTNAME + 200];
	size_t			 i;

	for (i = 0; i < rep->ncerts; i++) {
		if (rep->certs[i].spki[0] == '\0')
			continue;
		tlsa_suggestion(c, i, line, sizeof(line));
		printf("%s ; %s\n", line, tlsa_published(rep, i == 0 ? 3 : 2,
		    rep->certs[i].spki) ? "published" : "not published");
	}
}

/*
 * -terse: a staged file that is not safe yet, a DNSSEC signature about
 * to expire, an OCSP staple that -expect-ocsp finds wanting and a
 * server -all-keys cannot probe are each a line of their own: the
 * check line's reason is about the chain.
 */
static void
print_warnings_terse(const struct check *c)
{
	static const char *const own_line[] = {
		"staged ", "DNSSEC ", "ocsp-", "-all-keys: "
	};
	const struct report	*rep = &c->rep;
	char			 head[MAX_HOSTNAME + 80];
	size_t			 i, k;

	format_header(c, head, sizeof(head));
	for (i = 0; i < rep->nwarns; i++)
		for (k = 0; k < nitems(own_line); k++)
			if (strncmp(rep->warns[i], own_line[k],
			    strlen(own_line[k])) == 0)
				printf("%s: warning: %s\n", head,
				    esc(rep->warns[i]));
}

/*
 * -all-ns: a server that is not the same.  One that differs is among
 * the warnings; in -terse it is a warning line of its own, and in the
 * -nagios long output a line after its check.
 */
void
print_ns(const struct check *c, int terse, int nagios)
{
	const struct report	*rep = &c->rep;
	char			 head[MAX_HOSTNAME + 80], line[3 * MAX_TEXT];
	char			*text;
	size_t			 i;

	format_header(c, head, sizeof(head));
	for (i = 0; i < rep->nns; i++) {
		format_ns(&rep->ns[i], line, sizeof(line));
		text = esc(line);
		if (nagios)
			nagios_safe(text);
		if (!terse && rep->ns[i].state != NS_DIFFERS)
			printf("    %s\n", text);
		else if (terse && rep->ns[i].state != NS_SAME)
			printf("%s: %s%s\n", head, !nagios &&
			    rep->ns[i].state == NS_DIFFERS ? "warning: " : "",
			    text);
	}
}

/* -terse: a failing -all-keys probe is a line of its own. */
static void
print_probes_terse(const struct check *c)
{
	const struct report	*rep = &c->rep;
	char			 head[MAX_HOSTNAME + 80], line[3 * MAX_TEXT];
	size_t			 i;

	format_header(c, head, sizeof(head));
	for (i = 0; i < rep->nprobes; i++) {
		if (probe_ok(&rep->probes[i]))
			continue;
		format_probe(&rep->probes[i], line, sizeof(line));
		printf("%s: %s\n", head, esc(line));
	}
}

void
print_check_line(const struct check *c, int nagios)
{
	const struct report	*rep = &c->rep;
	enum result		 res = final_result(c);
	char			 head[MAX_HOSTNAME + 80], *reason;

	format_header(c, head, sizeof(head));
	reason = esc(rep->reason);
	if (nagios)
		nagios_safe(reason);
	printf("%s: %s%s%s: %s", head, color_of(res), result_name(res),
	    use_color ? "\033[0m" : "", reason);
	/* -terse: the staple's status and the signatures' days left. */
	if (!nagios && opt.terse && ocsp_shown(c))
		printf(" (ocsp=%s)", ocsp_word(rep));
	if (!nagios && opt.terse && rep->dnssec.when != 0)
		printf(" (dnssec=%lldd)", dnssec_days(rep->dnssec.when));
	putchar('\n');
}

/* -nagios long output: the staple of a verified check (ocsp_shown()). */
void
print_ocsp_line(const struct check *c)
{
	char	 head[MAX_HOSTNAME + 80], line[MAX_TEXT];

	format_header(c, head, sizeof(head));
	strlcpy(line, ocsp_text(&c->rep), sizeof(line));
	printf("%s: %s: %s\n", head, result_name(final_result(c)),
	    nagios_safe(line));
}

static void
print_check_text(const struct check *c)
{
	const struct report	*rep = &c->rep;
	const struct tlsa_line	*l;
	char			 line[3 * MAX_TEXT];
	size_t			 i;

	if (opt.quiet && final_result(c) == R_VERIFIED) {
		if (opt.show_tlsa)
			print_suggested_tlsa(c);
		return;
	}
	print_check_line(c, 0);
	if (opt.terse) {
		print_warnings_terse(c);
		print_probes_terse(c);
		print_ns(c, 1, 0);
		if (opt.show_tlsa)
			print_suggested_tlsa(c);
		return;
	}
	for (i = 0; i < rep->ndetails; i++)
		printf("    %s\n", esc(rep->details[i]));
	for (i = 0; i < rep->ntlsa; i++) {
		l = &rep->tlsa[i];
		printf("    TLSA %u %u %u %.*s%s: %s\n", l->usage,
		    l->selector, l->mtype, opt.debug ? 2048 : 16, l->hex,
		    !opt.debug && strlen(l->hex) > 16 ? "..." : "",
		    esc(l->text));
	}
	if (rep->dnssec.when != 0) {
		format_dnssec(rep, line, sizeof(line));
		printf("    %s\n", line);
	}
	if (rep->tls_version != NULL) {
		printf("    TLS %s %s, SNI %s\n", esc(rep->tls_version),
		    esc(rep->tls_cipher), esc(rep->sni));
		printf("    %s\n", ocsp_text(rep));
	}
	for (i = 0; i < rep->nwarns; i++)
		printf("    warning: %s\n", esc(rep->warns[i]));
	/* Those not safe are among the warnings already. */
	for (i = 0; i < rep->nstaged; i++)
		if (rep->staged[i].safe)
			printf("    staged %s: safe to deploy: %s\n",
			    esc(rep->staged[i].file),
			    esc(rep->staged[i].reason));
	for (i = 0; i < rep->nprobes; i++) {
		format_probe(&rep->probes[i], line, sizeof(line));
		printf("    %s%s\n", probe_ok(&rep->probes[i]) ? "" :
		    "warning: ", esc(line));
	}
	print_ns(c, 0, 0);
	print_certs(rep);
	if (opt.show_tlsa)
		print_suggested_tlsa(c);
}

/* What discovery said of the target: MX or SRV lists, warnings. */
static void
print_discovery(const struct target *t)
{
	size_t	 i;

	if (!opt.terse && !opt.quiet)
		for (i = 0; i < t->rep.ndetails; i++)
			printf("%s\n", esc(t->rep.details[i]));
	for (i = 0; i < t->rep.nwarns; i++)
		printf("%s: warning: %s\n", esc(t->host),
		    esc(t->rep.warns[i]));
}

static void
text_target(const struct target *t, const struct summary *s)
{
	size_t	 i;

	print_discovery(t);
	for (i = 0; i < t->nchecks; i++)
		print_check_text(target_check(t, i));
}

static void
text_finish(const struct summary *s, int code)
{
	if (opt.quiet || opt.terse || s->checks + s->domain_warnings <= 1)
		return;
	printf("%zu checks: %zu verified, %zu with warnings, %zu failed",
	    s->checks, s->verified, s->warned, s->failed);
	if (s->domain_warnings > 0)
		printf("; %zu domain warning%s", s->domain_warnings,
		    s->domain_warnings == 1 ? "" : "s");
	putchar('\n');
}

const struct output text_output = {
	.target = text_target,
	.finish = text_finish,
};
