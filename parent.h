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
 * The parent, one subject a file; what crosses between its files is
 * declared here, and only its files include this header.
 *
 *   smtpdane.c  main(): set-up, loading files, the sandbox stages of
 *               the set-up, fatal()/fatalx(), allocation
 *   targets.c   target intake: the command line, -f, bad lines
 *   checks.c    check bookkeeping: keys, the check spec, verdicts
 *               without an address
 *   index.c     the indexes of checks: by key, by connection
 *   prime.c     priming the children's validation: anchors, zones
 *   share.c     connection sharing: leaders, followers, the verify
 *               child's spec
 *   jobs.c      the job queues and loop: fork, pipes, frames,
 *               deadlines, reaping, poll, the in-process discoveries
 *   report.c    the message handlers (msg_handlers[]) that fill the
 *               reports
 *   print.c     ordered printing, the -dnssec-warning judgment made
 *               when a target is complete, and letting go of what was
 *               printed
 *
 * The model they fill (opt, targets, checks) is in output.h, since
 * the renderers read it.
 */
#ifndef PARENT_H
#define PARENT_H

enum job_kind { JOB_DISCOVER, JOB_CHECK, JOB_VERIFY, JOB__MAX };

struct job {
	enum job_kind	 kind;
	size_t		 idx;		/* target or check */
	pid_t		 pid;		/* 0 once reaped */
	int		 fd;		/* -1 once the pipe is closed */
	int		 final;		/* the child's last message came */
	int64_t		 killed_at;	/* when we sent SIGKILL, or 0 */
	int		 exited;	/* the forker reaped it: status */
	int		 status;
	int64_t		 deadline;
	int64_t		 closed_at;
	uint8_t		*buf;
	size_t		 len, cap;
};

/* Jobs of one kind to start (jobs.c). */
struct queue {
	size_t	*idx;
	size_t	 n, cap, head;
};

/*
 * FNV-1a, open addressing: checks by their key (checks.c), and the
 * checks that own a connection by host, address and port (share.c).
 */
struct index {
	size_t	*slot;		/* check + 1, 0 = empty */
	size_t	 nslots, n;
	int	 conn;		/* keyed by conn_key */
};

/* smtpdane.c */
extern struct tls_config	*tlscfg;
extern struct tls_config	*probecfg[KEY__MAX];	/* -all-keys */
extern struct staged_file	 staged[MAX_STAGED];
extern size_t			 nstaged;
extern struct dns_config	 dnscfg;	/* -all-ns contexts */
extern struct ub_ctx		*ubctx;	/* the parent's, copied by the forker */

void	 debug(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xprintf(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	 strlist_add(char ***, size_t *, char *);

/* targets.c */
extern const char	*target_file;	/* -f, for "FILE:LINE:" */

void	 add_target(const char *, int);
void	 add_targets_from_text(char *);

/* checks.c */
size_t	 find_or_add_check(struct target *, const char *, uint16_t,
	    const char *, const struct hostinfo *, int *);
void	 new_check(struct check *, const struct hostinfo *, int,
	    const char *, int);
void	 add_verdict_for(struct target *, const char *, uint16_t,
	    enum result, const char *);
void	 add_verdict(struct target *, enum result, const char *, ...)
	    __attribute__((__format__(__printf__, 3, 4)));
void	 forget_check(size_t);

/* index.c */
void	 index_add(struct index *, size_t);
size_t	 index_find(const struct index *, const char *);
void	 index_remove(struct index *, size_t);
void	 index_forget(struct index *, size_t);

/* share.c */
void	 share_or_enqueue(size_t);
void	 followers_ready(size_t);
void	 forget_connection(size_t);
__dead void start_verify_child(int, size_t);

/* jobs.c */
extern struct job	*running;
extern size_t		 nrunning;
extern struct queue	 queues[JOB__MAX];
extern char		 gave_up[MAX_TEXT];	/* why jobs were left
						   unchecked */

void	 enqueue(enum job_kind, size_t);
void	 job_exited(pid_t, int);
int	 by_forker(const struct job *);
void	 jobs_forker_lost(const char *);
int	 queued(enum job_kind);
struct report *job_report(const struct job *);
void	 run_jobs(void);

/* report.c */
void	 report_set(struct report *, enum result, const char *, ...)
	    __attribute__((__format__(__printf__, 3, 4)));
void	 report_release(struct report *, int);
void	 target_release(struct target *);
const struct hostinfo *find_host(const struct target *, const char *);
const char *on_message(struct job *, uint32_t, struct msgreader *, char *,
	    size_t);

/* forker.c */
void	 forker_prepare(void);
void	 forker_begin(void);
int	 forker_fork(const struct check_spec *, pid_t *, int *);
void	 forker_kill(pid_t);
int	 forker_fd(void);
void	 forker_close_ends(void);
void	 forker_read(void);
void	 forker_done(void);
void	 forker_abandon(const char *);
void	 forker_end(void);

/* prime.c */
int	 prime_validation(char *, size_t);
void	 prime_for_check(const struct check_spec *);

/* print.c */
void	 print_ready(void);

#endif /* PARENT_H */
