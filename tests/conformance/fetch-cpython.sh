#!/usr/bin/env bash
# fetch-cpython.sh: prepare CPython 3.14, the reference the conformance suite
# compares starnet against, without installing anything on the machine.
#
# Debian bookworm ships Python 3.11; 3.14 comes from Debian's unstable (sid)
# packages, fetched with `apt-get download` through the archive this machine's
# apt is already configured with (its first deb822 or sources.list entry for
# the main Debian archive), and unpacked with `dpkg -x` into a cache directory
# outside the repository. sid's own C library and dynamic loader come along,
# so the interpreter runs on the older system.
#
# The result is an executable wrapper, $CACHE/bin/python3.14, which the suite
# finds by itself (or through STARNET_REFERENCE_PYTHON). CACHE is
# $STARNET_CPYTHON_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/starnet/cpython3.14.
# Running the script again when the wrapper works does nothing.
set -euo pipefail

cache="${STARNET_CPYTHON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/starnet/cpython3.14}"
wrapper="$cache/bin/python3.14"

if [ -x "$wrapper" ] && "$wrapper" -c 'import sys, asyncio, ssl; assert sys.version_info[:2] == (3, 14)' 2>/dev/null; then
	echo "fetch-cpython: $("$wrapper" -c 'import sys; print(sys.version.split()[0])') ready at $wrapper"
	exit 0
fi

# The archive the machine's apt already uses (never a host written here).
archive=""
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	archive="$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f")"
	[ -n "$archive" ] && break
done
if [ -z "$archive" ]; then
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		archive="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f")"
		[ -n "$archive" ] && break
	done
fi
if [ -z "$archive" ]; then
	echo "fetch-cpython: no Debian archive found in the machine's apt sources" >&2
	exit 1
fi

apt="$cache/apt"
rm -rf "$cache"
mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$apt/state/lists/partial" \
	"$apt/cache/archives/partial" "$cache/debs" "$cache/root" "$cache/bin"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $archive sid main" >"$apt/etc/sources.list"
opts=(
	-o "Dir::Etc::SourceList=$apt/etc/sources.list"
	-o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
	-o "Dir::Etc::Preferences=/dev/null"
	-o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
	-o "Dir::State=$apt/state"
	-o "Dir::State::status=/dev/null"
	-o "Dir::Cache=$apt/cache"
	-o "APT::Architecture=amd64"
	-o "APT::Sandbox::User=root"
	-o "Debug::NoLocking=1"
)
apt-get "${opts[@]}" -qq update
packages=(
	python3.14-minimal libpython3.14-minimal libpython3.14-stdlib
	libc6 libssl3t64 libexpat1 zlib1g libffi8 libbz2-1.0 liblzma5 libzstd1
)
(cd "$cache/debs" && apt-get "${opts[@]}" -qq download "${packages[@]}")
for deb in "$cache"/debs/*.deb; do
	dpkg -x "$deb" "$cache/root"
done
rm -rf "$apt" "$cache/debs"

cat >"$wrapper" <<WRAP
#!/bin/sh
# CPython 3.14 from Debian sid, unpacked by tests/conformance/fetch-cpython.sh.
root='$cache/root'
lib="\$root/usr/lib/x86_64-linux-gnu"
PYTHONHOME="\$root/usr" exec "\$lib/ld-linux-x86-64.so.2" --library-path "\$lib" "\$root/usr/bin/python3.14" "\$@"
WRAP
chmod +x "$wrapper"
"$wrapper" -c 'import sys, asyncio, ssl; assert sys.version_info[:2] == (3, 14); print("fetch-cpython:", sys.version.split()[0], ssl.OPENSSL_VERSION)'
echo "fetch-cpython: ready at $wrapper"
