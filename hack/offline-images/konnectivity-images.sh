#!/bin/bash
# Standalone, same conventions as build-images.sh (label dev.kokpit.inputs, rebuilt only when inputs change):
# konnectivity's two images under upstream's names, registry.k8s.io/kas-network-proxy/proxy-server:v0.33.0 and
# …/proxy-agent:v0.33.0, each the static binary built from hack/bins/konnectivity at /<name> as upstream's
# distroless images have it, plus /etc/passwd. Saved together in $CACHE/images/saved/konnectivity.tar, which
# `npm run test:conformance -- --konnectivity` imports into the meta cluster's node and every machine. Its own
# file: build-images.sh hashes itself into every image's stamp, so editing it would rebuild all of them.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${KOKPIT_CACHE_DIR:-$HOME/.cache/kokpit}"
BIN="${KOKPIT_BIN_DIR:-$CACHE/bin}"
WORK="$CACHE/images"
V=v0.33.0
mkdir -p "$WORK/saved"
log() { echo "[konnectivity-images] $*"; }
label() { docker image inspect -f '{{ index .Config.Labels "dev.kokpit.inputs" }}' "$1" 2>/dev/null || true; }

(cd "$REPO" && npm run --silent setup:bins -- --family konnectivity)
IMAGES=""
for c in proxy-server proxy-agent; do
  tag="registry.k8s.io/kas-network-proxy/$c:$V"
  bin="$BIN/$c/$V/$c"
  stamp=$(sha256sum "$bin" "$0" | cut -d' ' -f1 | sha256sum | cut -c1-16)
  if [ "$(label "$tag")" = "$stamp" ]; then
    log "$tag up to date"
  else
    log "$tag"
    d=$(mktemp -d)
    mkdir -p "$d/etc" "$d/tmp"
    chmod 1777 "$d/tmp"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$d/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$d/etc/group"
    install -m 0755 "$bin" "$d/$c"
    tar -C "$d" -c . | docker import -c "ENTRYPOINT [\"/$c\"]" -c "LABEL dev.kokpit.inputs=$stamp" - "$tag" >/dev/null
    rm -rf "$d"
  fi
  IMAGES="$IMAGES $tag"
done

f="$WORK/saved/konnectivity.tar"
s=$(for img in $IMAGES; do echo "$img $(label "$img")"; done)
if [ ! -e "$f" ] || [ "$(cat "$f.inputs" 2>/dev/null)" != "$s" ]; then
  log "docker save$IMAGES"
  # shellcheck disable=SC2086 # one word per image
  docker save -o "$f.tmp" $IMAGES && mv "$f.tmp" "$f"
  echo "$s" >"$f.inputs"
fi
log "done: $f"
