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
 * The differential check of dane.c against OpenSSL's own DANE
 * verifier (regress/danediff.c).  Test code only: smtpdane itself
 * never links libssl's DANE code.
 */
#ifndef DANEDIFF_H
#define DANEDIFF_H

enum diff_kind {
	DIFF_AGREE,		/* same verdict, no warning */
	DIFF_LISTED,		/* a difference of the table, on purpose */
	DIFF_UNLISTED,		/* a disagreement nobody explained: a bug */
	DIFF_SKIPPED		/* no chain both sides could read */
};

/* OpenSSL's verdict on one chain. */
struct ossl_verdict {
	int		 verified;
	int		 depth;		/* where a record matched, or -1 */
	int		 usage;		/* of the record that matched, or -1 */
	char		 why[256];	/* error string when not verified */
};

struct danediff {
	enum diff_kind		 kind;
	int			 ours;		/* dane.c said verified */
	struct ossl_verdict	 theirs;
	int			 entry;		/* table index if DIFF_LISTED */
	char			 text[1024];	/* both verdicts, one line */
};

/* Compare dane_verify()'s report r with OpenSSL on the same input. */
int		 danediff_check(const char *, size_t,
		    const struct dane_params *, const struct dane_report *,
		    struct danediff *);
size_t		 danediff_nentries(void);
const char	*danediff_entry_name(size_t);
const char	*danediff_entry_rfc(size_t);
void		 danediff_cleanup(void);

#endif /* DANEDIFF_H */
