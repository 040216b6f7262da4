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
 * Privilege drop.  smtpdane needs no privilege at all: started as root
 * (cron often does that) it becomes an unprivileged user once its
 * files are read and before it sends a single packet.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smtpdane.h"

/* Tried in this order; the first that exists is used. */
static const char *const priv_users[] = { "_smtpdane", "nobody" };

/*
 * Find the user to become.  A user with uid or gid 0 is no drop at
 * all and is skipped.
 */
static const char *
priv_lookup(uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	size_t		 i;

	for (i = 0; i < sizeof(priv_users) / sizeof(priv_users[0]); i++) {
		if ((pw = getpwnam(priv_users[i])) == NULL ||
		    pw->pw_uid == 0 || pw->pw_gid == 0)
			continue;
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return priv_users[i];
	}
	return NULL;
}

/* After the switch: nothing of root may be left, in any id. */
static int
priv_verify(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t	 ruid, euid, suid;
	gid_t	 rgid, egid, sgid, groups[2];
	int	 ngroups;

	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1) {
		snprintf(err, errlen, "cannot read back the user and group "
		    "ids: %s", strerror(errno));
		return -1;
	}
	if (ruid != uid || euid != uid || suid != uid || rgid != gid ||
	    egid != gid || sgid != gid) {
		snprintf(err, errlen, "privilege drop incomplete: uids %lu "
		    "%lu %lu, gids %lu %lu %lu", (unsigned long)ruid,
		    (unsigned long)euid, (unsigned long)suid,
		    (unsigned long)rgid, (unsigned long)egid,
		    (unsigned long)sgid);
		return -1;
	}
	ngroups = getgroups(2, groups);
	if (ngroups == -1 || ngroups > 1 ||
	    (ngroups == 1 && groups[0] != gid)) {
		snprintf(err, errlen, "privilege drop incomplete: "
		    "supplementary groups remain");
		return -1;
	}
	if (setuid(0) != -1) {
		snprintf(err, errlen, "privilege drop failed: setuid(0) "
		    "still works");
		return -1;
	}
	return 0;
}

/*
 * Returns 0 when nothing was to be done or the drop succeeded (or,
 * with allow_root, when there is no user to become); -1 with err set
 * when smtpdane must not go on.  A failure half-way leaves the ids in
 * an unknown state: that is never excused by allow_root.
 */
int
priv_drop(int allow_root, char *err, size_t errlen)
{
	const char	*name;
	uid_t		 ruid, euid, suid, uid;
	gid_t		 gid;

	if (getresuid(&ruid, &euid, &suid) == -1) {
		snprintf(err, errlen, "getresuid: %s", strerror(errno));
		return -1;
	}
	if (ruid != 0 && euid != 0 && suid != 0)
		return 0;
	if ((name = priv_lookup(&uid, &gid)) == NULL) {
		if (allow_root)
			return 0;
		snprintf(err, errlen, "refusing to run as root: there is no "
		    "user _smtpdane or nobody to switch to (create one, or "
		    "use -allow-root)");
		return -1;
	}
	if (setgroups(1, &gid) == -1) {
		snprintf(err, errlen, "setgroups to %s's group %lu: %s", name,
		    (unsigned long)gid, strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		snprintf(err, errlen, "setresgid %lu (%s): %s",
		    (unsigned long)gid, name, strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "setresuid %lu (%s): %s",
		    (unsigned long)uid, name, strerror(errno));
		return -1;
	}
	return priv_verify(uid, gid, err, errlen);
}
