#!/bin/bash
# Builds upstream busybox, static, for the conformance image registry.k8s.io/e2e-test-images/busybox:1.36.1-1,
# and prints the binary's path. Why not Debian's busybox-static: Debian patches ash (debian/patches
# revert-9c143ce….patch and temp-deb-installer-hack.patch, for debian-installer) to drop environment variables
# whose names are not shell identifiers, so `sh -c env` loses `data-1=value-1` and the Secrets and ConfigMap
# "should be consumable via the environment" conformance tests fail. Upstream's ash keeps them (shell/ash.c,
# "breaks scenarios where people do want them passed to children"), as upstream's image does.
# Source: Debian's pristine upstream tarball from Debian's own mirror (no other network here), checked against a
# pinned SHA-256. Config: upstream's defconfig, static, without `tc` (it needs the kernel's CBQ headers, which
# newer kernels dropped). Cached by version under $CACHE/images; about 2 min cold on 2 cores.
set -euo pipefail
VERSION=1.37.0
SHA256=3311dff32e746499f4df0d5df04d7eb396382d7e108bb9250e7b519b837043a4
CACHE="${KOKPIT_CACHE_DIR:-$HOME/.cache/kokpit}"
MIRROR="${KOKPIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
OUT="$CACHE/images/busybox-upstream-$VERSION"
if [ -x "$OUT" ]; then echo "$OUT"; exit 0; fi
mkdir -p "$CACHE/images"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
tarball="$d/busybox_$VERSION.orig.tar.bz2"
curl -fsS --retry 3 -o "$tarball" "$MIRROR/pool/main/b/busybox/busybox_$VERSION.orig.tar.bz2" ||
  { echo "busybox-upstream: cannot download busybox $VERSION from $MIRROR" >&2; exit 1; }
echo "$SHA256  $tarball" | sha256sum -c --quiet - >&2 ||
  { echo "busybox-upstream: busybox_$VERSION.orig.tar.bz2 does not match its pinned SHA-256" >&2; exit 1; }
tar -C "$d" -xjf "$tarball"
src="$d/busybox-$VERSION"
make -C "$src" -s defconfig >/dev/null
sed -i 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/; s/^CONFIG_TC=y/# CONFIG_TC is not set/' "$src/.config"
make -C "$src" -s -j"$(nproc)" busybox >"$d/build.log" 2>&1 || { tail -20 "$d/build.log" >&2; exit 1; }
# The property this build exists for; a build without it is not cached.
[ "$(env 'data-1=value-1' "$src/busybox" sh -c env | grep -c '^data-1=value-1$')" = 1 ] ||
  { echo "busybox-upstream: the built ash drops non-identifier environment variables" >&2; exit 1; }
install -m 0755 "$src/busybox" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "$OUT"
