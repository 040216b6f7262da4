#!/bin/sh
#
# demo.sh: the README's first command.  Installs what is missing,
# builds smtpdane, brings up the lab (a DNSSEC-signed test zone served
# by NSD and test mail servers, all on loopback), checks a good and a
# broken lab host, and takes the lab down again.

set -u
TOP=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$TOP" || exit 1

sh regress/install-deps.sh || exit 1
make -s smtpdane regress/labsmtpd regress/blackhole || exit 1

exec 9>regress/lab/.lock
command -v flock >/dev/null 2>&1 && flock 9
sh regress/lab/lab.sh up || exit 1
trap 'sh regress/lab/lab.sh down' EXIT
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
