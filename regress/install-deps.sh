#!/bin/sh
#
# install-deps.sh: install the Debian packages that smtpdane's build and
# tests need, when some are missing.  Runs apt-get update once, and only
# when there is something to install; does nothing (and succeeds) when
# everything is there or when this is not a Debian system.

PKGS="build-essential pkg-config clang libtls-dev libunbound-dev
libevent-dev libssl-dev libseccomp-dev libbsd-dev nsd ldnsutils openssl
libclang-rt-14-dev valgrind iproute2 util-linux bsdutils procps jq"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps.sh: no dpkg-query, not Debian: make sure these" \
	    "are installed: $(echo "$PKGS" | tr '\n' ' ')" >&2
	exit 0
fi

missing=
for p in $PKGS; do
	case $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) in
	ii*)	;;
	*)	missing="$missing $p" ;;
	esac
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	echo "install-deps.sh: missing packages:$missing; run as root" >&2
	exit 1
fi

echo "install-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
if ! $as_root apt-get update -qq; then
	echo "install-deps.sh: apt-get update failed" >&2
	exit 1
fi
# shellcheck disable=SC2086
if ! $as_root apt-get install -y -qq --no-install-recommends $missing; then
	echo "install-deps.sh: apt-get install$missing failed" >&2
	exit 1
fi
