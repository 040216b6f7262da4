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
 * Ordered printing: a target is printed, in input order, once it is
 * complete (discovered, every check done, and the -dnssec-warning
 * walks its checks rest on finished); its checks' signature times are
 * judged then, once.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

static size_t		 next_to_print;

/*
 * -dnssec-warning: what the RRSIGs under one check come to: its own
 * (the TLSA RRset's, and the chain above it that only the child
 * walked), its host's address RRset's and its target's MX or SRV
 * RRset's, with the chains above their zones that the parent walked.
 * Judged once, when its target is complete.  Only a check that found
 * a secure TLSA RRset has a DANE verdict for these to rest under.
 */

/* f's times into s; with walked, the chains above its zones too. */
static void
add_sig_facts(struct dns_sigs *s, const struct sig_facts *f, int walked,
    char *why, size_t whylen)
{
	size_t	 i;

	if (f == NULL)
		return;
	sigs_add_facts(s, &f->first, &f->bad, f->bad_future);
	if (f->why[0] != '\0' && why[0] == '\0')
		strlcpy(why, f->why, whylen);
	for (i = 0; walked && i < f->nzones; i++)
		(void)sigs_chain(f->zones[i], s, why, whylen);
}

static void
check_sigs(const struct target *t, const struct check *c,
    struct dns_sigs *s, char *why, size_t whylen)
{
	const struct hostinfo	*h = find_host(t, c->host);

	memset(s, 0, sizeof(*s));
	why[0] = '\0';
	add_sig_facts(s, c->rep.sigs, 0, why, whylen);
	if (h != NULL)
		add_sig_facts(s, h->sigs[c->spec->addr.ss_family == AF_INET6], 1,
		    why, whylen);
	add_sig_facts(s, t->sigs, 1, why, whylen);
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
	check_sigs(t, c, &s, why, sizeof(why));
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

/* Are the parent's walks above f's zones done? */
static int
walks_done(const struct sig_facts *f)
{
	size_t	 i;

	for (i = 0; f != NULL && i < f->nzones; i++)
		if (!sigs_chain(f->zones[i], NULL, NULL, 0))
			return 0;
	return 1;
}

/* A target is complete once the walks its checks rest on are done. */
static int
sigs_ready(const struct target *t)
{
	size_t	 i;

	if (!walks_done(t->sigs))
		return 0;
	for (i = 0; i < t->nhosts; i++)
		if (!walks_done(t->hosts[i].sigs[0]) ||
		    !walks_done(t->hosts[i].sigs[1]))
			return 0;
	return 1;
}

/*
 * Letting go.  Once every target that lists a check is printed, nothing
 * reads its lines again (but -nagios, which prints them all at the
 * end).  A leader waits until its followers are let go of, since their
 * verify children start from its chain.  A check let go of leaves both
 * indexes: a target discovered later makes a new one, and its own
 * connection, and so is printed whole.  The parent keeps a few hundred
 * bytes of a printed check, not its kilobytes of lines.
 */
static void
release_check(size_t i)
{
	struct check	*c = &checks[i];
	size_t		 k;

	if (c->spec == NULL || c->nunprinted > 0)
		return;		/* let go of already, or still to print */
	for (k = 0; k < c->nfollowers; k++)
		if (checks[c->followers[k]].spec != NULL)
			return;
	forget_check(i);
	forget_connection(i);
	report_release(&c->rep, c->leader != SIZE_MAX);
	/* What the child was given: half of what a printed check kept. */
	free(c->spec);
	c->spec = NULL;
	if (c->leader != SIZE_MAX)
		release_check(c->leader);
}

static void
release_target(struct target *t)
{
	size_t	 i;

	if (opt.nagios)
		return;
	target_release(t);
	for (i = 0; i < t->nchecks; i++) {
		checks[t->checks[i]].nunprinted--;
		release_check(t->checks[i]);
	}
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

void
print_ready(void)
{
	struct target	*t;
	size_t		 i, first = next_to_print;

	while (next_to_print < ntargets &&
	    target_complete(&targets[next_to_print])) {
		t = &targets[next_to_print++];
		for (i = 0; i < t->nchecks; i++)
			judge_sigs(t, &checks[t->checks[i]]);
		output_target(t);
		release_target(t);
	}
	/* One write for the lines that were ready together. */
	if (next_to_print != first)
		check_output();
}

