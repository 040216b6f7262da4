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
 * Sharing one connection.  Checks of the same (host, address, port) for
 * targets with other reference names (two mail domains with one mail
 * host) share the first one's connection: once it is done, a verify
 * child judges the chain it saw for the other names, without a network
 * of its own; a check that never got as far as a chain takes the first
 * one's verdict, which did not depend on names.
 *
 * share_or_enqueue() makes a new check a leader, queued, or a follower
 * of one; follower_ready() hands a finished leader's facts on, and
 * start_verify_child() gives the verify child its leader's chain.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

static struct index	 by_conn = { NULL, 0, 0, 1 };

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
	f->ocspv = l->ocspv;	/* shared, never freed */
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

void
followers_ready(size_t leader)
{
	size_t	 k;

	for (k = 0; k < checks[leader].nfollowers; k++)
		follower_ready(checks[leader].followers[k]);
}

void
share_or_enqueue(size_t i)
{
	struct check	*c = &checks[i], *l;
	char		*ck;
	size_t		 li;

	/* The base domain candidates too: a follower is judged under the
	 * base its leader chose. */
	ck = xprintf("%s\n%s\n%u\n%s\n%s", c->host, c->spec->addrstr,
	    c->spec->port, c->spec->bases[0], c->spec->nbases > 1 ?
	    c->spec->bases[1] : "");
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
	    c->spec->addrstr, c->spec->port, li);
	if (l->finished)
		follower_ready(i);
}

/* A leader let go of (print.c): a later check makes its own connection. */
void
forget_connection(size_t i)
{
	index_forget(&by_conn, i);
}

/* In the verify child: the leader's chain and records, our names. */
__dead void
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
	vs.check = c->spec;
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
	vs.ocsp = l->ocspv;
	vs.ns_fail = l->ns_fail != NULL ? l->ns_fail : "";
	verify_child(fd, &vs);
}

