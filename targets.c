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
 * Target intake: each target the command line or the -f file names
 * becomes a struct target with what its discovery needs; a malformed
 * one is a usage error on the command line and a verdict of its own
 * (R_USAGE, "FILE:LINE: why") in a file, so that one bad line does
 * not stop a long list.
 */
#include <sys/types.h>

#include <string.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

struct target		*targets;
size_t			 ntargets;
static size_t		 targets_cap;
const char		*target_file;	/* -f, for "FILE:LINE:" */

/* A line of the -f file that names no target: its own verdict. */
static struct target *new_target(const char *, int);

static void
add_bad_line(const char *spec, int lineno, const char *why)
{
	struct target	*t;

	t = new_target(spec, lineno);
	t->host = xstrdup(spec);
	t->port = opt.port;
	t->discovered = 1;
	add_verdict(t, R_USAGE, "%s:%d: %s", target_file, lineno, why);
}

static struct target *
new_target(const char *spec, int lineno)
{
	struct target	*t;

	if (ntargets == targets_cap) {
		targets_cap = targets_cap ? targets_cap * 2 : 64;
		targets = xreallocarray(targets, targets_cap,
		    sizeof(*targets));
	}
	t = &targets[ntargets++];
	memset(t, 0, sizeof(*t));
	t->spec = xstrdup(spec);
	t->lineno = lineno;
	return t;
}

void
add_target(const char *spec, int lineno)
{
	struct target	*t;
	char		 host[MAX_HOSTNAME];
	const char	*why;

	t = new_target(spec, lineno);
	/* "smtpdane -- -x": a word after "--" is no option, nor a host. */
	if (spec[0] == '-')
		why = "a target cannot begin with '-'";
	else
		why = parse_target(spec, opt.port, host, sizeof(host),
		    &t->port);
	if (why != NULL) {
		/* A malformed target on the command line is a usage error;
		 * an address literal, or a bad line of a file, a verdict. */
		if (lineno == 0 && why != target_address_error)
			usage_error("bad target \"%s\": %s", spec, why);
		t->host = xstrdup(spec);
		t->port = opt.port;
		t->discovered = 1;
		if (lineno > 0)
			add_verdict(t, R_USAGE, "%s:%d: %s", target_file,
			    lineno, why);
		else
			add_verdict(t, R_USAGE, "%s", why);
		return;
	}
	t->host = xstrdup(host);
	t->disc.name = t->host;
	t->disc.mode = disc_mode;
	t->disc.service = disc_service;
	t->disc.port = t->port;
	/* Host names have no ':'; address literals were refused. */
	t->disc.port_given = strchr(spec, ':') != NULL;
	t->disc.family = opt.family;
	t->disc.timeout = opt.timeout;
}

/*
 * One target per line; '#' comments and blank lines are skipped.  A
 * line with more than one word is a bad line, not its first word.
 */
void
add_targets_from_text(char *text)
{
	char	*line, *next, *hash, *end;
	int	 lineno = 0;

	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		line += strspn(line, " \t\r");
		end = line + strcspn(line, " \t\r");
		if (end[strspn(end, " \t\r")] != '\0') {
			add_bad_line(line, lineno, "more than one word on "
			    "the line");
			continue;
		}
		*end = '\0';
		if (*line != '\0')
			add_target(line, lineno);
	}
}
