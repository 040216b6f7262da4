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
# demo.sh: the README's first command.  Installs what is missing,
# builds smtpdane, brings up the lab (a DNSSEC-signed test zone served
# by NSD and test mail servers, all on loopback) in a private network
# namespace of its own (regress/netns.sh; root needed), checks a good
# and a broken lab host, and takes the lab down again.  Nothing of the
# host's network is touched; LAB_HOST_NETWORK=1 runs the lab there.

set -u
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1

# Install and build here (apt-get needs the network), then the rest in
# the namespace, whose last process takes the lab down.
if [ "${SMTPDANE_NETNS:-}" != 1 ]; then
	sh regress/install-deps.sh || exit 1
	make -s smtpdane regress/labsmtpd regress/blackhole || exit 1
	[ "${LAB_HOST_NETWORK:-}" = 1 ] ||
	    exec sh regress/netns.sh sh "$TOP/regress/demo.sh" "$@"
fi

# One lab per work tree: regress/lab/work is this tree's.
exec 9>regress/lab/.lock
command -v flock >/dev/null 2>&1 && flock 9
trap 'sh regress/lab/lab.sh down' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
sh regress/lab/lab.sh up || exit 1
eval "$(sh regress/lab/lab.sh env)"
export DNS_RESOLVER

run()
{
	echo
	echo "\$ DNS_RESOLVER=$DNS_RESOLVER ./smtpdane -A $ANCHOR $*"
	./smtpdane -A "$ANCHOR" "$@"
	echo "(exit status $?)"
}

echo "The lab is up: NSD serves signed zones on $DNS_RESOLVER, test mail"
echo "servers listen on 127.0.10.x; smtpdane trusts the lab's root key."
echo
echo "A good server: its TLSA record matches the key it presents."
run ee311.dane.test
echo
echo "A broken server: its TLSA record is for another key."
run -nocolor eemismatch.dane.test
echo
echo "A DANE-TA host whose certificate names another host, as a Nagios"
echo "plugin would report it:"
run -nagios tawrongname.dane.test
