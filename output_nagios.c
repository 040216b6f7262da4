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
 * -nagios: the Monitoring Plugins form.  One status line with the
 * performance data, then a line for each check and discovery warning
 * that is not plainly verified:
 *
 *	DANE STATE - TEXT | checks=N verified=N warnings=N failed=N
 *	    domain_warnings=N time=S.SSSs 'cert_days'=D;W;C;;
 *	    'dnssec_days'=D;W;;;
 *
 * Nothing is printed until the end: the status line comes first.
 * Text that is not smtpdane's own never brings a '|' (nagios_safe()).
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "smtpdane.h"
#include "output.h"

static void
nagios_target(const struct target *t, const struct summary *s)
{
}

static void
nagios_finish(const struct summary *s, int code)
{
	static const char *const states[] = {
		"OK", "WARNING", "CRITICAL", "UNKNOWN"
	};
	const struct target	*t;
	const struct check	*c;
	char			 gave_up[MAX_TEXT], first[MAX_TEXT];
	size_t			 i, k, warnings;

	warnings = s->warned + s->domain_warnings;
	printf("DANE %s - ", states[code]);
	strlcpy(gave_up, s->gave_up, sizeof(gave_up));
	if (s->gave_up[0] != '\0')
		printf("%zu/%zu checks failed: smtpdane: %s", s->failed,
		    s->checks, nagios_safe(esc(gave_up)));
	else if (code == 0)
		printf("%zu/%zu checks verified", s->verified, s->checks);
	else if (code == 1) {
		strlcpy(first, s->first_warn, sizeof(first));
		printf("%zu/%zu checks verified, %zu warning%s: %s",
		    s->verified + s->warned, s->checks, warnings,
		    warnings == 1 ? "" : "s", nagios_safe(first));
	} else if (s->failed == 0) {
		printf("%zu/%zu checks verified, certificate expires in %lld "
		    "day%s (-critical)", s->verified + s->warned, s->checks,
		    s->cert_days, s->cert_days == 1 ? "" : "s");
	} else {
		strlcpy(first, s->first_bad, sizeof(first));
		printf("%zu/%zu checks failed: %s", s->failed, s->checks,
		    nagios_safe(first));
	}
	printf(" | checks=%zu verified=%zu warnings=%zu failed=%zu "
	    "domain_warnings=%zu time=%.3fs", s->checks, s->verified,
	    s->warned, s->failed, s->domain_warnings, s->elapsed_ms / 1000.0);
	if (s->staged > 0)
		printf(" staged_safe=%d", s->staged_unsafe == 0);
	if (opt.all_keys)
		printf(" keys_checked=%zu keys_failed=%zu", s->keys_checked,
		    s->keys_failed);
	if (opt.all_ns)
		printf(" ns_checked=%zu ns_differ=%zu ns_failed=%zu",
		    s->ns_checked, s->ns_differ, s->ns_failed);
	if (s->cert_days_known) {
		printf(" 'cert_days'=%lld;", s->cert_days);
		if (opt.warn_window > 0)
			printf("%lld", (long long)opt.warn_window / 86400);
		putchar(';');
		if (opt.crit_window > 0)
			printf("%lld", (long long)opt.crit_window / 86400);
		printf(";;");
	}
	if (s->dnssec_known) {
		printf(" 'dnssec_days'=%lld;", s->dnssec_days);
		if (opt.dnssec_window > 0)
			printf("%lld", (long long)opt.dnssec_window / 86400);
		printf(";;;");
	}
	putchar('\n');
	for (i = 0; i < ntargets; i++) {
		t = &targets[i];
		for (k = 0; k < t->rep.nwarns; k++)
			printf("%s: warning: %s\n", esc(t->host),
			    nagios_safe(esc(t->rep.warns[k])));
		for (k = 0; k < t->nchecks; k++) {
			c = target_check(t, k);
			if (final_result(c) != R_VERIFIED)
				print_check_line(c, 1);
			if (ocsp_shown(c))
				print_ocsp_line(c);
			print_ns(c, 1, 1);
		}
	}
}

const struct output nagios_output = {
	.target = nagios_target,
	.finish = nagios_finish,
};
