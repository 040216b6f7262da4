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
 * For regress/test_openbsd.sh only: the system's <unistd.h>, plus
 * pledge(2) and unveil(2) declared as OpenBSD's <unistd.h> declares
 * them, so that sandbox_openbsd.c compiles (-fsyntax-only) on a
 * system that has neither.  Nothing built from this header is run.
 */
#ifndef SMTPDANE_REGRESS_OPENBSD_UNISTD_H
#define SMTPDANE_REGRESS_OPENBSD_UNISTD_H

#include_next <unistd.h>

int	pledge(const char *, const char *);
int	unveil(const char *, const char *);

#endif
