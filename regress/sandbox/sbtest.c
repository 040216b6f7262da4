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
 * sbtest: try one forbidden (or needed) thing inside one sandbox stage
 * and say what happened, for regress/test_sandbox.sh.
 *
 *	sbtest case [allowed-file other-file]
 *
 * The process goes through the stages as smtpdane does: start (reads
 * allowed-file only), run (TCP to the "target" and "dns" listeners it
 * made itself), then it forks a child that enters the network stage
 * (and the parse stage for parse-* cases) and waits in the wait stage.
 * A case runs in the stage it names and prints one line:
 *
 *	allowed			the call worked
 *	refused: ENAME		the call failed with that errno
 *	violation: NAME		the child's SIGSYS report (MSG_SANDBOX)
 *	signal: SIGNAME		the child was killed by a signal
 *	uid=U gid=G groups=L	the ids of a child (privdrop cases)
 *
 * "sbtest landlock-abi" prints the kernel's Landlock ABI (-1: none).
 * With SBTEST_ANY_PORT the run stage lists SANDBOX_ANY_PORT too. *
 * A case in a parent stage that breaks the sandbox kills sbtest itself
 * with "sbtest: sandbox violation: NAME" on stderr.
 *
 * dns-stub does what -all-ns does in a check child (allns.c): there,
 * in the network stage, it makes an event base and a libunbound event
 * context with a stub zone, SBTEST_STUB ("zone@addr"), and resolves
 * SBTEST_NAME through it, validated.
 * dns-udp and dns-tcp resolve SBTEST_NAME in the child with libunbound
 * (DNSSEC-validated from the DS records in SBTEST_ANCHOR) through the
 * resolver SBTEST_RESOLVER ("addr" or "addr@port"), over UDP or over
 * TCP only; the resolver's port is then the stages' DNS port.  Built with
 * -DSMTPDANE_TEST, whose hooks let the script switch seccomp off
 * (SMTPDANE_TEST_NO_SECCOMP) or pretend to an older Landlock ABI
 * (SMTPDANE_TEST_LANDLOCK_ABI) to test each layer alone.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <unbound.h>
#include <unbound-event.h>

#include "smtpdane.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP	262
#endif

/* IN_VERIFY: a verify child, which goes from the parent's run stage
 * straight to the parse stage, with no network stage between. */
enum where { IN_START, IN_RUN, IN_WAIT, IN_NET, IN_PARSE, IN_VERIFY };

struct fixture {
	uint16_t	 target_port;	/* allowed by the stages */
	uint16_t	 dns_port;	/* allowed as a resolver port */
	uint16_t	 other_port;	/* listening, but not allowed */
	uint16_t	 udp_port;	/* a UDP socket to send to */
	const char	*allowed;	/* the start stage may read it */
	const char	*other;		/* it may not */
	pid_t		 parent;
	pid_t		 child;		/* for the wait stage */
	char		 groups[128];	/* after privdrop, read in start */
};

static struct fixture	 fx;
static struct ub_ctx	*ubctx;

/* The outcome of one call: 0 or -1 with errno. */
static void
outcome(char *out, size_t len, int r)
{
	const char	*name;

	if (r != -1) {
		snprintf(out, len, "allowed");
		return;
	}
	name = strerrorname_np(errno);
	snprintf(out, len, "refused: %s", name != NULL ? name : "?");
}

static struct sockaddr_in
loopback(uint16_t port)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

static int
tcp_connect(uint16_t port)
{
	struct sockaddr_in	 sin = loopback(port);
	int			 fd, r, e;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	r = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/*
 * The cases.  Each fills out with what happened, unless the sandbox
 * ends the process first.
 */
static void
c_open(char *out, size_t len)
{
	outcome(out, len, open(fx.allowed, O_RDONLY));
}

static void
c_open_other(char *out, size_t len)
{
	outcome(out, len, open(fx.other, O_RDONLY));
}

static void
c_open_write(char *out, size_t len)
{
	outcome(out, len, open(fx.allowed, O_WRONLY | O_APPEND));
}

static void
c_exec(char *out, size_t len)
{
	char	*argv[] = { "true", NULL }, *envp[] = { NULL };

	outcome(out, len, execve("/bin/true", argv, envp));
}

static void
c_fork(char *out, size_t len)
{
	pid_t	 pid;

	if ((pid = fork()) == 0)
		_exit(0);
	if (pid != -1)
		waitpid(pid, NULL, 0);
	outcome(out, len, pid == -1 ? -1 : 0);
}

static void
c_ptrace(char *out, size_t len)
{
	outcome(out, len, ptrace(PTRACE_TRACEME, 0, NULL, NULL));
}

static void
c_kill_parent(char *out, size_t len)
{
	/* Signal 0 only probes: nothing dies if the call is allowed. */
	outcome(out, len, kill(fx.parent, 0));
}

static void
c_kill_group(char *out, size_t len)
{
	/* sbtest leads no group: ESRCH if this were allowed. */
	outcome(out, len, kill(-getpid(), SIGKILL));
}

static void
c_setuid(char *out, size_t len)
{
	outcome(out, len, setuid(0));
}

static void
c_ioctl(char *out, size_t len)
{
	int	 n;

	outcome(out, len, ioctl(STDIN_FILENO, FIONREAD, &n));
}

static void
c_connect_target(char *out, size_t len)
{
	outcome(out, len, tcp_connect(fx.target_port));
}

static void
c_connect_dns(char *out, size_t len)
{
	outcome(out, len, tcp_connect(fx.dns_port));
}

static void
c_connect_other(char *out, size_t len)
{
	outcome(out, len, tcp_connect(fx.other_port));
}

static void
c_bind_tcp(char *out, size_t len)
{
	struct sockaddr_in	 sin = loopback(0);
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		outcome(out, len, -1);
		return;
	}
	outcome(out, len, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
}

/* What libunbound does for a query over UDP. */
static void
c_udp(char *out, size_t len)
{
	struct sockaddr_in	 src = loopback(0), dst = loopback(fx.udp_port);
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1) {
		outcome(out, len, -1);
		return;
	}
	outcome(out, len, send(fd, "x", 1, 0) == 1 ? 0 : -1);
}

static void
c_socket(char *out, size_t len, int domain, int type, int proto)
{
	int	 fd;

	fd = socket(domain, type, proto);
	outcome(out, len, fd);
	if (fd != -1)
		close(fd);
}

static void
c_netlink(char *out, size_t len)
{
	c_socket(out, len, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
}

static void
c_packet(char *out, size_t len)
{
	c_socket(out, len, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
}

static void
c_unix(char *out, size_t len)
{
	c_socket(out, len, AF_UNIX, SOCK_STREAM, 0);
}

static void
c_raw(char *out, size_t len)
{
	c_socket(out, len, AF_INET, SOCK_RAW, IPPROTO_ICMP);
}

static void
c_mptcp(char *out, size_t len)
{
	c_socket(out, len, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
}

static void
c_tcp(char *out, size_t len)
{
	c_socket(out, len, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
}

/* TCP Fast Open: the SYN goes out without connect(2). */
static void
c_tfo_sendto(char *out, size_t len)
{
	struct sockaddr_in	 sin = loopback(fx.other_port);
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		outcome(out, len, -1);
		return;
	}
	outcome(out, len, sendto(fd, "x", 1, MSG_FASTOPEN,
	    (struct sockaddr *)&sin, sizeof(sin)) == -1 ? -1 : 0);
}

static void
c_tfo_sendmsg(char *out, size_t len)
{
	struct sockaddr_in	 sin = loopback(fx.other_port);
	struct msghdr		 msg;
	struct iovec		 iov;
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		outcome(out, len, -1);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = "x";
	iov.iov_len = 1;
	msg.msg_name = &sin;
	msg.msg_namelen = sizeof(sin);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	outcome(out, len, sendmsg(fd, &msg, MSG_FASTOPEN) == -1 ? -1 : 0);
}

/* setsockopt(level, name, 1) on a new TCP socket, or -1. */
static int
sockopt_on(int level, int name)
{
	int	 fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	return setsockopt(fd, level, name, &on, sizeof(on));
}

static void
c_tfo_sockopt(char *out, size_t len)
{
	outcome(out, len, sockopt_on(IPPROTO_TCP, TCP_FASTOPEN_CONNECT));
}

static void
c_sockopt_other(char *out, size_t len)
{
	outcome(out, len, sockopt_on(SOL_SOCKET, SO_KEEPALIVE));
}

/* What smtp.c sets on its SMTP connection, and nothing else needs. */
static void
c_sockopt_tcp(char *out, size_t len)
{
	outcome(out, len, sockopt_on(IPPROTO_TCP, TCP_NODELAY) == -1 ? -1 :
	    sockopt_on(IPPROTO_TCP, TCP_QUICKACK));
}

static void
c_mmap_exec(char *out, size_t len)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	outcome(out, len, p == MAP_FAILED ? -1 : 0);
}

static void
c_mprotect_exec(char *out, size_t len)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		outcome(out, len, -1);
		return;
	}
	outcome(out, len, mprotect(p, 4096, PROT_READ | PROT_EXEC));
}

/*
 * A call numbered for the x32 ABI: the filter knows only the native
 * one, and kills.  (The i386 ABI, int $0x80, may not even exist.)
 */
static void
c_x32(char *out, size_t len)
{
#if defined(__x86_64__)
	long	 r;

	r = syscall(0x40000000L | SYS_getpid);
	snprintf(out, len, "allowed (%ld)", r);
#else
	snprintf(out, len, "signal: SIGSYS");	/* nothing to try here */
#endif
}

static void
c_abort(char *out, size_t len)
{
	(void)out;
	(void)len;
	abort();
}

/* SIGABRT is for the process itself only (A_ABORT_SELF). */
static void
c_abort_parent(char *out, size_t len)
{
	outcome(out, len, syscall(SYS_tgkill, fx.parent, fx.parent,
	    SIGABRT));
}

/* The child's ids; its groups were read in the start stage. */
static void
c_ids(char *out, size_t len)
{
	uid_t	 uid = getuid(), euid = geteuid();
	gid_t	 gid = getgid(), egid = getegid();

	if (uid != euid || gid != egid) {
		snprintf(out, len, "uid %lu euid %lu gid %lu egid %lu",
		    (unsigned long)uid, (unsigned long)euid,
		    (unsigned long)gid, (unsigned long)egid);
		return;
	}
	snprintf(out, len, "uid=%lu gid=%lu groups=%s", (unsigned long)uid,
	    (unsigned long)gid, fx.groups);
}

static void
read_groups(void)
{
	gid_t	 groups[16];
	size_t	 used = 0;
	int	 n, i;

	if ((n = getgroups(16, groups)) == -1)
		err(1, "getgroups");
	for (i = 0; i < n && used < sizeof(fx.groups); i++)
		used += snprintf(fx.groups + used, sizeof(fx.groups) - used,
		    "%s%lu", i ? "," : "", (unsigned long)groups[i]);
}

/* Wait stage: kill the child that waits in the network stage. */
static void
c_kill_child(char *out, size_t len)
{
	int	 status;

	if (kill(fx.child, SIGKILL) == -1) {
		outcome(out, len, -1);
		return;
	}
	if (waitpid(fx.child, &status, 0) == -1 || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGKILL) {
		snprintf(out, len, "the child did not die");
		return;
	}
	fx.child = -1;
	snprintf(out, len, "allowed");
}

static void
c_dns(char *out, size_t len)
{
	struct ub_result	*res;
	int			 r;

	if ((r = ub_resolve(ubctx, getenv("SBTEST_NAME"), 1, 1, &res)) != 0) {
		snprintf(out, len, "resolve: %s", ub_strerror(r));
		return;
	}
	snprintf(out, len, "%s%s", res->havedata ? "answer" : "no answer",
	    res->secure ? " secure" : res->bogus ? " bogus" : " insecure");
	ub_resolve_free(res);
}

/*
 * dns-stub: everything made in the sandboxed child, as allns.c does;
 * only the anchors were read before (dns_setup).
 */
static char	*anchors[16];
static size_t	 nanchors;
static int	 stub_done;
static char	 stub_out[64];

static void
stub_answer(void *arg, int rcode, void *pkt, int len, int sec, char *why,
    int ratelimited)
{
	snprintf(stub_out, sizeof(stub_out), "%s%s", rcode == 0 && len > 0 ?
	    "answer" : "no answer", sec == 2 ? " secure" : sec == 1 ?
	    " bogus" : " insecure");
	stub_done = 1;
}

static void
c_dns_stub(char *out, size_t len)
{
	struct event_base	*base;
	struct ub_ctx		*ctx;
	char			 zone[256], *at;
	size_t			 i;
	int			 r, id, n;

	snprintf(zone, sizeof(zone), "%s", getenv("SBTEST_STUB"));
	if ((at = strchr(zone, '@')) == NULL) {
		snprintf(out, len, "SBTEST_STUB is not zone@addr");
		return;
	}
	*at++ = '\0';
	if ((base = event_base_new()) == NULL ||
	    (ctx = ub_ctx_create_event(base)) == NULL) {
		snprintf(out, len, "cannot make an event context");
		return;
	}
	if (ub_ctx_set_option(ctx, "use-syslog:", "no") != 0 ||
	    ub_ctx_set_option(ctx, "do-not-query-localhost:", "no") != 0 ||
	    ub_ctx_set_option(ctx, "local-zone:", "test. transparent") != 0 ||
	    ub_ctx_set_fwd(ctx, getenv("SBTEST_RESOLVER")) != 0 ||
	    ub_ctx_set_stub(ctx, zone, at, 0) != 0) {
		snprintf(out, len, "libunbound options");
		return;
	}
	for (i = 0; i < nanchors; i++)
		ub_ctx_add_ta(ctx, anchors[i]);
	if ((r = ub_resolve_event(ctx, getenv("SBTEST_NAME"), 1, 1, NULL,
	    stub_answer, &id)) != 0) {
		snprintf(out, len, "resolve: %s", ub_strerror(r));
		return;
	}
	for (n = 0; !stub_done && n < 1000; n++)
		event_base_loop(base, EVLOOP_ONCE);
	snprintf(out, len, "%s", stub_done ? stub_out : "no callback");
}

/*
 * A libunbound context as smtpdane makes one, before any sandbox: the
 * anchors as strings (a file would be read lazily, at the first
 * lookup, inside the sandbox), test. sent to the resolver.
 */
static void
dns_setup(const char *name)
{
	const char	*resolver, *anchor, *at;
	const char	*errstr;
	char		 line[512];
	FILE		*f;

	resolver = getenv("SBTEST_RESOLVER");
	anchor = getenv("SBTEST_ANCHOR");
	if (resolver == NULL || anchor == NULL || getenv("SBTEST_NAME") == NULL)
		errx(2, "%s needs SBTEST_RESOLVER, SBTEST_ANCHOR and "
		    "SBTEST_NAME", name);
	if ((ubctx = ub_ctx_create()) == NULL)
		errx(1, "ub_ctx_create");
	if (ub_ctx_set_option(ubctx, "use-syslog:", "no") != 0 ||
	    ub_ctx_set_option(ubctx, "local-zone:", "test. transparent") != 0 ||
	    ub_ctx_set_option(ubctx, "tcp-upstream:",
	    strcmp(name, "dns-tcp") == 0 ? "yes" : "no") != 0 ||
	    ub_ctx_set_fwd(ubctx, resolver) != 0)
		errx(1, "libunbound options");
	if ((f = fopen(anchor, "r")) == NULL)
		err(1, "%s", anchor);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == ';' || line[0] == '\n')
			continue;
		if (ub_ctx_add_ta(ubctx, line) != 0)
			errx(1, "bad anchor %s", line);
		if (nanchors < sizeof(anchors) / sizeof(anchors[0]) &&
		    (anchors[nanchors] = strdup(line)) != NULL)
			nanchors++;
	}
	fclose(f);
	fx.dns_port = 53;
	if ((at = strchr(resolver, '@')) != NULL) {
		fx.dns_port = strtonum(at + 1, 1, 65535, &errstr);
		if (errstr != NULL)
			errx(2, "SBTEST_RESOLVER port is %s", errstr);
	}
}

static void
c_nothing(char *out, size_t len)
{
	snprintf(out, len, "allowed");
}

static const struct test_case {
	const char	*name;
	enum where	 where;
	void		(*fn)(char *, size_t);
} cases[] = {
	{ "open", IN_NET, c_open },
	{ "exec", IN_NET, c_exec },
	{ "fork", IN_NET, c_fork },
	{ "ptrace", IN_NET, c_ptrace },
	{ "kill-parent", IN_NET, c_kill_parent },
	{ "setuid", IN_NET, c_setuid },
	{ "ioctl", IN_NET, c_ioctl },
	{ "connect-target", IN_NET, c_connect_target },
	{ "connect-dns", IN_NET, c_connect_dns },
	{ "connect-other", IN_NET, c_connect_other },
	{ "bind-tcp", IN_NET, c_bind_tcp },
	{ "udp", IN_NET, c_udp },
	{ "tcp", IN_NET, c_tcp },
	{ "netlink", IN_NET, c_netlink },
	{ "packet", IN_NET, c_packet },
	{ "unix", IN_NET, c_unix },
	{ "raw", IN_NET, c_raw },
	{ "mptcp", IN_NET, c_mptcp },
	{ "tfo-sendto", IN_NET, c_tfo_sendto },
	{ "tfo-sendmsg", IN_NET, c_tfo_sendmsg },
	{ "tfo-sockopt", IN_NET, c_tfo_sockopt },
	{ "sockopt-other", IN_NET, c_sockopt_other },
	{ "sockopt-tcp", IN_NET, c_sockopt_tcp },
	{ "mmap-exec", IN_NET, c_mmap_exec },
	{ "mprotect-exec", IN_NET, c_mprotect_exec },
	{ "abort", IN_NET, c_abort },
	{ "abort-parent", IN_NET, c_abort_parent },
	{ "x32-abi", IN_NET, c_x32 },
	{ "ids", IN_NET, c_ids },
	{ "parse-tcp", IN_PARSE, c_tcp },
	{ "parse-connect", IN_PARSE, c_connect_target },
	{ "parse-nothing", IN_PARSE, c_nothing },
	{ "parse-abort", IN_PARSE, c_abort },
	{ "parse-abort-parent", IN_PARSE, c_abort_parent },
	{ "verify-nothing", IN_VERIFY, c_nothing },
	{ "verify-tcp", IN_VERIFY, c_tcp },
	{ "verify-udp", IN_VERIFY, c_udp },
	{ "verify-open", IN_VERIFY, c_open },
	{ "verify-exec", IN_VERIFY, c_exec },
	{ "verify-abort", IN_VERIFY, c_abort },
	{ "start-open", IN_START, c_open },
	{ "start-open-other", IN_START, c_open_other },
	{ "start-open-write", IN_START, c_open_write },
	{ "start-exec", IN_START, c_exec },
	{ "run-open", IN_RUN, c_open },
	{ "run-exec", IN_RUN, c_exec },
	{ "run-connect-target", IN_RUN, c_connect_target },
	{ "run-connect-other", IN_RUN, c_connect_other },
	{ "run-kill-group", IN_RUN, c_kill_group },
	{ "wait-fork", IN_WAIT, c_fork },
	{ "wait-tcp", IN_WAIT, c_tcp },
	{ "wait-kill-child", IN_WAIT, c_kill_child },
	{ "dns-udp", IN_NET, c_dns },
	{ "dns-tcp", IN_NET, c_dns },
	{ "dns-stub", IN_NET, c_dns_stub },
	{ "privdrop", IN_NET, c_ids },
	{ "privdrop-allow-root", IN_NET, c_ids },
};

static uint16_t
listener(int type)
{
	struct sockaddr_in	 sin = loopback(0);
	socklen_t		 slen = sizeof(sin);
	int			 fd;

	if ((fd = socket(AF_INET, type, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (type == SOCK_STREAM && listen(fd, 8) == -1) ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
		err(1, "listener");
	return ntohs(sin.sin_port);
}

/* A frame from the child: its result text, or its SIGSYS report. */
static void
read_child(int fd, char *out, size_t len)
{
	static uint8_t		 buf[4096];
	struct msgreader	 r;
	size_t			 have = 0, used;
	uint32_t		 type;
	ssize_t			 n;
	char			*s;

	while (have < sizeof(buf) &&
	    (n = read(fd, buf + have, sizeof(buf) - have)) > 0)
		have += n;
	if (msg_frame(buf, have, &type, &r, &used) != 1)
		return;
	if (type == MSG_SANDBOX)
		snprintf(out, len, "violation: %s",
		    sandbox_syscall_name(msg_get_u32(&r)));
	else if (type == MSG_DETAIL && (s = msg_get_str(&r, NULL)) != NULL) {
		snprintf(out, len, "%s", s);
		free(s);
	}
}

static __dead void
child(const struct test_case *tc, int fd)
{
	struct sandbox_net	 net;
	struct msgbuf		 mb = { NULL, 0, 0 };
	char			 out[256] = "nothing";

	net.ports = &fx.target_port;
	net.nports = 1;
	/* Its own deadline first, as smtpdane's children do. */
	alarm(20);
	sandbox_report_fd(fd);
	if (tc->where != IN_VERIFY)
		sandbox_enter(SB_CHILD_NET, &net);
	if (strcmp(tc->name, "wait-kill-child") == 0)
		for (;;)
			poll(NULL, 0, -1);
	if (tc->where == IN_PARSE || tc->where == IN_VERIFY)
		sandbox_enter(SB_CHILD_PARSE, NULL);
	if (tc->where == IN_NET || tc->where == IN_PARSE ||
	    tc->where == IN_VERIFY)
		tc->fn(out, sizeof(out));
	msg_begin(&mb, MSG_DETAIL);
	msg_put_cstr(&mb, out);
	msg_send(fd, &mb);
	_exit(0);
}

static void
privdrop(const struct test_case *tc)
{
	char	 why[256];

	if (priv_drop(strcmp(tc->name, "privdrop-allow-root") == 0, why,
	    sizeof(why)) == -1) {
		printf("priv_drop: %s\n", why);
		exit(0);
	}
}

int
main(int argc, char *argv[])
{
	const struct test_case	*tc = NULL;
	struct sandbox_net	 net;
	char			 out[256] = "nothing";
	uint16_t		 run_ports[2];
	size_t			 i;
	int			 p[2], status;

	if (argc != 2 && argc != 4)
		errx(2, "usage: sbtest case [allowed-file other-file]");
	if (strcmp(argv[1], "landlock-abi") == 0) {
		/* What the kernel offers, asked without the sandbox. */
		printf("%ld\n", syscall(SYS_landlock_create_ruleset, NULL, 0,
		    1U << 0));
		return 0;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(cases[i].name, argv[1]) == 0)
			tc = &cases[i];
	if (tc == NULL)
		errx(2, "unknown case %s", argv[1]);
	fx.allowed = argc == 4 ? argv[2] : "/etc/hosts";
	fx.other = argc == 4 ? argv[3] : "/etc/hostname";
	fx.target_port = listener(SOCK_STREAM);
	fx.dns_port = listener(SOCK_STREAM);
	fx.other_port = listener(SOCK_STREAM);
	fx.udp_port = listener(SOCK_DGRAM);
	if (strncmp(tc->name, "dns-", 4) == 0)
		dns_setup(tc->name);

	sandbox_init(getenv("SBTEST_DEBUG") != NULL);
	sandbox_allow_read(fx.allowed);
	sandbox_enter(SB_PARENT_START, NULL);
	if (strncmp(tc->name, "privdrop", 8) == 0)
		privdrop(tc);
	read_groups();
	fx.parent = getpid();
	if (tc->where == IN_START) {
		tc->fn(out, sizeof(out));
		printf("%s\n", out);
		return 0;
	}

	sandbox_dns_ports(&fx.dns_port, 1);
	/* SBTEST_ANY_PORT: as smtpdane when SRV records name the ports. */
	run_ports[0] = fx.target_port;
	run_ports[1] = SANDBOX_ANY_PORT;
	net.ports = run_ports;
	net.nports = getenv("SBTEST_ANY_PORT") != NULL ? 2 : 1;
	sandbox_enter(SB_PARENT_RUN, &net);
	if (tc->where == IN_RUN) {
		tc->fn(out, sizeof(out));
		printf("%s\n", out);
		return 0;
	}

	if (pipe(p) == -1)
		err(1, "pipe");
	fflush(stdout);
	if ((fx.child = fork()) == -1)
		err(1, "fork");
	if (fx.child == 0) {
		close(p[0]);
		child(tc, p[1]);
	}
	close(p[1]);
	sandbox_enter(SB_PARENT_WAIT, NULL);
	if (tc->where == IN_WAIT) {
		tc->fn(out, sizeof(out));
		if (fx.child != -1 && kill(fx.child, SIGKILL) == 0)
			waitpid(fx.child, NULL, 0);
		printf("%s\n", out);
		return 0;
	}
	read_child(p[0], out, sizeof(out));
	if (waitpid(fx.child, &status, 0) == -1)
		err(1, "waitpid");
	if (WIFSIGNALED(status))
		snprintf(out, sizeof(out), "signal: SIG%s",
		    sigabbrev_np(WTERMSIG(status)));
	printf("%s\n", out);
	return 0;
}
