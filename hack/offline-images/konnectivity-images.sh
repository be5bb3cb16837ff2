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
# shellcheck source=binary-images.sh
. "$HERE/binary-images.sh"

(cd "$REPO" && npm run --silent setup:bins -- --family konnectivity)
IMAGES=()
for c in proxy-server proxy-agent; do
  tag="registry.k8s.io/kas-network-proxy/$c:$V"
  bin="$BIN/$c/$V/$c"
  binary_image "$tag" "$bin" "$c"
  IMAGES+=("$tag")
done
save_images konnectivity "${IMAGES[@]}"
