#!/usr/bin/env bash
# Installs what NumDialer needs and is missing, from Debian's packages (and,
# for the tests, npm). Safe to run again: it installs nothing that is
# already there.
#
#   scripts/install-deps.sh --run     what building and running it needs:
#                                     the compiler and libraries (the
#                                     simulator's among them: start runs it
#                                     when no API answers), curl, tzdata,
#                                     lighttpd and nginx (scripts/numdialer
#                                     start)
#   scripts/install-deps.sh --test    all of that, and what the tests use:
#                                     cmocka, Chromium, clang, valgrind,
#                                     wrk, systemd-analyze, logrotate,
#                                     lintian, Node.js and the tests' npm
#                                     packages (make deps, make test)
#
# With no option: --test.
set -euo pipefail
cd "$(dirname "$0")/.."

run_packages=(
	build-essential pkg-config
	libfcgi-dev libcurl4-openssl-dev libjson-c-dev
	libssl-dev	# libcrypto: the HMAC-SHA1 of Twilio's signatures
	libmicrohttpd-dev	# build/apisim, which start runs when no API answers
	curl ca-certificates	# start's check that the page answers
	procps	# pgrep: the program lighttpd spawned
	tzdata	# calling hours: the zones of /usr/share/zoneinfo
	lighttpd lighttpd-mod-deflate nginx-light	# mod_deflate: a Recommends, not pulled in
)

test_packages=(
	libcmocka-dev	# make unit
	chromium	# make browser
	clang libclang-rt-14-dev valgrind	# make fuzz (libFuzzer), make valgrind
	wrk	# make bench: the webhook benchmark's load generator
	systemd	# systemd-analyze verify, on the installed units
	logrotate	# the logrotate snippet, run on a test's logs
	lintian dpkg-dev	# make deb: dpkg-shlibdeps, and lintian on the package
)

usage() {
	echo "usage: scripts/install-deps.sh [--run | --test]" >&2
	exit 2
}

what=tests
case $# in
0) ;;
1)
	case $1 in
	--run) what=run ;;
	--test) what=tests ;;
	*) usage ;;
	esac
	;;
*) usage ;;
esac

packages=("${run_packages[@]}")
[ "$what" = run ] || packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ "$what" = tests ]; then
	# Node.js may come from elsewhere than Debian's nodejs package: ask
	# for the commands, not the package.
	command -v node >/dev/null 2>&1 || missing+=(nodejs)
	command -v npm >/dev/null 2>&1 || missing+=(npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The Debian packages of lighttpd and nginx start their own service on
# port 80 where an init system runs; NumDialer starts its own instances and
# needs none of theirs, so nothing is done about them here.

# The tests' npm packages: the browser-test driver, and the Prometheus
# text-format parser of the metrics test.
if [ "$what" = tests ] && [ "${NUMDIALER_SKIP_NPM:-}" != 1 ] &&
    { [ ! -d tests/node_modules/playwright-core ] ||
    [ ! -d tests/node_modules/parse-prometheus-text-format ]; }; then
	echo "install-deps: installing the tests' npm packages"
	(cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
