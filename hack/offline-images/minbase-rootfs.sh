#!/bin/bash
# Prints the path of the cached Debian bookworm minbase root filesystem ($CACHE/images/manager-rootfs.tar, key
# "bookworm minbase"), making it with debootstrap when it is missing. One debootstrap for every image built on plain
# minbase: manager-image.sh uses it as is, conformance-images.sh installs its test images' packages into a copy with
# apt-get (measured 2026-12-06, load ~27: 104 s instead of two debootstraps of 269 s and 261 s). Needs root.
set -euo pipefail
CACHE="${KOKPIT_CACHE_DIR:-$HOME/.cache/kokpit}"
WORK="$CACHE/images"
MIRROR="${KOKPIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# The file keeps the name it had when only the manager image used it, so existing caches stay valid.
ROOTFS="$WORK/manager-rootfs.tar"
KEY="bookworm minbase"
mkdir -p "$WORK"
if [ ! -e "$ROOTFS" ] || [ "$(cat "$ROOTFS.packages" 2>/dev/null)" != "$KEY" ]; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    apt-get install -y -q debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -q debootstrap >/dev/null; }
  fi
  echo "[minbase-rootfs] debootstrap: $KEY" >&2
  d=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$d" "$MIRROR" >"$WORK/manager-debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/manager-debootstrap.log" >&2; exit 1; }
  rm -rf "$d"/var/cache/apt/archives/*.deb "$d"/var/lib/apt/lists/* "$d"/usr/share/doc/* "$d"/usr/share/man/*
  tar -C "$d" -cf "$ROOTFS.tmp" . && mv "$ROOTFS.tmp" "$ROOTFS"
  echo "$KEY" >"$ROOTFS.packages"
  rm -rf "$d"
fi
echo "$ROOTFS"
