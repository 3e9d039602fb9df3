#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fresh-check.sh: run `make check` as a new user would, on a fresh Debian 12.
#
# Builds a minimal Debian 12 (bookworm) root (minbase, plus git and make:
# what a user needs to clone and to type the command) with debootstrap from the
# Debian mirrors this machine's apt is configured with, copies in a clean
# clone of the repository's committed HEAD (uncommitted changes are not
# part of it, as in CI), and runs `make check` there as root.  From the host
# it takes only the kernel (bind mounts of /proc, /sys and /dev) and the CA
# trust store (behind a TLS-inspecting proxy, HTTPS to the package
# registries is trusted only with the host's own CA).  Anything `make check`
# needs that setup-deps.sh does not install fails here.
#
# The root is made anew on every run, in build/fresh/root (override with
# FRESH_ROOT=); the log is build/logs/fresh-check.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root=${FRESH_ROOT:-$top/build/fresh/root}
logs=$top/build/logs
log=$logs/fresh-check.log
mkdir -p "$logs"

[ "$(id -u)" -eq 0 ] || { echo "fresh-check: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }

# The host's own Debian sources: the mirror debootstrap uses, and the
# sources the fresh root gets (bookworm-security has rustc-web 1.96 and
# linux-source-6.12).
srcs=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] && grep -qE 'debian' "$f" && grep -qE '(^|\s)(bookworm|Suites:.*bookworm)' "$f" && srcs+=("$f")
done
mirror=$(cat "${srcs[@]}" 2>/dev/null |
	sed -nE 's#^URIs:\s*(\S+/debian)/?\s*$#\1#p; s#^deb\s+(\[[^]]*\]\s+)?(\S+/debian)/?\s+bookworm\s.*#\2#p' |
	head -1)
mirror=${mirror:-http://deb.debian.org/debian}

if ! command -v debootstrap >/dev/null; then
	echo "fresh-check: installing debootstrap on the host"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

mounted=()
cleanup() {
	local m
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[$i]}" 2>/dev/null || true
	done
}
trap cleanup EXIT

if [ -d "$root" ]; then
	# Never rm -rf through a bind mount left by an interrupted run.
	if grep -qF " $root/" /proc/mounts; then
		grep -F " $root/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
	fi
	rm -rf "$root"
fi
mkdir -p "$root"

start=$SECONDS
echo "fresh-check: debootstrap bookworm from $mirror into ${root#$top/}"
debootstrap --variant=minbase --include=git,make bookworm "$root" "$mirror" > "$logs/fresh-debootstrap.log" 2>&1 ||
	{ tail -20 "$logs/fresh-debootstrap.log" >&2; echo "fresh-check: debootstrap failed" >&2; exit 1; }
echo "fresh-check: root made in $((SECONDS - start)) s"

# apt sources as on the host (Debian ones only), the CA trust store.
rm -f "$root/etc/apt/sources.list"
for f in "${srcs[@]}"; do
	mkdir -p "$root$(dirname "$f")"
	cp "$f" "$root$f"
done
if [ -d /usr/local/share/ca-certificates ]; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
mkdir -p "$root/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# A clean clone of what is committed, as CI takes it.
mkdir -p "$root/work"
git clone -q --no-local "$top" "$root/work/bootmem-rs"
if [ -d "$top/../shared" ]; then
	cp -a "$top/../shared" "$root/work/shared"
fi
echo "fresh-check: cloned $(git -C "$top" rev-parse --short HEAD)"

for m in proc sys dev; do
	mkdir -p "$root/$m"
	mount --rbind "/$m" "$root/$m"
	mount --make-rslave "$root/$m"
	mounted+=("$root/$m")
done

envs=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
      LANG=C.UTF-8 TERM=dumb CI="${CI:-}")
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
	[ -n "${!v:-}" ] && envs+=("$v=${!v}")
done

echo "fresh-check: make check in the fresh root (log: ${log#$top/})"
set +e
chroot "$root" /usr/bin/env -i "${envs[@]}" /bin/bash -c \
	'cd /work/bootmem-rs && make check' < /dev/null > "$log" 2>&1
rc=$?
set -e
wall=$((SECONDS - start))
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
tail -25 "$log"
echo "fresh-check: wall time $((wall / 60)) min $((wall % 60)) s (debootstrap included), exit $rc"
echo "fresh-check: last line: ${last:-<none>}"
[ $rc -eq 0 ] && [ -n "$last" ]
