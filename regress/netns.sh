#!/bin/sh
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
