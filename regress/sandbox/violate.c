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
 * violate.so: make a real smtpdane break its sandbox, for
 * regress/test_sandbox.sh.  Preloaded (LD_PRELOAD), it wraps
 * ub_resolve(3), which smtpdane calls in the parent's run stage (to
 * prime validation) and in every child after its sandbox is on; the
 * first call in the chosen process first does SBTEST_VIOLATE:
 *
 *	open, exec, fork, netlink	a forbidden call in a child (open
 *					says what became of it when it returns)
 *	connect:PORT			a TCP connect in a child to PORT
 *	ids				a child writes its ids
 *	parent-open, parent-ids		the same in the parent
 *
 * With SBTEST_VIOLATE_TYPE=N only a lookup of that type acts (52,
 * TLSA: the check child rather than the discovery child).  With
 * SBTEST_VIOLATE_AT=event it is the first ub_resolve_event(3) call
 * instead: in a check child, that of its -all-ns stage.
 * What the test cannot learn from smtpdane's own output is written to
 * stderr as "violate: ...".  Nothing of this is in smtpdane itself.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netlink.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ub_ctx;
struct ub_result;

typedef int	 resolve_fn(struct ub_ctx *, const char *, int, int,
		    struct ub_result **);
typedef void	 event_cb(void *, int, void *, int, int, char *, int);
typedef int	 resolve_event_fn(struct ub_ctx *, const char *, int, int,
		    void *, event_cb *, int *);

int		 ub_resolve(struct ub_ctx *, const char *, int, int,
		    struct ub_result **);
int		 ub_resolve_event(struct ub_ctx *, const char *, int, int,
		    void *, event_cb *, int *);

static resolve_fn	*real_resolve;
static resolve_event_fn	*real_resolve_event;
static const char	*action;
static int		 only_type, at_event;
static pid_t		 first_pid;
static int		 done;

/* Before main, so before any sandbox. */
__attribute__((__constructor__)) static void
violate_init(void)
{
	real_resolve = (resolve_fn *)dlsym(RTLD_NEXT, "ub_resolve");
	real_resolve_event = (resolve_event_fn *)dlsym(RTLD_NEXT,
	    "ub_resolve_event");
	action = getenv("SBTEST_VIOLATE");
	at_event = getenv("SBTEST_VIOLATE_AT") != NULL &&
	    strcmp(getenv("SBTEST_VIOLATE_AT"), "event") == 0;
	if (getenv("SBTEST_VIOLATE_TYPE") != NULL)
		only_type = atoi(getenv("SBTEST_VIOLATE_TYPE"));
	first_pid = getpid();
}

static void
say(const char *fmt, ...) __attribute__((__format__(__printf__, 1, 2)));

static void
say(const char *fmt, ...)
{
	char	 line[256];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
}

static void
violate(const char *what)
{
	struct sockaddr_in	 sin;
	char			*argv[] = { "true", NULL }, *envp[] = { NULL };
	int			 fd;

	if (strcmp(what, "open") == 0) {
		/* killed here, but refused in a sanitizer build */
		if ((fd = open("/etc/hosts", O_RDONLY)) == -1)
			say("violate: open: %s\n", strerror(errno));
		else
			say("violate: open: allowed\n");
	} else if (strcmp(what, "exec") == 0)
		execve("/bin/true", argv, envp);
	else if (strcmp(what, "fork") == 0) {
		if (fork() == 0)
			_exit(0);
	} else if (strcmp(what, "netlink") == 0)
		socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	else if (strncmp(what, "connect:", 8) == 0) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(atoi(what + 8));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			say("violate: socket: %s\n", strerror(errno));
		else if (connect(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1)
			say("violate: connect %s: %s\n", what + 8,
			    strerror(errno));
		else
			say("violate: connect %s: allowed\n", what + 8);
	} else if (strcmp(what, "ids") == 0)
		say("violate: uid=%lu euid=%lu gid=%lu egid=%lu\n",
		    (unsigned long)getuid(), (unsigned long)geteuid(),
		    (unsigned long)getgid(), (unsigned long)getegid());
}

/* The first call of the chosen API and type in the chosen process. */
static void
maybe_violate(int event, int type)
{
	int	 parent;

	if (action != NULL && !done && event == at_event &&
	    (only_type == 0 || type == only_type)) {
		parent = strncmp(action, "parent-", 7) == 0;
		if (parent == (getpid() == first_pid)) {
			done = 1;
			violate(parent ? action + 7 : action);
		}
	}
}

int
ub_resolve(struct ub_ctx *ctx, const char *name, int type, int class,
    struct ub_result **res)
{
	maybe_violate(0, type);
	return real_resolve(ctx, name, type, class, res);
}

int
ub_resolve_event(struct ub_ctx *ctx, const char *name, int type, int class,
    void *arg, event_cb *cb, int *id)
{
	maybe_violate(1, type);
	return real_resolve_event(ctx, name, type, class, arg, cb, id);
}
