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
 * The forker: one process, forked from the parent once the set-up and
 * the priming are done, that forks every check child.
 *
 * Why: the parent's memory changes all the time (discoveries validated
 * in its event context, reports read and let go of), and every page it
 * writes while children share it is copied: a page fault in the parent,
 * and a page the older children are left holding alone.  The forker
 * writes almost nothing, so what its children share with it stays
 * shared, and the parent no longer pays for a fork a check.
 *
 * The parent sends a check's spec over a SOCK_SEQPACKET socket pair;
 * the forker primes the zone if prime.c says so, makes the child's
 * pipe, forks, and sends back the pid with the pipe's read end
 * (SCM_RIGHTS), or the errno of a pipe or fork that failed, which the
 * parent takes as back-pressure.  It reaps its children and reports
 * each wait status; it kills one only when the parent asks, and only
 * while it is a child not yet reaped, so no pid is ever reused under
 * a kill.  When the parent closes its end, the forker kills what is
 * left, reaps it and exits.
 *
 * Only the parent writes to the forker, and both are this program
 * with the same memory layout: the pointers in a spec to what was set
 * up before the forker was forked (TLS configurations, -staged files,
 * the DNS configuration) hold in the forker as they are; its strings
 * travel after it.  Verify jobs, which need the parent's reports, are
 * still forked by the parent.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpdane.h"
#include "output.h"
#include "parent.h"

enum fk_type {
	FK_FORK = 1,	/* parent: fork a check child for this spec */
	FK_KILL,	/* parent: SIGKILL this child */
	FK_DONE,	/* parent: nothing more to fork */
	FK_FORKED,	/* forker: its pid and pipe, or an errno */
	FK_EXITED	/* forker: a child reaped, its wait status */
};

struct fk_head {
	uint32_t	 type;
	int32_t		 pid;
	int32_t		 val;	/* FK_FORKED: errno, 0 with a pipe;
				   FK_EXITED: the wait status */
};

/* FK_FORK: the fk_head, then the spec as forkspec.c encodes it. */
#define FK_MAX		(sizeof(struct fk_head) + FORKSPEC_MAX)
#define FK_END_MS	2000	/* from the end of file to its exit */

static int	 ctl = -1;		/* the parent's end */
/* The forker must answer: in a minute, and a check's time for a
 * priming (set in forker_start(), once -timeout is known). */
static int64_t	 answer_ms;
static int	 forker_end_fd = -1;	/* the forker's end, until forked */
static pid_t	 forker_pid = -1;
static pid_t	 forker_self = -1;	/* in the forker: its own pid */

/* A message of one fk_head with room for one descriptor. */
union fd_space {
	struct cmsghdr	 hdr;
	unsigned char	 buf[CMSG_SPACE(sizeof(int))];
};

static void
fd_message(struct msghdr *msg, struct iovec *iov, struct fk_head *h,
    union fd_space *cbuf)
{
	memset(msg, 0, sizeof(*msg));
	memset(cbuf, 0, sizeof(*cbuf));
	iov->iov_base = h;
	iov->iov_len = sizeof(*h);
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = cbuf->buf;
	msg->msg_controllen = sizeof(cbuf->buf);
}

/* --- the forker ------------------------------------------------------ */

static pid_t	*kids;
static size_t	 nkids, capkids;

static int
is_kid(pid_t pid)
{
	size_t	 i;

	for (i = 0; i < nkids; i++)
		if (kids[i] == pid)
			return 1;
	return 0;
}

static void
forget_kid(pid_t pid)
{
	size_t	 i;

	for (i = 0; i < nkids; i++)
		if (kids[i] == pid) {
			kids[i] = kids[--nkids];
			return;
		}
}

static __dead void forker_exit(void);

/*
 * What the parent is not told it cannot wait for: a message the forker
 * cannot send ends it, and the parent sees the end of file.
 */
static void
send_head(int fd, enum fk_type type, pid_t pid, int val)
{
	struct fk_head	 h;
	ssize_t		 n;

	h.type = type;
	h.pid = pid;
	h.val = val;
	while ((n = write(fd, &h, sizeof(h))) == -1 && errno == EINTR)
		;
	if (n != sizeof(h))
		forker_exit();
}

/* The child's pipe to the parent, with its pid. */
static void
send_forked(int fd, pid_t pid, int pipefd)
{
	struct fk_head	 h;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union fd_space	 cbuf;
	ssize_t		 n;

	memset(&h, 0, sizeof(h));
	h.type = FK_FORKED;
	h.pid = pid;
	fd_message(&msg, &iov, &h, &cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pipefd, sizeof(int));
	while ((n = sendmsg(fd, &msg, 0)) == -1 && errno == EINTR)
		;
	if (n != sizeof(h))
		forker_exit();
}

static void
fork_kid(int fd, uint8_t *buf, size_t len)
{
	struct check_spec	 spec;
	int			 p[2], e;
	pid_t			 pid;

	/* on_request() read a whole head at least. */
	if (forkspec_decode(buf + sizeof(struct fk_head),
	    len - sizeof(struct fk_head), &spec) == -1) {
		send_head(fd, FK_FORKED, 0, EPROTO);
		return;
	}
	/* Before the fork: the child inherits what this validates. */
	prime_for_check(&spec);
	if (pipe(p) == -1) {
		send_head(fd, FK_FORKED, 0, errno);
		return;
	}
	if ((pid = fork()) == -1) {
		e = errno;
		close(p[0]);
		close(p[1]);
		send_head(fd, FK_FORKED, 0, e);
		return;
	}
	if (pid == 0) {
		close(fd);
		close(p[0]);
		if (sandbox_die_with_parent(forker_self) == -1)
			_exit(CHILD_EXIT_SANDBOX_SETUP);
		check_child(p[1], ubctx, &spec);
	}
	close(p[1]);
	if (nkids == capkids) {
		capkids = capkids ? capkids * 2 : 64;
		kids = xreallocarray(kids, capkids, sizeof(*kids));
	}
	kids[nkids++] = pid;
	send_forked(fd, pid, p[0]);
	close(p[0]);
}

static void
reap_kids(int fd)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		forget_kid(pid);
		send_head(fd, FK_EXITED, pid, status);
	}
}

/* The parent is done, or gone: nothing of ours outlives it. */
static __dead void
forker_exit(void)
{
	size_t	 i;

	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	while (waitpid(-1, NULL, 0) != -1 || errno == EINTR)
		;
	_exit(0);
}

static void
on_request(int fd, uint8_t *buf)
{
	struct fk_head	 h;
	ssize_t		 n;

	if ((n = read(fd, buf, FK_MAX)) == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		forker_exit();
	}
	if ((size_t)n < sizeof(h))
		forker_exit();
	memcpy(&h, buf, sizeof(h));
	if (h.type == FK_FORK)
		fork_kid(fd, buf, n);
	else if (h.type == FK_KILL && is_kid(h.pid))
		kill(h.pid, SIGKILL);
	else if (h.type == FK_DONE)
		/* OpenBSD "stdio proc"; Linux: no fork, no socket. */
		sandbox_enter(SB_PARENT_WAIT, NULL);
}

static void
on_sigchld(int sig)
{
	(void)sig;	/* only to wake ppoll() */
}

static __dead void
forker_main(int fd)
{
	struct pollfd	 pfd;
	sigset_t	 unblocked;
	uint8_t		*buf;

	/* Its failures end it; the parent sees the end of file. */
	parent_fatal_hook = NULL;
	forker_self = getpid();
	buf = xcalloc(1, FK_MAX);
	sigemptyset(&unblocked);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		reap_kids(fd);
		/* SIGCHLD, blocked elsewhere, wakes it here and only here. */
		if (ppoll(&pfd, 1, NULL, &unblocked) == -1) {
			if (errno == EINTR)
				continue;
			forker_exit();
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			on_request(fd, buf);
	}
}

/* --- the parent ------------------------------------------------------ */

/*
 * Before the first sandbox: the socket pair, and a SIGCHLD handler
 * (the sandboxes allow neither later).  SIGCHLD stays blocked in the
 * parent, which reaps its own by polling, as it did without it.
 */
void
forker_prepare(void)
{
	struct sigaction sa;
	sigset_t	 chld;
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		fatal("socketpair");
	ctl = sv[0];
	forker_end_fd = sv[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		fatal("sigaction");
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, NULL) == -1)
		fatal("sigprocmask");
}

/*
 * Forked before the first discovery, whose lookups leave the parent's
 * heap fuller and more scattered (at -j 64 the children of a forker
 * forked at the first check held 37 rather than 52 MB of PSS).  If
 * that fork fails, the first check tries again, as back-pressure like
 * any other: -1 with errno then.
 */
static int
forker_start(void)
{
	answer_ms = 60 * 1000 + 2 * (int64_t)opt.timeout * 1000;
	fflush(stdout);
	fflush(stderr);
	if ((forker_pid = fork()) == -1)
		return -1;
	if (forker_pid == 0) {
		close(ctl);
		ctl = -1;
		forker_main(forker_end_fd);
	}
	close(forker_end_fd);
	forker_end_fd = -1;
	if (fcntl(ctl, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	debug("forker %ld started", (long)forker_pid);
	return 0;
}

void
forker_begin(void)
{
	if (forker_start() == -1)
		debug("forker: fork: %s; trying again at the first check",
		    strerror(errno));
}

int
forker_fd(void)
{
	return ctl;
}

/* A child the parent forks holds no end of the forker's socket. */
void
forker_close_ends(void)
{
	if (ctl != -1)
		close(ctl);
	if (forker_end_fd != -1)
		close(forker_end_fd);
	ctl = forker_end_fd = -1;
}

/*
 * The forker ended, or broke its word: no more checks are forked.
 * Its children still report through their pipes; how each ended is
 * not known, so the job loop judges them by what they sent.
 */
static void
forker_lost(const char *why)
{
	if (ctl == -1)
		return;
	close(ctl);
	ctl = -1;
	debug("forker %ld %s", (long)forker_pid, why);
	/* forker_end() reaps it. */
	jobs_forker_lost(why);
}

/* A forker that does not keep its word is killed, and so lost. */
void
forker_abandon(const char *why)
{
	if (ctl == -1)
		return;
	kill(forker_pid, SIGKILL);
	forker_lost(why);
}

/* Wait for the forker's socket to be ready for events, or give up. */
static void
wait_forker(short events, int64_t deadline)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 n;

	for (;;) {
		/* Once more at the deadline: a parent held up past it
		 * may find the answer there. */
		left = deadline - now_ms();
		pfd.fd = ctl;
		pfd.events = events;
		if ((n = poll(&pfd, 1, left > 0 ? (int)left : 0)) > 0)
			return;
		if (n == -1 && errno != EINTR)
			fatal("poll");
		if (n == 0 && left <= 0)
			fatalx("the forker does not answer");
	}
}

/* What one read from the forker got: a message, nothing yet, the end. */
enum fk_read { FK_MESSAGE, FK_NONE, FK_LOST };

static enum fk_read
check_head(const struct fk_head *h, ssize_t n)
{
	if (n == -1 && errno == EAGAIN)
		return FK_NONE;
	if (n == -1 && errno == EINTR)
		return FK_NONE;
	if (n == -1 || n == 0)
		forker_lost("ended");
	else if ((size_t)n != sizeof(*h) || h->pid < 0 ||
	    (h->pid == 0 && (h->type != FK_FORKED || h->val == 0)) ||
	    (h->type != FK_FORKED && h->type != FK_EXITED))
		forker_abandon("sent a malformed message");
	else
		return FK_MESSAGE;
	return FK_LOST;
}

/*
 * What the forker said since: the wait statuses it sent, each to the
 * job loop.  With read(2), not recvmsg(2) as read_forked() takes a
 * descriptor: the parent's wait stage, after the last fork, refuses
 * recvmsg.
 */
void
forker_read(void)
{
	struct fk_head	 h;
	enum fk_read	 r;

	while (ctl != -1 && (r = check_head(&h, read(ctl, &h,
	    sizeof(h)))) == FK_MESSAGE) {
		if (h.type == FK_FORKED) {
			forker_abandon("answered what was not asked");
			return;
		}
		job_exited(h.pid, h.val);
	}
}

/*
 * The forker's answer to FK_FORK, with the descriptor it carries (-1
 * if none came: this process had no room for one).  Wait statuses
 * before it go to the job loop.
 */
static enum fk_read
read_forked(struct fk_head *h, int *fd)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union fd_space	 cbuf;
	enum fk_read	 r;

	for (;;) {
		*fd = -1;
		fd_message(&msg, &iov, h, &cbuf);
		if ((r = check_head(h, recvmsg(ctl, &msg, 0))) != FK_MESSAGE)
			return r;
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_RIGHTS &&
			    cm->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(fd, CMSG_DATA(cm), sizeof(int));
		if (h->type == FK_FORKED)
			return FK_MESSAGE;
		if (*fd != -1)
			close(*fd);
		job_exited(h->pid, h->val);
	}
}

/* 0 once written, -1 if the forker is gone. */
static int
write_forker(const void *buf, size_t len)
{
	int64_t		 deadline = 0;

	while (ctl != -1) {
		if (write(ctl, buf, len) == (ssize_t)len)
			return 0;
		if (errno != EAGAIN && errno != EINTR) {
			forker_lost("ended");	/* EPIPE, ECONNRESET */
			break;
		}
		if (deadline == 0)
			deadline = now_ms() + answer_ms;
		/* Full: what the forker sent meanwhile is read first. */
		wait_forker(POLLIN | POLLOUT, deadline);
		forker_read();
	}
	return -1;
}

/*
 * A check child forked by the forker: its pid and the read end of its
 * pipe.  -1 with errno when the forker (or this process, for the
 * forker itself) could not make a pipe or fork, or this process has
 * no room for one more descriptor: back-pressure for the job loop.
 * EPIPE: the forker is gone.
 */
int
forker_fork(const struct check_spec *spec, pid_t *pid, int *fd)
{
	static uint8_t	 buf[FK_MAX];
	int64_t		 deadline;
	struct fk_head	 h;
	enum fk_read	 r;
	size_t		 len;
	int		 room;

	if (forker_pid == -1 && forker_start() == -1)
		return -1;
	if (ctl == -1) {
		errno = EPIPE;
		return -1;
	}
	/* Room for the pipe: OpenBSD fails recvmsg() without it. */
	if ((room = dup(ctl)) == -1)
		return -1;
	close(room);
	memset(&h, 0, sizeof(h));
	h.type = FK_FORK;
	memcpy(buf, &h, sizeof(h));
	if ((len = forkspec_encode(spec, buf + sizeof(h),
	    sizeof(buf) - sizeof(h))) == 0)
		fatalx("a check's spec is too large for the forker");
	len += sizeof(h);
	if (write_forker(buf, len) == -1) {
		errno = EPIPE;
		return -1;
	}
	/* prime_for_check() may take the forker a lookup's time. */
	deadline = now_ms() + answer_ms;
	do
		wait_forker(POLLIN, deadline);
	while ((r = read_forked(&h, fd)) == FK_NONE);
	if (r == FK_LOST) {
		errno = EPIPE;
		return -1;
	}
	if (h.val == EPROTO)
		fatalx("the forker could not read a check's spec");
	if (h.val != 0) {
		if (*fd != -1)
			close(*fd);
		errno = h.val;
		return -1;
	}
	if (*fd == -1) {
		/* There was room (dup above): it broke its word. */
		forker_abandon("sent no pipe");
		errno = EPIPE;
		return -1;
	}
	*pid = h.pid;
	return 0;
}

/* A request that has no answer. */
static void
request(uint32_t type, pid_t pid)
{
	struct fk_head	 h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.pid = pid;
	(void)write_forker(&h, sizeof(h));
}

void
forker_kill(pid_t pid)
{
	request(FK_KILL, pid);
}

/* Nothing more to fork: the forker narrows as the parent does. */
void
forker_done(void)
{
	request(FK_DONE, 0);
}

/*
 * The end of the run, or of the parent: at the end of file the forker
 * kills what is left, reaps it and exits; one that does not in
 * FK_END_MS is killed.
 */
void
forker_end(void)
{
	int64_t	 until = now_ms() + FK_END_MS;
	pid_t	 pid;

	if (forker_pid == -1)
		return;
	if (ctl != -1)
		close(ctl);
	ctl = -1;
	while ((pid = waitpid(forker_pid, NULL, WNOHANG)) == 0 &&
	    now_ms() < until)
		poll(NULL, 0, 10);
	if (pid == 0) {
		kill(forker_pid, SIGKILL);
		while (waitpid(forker_pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	forker_pid = -1;
}
