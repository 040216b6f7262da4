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
 * benchrun: run one command for `make bench` and measure it.
 *
 *	benchrun [-i ms] [-o file] command [arg ...]
 *
 * It forks and execs the command and, when it is gone, prints one line
 * (to file with -o, else to stderr):
 *
 *	wall S user S sys S status N maxrss_kb K hwm_kb K peak_pss_kb K
 *	peak_procs N samples N sampler_s S
 *
 * user and sys come from wait4(2): the command and every descendant
 * it waited for.  maxrss_kb is wait4's ru_maxrss, the largest of them.
 * hwm_kb is the command's own peak RSS (VmHWM), read at its exit: the
 * command is traced (ptrace, PTRACE_O_TRACEEXIT, itself only, not its
 * children) and stops there once.  peak_pss_kb is the largest sum of
 * PSS over the command's whole process tree, sampled from
 * /proc/PID/smaps_rollup by a thread every -i ms (default 10), or less
 * often when a sample takes long: the sampler spends at most a tenth
 * of its time working (sampler_s is its CPU time).
 */

#include <sys/types.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXPROCS	65536

static pid_t		 child;
static volatile int	 finished;
static long		 interval_ms = 10;
static long		 peak_pss, peak_procs, nsamples;
static double		 sampler_cpu;
static pid_t		 stack[MAXPROCS];

static double
now(clockid_t clk)
{
	struct timespec	 ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The value of the first "key: N kB" line of a /proc file, or -1. */
static long
proc_kb(pid_t pid, const char *file, const char *key)
{
	char	 path[64], line[256];
	size_t	 klen = strlen(key);
	long	 v = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Push the children of every thread of pid; the new stack depth. */
static int
push_children(pid_t pid, int sp)
{
	char		 path[320], buf[8192], *p, *end;
	struct dirent	*de;
	DIR		*d;
	FILE		*f;
	long		 v;
	size_t		 n;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return sp;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children",
		    (int)pid, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		for (p = buf; sp < MAXPROCS; p = end) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			stack[sp++] = v;
		}
	}
	closedir(d);
	return sp;
}

static void
sample(void)
{
	long	 pss, sum = 0, procs = 0;
	int	 sp = 0;
	pid_t	 p;

	stack[sp++] = child;
	while (sp > 0) {
		p = stack[--sp];
		if ((pss = proc_kb(p, "smaps_rollup", "Pss:")) < 0)
			continue;
		sum += pss;
		procs++;
		sp = push_children(p, sp);
	}
	nsamples++;
	if (sum > peak_pss)
		peak_pss = sum;
	if (procs > peak_procs)
		peak_procs = procs;
}

static void *
sampler(void *arg)
{
	struct timespec	 ts;
	double		 t0, busy;
	long		 ns;

	while (!finished) {
		t0 = now(CLOCK_MONOTONIC);
		sample();
		busy = now(CLOCK_MONOTONIC) - t0;
		ns = interval_ms * 1000000L;
		if (busy * 9e9 > ns)
			ns = busy * 9e9;
		ts.tv_sec = ns / 1000000000L;
		ts.tv_nsec = ns % 1000000000L;
		nanosleep(&ts, NULL);
	}
	sampler_cpu = now(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct rusage	 ru;
	pthread_t	 th;
	const char	*out = NULL;
	double		 t0, t1;
	long		 hwm = -1;
	FILE		*f;
	int		 ch, status, traced, sig, fds[2];
	char		 c;
	pid_t		 w;

	while ((ch = getopt(argc, argv, "+i:o:")) != -1) {
		switch (ch) {
		case 'i':
			interval_ms = strtol(optarg, NULL, 10);
			if (interval_ms <= 0)
				errx(2, "bad interval %s", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
 usage:
		fprintf(stderr, "usage: benchrun [-i ms] [-o file] command "
		    "[arg ...]\n");
		return 2;
	}

	/* The child waits until it is traced, then execs. */
	if (pipe(fds) == -1)
		err(2, "pipe");
	t0 = now(CLOCK_MONOTONIC);
	if ((child = fork()) == -1)
		err(2, "fork");
	if (child == 0) {
		close(fds[1]);
		(void)!read(fds[0], &c, 1);
		close(fds[0]);
		execvp(argv[0], argv);
		err(127, "%s", argv[0]);
	}
	close(fds[0]);
	traced = ptrace(PTRACE_SEIZE, child, NULL,
	    (void *)(long)PTRACE_O_TRACEEXIT) == 0;
	if (!traced)
		warn("ptrace: the peak RSS will be missing");
	if (pthread_create(&th, NULL, sampler, NULL) != 0)
		errx(2, "pthread_create");
	(void)!write(fds[1], "", 1);
	close(fds[1]);

	for (;;) {
		w = wait4(child, &status, __WALL, &ru);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			err(2, "wait4");
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (!WIFSTOPPED(status))
			continue;
		sig = WSTOPSIG(status);
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			hwm = proc_kb(child, "status", "VmHWM:");
			sig = 0;
		} else if (status >> 16 != 0)
			sig = 0;	/* another ptrace event */
		/* A group stop: PTRACE_LISTEN would keep it; pass it on. */
		(void)ptrace(PTRACE_CONT, child, NULL, (void *)(long)sig);
	}
	t1 = now(CLOCK_MONOTONIC);
	finished = 1;
	pthread_join(th, NULL);

	if (out != NULL) {
		if ((f = fopen(out, "w")) == NULL)
			err(2, "%s", out);
	} else
		f = stderr;
	fprintf(f, "wall %.4f user %.4f sys %.4f status %d maxrss_kb %ld "
	    "hwm_kb %ld peak_pss_kb %ld peak_procs %ld samples %ld "
	    "sampler_s %.4f\n", t1 - t0,
	    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status), ru.ru_maxrss, hwm, peak_pss, peak_procs,
	    nsamples, sampler_cpu);
	if (f != stderr && fclose(f) == EOF)
		err(2, "%s", out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
