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
 * Linux: every stage is a seccomp-bpf allowlist (libseccomp) plus a
 * Landlock domain.  Filters and domains stack: each stage adds one,
 * so a process only ever narrows, and a child keeps all its parent
 * had on top of its own.
 *
 * seccomp decides which system calls exist at all and checks their
 * arguments where that matters (socket families and protocols, send
 * flags, socket options, no executable memory, fork only).  Landlock
 * decides what the calls reach: no file at all once set-up is done,
 * TCP connections only to the ports a stage names (ABI 4), no TCP
 * bind, signals only within the domain (ABI 6).  Each covers a blind
 * spot of the other: Landlock sees neither TCP Fast Open nor MPTCP
 * and knows no UDP; seccomp cannot read a path or an address.
 *
 * A forbidden call raises SIGSYS.  The handler, installed by
 * sandbox_init(), reports it: a child sends one MSG_SANDBOX frame
 * with the system call number to its parent, the parent writes a
 * line to stderr; both then exit.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpdane.h"

/*
 * Landlock definitions newer than Debian 12's kernel headers (6.1).
 * They are the kernel's ABI and never change.
 */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE			/* ABI 3 */
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV			/* ABI 5 */
#define LANDLOCK_ACCESS_FS_IOCTL_DEV		(1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP			/* ABI 4 */
#define LANDLOCK_ACCESS_NET_BIND_TCP		(1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP		(1ULL << 1)
#define LANDLOCK_RULE_NET_PORT			2
struct landlock_net_port_attr {
	uint64_t	allowed_access;
	uint64_t	port;
} __attribute__((__packed__));
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL				/* ABI 6 */
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL			(1ULL << 1)
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP				1	/* si_code */
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT			24
#endif

/*
 * The ruleset attribute as of ABI 6.  An older kernel takes it whole
 * when the fields it does not know are zero.
 */
struct sb_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

/*
 * Sanitizer builds (smtpdane-san).  LeakSanitizer checks at exit from
 * a thread that ptraces the others and reads /proc, all of which the
 * sandbox forbids: leaks are left to the unit tests.  An error report
 * must not die half-way on the filter: no colour (isatty), and the
 * open, openat and stat that read /proc/self/maps fail instead of
 * trapping (REFUSE below; openat stays allowed for reading in the
 * start stage).  Landlock denies those files anyway.  ASAN_OPTIONS
 * still overrides these defaults.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SB_ASAN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_ASAN
#endif
#endif
#ifdef SB_ASAN
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0:color=never";
}
#endif

/*
 * The allowlist: one line per system call and set of stages, with
 * the argument check that applies.  REFUSE lines make a call fail
 * with an errno instead, where a library then falls back.  Anything
 * else raises SIGSYS.  A stage's line must be in every earlier stage
 * of the process too (its filters stay), and a child's in the
 * parent's start and run stages (it inherits them).
 */
#define SB(s)	(1U << (s))
#define PS	SB(SB_PARENT_START)
#define PR	SB(SB_PARENT_RUN)
#define PW	SB(SB_PARENT_WAIT)
#define CN	SB(SB_CHILD_NET)
#define CP	SB(SB_CHILD_PARSE)
#define EVERY	(PS | PR | PW | CN | CP)
#define PARENT	(PS | PR | PW)
#define CHILD	(CN | CP)
#define FORK	(PS | PR)		/* the parent until all is forked */
#define NET	(PS | PR | CN)		/* DNS, SMTP, narrowing further */
#define IO	(PS | PR | PW | CN)	/* reading pipes and sockets */

enum sb_arg {
	A_ANY,
	A_NOEXEC,	/* mmap, mprotect: no PROT_EXEC */
	A_EXEC,		/* mmap, mprotect: PROT_EXEC */
	A_RDONLY,	/* openat: no write, create or truncate flag */
	A_UNIX,		/* socket, socketpair: AF_UNIX */
	A_INET,		/* socket: TCP or UDP over IPv4 or IPv6 */
	A_NOTFO,	/* sendto: no MSG_FASTOPEN */
	A_TFO,		/* sendto: MSG_FASTOPEN */
	A_NOTFO_MSG,	/* sendmsg: no MSG_FASTOPEN */
	A_TFO_MSG,	/* sendmsg: MSG_FASTOPEN */
	A_SETSOCKOPT,	/* setsockopt: what libunbound and smtp.c set */
	A_TFO_CONNECT,	/* setsockopt: TCP_FASTOPEN_CONNECT */
	A_SO_ERROR,	/* getsockopt: SO_ERROR */
	A_FCNTL,	/* fcntl: status and descriptor flags */
	A_TCGETS,	/* ioctl: TCGETS, isatty(3) */
	A_FORK,		/* clone: exactly as fork(2) */
	A_KILL,		/* kill: SIGKILL to one process */
	A_PDEATHSIG,	/* prctl: PR_SET_PDEATHSIG, SIGKILL */
	A_ABORT,	/* tgkill: SIGABRT */
	A_ABORT_SELF,	/* tgkill: SIGABRT to this process */
	A_SECCOMP	/* seccomp: one more filter */
};

struct sb_rule {
	const char	*name;
	unsigned int	 stages;
	enum sb_arg	 arg;
	int		 refuse;	/* errno; 0 allows */
};

#define ALLOW(name, stages, arg)	{ name, stages, arg, 0 }
#define REFUSE(name, stages, arg, e)	{ name, stages, arg, e }

static const struct sb_rule sb_rules[] = {
	/* memory: malloc and free; nothing executable is ever mapped */
	ALLOW("brk",		EVERY,	A_ANY),
	ALLOW("mmap",		EVERY,	A_NOEXEC),
	ALLOW("munmap",		EVERY,	A_ANY),
	ALLOW("mremap",		EVERY,	A_ANY),
	ALLOW("mprotect",	EVERY,	A_NOEXEC),	/* guard pages */
	ALLOW("madvise",	EVERY,	A_ANY),		/* free() handing pages
							   back (the sanitizers'
							   allocator) */
	/* getpwnam, getservbyname: NSS modules fail, files serve */
	REFUSE("mmap",		PS,	A_EXEC, EACCES),
	REFUSE("mprotect",	PS,	A_EXEC, EACCES),

	/* the process itself */
	ALLOW("exit_group",	EVERY,	A_ANY),		/* exit, _exit */
	ALLOW("rt_sigreturn",	EVERY,	A_ANY),		/* end of a handler */
	ALLOW("restart_syscall", EVERY,	A_ANY),		/* after a signal */
	ALLOW("rt_sigprocmask",	EVERY,	A_ANY),		/* abort */
	ALLOW("tgkill",		PARENT,	A_ABORT),	/* abort */
	ALLOW("tgkill",		CHILD,	A_ABORT_SELF),	/* abort */
	ALLOW("getpid",		EVERY,	A_ANY),		/* OpenSSL, abort */
	ALLOW("gettid",		EVERY,	A_ANY),		/* sanitizers */
	ALLOW("sigaltstack",	EVERY,	A_ANY),		/* sanitizers */
	ALLOW("futex",		EVERY,	A_ANY),		/* locks, run-once */
	ALLOW("clock_gettime",	EVERY,	A_ANY),		/* when not vDSO */
	ALLOW("gettimeofday",	EVERY,	A_ANY),		/* when not vDSO */
	ALLOW("getrandom",	EVERY,	A_ANY),		/* OpenSSL, unbound */
	ALLOW("sysinfo",	EVERY,	A_ANY),		/* glibc qsort */
	ALLOW("getuid",		NET,	A_ANY),		/* libevent */
	ALLOW("geteuid",	NET,	A_ANY),		/* libevent */
	ALLOW("getgid",		NET,	A_ANY),		/* libevent */
	ALLOW("getegid",	NET,	A_ANY),		/* libevent */

	/* descriptors */
	ALLOW("read",		IO,	A_ANY),		/* files, pipes, DNS */
	ALLOW("write",		EVERY,	A_ANY),		/* reports, output */
	ALLOW("writev",		NET,	A_ANY),		/* DNS over TCP */
	ALLOW("close",		EVERY,	A_ANY),
	ALLOW("fcntl",		NET,	A_FCNTL),	/* O_NONBLOCK */
	ALLOW("pipe2",		NET,	A_ANY),		/* jobs; libevent */
	ALLOW("poll",		IO,	A_ANY),		/* job loop, SMTP */
	ALLOW("ppoll",		IO,	A_ANY),		/* poll elsewhere */
	ALLOW("newfstatat",	PARENT,	A_ANY),		/* stdio, files */
	ALLOW("fstat",		PARENT,	A_ANY),		/* the same */
	ALLOW("ioctl",		PARENT,	A_TCGETS),	/* stdio: isatty */

	/* set-up: files and identity */
	ALLOW("openat",		PS,	A_RDONLY),	/* anchors, -f */
	ALLOW("lseek",		PS,	A_ANY),		/* getpwnam */
	ALLOW("socketpair",	PS,	A_UNIX),	/* ub_ctx_create */
	REFUSE("socket",	PS,	A_UNIX, EACCES),	/* nscd */
	ALLOW("getresuid",	PS,	A_ANY),		/* priv_drop */
	ALLOW("getresgid",	PS,	A_ANY),		/* priv_drop */
	ALLOW("getgroups",	PS,	A_ANY),		/* priv_drop */
	ALLOW("setgroups",	PS,	A_ANY),		/* priv_drop */
	ALLOW("setresgid",	PS,	A_ANY),		/* priv_drop */
	ALLOW("setresuid",	PS,	A_ANY),		/* priv_drop */
	ALLOW("setuid",		PS,	A_ANY),		/* priv_drop: fails */

	/* children */
	ALLOW("clone",		FORK,	A_FORK),	/* fork */
	REFUSE("clone3",	EVERY,	A_ANY, ENOSYS),	/* so: clone */
	ALLOW("set_robust_list", FORK,	A_ANY),		/* new child */
	ALLOW("alarm",		FORK,	A_ANY),		/* child deadline */
	ALLOW("setitimer",	FORK,	A_ANY),		/* alarm elsewhere */
	ALLOW("wait4",		PARENT,	A_ANY),		/* waitpid */
	ALLOW("kill",		PARENT,	A_KILL),	/* past deadline */
	ALLOW("prctl",		FORK,	A_PDEATHSIG),	/* the forker's child */
	ALLOW("getppid",	FORK,	A_ANY),		/* the same */

	/* network: DNS (libunbound) and the SMTP connection */
	ALLOW("socket",		NET,	A_INET),
	ALLOW("connect",	NET,	A_ANY),		/* Landlock: ports */
	ALLOW("bind",		NET,	A_ANY),		/* UDP source port */
	ALLOW("sendto",		NET,	A_NOTFO),	/* DNS over UDP */
	ALLOW("sendmsg",	NET,	A_NOTFO_MSG),	/* DNS over TCP */
	/* Fast Open connects past Landlock: libunbound falls back */
	REFUSE("sendto",	NET,	A_TFO, EOPNOTSUPP),
	REFUSE("sendmsg",	NET,	A_TFO_MSG, EOPNOTSUPP),
	REFUSE("setsockopt",	NET,	A_TFO_CONNECT, EOPNOTSUPP),
	ALLOW("recvfrom",	NET,	A_ANY),		/* DNS; STARTTLS */
	ALLOW("recvmsg",	FORK,	A_ANY),		/* the forker's socket */
	ALLOW("dup",		FORK,	A_ANY),		/* room for its pipe */
	ALLOW("setsockopt",	NET,	A_SETSOCKOPT),	/* libunbound, smtp.c */
	ALLOW("getsockopt",	NET,	A_SO_ERROR),	/* connect result */
	ALLOW("epoll_create1",	NET,	A_ANY),		/* libevent */
	ALLOW("epoll_ctl",	NET,	A_ANY),		/* libevent */
	ALLOW("epoll_wait",	NET,	A_ANY),		/* libevent */
	ALLOW("epoll_pwait",	NET,	A_ANY),		/* epoll elsewhere */

	/* entering the next stage */
	ALLOW("landlock_create_ruleset", NET, A_ANY),
	ALLOW("landlock_add_rule", NET,	A_ANY),
	ALLOW("landlock_restrict_self", NET, A_ANY),
	ALLOW("seccomp",	NET,	A_SECCOMP),
#ifdef SB_ASAN
	/* the sanitizer's report reads /proc: fail, do not trap */
	REFUSE("open",		EVERY,	A_ANY, EACCES),
	REFUSE("openat",	PR | PW | CHILD, A_ANY, EACCES),
	REFUSE("stat",		EVERY,	A_ANY, EACCES),
#endif
};

/* What the start stage reads besides the files named to us. */
static const char *const sb_system_files[] = {
	"/etc/resolv.conf",	/* resolvers, unless DNS_RESOLVER */
	"/etc/nsswitch.conf",	/* getpwnam, getservbyname */
	"/etc/passwd",		/* priv_drop */
	"/etc/services",	/* port names */
};

#define SB_NAMES	512	/* system call numbers with a name */

static int		 sb_inited;
static int		 sb_debug;
static int		 sb_abi;	/* Landlock ABI, 0 if none */
static int		 sb_nnp;	/* no_new_privs is set */
static volatile sig_atomic_t sb_report = -1;
static const char	*sb_prog = "smtpdane";
static char		*sb_names[SB_NAMES];
static uint16_t		*sb_dns;
static size_t		 sb_ndns;

static const char *const sb_stage_names[] = {
	[SB_PARENT_START] = "start",
	[SB_PARENT_RUN] = "run",
	[SB_PARENT_WAIT] = "wait",
	[SB_CHILD_NET] = "child network",
	[SB_CHILD_PARSE] = "child parse",
};

static int
sb_parent(enum sandbox_stage stage)
{
	return stage == SB_PARENT_START || stage == SB_PARENT_RUN ||
	    stage == SB_PARENT_WAIT;
}

/*
 * -debug notes, from the parent only: children have no stdio.  Not
 * smtpdane.c's debug(): the sandbox test programs link this file alone.
 */
static void
sb_note(const char *fmt, ...)
{
	va_list	 ap;

	if (!sb_debug)
		return;
	va_start(ap, fmt);
	fputs("debug: sandbox: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * A sandbox that cannot be set up is fatal.  A child writes the line
 * raw (no stdio: its first printf would call a forbidden fstat) and
 * its parent reports the exit status.
 */
static __dead void
sb_fatal(enum sandbox_stage stage, const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sb_parent(stage))
		parent_fatalx("sandbox (%s stage): %s", sb_stage_names[stage],
		    msg);
	(void)!write(STDERR_FILENO, "smtpdane: sandbox (child): ", 27);
	(void)!write(STDERR_FILENO, msg, strlen(msg));
	(void)!write(STDERR_FILENO, "\n", 1);
	_exit(CHILD_EXIT_SANDBOX_SETUP);
}

/*
 * SIGSYS.  Only write(2) and _exit(2) here: nothing that allocates or
 * locks, since the call that failed may be inside malloc.
 */
static void
sb_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Append s to the line being built, as far as it fits. */
static size_t
sb_cat(char *buf, size_t len, size_t size, const char *s)
{
	while (*s != '\0' && len + 1 < size)
		buf[len++] = *s++;
	buf[len] = '\0';
	return len;
}

static void
sb_sigsys(int sig, siginfo_t *si, void *uctx)
{
	uint8_t		 frame[12];
	char		 line[128], num[16], *p;
	const char	*name = NULL;
	size_t		 len;
	unsigned int	 u;
	int		 nr = -1, fd = sb_report;

	(void)sig;
	(void)uctx;
	if (si->si_code == SYS_SECCOMP)
		nr = si->si_syscall;
	if (fd != -1) {
		/* Under PIPE_BUF: the parent gets all of it or nothing. */
		sb_put32(frame, MSG_SANDBOX);
		sb_put32(frame + 4, 4);
		sb_put32(frame + 8, (uint32_t)nr);
		(void)!write(fd, frame, sizeof(frame));
		_exit(CHILD_EXIT_SANDBOX);
	}
	if (nr >= 0 && nr < SB_NAMES)
		name = sb_names[nr];
	if (name == NULL) {
		p = num + sizeof(num);
		*--p = '\0';
		u = nr < 0 ? 0 : (unsigned int)nr;
		do
			*--p = '0' + u % 10;
		while ((u /= 10) != 0 && p > num);
		name = p;
	}
	/* One write, so that the lines of several processes do not mix. */
	len = sb_cat(line, 0, sizeof(line), sb_prog);
	len = sb_cat(line, len, sizeof(line), ": sandbox violation: ");
	len = sb_cat(line, len, sizeof(line), name);
	len = sb_cat(line, len, sizeof(line), "\n");
	(void)!write(STDERR_FILENO, line, len);
	_exit(CHILD_EXIT_SANDBOX);	/* in the parent too: exit 2 */
}

/* The name of a system call a child's MSG_SANDBOX frame reports. */
const char *
sandbox_syscall_name(int nr)
{
	static char	 buf[32];

	if (nr >= 0 && nr < SB_NAMES && sb_names[nr] != NULL)
		return sb_names[nr];
	snprintf(buf, sizeof(buf), "system call %d", nr);
	return buf;
}

/* Why a child that sent nothing died of sig, if the sandbox did it. */
const char *
sandbox_kill_text(int sig)
{
	/* SCMP_ACT_KILL_PROCESS: a call of another architecture. */
	if (sig == SIGSYS)
		return "sandbox violation: killed by the system call filter";
	return NULL;
}

/*
 * Landlock.
 */
static uint64_t
ll_fs_rights(void)
{
	uint64_t	 fs;

	fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	    LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (sb_abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (sb_abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (sb_abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

static void
ll_allow_file(int rfd, const char *path, enum sandbox_stage stage)
{
	struct landlock_path_beneath_attr pb;
	struct stat	 st;
	int		 fd;

	/* A missing file cannot be read anyway: no rule needed. */
	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1)
		return;
	/* A rule on a directory would open everything beneath it. */
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		close(fd);
		return;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) == -1)
		sb_fatal(stage, "Landlock rule for %s: %s", path,
		    strerror(errno));
	close(fd);
}

static void
ll_allow_port(int rfd, uint16_t port, enum sandbox_stage stage)
{
	struct landlock_net_port_attr np;

	memset(&np, 0, sizeof(np));
	np.allowed_access = LANDLOCK_ACCESS_NET_CONNECT_TCP;
	np.port = port;
	if (syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_NET_PORT, &np,
	    0) == -1)
		sb_fatal(stage, "Landlock rule for TCP port %u: %s", port,
		    strerror(errno));
}

/* SANDBOX_ANY_PORT in the list: the stage cannot know its ports. */
static int
ll_any_port(const struct sandbox_net *net)
{
	size_t	 i;

	for (i = 0; net != NULL && i < net->nports; i++)
		if (net->ports[i] == SANDBOX_ANY_PORT)
			return 1;
	return 0;
}

static uint64_t
ll_net_rights(enum sandbox_stage stage, const struct sandbox_net *net)
{
	if (sb_abi < 4 || stage == SB_PARENT_START)
		return 0;	/* start cannot know the ports yet */
	if (ll_any_port(net)) {
		if (sb_parent(stage))
			sb_note("%s stage: TCP ports not limited (SRV records "
			    "name them); each child is limited to its own",
			    sb_stage_names[stage]);
		return LANDLOCK_ACCESS_NET_BIND_TCP;
	}
	return LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
}

static void
ll_enter(enum sandbox_stage stage, const struct sandbox_net *net)
{
	struct sb_ruleset_attr attr;
	const char *const *files;
	size_t		 i, nfiles;
	int		 rfd;

	if (sb_abi == 0)
		return;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = ll_fs_rights();
	/* Without a list of its files, start may read (not write). */
	files = sandbox_read_files(&nfiles);
	if (stage == SB_PARENT_START && files == NULL)
		attr.handled_access_fs &= ~(LANDLOCK_ACCESS_FS_READ_FILE |
		    LANDLOCK_ACCESS_FS_READ_DIR);
	attr.handled_access_net = ll_net_rights(stage, net);
	/*
	 * Signals stay within the domain: no process here can signal one
	 * outside.  Not in the wait stage: the children were forked in
	 * the run stage, outside the wait domain, and must stay killable.
	 */
	if (sb_abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
		    (stage == SB_PARENT_WAIT ? 0 : LANDLOCK_SCOPE_SIGNAL);
	if ((rfd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr),
	    0)) == -1)
		sb_fatal(stage, "Landlock ruleset: %s", strerror(errno));
	if (stage == SB_PARENT_START && files != NULL) {
		for (i = 0; i < nitems(sb_system_files); i++)
			ll_allow_file(rfd, sb_system_files[i], stage);
		for (i = 0; i < nfiles; i++)
			ll_allow_file(rfd, files[i], stage);
	}
	if (attr.handled_access_net & LANDLOCK_ACCESS_NET_CONNECT_TCP &&
	    (stage == SB_PARENT_RUN || stage == SB_CHILD_NET)) {
		for (i = 0; i < sb_ndns; i++)
			ll_allow_port(rfd, sb_dns[i], stage);
		for (i = 0; net != NULL && i < net->nports; i++)
			ll_allow_port(rfd, net->ports[i], stage);
	}
	if (syscall(SYS_landlock_restrict_self, rfd, 0) == -1)
		sb_fatal(stage, "Landlock: %s", strerror(errno));
	close(rfd);
}

/*
 * seccomp.  An int argument is compared on its low 32 bits, as the
 * kernel reads it; libseccomp's SCMP_A*_32 would compare all 64.
 */
static struct scmp_arg_cmp
sc_bits(unsigned int arg, uint32_t mask, uint32_t value)
{
	struct scmp_arg_cmp	 c;

	c.arg = arg;
	c.op = SCMP_CMP_MASKED_EQ;
	c.datum_a = mask;
	c.datum_b = value;
	return c;
}

static struct scmp_arg_cmp
sc_eq(unsigned int arg, uint32_t value)
{
	return sc_bits(arg, 0xffffffffU, value);
}

static int
sc_add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned int n,
    const struct scmp_arg_cmp *cmp)
{
	return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

static int
sc_add_socket(scmp_filter_ctx ctx, uint32_t action, int nr)
{
	static const int	 domains[] = { AF_INET, AF_INET6 };
	static const int	 kinds[][2] = {
		{ SOCK_STREAM, 0 }, { SOCK_STREAM, IPPROTO_TCP },
		{ SOCK_DGRAM, 0 }, { SOCK_DGRAM, IPPROTO_UDP },
	};
	struct scmp_arg_cmp	 cmp[3];
	size_t			 d, k;
	int			 r;

	for (d = 0; d < sizeof(domains) / sizeof(domains[0]); d++) {
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			cmp[0] = sc_eq(0, domains[d]);
			/* SOCK_NONBLOCK and SOCK_CLOEXEC may be set. */
			cmp[1] = sc_bits(1, ~(uint32_t)(SOCK_NONBLOCK |
			    SOCK_CLOEXEC), kinds[k][0]);
			/* Not IPPROTO_MPTCP: Landlock would not see it. */
			cmp[2] = sc_eq(2, kinds[k][1]);
			if ((r = sc_add(ctx, action, nr, 3, cmp)) != 0)
				return r;
		}
	}
	return 0;
}

static int
sc_add_setsockopt(scmp_filter_ctx ctx, uint32_t action, int nr)
{
	static const int	 opts[][2] = {
		{ SOL_SOCKET, SO_REUSEADDR },		/* DNS over TCP */
		{ IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT },	/* ditto */
		{ IPPROTO_IP, IP_MTU_DISCOVER },	/* DNS over UDP */
		{ IPPROTO_IPV6, IPV6_V6ONLY },		/* UDP over IPv6 */
		{ IPPROTO_IPV6, IPV6_MTU },		/* ditto */
		{ IPPROTO_IPV6, IPV6_MTU_DISCOVER },	/* ditto */
		{ IPPROTO_TCP, TCP_NODELAY },		/* SMTP, smtp.c */
		{ IPPROTO_TCP, TCP_QUICKACK },		/* ditto */
	};
	struct scmp_arg_cmp	 cmp[2];
	size_t			 i;
	int			 r;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		cmp[0] = sc_eq(1, opts[i][0]);
		cmp[1] = sc_eq(2, opts[i][1]);
		if ((r = sc_add(ctx, action, nr, 2, cmp)) != 0)
			return r;
	}
	return 0;
}

static int
sc_add_fcntl(scmp_filter_ctx ctx, uint32_t action, int nr)
{
	static const int	 cmds[] = {
		F_GETFL, F_SETFL, F_GETFD, F_SETFD
	};
	struct scmp_arg_cmp	 cmp;
	size_t			 i;
	int			 r;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cmp = sc_eq(1, cmds[i]);
		if ((r = sc_add(ctx, action, nr, 1, &cmp)) != 0)
			return r;
	}
	return 0;
}

static int
sc_rule(scmp_filter_ctx ctx, const struct sb_rule *rule, int nr, pid_t self)
{
	struct scmp_arg_cmp	 cmp[2];
	uint32_t		 action, tfo;

	action = rule->refuse ? SCMP_ACT_ERRNO(rule->refuse) :
	    SCMP_ACT_ALLOW;
	tfo = rule->arg == A_TFO || rule->arg == A_TFO_MSG ? MSG_FASTOPEN : 0;
	switch (rule->arg) {
	case A_ANY:
		return sc_add(ctx, action, nr, 0, NULL);
	case A_NOEXEC:
	case A_EXEC:
		cmp[0] = sc_bits(2, PROT_EXEC,
		    rule->arg == A_EXEC ? PROT_EXEC : 0);
		return sc_add(ctx, action, nr, 1, cmp);
	case A_RDONLY:
		cmp[0] = sc_bits(2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND |
		    (O_TMPFILE & ~O_DIRECTORY), O_RDONLY);
		return sc_add(ctx, action, nr, 1, cmp);
	case A_UNIX:
		cmp[0] = sc_eq(0, AF_UNIX);
		return sc_add(ctx, action, nr, 1, cmp);
	case A_INET:
		return sc_add_socket(ctx, action, nr);
	case A_NOTFO:
	case A_TFO:
		cmp[0] = sc_bits(3, MSG_FASTOPEN, tfo);
		return sc_add(ctx, action, nr, 1, cmp);
	case A_NOTFO_MSG:
	case A_TFO_MSG:
		cmp[0] = sc_bits(2, MSG_FASTOPEN, tfo);
		return sc_add(ctx, action, nr, 1, cmp);
	case A_SETSOCKOPT:
		return sc_add_setsockopt(ctx, action, nr);
	case A_TFO_CONNECT:
		cmp[0] = sc_eq(1, IPPROTO_TCP);
		cmp[1] = sc_eq(2, TCP_FASTOPEN_CONNECT);
		return sc_add(ctx, action, nr, 2, cmp);
	case A_SO_ERROR:
		cmp[0] = sc_eq(1, SOL_SOCKET);
		cmp[1] = sc_eq(2, SO_ERROR);
		return sc_add(ctx, action, nr, 2, cmp);
	case A_FCNTL:
		return sc_add_fcntl(ctx, action, nr);
	case A_TCGETS:
		cmp[0] = sc_eq(1, TCGETS);
		return sc_add(ctx, action, nr, 1, cmp);
	case A_FORK:
		/* glibc's fork, all 64 bits: a thread or vfork differs. */
		cmp[0].arg = 0;
		cmp[0].op = SCMP_CMP_EQ;
		cmp[0].datum_a = CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID |
		    SIGCHLD;
		cmp[0].datum_b = 0;
		return sc_add(ctx, action, nr, 1, cmp);
	case A_KILL:
		/* Not -1 or -pgrp, which would reach more than a child. */
		cmp[0] = sc_bits(0, 0x80000000U, 0);
		cmp[1] = sc_eq(1, SIGKILL);
		return sc_add(ctx, action, nr, 2, cmp);
	case A_PDEATHSIG:
		cmp[0] = sc_eq(0, PR_SET_PDEATHSIG);
		cmp[1] = sc_eq(1, SIGKILL);
		return sc_add(ctx, action, nr, 2, cmp);
	case A_ABORT:
		cmp[0] = sc_eq(2, SIGABRT);
		return sc_add(ctx, action, nr, 1, cmp);
	case A_ABORT_SELF:
		cmp[0] = sc_eq(0, (uint32_t)self);
		cmp[1] = sc_eq(2, SIGABRT);
		return sc_add(ctx, action, nr, 2, cmp);
	case A_SECCOMP:
		cmp[0] = sc_eq(0, SECCOMP_SET_MODE_FILTER);
		cmp[1] = sc_eq(1, 0);
		return sc_add(ctx, action, nr, 2, cmp);
	}
	return -EINVAL;
}

/*
 * The filter of a stage, for a process whose pid is self; errors are
 * reported as the process in stage who, which builds it.
 */
static scmp_filter_ctx
sc_build(enum sandbox_stage stage, pid_t self, enum sandbox_stage who)
{
	scmp_filter_ctx	 ctx;
	size_t		 i;
	int		 nr, r;

	/* Level 3: SECCOMP_RET_KILL_PROCESS, Linux 4.14. */
	if (seccomp_api_get() < 3)
		sb_fatal(who, "no system call filter here (libseccomp API "
		    "level %u, 3 needed; valgrind emulates none)",
		    seccomp_api_get());
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		sb_fatal(who, "seccomp_init failed");
	/* A call of another ABI (i386, x32) would dodge every rule. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) != 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0)
		sb_fatal(who, "seccomp attributes: %s", strerror(-r));
	/* A binary tree: a few comparisons per call, not one per rule. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (i = 0; i < sizeof(sb_rules) / sizeof(sb_rules[0]); i++) {
		if ((sb_rules[i].stages & SB(stage)) == 0)
			continue;
		/* A name this architecture lacks (poll, ...) is skipped. */
		if ((nr = seccomp_syscall_resolve_name(sb_rules[i].name)) < 0)
			continue;
		if ((r = sc_rule(ctx, &sb_rules[i], nr, self)) != 0)
			sb_fatal(who, "seccomp rule for %s: %s",
			    sb_rules[i].name, strerror(-r));
	}
	return ctx;
}

/*
 * The children's filters, compiled once in the parent.  Building a
 * filter (libseccomp's rules, then its BPF code generation) is most
 * of what a sandbox costs a child, and every child of a stage gets the
 * same program but for one constant: its own pid, the only process
 * A_ABORT_SELF lets it signal.  So the parent compiles each child
 * stage with a placeholder pid that no process can have, notes where
 * the placeholder lands in the program, and a child writes its pid
 * there and hands the program to seccomp(2) as it is, which is what
 * seccomp_load() does with the program it generates.
 *
 * The placeholder is trusted only when compiling with a second one
 * gives the same program but at exactly those places; otherwise, or
 * on any failure here, the child compiles its filter itself as
 * before.  Either way it gets the same filter.
 */
#define SC_SELF_1	0x7ead5e1fU	/* above any pid_max (2^22) */
#define SC_SELF_2	0x6eed5a1dU
#define SC_MAX_SELF	8

struct sc_prog {
	struct sock_filter	*insn;
	unsigned short		 len;
	unsigned short		 self[SC_MAX_SELF];	/* where the pid goes */
	size_t			 nself;
};

static struct sc_prog	 sc_child[2];	/* SB_CHILD_NET, SB_CHILD_PARSE */
static int		 sc_child_ready;

/* The BPF program of ctx, or NULL. */
static struct sock_filter *
sc_export(scmp_filter_ctx ctx, unsigned short *lenp)
{
	struct sock_filter *insn;
	size_t		 size = BPF_MAXINSNS * sizeof(*insn), len = 0;
	ssize_t		 n;
	int		 fds[2];

	/* A program never exceeds BPF_MAXINSNS: it fits a pipe. */
	if ((insn = malloc(size + 1)) == NULL)
		return NULL;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		free(insn);
		return NULL;
	}
	if (seccomp_export_bpf(ctx, fds[1]) != 0)
		len = size + 1;		/* failed */
	close(fds[1]);
	while (len <= size && (n = read(fds[0], (char *)insn + len,
	    size + 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			len = size + 1;
			break;
		}
		len += n;
	}
	close(fds[0]);
	if (len == 0 || len > size || len % sizeof(*insn) != 0) {
		free(insn);
		return NULL;
	}
	*lenp = len / sizeof(*insn);
	return insn;
}

static int
sc_precompile_stage(enum sandbox_stage stage, struct sc_prog *p)
{
	scmp_filter_ctx	 ctx;
	struct sock_filter *other;
	unsigned short	 i, olen;

	ctx = sc_build(stage, (pid_t)SC_SELF_1, SB_PARENT_RUN);
	p->insn = sc_export(ctx, &p->len);
	seccomp_release(ctx);
	ctx = sc_build(stage, (pid_t)SC_SELF_2, SB_PARENT_RUN);
	other = sc_export(ctx, &olen);
	seccomp_release(ctx);
	if (p->insn == NULL || other == NULL || olen != p->len)
		goto fail;
	p->nself = 0;
	for (i = 0; i < p->len; i++) {
		if (memcmp(&p->insn[i], &other[i], sizeof(other[i])) == 0)
			continue;
		/* Only the k of a jump may differ, from one to the other. */
		if (p->insn[i].code != (BPF_JMP | BPF_JEQ | BPF_K) ||
		    other[i].code != p->insn[i].code ||
		    other[i].jt != p->insn[i].jt ||
		    other[i].jf != p->insn[i].jf ||
		    p->insn[i].k != SC_SELF_1 || other[i].k != SC_SELF_2 ||
		    p->nself == SC_MAX_SELF)
			goto fail;
		p->self[p->nself++] = i;
	}
	if (p->nself == 0)
		goto fail;
	free(other);
	return 1;
 fail:
	free(p->insn);
	free(other);
	p->insn = NULL;
	return 0;
}

/* In the parent, before it forks: sc_child[] for the children. */
static void
sc_precompile(void)
{
	if (sc_child_ready)
		return;
	sc_child_ready = 1;
	if (!sc_precompile_stage(SB_CHILD_NET, &sc_child[0]) ||
	    !sc_precompile_stage(SB_CHILD_PARSE, &sc_child[1])) {
		free(sc_child[0].insn);
		sc_child[0].insn = NULL;
		sb_note("children compile their own system call filters");
		return;
	}
	sb_note("children's system call filters compiled once (%u and %u "
	    "instructions)", sc_child[0].len, sc_child[1].len);
}

/* A child's precompiled filter with its pid in: 0 if there is none. */
static int
sc_load_child(enum sandbox_stage stage, pid_t self)
{
	struct sock_fprog fprog;
	struct sc_prog	*p;
	size_t		 i;

	if (!sc_child_ready || (stage != SB_CHILD_NET &&
	    stage != SB_CHILD_PARSE))
		return 0;
	p = &sc_child[stage == SB_CHILD_NET ? 0 : 1];
	if (p->insn == NULL)
		return 0;
	for (i = 0; i < p->nself; i++)
		p->insn[p->self[i]].k = (uint32_t)self;
	memset(&fprog, 0, sizeof(fprog));
	fprog.len = p->len;
	fprog.filter = p->insn;
	/* As seccomp_load() does, with none of its flags set. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == -1)
		sb_fatal(stage, "cannot install the system call filter: %s",
		    strerror(errno));
	return 1;
}

static void
sc_enter(enum sandbox_stage stage)
{
	scmp_filter_ctx	 ctx;
	pid_t		 self = getpid();
	int		 r;

#ifdef SMTPDANE_TEST
	/* regress/sandbox/sbtest checks Landlock on its own. */
	if (getenv("SMTPDANE_TEST_NO_SECCOMP") != NULL)
		return;
#endif
	if (sc_load_child(stage, self))
		return;
	ctx = sc_build(stage, self, stage);
	if ((r = seccomp_load(ctx)) != 0)
		sb_fatal(stage, "cannot install the system call filter: %s",
		    strerror(-r));
	seccomp_release(ctx);
}

/*
 * The interface.
 */
void
sandbox_init(int debug)
{
	struct sigaction sa;
	const char	*p;
	int		 i;

	sb_inited = 1;
	sb_debug = debug;
	if ((p = getprogname()) != NULL)
		sb_prog = p;
	/* Names now: the SIGSYS handler cannot look them up. */
	for (i = 0; i < SB_NAMES; i++)
		sb_names[i] = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, i);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sb_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		err(2, "sandbox: SIGSYS handler");

	sb_abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
#ifdef SMTPDANE_TEST
	/* regress/sandbox/sbtest plays an older kernel. */
	if (sb_abi > 0 && (p = getenv("SMTPDANE_TEST_LANDLOCK_ABI")) != NULL) {
		if (atoi(p) <= 0) {
			sb_abi = -1;
			errno = ENOSYS;
		} else if (atoi(p) < sb_abi)
			sb_abi = atoi(p);
	}
#endif
	if (sb_abi < 0) {
		sb_note("Landlock is not available (%s): no file or TCP "
		    "port rules, only the system call filter",
		    errno == EOPNOTSUPP ? "disabled at boot" :
		    "kernel without it");
		sb_abi = 0;
		return;
	}
	sb_note("Landlock ABI %d", sb_abi);
	if (sb_abi < 4)
		sb_note("Landlock ABI %d has no TCP port rules (ABI 4): TCP "
		    "connections are not limited to the allowed ports",
		    sb_abi);
	if (sb_abi < 6)
		sb_note("Landlock ABI %d has no signal scoping (ABI 6): the "
		    "parent may signal any process of its user", sb_abi);
}

/* Before SB_PARENT_RUN: the resolvers' TCP ports, open to all stages. */
void
sandbox_dns_ports(const uint16_t *ports, size_t n)
{
	free(sb_dns);
	sb_dns = NULL;
	sb_ndns = 0;
	if (n == 0)
		return;
	if ((sb_dns = reallocarray(NULL, n, sizeof(*sb_dns))) == NULL)
		err(2, "sandbox");
	memcpy(sb_dns, ports, n * sizeof(*sb_dns));
	sb_ndns = n;
}

/*
 * A child of the forker dies with it: a forker that is killed leaves
 * no check running on its own, even one that blocks SIGALRM.  The
 * forker may have ended before this took hold.
 */
int
sandbox_die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		return -1;
	return getppid() == parent ? 0 : -1;
}

/* In a child, before SB_CHILD_NET: where a violation is reported. */
void
sandbox_report_fd(int fd)
{
	sb_report = fd;
}

void
sandbox_enter(enum sandbox_stage stage, const struct sandbox_net *net)
{
	size_t	 n;

	if (!sb_inited)
		sandbox_init(0);
	if (!sb_nnp) {
		/* Both need it; and nothing gains privilege by exec. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			sb_fatal(stage, "no_new_privs: %s", strerror(errno));
		sb_nnp = 1;
	}
	if (stage == SB_PARENT_START && sandbox_read_files(&n) == NULL)
		sb_note("start stage: no file list given, reads are not "
		    "limited until the run stage");
	/* Compiled before the first fork, while the parent may. */
	if (stage == SB_PARENT_RUN)
		sc_precompile();
	ll_enter(stage, net);
	sc_enter(stage);
}
