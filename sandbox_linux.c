/*
 * Linux: seccomp and Landlock (filled in by the sandbox work).
 */
#include "smtpdane.h"

void
sandbox_init(int debug)
{
}

void
sandbox_enter(enum sandbox_stage stage, const struct sandbox_net *net)
{
}
