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
 * The job loop: the queues of checks, verify jobs and discoveries;
 * starting a child per check (the forker forks it, forker.c) or verify
 * job (forked here), each with its pipe; reading and judging its
 * frames; deadlines, killing and reaping, and how a child ended; the
 * discoveries, run in the parent over libunbound's event API; the
 * poll loop, and the last sandbox stage once nothing more is forked.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
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

#define CHILD_OUTPUT_MAX (4 * 1024 * 1024)
#define DISCOVERY_POLL_MS 2	/* poll timeout with lookups in flight */
#define EXIT_GRACE_MS	1000	/* after end of file, before SIGKILL */
#define REAP_WAIT_MS	5000	/* after SIGKILL, for the forker's word */

struct job		*running;
size_t			 nrunning;

/*
 * Jobs: children to start, at most opt.jobs at a time.  Checks go
 * before discoveries, so that output flows while discovery goes on.
 */
struct queue		 queues[JOB__MAX];

void
enqueue(enum job_kind kind, size_t idx)
{
	struct queue	*q = &queues[kind];

	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 256;
		q->idx = xreallocarray(q->idx, q->cap, sizeof(*q->idx));
	}
	q->idx[q->n++] = idx;
}

int
queued(enum job_kind kind)
{
	return queues[kind].head < queues[kind].n;
}

/* The next job to start, left in its queue until it has started. */
static int
peek(enum job_kind *kind, size_t *idx)
{
	*kind = queued(JOB_CHECK) ? JOB_CHECK : JOB_VERIFY;
	if (!queued(*kind))
		return 0;
	*idx = queues[*kind].idx[queues[*kind].head];
	return 1;
}

static const char *
job_kind_name(enum job_kind kind)
{
	switch (kind) {
	case JOB_DISCOVER:
		return "discovery";
	case JOB_VERIFY:
		return "verify";
	default:
		return "check";
	}
}

/*
 * Out of descriptors or processes is back-pressure, not an error: the
 * job goes back to its queue until a running one ends.  With nothing
 * running the parent waits a little and tries again; when that does
 * not help either, the jobs still queued are reported as not checked
 * and the run ends with exit status 2.
 */
#define START_RETRIES	50
#define START_RETRY_MS	100

static int	 start_failures;	/* in a row, with nothing running */
char		 gave_up[MAX_TEXT];	/* why jobs were left unchecked */

static void abandon_queued(const char *);

/* Always -1: the job did not start. */
static int
start_failed(const char *what)
{
	char	 why[MAX_TEXT];

	if (nrunning > 0)
		return -1;
	if (++start_failures < START_RETRIES) {
		debug("%s: %s, trying again", what, strerror(errno));
		poll(NULL, 0, START_RETRY_MS);
		return -1;
	}
	snprintf(why, sizeof(why), "not checked: %s: %s", what,
	    strerror(errno));
	abandon_queued(why);
	return -1;
}

/* A check child, forked by the forker; -1 when it must wait. */
static int
start_check(size_t idx, pid_t *pid, int *fd)
{
	if (forker_fork(checks[idx].spec, pid, fd) == 0)
		return 0;
	if (errno == EMFILE || errno == ENFILE)
		return start_failed("pipe");
	if (errno == EAGAIN || errno == ENOMEM)
		return start_failed("fork");
	if (errno == EPIPE) {
		/* Lost before: jobs_forker_lost() said why. */
		abandon_queued(gave_up);
		return -1;
	}
	fatal("the forker");
}

/* A verify child, which needs the reports: forked here. */
static int
start_verify(size_t idx, pid_t *pid, int *fd)
{
	int		 p[2];
	size_t		 i;

	if (pipe(p) == -1) {
		if (errno == EMFILE || errno == ENFILE)
			return start_failed("pipe");
		fatal("pipe");
	}
	fflush(stdout);
	fflush(stderr);
	if ((*pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		if (errno == EAGAIN || errno == ENOMEM)
			return start_failed("fork");
		fatal("fork");
	}
	if (*pid == 0) {
		/* A child's failures are its exit codes, not the parent's
		 * way out. */
		parent_fatal_hook = NULL;
		close(p[0]);
		forker_close_ends();
		for (i = 0; i < nrunning; i++)
			close(running[i].fd);
		start_verify_child(p[1], idx);
	}
	close(p[1]);
	*fd = p[0];
	return 0;
}

static int
start_job(enum job_kind kind, size_t idx)
{
	struct job	*j;
	int		 fd;
	pid_t		 pid;

	if ((kind == JOB_VERIFY ? start_verify(idx, &pid, &fd) :
	    start_check(idx, &pid, &fd)) == -1)
		return 0;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	j = &running[nrunning++];
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->idx = idx;
	j->pid = pid;
	j->fd = fd;
	j->deadline = now_ms() + opt.timeout * 1000 + CHILD_GRACE_MS;
	checks[idx].rep.started = now_ms();
	start_failures = 0;
	debug("started %s child %ld for %s", job_kind_name(kind),
	    (long)pid, checks[idx].spec->addrstr);
	return 1;
}

struct report *
job_report(const struct job *j)
{
	return j->kind != JOB_DISCOVER ? &checks[j->idx].rep :
	    &targets[j->idx].rep;
}

/*
 * Discovery ended.  A child that died or timed out leaves a verdict;
 * one that found nothing at all is a bug, said so rather than hidden.
 */
static void
discovery_done(struct target *t)
{
	t->discovered = 1;
	if (t->rep.done && t->rep.result != R_VERIFIED)
		add_verdict(t, t->rep.result, "%s", t->rep.reason);
	else if (t->nchecks == 0)
		add_verdict(t, R_INTERNAL, "discovery reported nothing");
}

/*
 * How a child ended: a result it sent, or why there is none.
 */
static void
judge_exit(struct job *j, int status)
{
	struct report	*rep = job_report(j);
	const char	*killed, *why;
	int		 sig;

	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		killed = sandbox_kill_text(sig);
		if (killed != NULL)
			report_set(rep, R_INTERNAL, "%s during %s", killed,
			    stage_name(rep->stage));
		else if (rep->done || j->final)
			return;
		else if (sig == SIGALRM)
			report_set(rep, R_TIMEOUT, "timed out after %lld.%llds "
			    "during %s", (long long)(now_ms() - rep->started) /
			    1000, (long long)(now_ms() - rep->started) % 1000 /
			    100, stage_name(rep->stage));
		else
			report_set(rep, R_INTERNAL, "child crashed during %s: "
			    "signal %d (%s)", stage_name(rep->stage), sig,
			    strsignal(sig));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		if (rep->done)
			;
		else if ((why = child_exit_text(WEXITSTATUS(status))) != NULL)
			report_set(rep, R_INTERNAL, "child failed during %s: "
			    "%s", stage_name(rep->stage), why);
		else
			report_set(rep, R_INTERNAL, "child failed during %s: "
			    "exit status %d", stage_name(rep->stage),
			    WEXITSTATUS(status));
	} else if (!rep->done && !j->final)
		report_set(rep, R_INTERNAL, "child ended without a result "
		    "during %s", stage_name(rep->stage));
}

/* The job's pipe is done with; the process is reaped later. */
static void
close_job(struct job *j)
{
	close(j->fd);
	j->fd = -1;
	j->closed_at = now_ms();
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
}

/* Check children are the forker's: it forks, reaps and kills them. */
int
by_forker(const struct job *j)
{
	return j->kind == JOB_CHECK;
}

/* SIGKILL, through the forker for its children. */
static void
kill_child(struct job *j)
{
	if (j->exited)
		return;		/* reaped: the pid may be another's */
	j->killed_at = now_ms();
	if (by_forker(j))
		forker_kill(j->pid);
	else
		kill(j->pid, SIGKILL);
}

/* The forker reaped a child: its job is judged when its pipe is done. */
void
job_exited(pid_t pid, int status)
{
	size_t	 i;

	for (i = 0; i < nrunning; i++)
		if (by_forker(&running[i]) && running[i].pid == pid &&
		    !running[i].exited) {
			running[i].exited = 1;
			running[i].status = status;
			return;
		}
}

/*
 * The forker is gone: its children still report through their pipes,
 * but how each of them ends will not be known.  What is queued is not
 * checked.
 */
void
jobs_forker_lost(const char *why)
{
	char	 text[MAX_TEXT];
	size_t	 i;

	for (i = 0; i < nrunning; i++)
		if (by_forker(&running[i]) && !running[i].exited) {
			running[i].exited = 1;
			running[i].status = 0;
		}
	snprintf(text, sizeof(text), "not checked: the forker of check "
	    "children %s", why);
	abandon_queued(text);
}

/* A child's wait status if it has ended: 1, else 0.  Never blocks. */
static int
child_ended(struct job *j, int *status)
{
	pid_t	 pid;

	if (by_forker(j)) {
		*status = j->status;
		return j->exited;
	}
	if ((pid = waitpid(j->pid, status, WNOHANG)) == -1 && errno != EINTR)
		fatal("waitpid");
	return pid > 0;
}

/*
 * When a job whose pipe is closed needs us: to kill a child that has
 * not exited, or to give up on a forker that did not reap one killed.
 */
static int64_t
reap_due(const struct job *j)
{
	return j->killed_at != 0 ? j->killed_at + REAP_WAIT_MS :
	    j->closed_at + EXIT_GRACE_MS;
}

/* Never blocks: a child that outlives its pipe is killed, then reaped. */
static void
reap_job(struct job *j)
{
	int	 status;

	if (!child_ended(j, &status)) {
		if (now_ms() < reap_due(j))
			return;
		/* A forker that does not reap what it killed is lost. */
		if (j->killed_at != 0) {
			if (by_forker(j))
				forker_abandon("did not reap a child it "
				    "killed");
			return;
		}
		kill_child(j);
		if (!job_report(j)->done && !j->final)
			report_set(job_report(j), R_INTERNAL, "child did not "
			    "exit after closing its pipe, during %s",
			    stage_name(job_report(j)->stage));
		return;
	}
	judge_exit(j, status);
	j->pid = 0;
	if (j->kind == JOB_DISCOVER)
		discovery_done(&targets[j->idx]);
	else {
		checks[j->idx].finished = 1;
		checks[j->idx].clean_end = j->final &&
		    checks[j->idx].rep.result != R_INTERNAL;
		if (j->kind == JOB_CHECK)
			followers_ready(j->idx);
	}
	debug("child done: %s", job_report(j)->done ?
	    result_name(job_report(j)->result) : "addresses");
}

static void
kill_job(struct job *j, enum result res, const char *why)
{
	struct report	*rep = job_report(j);

	kill_child(j);
	if (res == R_INTERNAL || (!rep->done && !j->final))
		report_set(rep, res, "%s", why);
	close_job(j);
}

static void
parse_frames(struct job *j)
{
	struct msgreader	 r;
	uint32_t		 type;
	size_t			 used, off = 0;
	char			 why[256], msg[300];
	int			 n;

	while ((n = msg_frame(j->buf + off, j->len - off, &type, &r,
	    &used)) == 1) {
		if (on_message(j, type, &r, why, sizeof(why)) != NULL) {
			snprintf(msg, sizeof(msg), "refused the child's "
			    "report: %s", why);
			kill_job(j, R_INTERNAL, msg);
			return;
		}
		off += used;
	}
	if (n == -1) {
		kill_job(j, R_INTERNAL, "malformed frame from the child");
		return;
	}
	memmove(j->buf, j->buf + off, j->len - off);
	j->len -= off;
}

/* Read what a child wrote: READ_DATA, READ_NONE (would block), or
 * READ_CLOSED once its pipe is closed. */
enum { READ_CLOSED, READ_NONE, READ_DATA };

static int
read_job(struct job *j)
{
	ssize_t	 n;

	if (j->cap - j->len < 65536) {
		if (j->cap >= CHILD_OUTPUT_MAX) {
			kill_job(j, R_INTERNAL, "child wrote too much");
			return READ_CLOSED;
		}
		j->cap = j->cap ? j->cap * 2 : 131072;
		j->buf = xreallocarray(j->buf, j->cap, 1);
	}
	n = read(j->fd, j->buf + j->len, j->cap - j->len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return READ_NONE;
	if (n <= 0) {
		if (j->len > 0)
			kill_job(j, R_INTERNAL, "child output ends in the "
			    "middle of a message");
		else
			close_job(j);
		return READ_CLOSED;
	}
	j->len += n;
	parse_frames(j);
	return j->fd != -1 ? READ_DATA : READ_CLOSED;
}

/*
 * A child past its deadline is killed, but first whatever it has
 * written is read: when the parent itself was held up, a child that
 * finished in time must not be judged by the parent's lateness.
 */
static void
expire_jobs(void)
{
	struct job	*j;
	char		 why[256];
	size_t		 i;
	long long	 ms;

	for (i = 0; i < nrunning; i++) {
		j = &running[i];
		if (j->fd == -1 || now_ms() < j->deadline)
			continue;
		/* What is there already, not what may come. */
		while (!j->final && read_job(j) == READ_DATA)
			;
		if (j->fd == -1)
			continue;
		if (j->final) {
			close_job(j);
			continue;
		}
		ms = now_ms() - job_report(j)->started;
		snprintf(why, sizeof(why), "timed out after %lld.%llds "
		    "during %s", ms / 1000, ms % 1000 / 100,
		    stage_name(job_report(j)->stage));
		kill_job(j, R_TIMEOUT, why);
	}
}

static void
reap_finished(void)
{
	size_t	 i, k = 0;

	for (i = 0; i < nrunning; i++) {
		if (running[i].fd == -1 && running[i].pid != 0)
			reap_job(&running[i]);
		if (running[i].fd != -1 || running[i].pid != 0)
			running[k++] = running[i];
	}
	nrunning = k;
}

/* The parent cannot start children: what is still queued is not run. */
static void
abandon_queued(const char *why)
{
	struct queue	*q;
	size_t		 i;

	if (why != gave_up)
		strlcpy(gave_up, why, sizeof(gave_up));
	q = &queues[JOB_CHECK];
	for (; q->head < q->n; q->head++) {
		i = q->idx[q->head];
		report_set(&checks[i].rep, R_INTERNAL, "%s", why);
		checks[i].finished = 1;
		followers_ready(i);
	}
	q = &queues[JOB_VERIFY];
	for (; q->head < q->n; q->head++) {
		i = q->idx[q->head];
		report_set(&checks[i].rep, R_INTERNAL, "%s", why);
		checks[i].finished = 1;
	}
	q = &queues[JOB_DISCOVER];
	for (; q->head < q->n; q->head++) {
		i = q->idx[q->head];
		targets[i].discovered = 1;
		add_verdict(&targets[i], R_INTERNAL, "%s", why);
	}
}

/*
 * Discoveries run in the parent, without a child: their lookups go
 * through the event context (dns_event_run), each with a deadline,
 * and what they conclude comes as frames judged by msg_descs[] like
 * a child's.  At most opt.jobs run at once, and none starts while
 * plenty of checks wait, so that a long target list is not all
 * looked up (and held in memory) before it is checked.
 */
struct discovery {
	struct disc	*d;
	struct job	 j;	/* kind JOB_DISCOVER; no pid, no fd */
};

static struct discovery	*discs;
static size_t		 ndiscs;

#define CHECKS_AHEAD(jobs)	(4 * (size_t)(jobs))

static size_t
checks_waiting(void)
{
	return queues[JOB_CHECK].n - queues[JOB_CHECK].head;
}

static void
start_discoveries(void)
{
	struct discovery	*s;
	struct queue		*q = &queues[JOB_DISCOVER];
	size_t			 idx;

	while (ndiscs < (size_t)opt.jobs && queued(JOB_DISCOVER) &&
	    checks_waiting() < CHECKS_AHEAD(opt.jobs)) {
		idx = q->idx[q->head];
		s = &discs[ndiscs];
		memset(s, 0, sizeof(*s));
		s->j.kind = JOB_DISCOVER;
		s->j.idx = idx;
		s->j.fd = -1;
		s->j.deadline = now_ms() + opt.timeout * 1000 + CHILD_GRACE_MS;
		targets[idx].rep.started = now_ms();
		if ((s->d = discover_start(ubctx, &targets[idx].disc)) == NULL)
			fatal("discovery");
		q->head++;
		ndiscs++;
		debug("started discovery for %s", targets[idx].host);
	}
}

/* Judge the frames a discovery wrote; -1 once it must end. */
static int
discovery_frames(struct discovery *s)
{
	struct job		*j = &s->j;
	struct msgreader	 r;
	const uint8_t		*p;
	uint32_t		 type;
	size_t			 len, used, off = 0;
	char			 why[256];
	int			 n, finished;

	p = discover_frames(s->d, &len, &finished);
	if (len > 0) {
		if (j->len + len > CHILD_OUTPUT_MAX) {
			report_set(job_report(j), R_INTERNAL, "discovery "
			    "wrote too much");
			return -1;
		}
		if (j->cap - j->len < len) {
			j->cap = j->len + len;
			j->buf = xreallocarray(j->buf, j->cap, 1);
		}
		memcpy(j->buf + j->len, p, len);
		j->len += len;
		discover_taken(s->d);
	}
	while ((n = msg_frame(j->buf + off, j->len - off, &type, &r,
	    &used)) == 1) {
		if (on_message(j, type, &r, why, sizeof(why)) != NULL) {
			report_set(job_report(j), R_INTERNAL, "refused the "
			    "discovery's report: %s", why);
			return -1;
		}
		off += used;
	}
	if (n == -1) {
		report_set(job_report(j), R_INTERNAL, "malformed frame in "
		    "discovery");
		return -1;
	}
	memmove(j->buf, j->buf + off, j->len - off);
	j->len -= off;
	if (!finished)
		return 0;
	if (!j->final)
		report_set(job_report(j), R_INTERNAL, "discovery ended "
		    "without a result during %s",
		    stage_name(job_report(j)->stage));
	return -1;
}

static void
end_discovery(size_t i)
{
	struct discovery	*s = &discs[i];

	discover_free(s->d);
	free(s->j.buf);
	discovery_done(&targets[s->j.idx]);
	debug("discovery done: %s", targets[s->j.idx].host);
	discs[i] = discs[--ndiscs];
}

/* Lookups answered, frames judged, deadlines kept. */
/*
 * The event context is busy while a discovery runs, and after it while
 * the walks of sigs.c (DNSKEY and DS RRsets above its zones) finish.
 */
static int
dns_busy(void)
{
	return ndiscs > 0 || sigs_pending() > 0;
}

static void
run_discoveries(void)
{
	struct discovery	*s;
	size_t			 i;
	long long		 ms;

	if (!dns_busy())
		return;
	dns_event_run(ubctx);
	for (i = 0; i < ndiscs;) {
		s = &discs[i];
		if (discovery_frames(s) == -1) {
			end_discovery(i);
			continue;
		}
		if (now_ms() >= s->j.deadline) {
			ms = now_ms() - job_report(&s->j)->started;
			report_set(job_report(&s->j), R_TIMEOUT, "timed out "
			    "after %lld.%llds during %s", ms / 1000,
			    ms % 1000 / 100, stage_name(job_report(&s->j)->stage));
			end_discovery(i);
			continue;
		}
		i++;
	}
}

/* Once nothing more can be forked, the parent narrows again. */
static void
maybe_narrow(int *narrowed)
{
	size_t	 i;

	if (*narrowed || queued(JOB_CHECK) || queued(JOB_DISCOVER) ||
	    queued(JOB_VERIFY) || dns_busy())
		return;
	/* A discovery may add checks, a check with followers verifies. */
	for (i = 0; i < nrunning; i++)
		if (running[i].pid != 0 && (running[i].kind == JOB_DISCOVER ||
		    (running[i].kind == JOB_CHECK &&
		    checks[running[i].idx].nfollowers > 0)))
			return;
	/* OpenBSD "stdio proc"; Linux: poll, read, write, kill, wait. */
	sandbox_enter(SB_PARENT_WAIT, NULL);
	forker_done();
	*narrowed = 1;
	debug("every child forked");
}

/* How long poll may sleep: until the next deadline or reap. */
static int
poll_wait(void)
{
	int64_t	 soonest = INT64_MAX, wait;
	size_t	 i;

	for (i = 0; i < nrunning; i++) {
		/* The forker's word on its children wakes the poll;
		 * until then, the time to kill, or to give up on it. */
		if (running[i].fd == -1 && by_forker(&running[i])) {
			if (reap_due(&running[i]) < soonest)
				soonest = reap_due(&running[i]);
			continue;
		}
		if (running[i].fd == -1) {
			soonest = now_ms() + 5;	/* a child to reap */
			break;
		}
		if (running[i].deadline < soonest)
			soonest = running[i].deadline;
	}
	/* Lookups in flight: the event base is looked at often. */
	if (dns_busy() && soonest > now_ms() + DISCOVERY_POLL_MS)
		soonest = now_ms() + DISCOVERY_POLL_MS;
	wait = soonest - now_ms();
	if (wait < 0)
		wait = 0;
	return wait > 60000 ? 60000 : (int)wait;
}

void
run_jobs(void)
{
	struct pollfd	*pfd;
	size_t		*which;
	enum job_kind	 kind;
	size_t		 i, q, npfd;
	int		 narrowed = 0, n;

	pfd = xcalloc(opt.jobs + 1, sizeof(*pfd));
	which = xcalloc(opt.jobs, sizeof(*which));
	discs = xcalloc(opt.jobs, sizeof(*discs));
	while (queued(JOB_CHECK) || queued(JOB_DISCOVER) ||
	    queued(JOB_VERIFY) || nrunning > 0 || dns_busy()) {
		start_discoveries();
		run_discoveries();
		while (nrunning < (size_t)opt.jobs && peek(&kind, &q) &&
		    start_job(kind, q))
			queues[kind].head++;
		maybe_narrow(&narrowed);
		for (i = npfd = 0; i < nrunning; i++) {
			if (running[i].fd == -1)
				continue;
			pfd[npfd].fd = running[i].fd;
			pfd[npfd].events = POLLIN;
			pfd[npfd].revents = 0;
			which[npfd++] = i;
		}
		/* Last: the forker's word that a child was reaped. */
		pfd[npfd].fd = forker_fd();
		pfd[npfd].events = POLLIN;
		pfd[npfd].revents = 0;
		/* Nothing running: a start that failed is retried now. */
		n = poll(pfd, npfd + 1, nrunning > 0 || dns_busy() ?
		    poll_wait() : 0);
		if (n == -1 && errno != EINTR)
			fatal("poll");
		for (i = 0; n > 0 && i < npfd; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				read_job(&running[which[i]]);
		if (n > 0 && pfd[npfd].revents != 0)
			forker_read();
		expire_jobs();
		reap_finished();
		print_ready();
	}
	forker_end();
	free(pfd);
	free(which);
	free(discs);
}

