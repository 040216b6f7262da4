/*
 * OpenBSD: pledge(2) and unveil(2) map the stages directly.
 */
#include <err.h>
#include <unistd.h>

#include "smtpdane.h"

static const char *const promises[] = {
	[SB_PARENT_START] = "stdio rpath inet proc id",
	[SB_PARENT_RUN] = "stdio inet proc",
	[SB_PARENT_WAIT] = "stdio proc",
	[SB_CHILD_NET] = "stdio inet",
	[SB_CHILD_PARSE] = "stdio",
};

void
sandbox_init(int debug)
{
}

void
sandbox_enter(enum sandbox_stage stage, const struct sandbox_net *net)
{
	if (pledge(promises[stage], NULL) == -1)
		err(2, "pledge");
}
