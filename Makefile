# Copyright (c) 2026 the smtpdane authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

# smtpdane: works with GNU make (Debian) and OpenBSD make.

PROG=		smtpdane
PREFIX?=	/usr/local
BINDIR?=	$(PREFIX)/bin

CC?=		cc
# Test programs and smtpdane-san are built with sanitizers.
TESTCC?=	clang
OPT?=		-O2 -g
WARN=		-Wall -Wextra -Wmissing-prototypes -Wshadow -Wpointer-arith \
		-Wno-unused-parameter
SAN=		-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all

# The platform decides the sandbox and where BSD functions come from:
# OpenBSD has pledge/unveil and strlcpy/vis in libc; Linux gets seccomp
# plus Landlock, and libbsd for the BSD functions.
OS!=		uname -s
SANDBOX!=	if [ "$(OS)" = OpenBSD ]; then echo sandbox_openbsd.c; \
		else echo sandbox_linux.c; fi
PLAT_PKGS!=	if [ "$(OS)" = OpenBSD ]; then echo; \
		else echo libbsd-overlay libseccomp; fi
PLAT_CFLAGS!=	if [ "$(OS)" = OpenBSD ]; then echo; \
		else echo -D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS; fi
# Manuals: PREFIX/man on OpenBSD, PREFIX/share/man elsewhere.
MANBASE!=	if [ "$(OS)" = OpenBSD ]; then echo man; \
		else echo share/man; fi
MANDIR?=	$(PREFIX)/$(MANBASE)/man1

# libssl: the OCSP staple is read from the SSL object under libtls (ocsp.c).
PKGS=		libtls libunbound libevent libssl libcrypto $(PLAT_PKGS)
PKG_CFLAGS!=	pkg-config --cflags $(PKGS)
PKG_LIBS!=	pkg-config --libs $(PKGS)

CFLAGS+=	-std=c99 $(OPT) $(WARN)
# CPPFLAGS from the environment (Debian's -D_FORTIFY_SOURCE=2) come in
# with the project's own; every compile line uses ALL_CFLAGS.
ALL_CFLAGS=	$(CPPFLAGS) $(PLAT_CFLAGS) $(PKG_CFLAGS) -I. $(CFLAGS)
LDLIBS+=	$(PKG_LIBS)
# Every symbol bound at start, in the parent: a check child would
# otherwise bind on first use each function the parent never called,
# writing to its copy of the GOT (about 2% of a check's CPU).
BIND_NOW=	-Wl,-z,relro,-z,now

LIBSRCS=	dns.c sigs.c anchors.c discover.c smtp.c allns.c dane.c ocsp.c \
		msg.c util.c forkspec.c $(SANDBOX)
# The parent only: main() and the files of parent.h, the options and
# the output renderers.
PARENTSRCS=	smtpdane.c targets.c checks.c index.c prime.c share.c jobs.c \
		forker.c report.c print.c
OUTSRCS=	options.c output.c output_text.c output_json.c output_nagios.c
SRCS=		$(PARENTSRCS) priv.c $(OUTSRCS) $(LIBSRCS)
HDRS=		smtpdane.h output.h parent.h

REGRESS_PROGS=	regress/test_dane regress/test_dns regress/test_anchors \
		regress/test_smtp regress/test_util regress/test_danediff \
		regress/test_ocsp regress/test_index \
		regress/dnsq regress/labsmtpd regress/labsmtpd-dual \
		regress/blackhole

all: $(PROG)

$(PROG): $(SRCS) $(HDRS)
	$(CC) $(ALL_CFLAGS) -o $@ $(SRCS) $(BIND_NOW) $(LDFLAGS) $(LDLIBS)

# The same program under AddressSanitizer and UBSan, for regress.
$(PROG)-san: $(SRCS) $(HDRS)
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -o $@ $(SRCS) $(BIND_NOW) $(LDFLAGS) \
	    $(LDLIBS)

# For valgrind, which emulates neither seccomp nor Landlock: the same
# program with a sandbox that does nothing.  Never installed.
$(PROG)-valgrind: $(SRCS) $(HDRS) regress/sandbox/nosandbox.c
	$(CC) $(ALL_CFLAGS) -o $@ $(SRCS:$(SANDBOX)=regress/sandbox/nosandbox.c) \
	    $(BIND_NOW) $(LDFLAGS) $(LDLIBS)

# The real parent with hostile children (regress/fake/): test code only.
FAKE_SRCS=	$(PARENTSRCS) priv.c $(OUTSRCS) dns.c sigs.c anchors.c allns.c \
		msg.c util.c forkspec.c regress/sandbox/nosandbox.c \
		regress/fake/fakechild.c
$(PROG)-fake: $(FAKE_SRCS) $(HDRS)
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -o $@ $(FAKE_SRCS) $(LDFLAGS) $(LDLIBS)

# Unit tests always run under the sanitizers.
# The DANE tests also ask OpenSSL's own DANE verifier (libssl), the
# second opinion of regress/danediff.c.
DIFFSRCS=	regress/danediff.c dane.c util.c
DIFFHDRS=	$(HDRS) regress/danediff.h

regress/test_dane: regress/test_dane.c $(DIFFSRCS) $(DIFFHDRS)
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -Iregress -o $@ regress/test_dane.c \
	    $(DIFFSRCS) $(LDLIBS) -lssl

# The same comparison over every lab server (regress/lab/work).
regress/test_danediff: regress/test_danediff.c $(DIFFSRCS) $(DIFFHDRS)
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -Iregress -o $@ regress/test_danediff.c \
	    $(DIFFSRCS) $(LDLIBS) -lssl

regress/test_dns: regress/test_dns.c dns.c sigs.c anchors.c util.c $(HDRS) \
		regress/unit_dns.h
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -o $@ regress/test_dns.c dns.c sigs.c anchors.c \
	    util.c $(LDLIBS)

# dns.c for dns_config_free() only.
regress/test_anchors: regress/test_anchors.c anchors.c dns.c sigs.c util.c \
		$(HDRS) regress/unit_dns.h
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -o $@ regress/test_anchors.c anchors.c \
	    dns.c sigs.c util.c $(LDLIBS)

regress/test_smtp: regress/test_smtp.c $(LIBSRCS) $(HDRS)
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -o $@ regress/test_smtp.c $(LIBSRCS) \
	    $(LDLIBS)

regress/test_ocsp: regress/test_ocsp.c ocsp.c dane.c util.c $(HDRS)
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -o $@ regress/test_ocsp.c ocsp.c dane.c \
	    util.c $(LDLIBS)

regress/test_util: regress/test_util.c util.c $(HDRS)
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -o $@ regress/test_util.c util.c $(LDLIBS)

regress/test_index: regress/test_index.c index.c $(HDRS)
	$(TESTCC) $(ALL_CFLAGS) $(SAN) -o $@ regress/test_index.c index.c

regress/dnsq: regress/dnsq.c dns.c sigs.c anchors.c util.c $(HDRS)
	$(CC) $(ALL_CFLAGS) -o $@ regress/dnsq.c dns.c sigs.c anchors.c util.c $(LDLIBS)

regress/labsmtpd: regress/labsmtpd.c
	$(CC) $(ALL_CFLAGS) -o $@ regress/labsmtpd.c $(LDLIBS)

regress/labsmtpd-dual: regress/labsmtpd-dual.c
	$(CC) $(ALL_CFLAGS) -o $@ regress/labsmtpd-dual.c $(SSL_LIBS) $(LDLIBS)

regress/blackhole: regress/blackhole.c
	$(CC) $(ALL_CFLAGS) -o $@ regress/blackhole.c $(LDLIBS)

# make bench: its server, the null client and the measuring wrapper.
BENCH_PROGS=	regress/benchsmtpd regress/nullclient regress/benchrun
SSL_LIBS!=	pkg-config --libs libssl libcrypto

regress/benchsmtpd: regress/benchsmtpd.c
	$(CC) $(ALL_CFLAGS) -o $@ regress/benchsmtpd.c $(SSL_LIBS) $(LDLIBS)

regress/nullclient: regress/nullclient.c
	$(CC) $(ALL_CFLAGS) -o $@ regress/nullclient.c $(LDLIBS)

regress/benchrun: regress/benchrun.c
	$(CC) $(ALL_CFLAGS) -pthread -o $@ regress/benchrun.c $(LDLIBS)

regress-progs: $(PROG) $(PROG)-san $(PROG)-valgrind $(PROG)-fake \
		$(REGRESS_PROGS) $(BENCH_PROGS)

# The test command: installs what is missing, builds, runs everything.
regress:
	sh regress/install-deps.sh
	$(MAKE) regress-progs
	SMTPDANE="./$(PROG) ./$(PROG)-san" sh regress/regress.sh

# Bring the lab up, check a good and a broken demo host, take it down.
demo:
	sh regress/demo.sh

# Throughput, CPU and memory over N bench hosts, in a network namespace
# of its own (figures, not assertions; see regress/bench.sh).
bench: $(PROG) $(BENCH_PROGS)
	sh regress/bench.sh

# Each libFuzzer harness for FUZZ_SECONDS (regress runs their corpora).
FUZZ_SECONDS?=	300
fuzz:
	sh regress/fuzz/run.sh fuzz $(FUZZ_SECONDS)

install: $(PROG)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 $(PROG) $(DESTDIR)$(BINDIR)/$(PROG)
	install -m 644 $(PROG).1 $(DESTDIR)$(MANDIR)/$(PROG).1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/$(PROG) $(DESTDIR)$(MANDIR)/$(PROG).1

# lab.sh down also stops what a killed run left behind: the lab's
# namespace is one of networks only, its process ids are the host's.
clean:
	-sh regress/lab/lab.sh down
	rm -f $(PROG) $(PROG)-san $(PROG)-valgrind $(PROG)-fake \
	    $(REGRESS_PROGS) $(BENCH_PROGS)
	rm -f regress/fuzz/*-fuzz regress/lab/.lock
	rm -rf regress/lab/work regress/fuzz/work

.PHONY: all regress regress-progs demo bench fuzz install uninstall clean
