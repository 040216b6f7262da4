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
