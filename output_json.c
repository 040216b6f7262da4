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
 * -json: one JSON object per line.  A {"discovery":{...}} object for
 * each -mx or -srv target, before its checks; one flat object per
 * check; one {"summary":{...}} object at the end.  smtpdane.1 has the
 * schema, and regress/test_json.sh holds every object to it.
 *
 * Strings are UTF-8: valid UTF-8 passes through; a byte that is not
 * part of valid UTF-8 is written as the four characters \xHH and a
 * backslash of the original as two backslashes, so the original bytes
 * can always be told back.  Control characters are \u00XX escapes.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "smtpdane.h"
#include "output.h"

/* A small JSON writer: objects and arrays nest, commas are its job. */
#define JSON_DEPTH	8

static int	 depth;
static int	 first[JSON_DEPTH];

/* The length of the valid UTF-8 sequence at s, or 0 (RFC 3629). */
static size_t
utf8_len(const unsigned char *s)
{
	size_t	 n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void
json_put_string(FILE *f, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n;

	putc('"', f);
	while (s != NULL && *s != '\0') {
		if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\\')
			fputs("\\\\\\\\", f);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\u%04x", *s);
		else if ((n = utf8_len(s)) == 0)
			fprintf(f, "\\\\x%02x", *s);
		else {
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
	putc('"', f);
}

static void
comma(void)
{
	if (!first[depth])
		putchar(',');
	first[depth] = 0;
}

static void
key(const char *name)
{
	if (name == NULL)
		return;
	comma();
	json_put_string(stdout, name);
	putchar(':');
}

static void
open_(const char *name, int c)
{
	if (name != NULL)
		key(name);
	else if (depth > 0)
		comma();
	putchar(c);
	if (depth < JSON_DEPTH - 1)
		depth++;
	first[depth] = 1;
}

static void
obj(const char *name)
{
	open_(name, '{');
}

static void
arr(const char *name)
{
	open_(name, '[');
}

static void
close_(int c)
{
	putchar(c);
	if (depth > 0)
		depth--;
	if (depth == 0) {
		putchar('\n');
		first[0] = 1;
	}
}

static void
str(const char *name, const char *v)
{
	if (name != NULL)
		key(name);
	else
		comma();
	json_put_string(stdout, v);
}

static void
num(const char *name, long long v)
{
	key(name);
	printf("%lld", v);
}

static void
boolean(const char *name, int v)
{
	key(name);
	fputs(v ? "true" : "false", stdout);
}

static void
time_pair(const char *name, const char *epoch_name, time_t t)
{
	char	 buf[32];

	format_rfc3339(t, buf, sizeof(buf));
	str(name, buf);
	num(epoch_name, (long long)t);
}

static void
strlist(const char *name, char **list, size_t n)
{
	size_t	 i;

	arr(name);
	for (i = 0; i < n; i++)
		str(NULL, list[i]);
	close_(']');
}

/* "a, b, c" (dane.c's names) as a list. */
static void
namelist(const char *name, const char *names)
{
	char	 buf[MAX_TEXT], *p, *w;

	arr(name);
	strlcpy(buf, names, sizeof(buf));
	for (p = buf; (w = strsep(&p, ",")) != NULL; ) {
		w += strspn(w, " ");
		if (*w != '\0')
			str(NULL, w);
	}
	close_(']');
}

static const char *
mode_name(enum discover_mode m)
{
	return m == DISC_MX ? "mx" : m == DISC_SRV ? "srv" : "host";
}

static void
json_discovery(const struct target *t)
{
	const struct hostinfo	*h;
	size_t			 i;

	obj(NULL);
	obj("discovery");
	str("target", t->spec);
	str("mode", mode_name(t->disc.mode));
	str("domain", t->host);
	if (t->disc.mode == DISC_SRV)
		str("service", t->disc.service);
	if (t->has_dnssec)
		str("dnssec", dns_security_name(t->dnssec));
	arr("hosts");
	for (i = 0; i < t->nhosts; i++) {
		h = &t->hosts[i];
		obj(NULL);
		str("host", h->host);
		num("port", h->port);
		if (h->canon[0] != '\0')
			str("canonical", h->canon);
		strlist("names", (char **)h->names, h->nnames);
		arr("warnings");
		if (h->warning[0] != '\0')
			str(NULL, h->warning);
		close_(']');
		close_('}');
	}
	close_(']');
	strlist("details", t->rep.details, t->rep.ndetails);
	strlist("warnings", t->rep.warns, t->rep.nwarns);
	str("result", t->rep.nwarns > 0 ? "warnings" : "ok");
	close_('}');
	close_('}');
}

static void
json_tlsa(const struct report *rep)
{
	const struct tlsa_line	*l;
	size_t			 i;

	arr("tlsa");
	for (i = 0; i < rep->ntlsa; i++) {
		l = &rep->tlsa[i];
		obj(NULL);
		num("usage", l->usage);
		num("selector", l->selector);
		num("mtype", l->mtype);
		str("data", l->hex);
		boolean("usable", l->usable);
		boolean("matched", l->matched);
		num("depth", l->depth);
		str("outcome", l->text);
		close_('}');
	}
	close_(']');
}

static void
json_certs(const struct report *rep)
{
	const struct cert_line	*l;
	size_t			 i;

	arr("certificates");
	for (i = 0; i < rep->ncerts; i++) {
		l = &rep->certs[i];
		obj(NULL);
		num("depth", l->depth);
		str("subject", l->subject);
		str("issuer", l->issuer);
		namelist("names", l->names);
		time_pair("not_before", "not_before_epoch", l->not_before);
		time_pair("not_after", "not_after_epoch", l->not_after);
		str("spki_sha256", l->spki);
		if (opt.showcerts)
			str("pem", l->pem);
		close_('}');
	}
	close_(']');
}

static void
json_suggested(const struct check *c)
{
	const struct report	*rep = &c->rep;
	char			 line[MAX_HOSTNAME + 200];
	size_t			 i;
	int			 usage;

	arr("tlsa_suggested");
	for (i = 0; i < rep->ncerts; i++) {
		if (rep->certs[i].spki[0] == '\0')
			continue;
		usage = i == 0 ? 3 : 2;
		tlsa_suggestion(c, i, line, sizeof(line));
		obj(NULL);
		num("usage", usage);
		num("selector", 1);
		num("mtype", 1);
		str("data", rep->certs[i].spki);
		boolean("published", tlsa_published(rep, usage,
		    rep->certs[i].spki));
		str("record", line);
		close_('}');
	}
	close_(']');
}

/* -staged: one object per file; records split into a list. */
static void
json_staged(const struct report *rep)
{
	const struct staged_line *l;
	char			 buf[4 * MAX_TEXT], *p, *w;
	size_t			 i;

	arr("staged");
	for (i = 0; i < rep->nstaged; i++) {
		l = &rep->staged[i];
		obj(NULL);
		str("file", l->file);
		boolean("safe", l->safe);
		boolean("bare_key", l->bare_key);
		str("reason", l->reason);
		arr("records");
		strlcpy(buf, l->records, sizeof(buf));
		for (p = buf; (w = strsep(&p, "\n")) != NULL; )
			if (*w != '\0')
				str(NULL, w);
		close_(']');
		num("tlsa_ttl", l->ttl);
		close_('}');
	}
	close_(']');
}

/* -all-keys: one object per probe. */
static void
json_probes(const struct report *rep)
{
	const struct probe_line	*l;
	size_t			 i;

	arr("key_probes");
	for (i = 0; i < rep->nprobes; i++) {
		l = &rep->probes[i];
		obj(NULL);
		str("key_type", key_type_name(l->key));
		boolean("offered", l->state != PROBE_NOT_OFFERED);
		boolean("ok", probe_ok(l));
		str("result", l->state == PROBE_NOT_OFFERED ? "not-offered" :
		    result_name(l->result));
		str("reason", l->reason);
		str("tls_version", l->tls_version);
		str("tls_cipher", l->tls_cipher);
		str("leaf_spki_sha256", l->leaf_spki);
		close_('}');
	}
	close_(']');
}

/* The RRSIG that expires first of those the verdict rests on. */
static void
json_dnssec(const struct sig_fact *f)
{
	obj("dnssec");
	time_pair("expires", "expires_epoch", (time_t)f->when);
	str("rrset_type", dns_type_name(f->type));
	str("owner", f->owner);
	str("zone", f->zone);
	num("key_tag", f->keytag);
	close_('}');
}

/* The staple of a check that reached TLS. */
static void
json_ocsp(const struct report *rep)
{
	const struct ocsp_verdict *v = rep->ocspv;
	char			 t[32];

	str("ocsp_staple", ocsp_word(rep));
	if (rep->ocsp_url[0] != '\0')
		str("ocsp_responder", rep->ocsp_url);
	if (rep->ocspv == NULL)
		return;
	if (v->detail[0] != '\0')
		str("ocsp_detail", v->detail);
	if (v->known & OCSP_HAS_THIS) {
		format_rfc3339(v->this_update, t, sizeof(t));
		str("ocsp_this_update", t);
	}
	if (v->known & OCSP_HAS_NEXT) {
		format_rfc3339(v->next_update, t, sizeof(t));
		str("ocsp_next_update", t);
	}
	if (v->known & OCSP_HAS_REVOKED) {
		format_rfc3339(v->revoked_at, t, sizeof(t));
		str("ocsp_revocation_time", t);
	}
	if (v->reason[0] != '\0')
		str("ocsp_revocation_reason", v->reason);
}

/* -all-ns: one object per server. */
static void
json_ns(const struct report *rep)
{
	const struct ns_line	*l;
	size_t			 i;

	arr("nameservers");
	for (i = 0; i < rep->nns; i++) {
		l = &rep->ns[i];
		obj(NULL);
		str("zone", l->zone);
		str("name", l->name);
		str("address", l->addr);
		str("state", ns_state_name(l->state));
		if (l->has_serial)
			num("soa_serial", l->serial);
		if (l->sig_expire != 0)
			time_pair("tlsa_rrsig_expires",
			    "tlsa_rrsig_expires_epoch", l->sig_expire);
		str("reason", l->reason);
		close_('}');
	}
	close_(']');
}

static void
json_check(const struct target *t, const struct check *c)
{
	const struct report	*rep = &c->rep;
	enum result		 res = final_result(c);

	obj(NULL);
	str("target", t->spec);
	str("host", c->host);
	str("tlsa_base", rep->base != NULL ? rep->base : "");
	str("address", c->spec->addrstr);
	num("port", c->spec->port);
	str("result", result_name(res));
	str("reason", rep->reason);
	str("stage", stage_name(rep->stage));
	strlist("names", (char **)c->spec->names, c->spec->nnames);
	if (rep->tls_version != NULL) {
		str("tls_version", rep->tls_version);
		str("tls_cipher", rep->tls_cipher);
		str("sni", rep->sni);
		json_ocsp(rep);
	}
	if (rep->dnssec.when != 0)
		json_dnssec(&rep->dnssec);
	strlist("warnings", rep->warns, rep->nwarns);
	strlist("details", rep->details, rep->ndetails);
	json_tlsa(rep);
	json_certs(rep);
	if (opt.show_tlsa)
		json_suggested(c);
	if (rep->nstaged > 0)
		json_staged(rep);
	if (opt.all_keys)
		json_probes(rep);
	if (opt.all_ns)
		json_ns(rep);
	num("elapsed_ms", rep->started ? (long long)(rep->ended -
	    rep->started) : 0LL);
	close_('}');
}

static void
json_target(const struct target *t, const struct summary *s)
{
	const struct check	*c;
	size_t			 i;

	if (t->disc.mode != DISC_HOST && (!opt.quiet || t->rep.nwarns > 0))
		json_discovery(t);
	for (i = 0; i < t->nchecks; i++) {
		c = target_check(t, i);
		if (!opt.quiet || final_result(c) != R_VERIFIED ||
		    opt.show_tlsa)
			json_check(t, c);
	}
}

static void
json_finish(const struct summary *s, int code)
{
	obj(NULL);
	obj("summary");
	num("checks", s->checks);
	num("verified", s->verified);
	num("warnings", s->warned);
	num("failed", s->failed);
	num("targets", s->targets);
	num("targets_failed", s->targets_failed);
	num("domain_warnings", s->domain_warnings);
	if (s->staged > 0)
		num("staged_unsafe", s->staged_unsafe);
	if (opt.all_keys) {
		num("keys_checked", s->keys_checked);
		num("keys_failed", s->keys_failed);
	}
	if (opt.all_ns) {
		num("ns_checked", s->ns_checked);
		num("ns_differ", s->ns_differ);
		num("ns_failed", s->ns_failed);
	}
	if (s->cert_days_known)
		num("cert_days", s->cert_days);
	if (s->dnssec_known)
		num("dnssec_days", s->dnssec_days);
	if (s->gave_up[0] != '\0')
		str("gave_up", s->gave_up);
	num("elapsed_ms", s->elapsed_ms);
	num("exit", code);
	close_('}');
	close_('}');
}

const struct output json_output = {
	.target = json_target,
	.finish = json_finish,
};
