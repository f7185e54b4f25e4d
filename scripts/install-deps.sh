#!/usr/bin/env bash
# Installs what NumDialer needs and is missing: Debian packages to build,
# run and test it, and the tests' packages from npm. Safe to run again:
# it installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	build-essential pkg-config curl ca-certificates
	libfcgi-dev libcurl4-openssl-dev libjson-c-dev libmicrohttpd-dev
	libcmocka-dev
	tzdata	# calling hours: the zones of /usr/share/zoneinfo
	lighttpd lighttpd-mod-deflate nginx-light	# mod_deflate: a Recommends, not pulled in
	chromium
	clang libclang-rt-14-dev valgrind	# make fuzz (libFuzzer), make valgrind
	wrk	# make bench: the webhook benchmark's load generator
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

# Node.js may come from elsewhere than Debian's nodejs package: ask for the
# commands, not the package.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

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
if [ "${NUMDIALER_SKIP_NPM:-}" != 1 ] && { [ ! -d tests/node_modules/playwright-core ] ||
    [ ! -d tests/node_modules/parse-prometheus-text-format ]; }; then
	echo "install-deps: installing the tests' npm packages"
	(cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
