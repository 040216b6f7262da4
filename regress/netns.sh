#!/bin/sh
#
# Copyright (c) 2026 the smtpdane authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# netns.sh COMMAND [ARG ...]: run COMMAND in a private network namespace
# of its own, with only a loopback interface (brought up here).  The lab
# binds fixed loopback addresses and port 53; inside its own namespace it
# can neither meet the host's DNS or mail servers nor another test run.
# Needs root (or a user namespace) and unshare(1) and ip(8).  Already
# inside one (SMTPDANE_NETNS=1), or asked for the host's network
# (LAB_HOST_NETWORK=1), it runs COMMAND as it is.

if [ "${SMTPDANE_NETNS:-}" = 1 ] || [ "${LAB_HOST_NETWORK:-}" = 1 ]; then
	exec "$@"
fi
for t in unshare ip; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "netns.sh: $t not found (util-linux, iproute2)" >&2
		exit 2
	fi
done
# shellcheck disable=SC2016
exec unshare --net sh -c '
	ip link set lo up || { echo "netns.sh: cannot bring lo up" >&2; exit 2; }
	SMTPDANE_NETNS=1 exec "$@"' netns.sh "$@"
