#!/bin/bash
# Standalone, same conventions as build-images.sh (label dev.kokpit.inputs, rebuilt only when inputs change): the
# images the OCM hub's controllers and the hosted klusterlet agents run on a kind meta cluster (`kokpit up --runtime
# kind --with-ocm`), under the names kokpit renders (src/operators/multicluster/names.ts OCM_IMAGES):
# quay.io/open-cluster-management/{registration,placement,work,registration-operator}:v1.0.0, each the static
# binary built from hack/bins/ocm at /<command> (the pods' `command`), plus /etc/passwd and a writable /tmp (the
# controllers write their self-signed serving certificate there). Saved together in $CACHE/images/saved/ocm.tar,
# which kokpit loads with `kind load image-archive` (src/local/kind-ocm.ts). Its own file: build-images.sh hashes
# itself into every image's stamp, so editing it would rebuild all of them. Needs a running Docker engine.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${KOKPIT_CACHE_DIR:-$HOME/.cache/kokpit}"
BIN="${KOKPIT_BIN_DIR:-$CACHE/bin}"
WORK="$CACHE/images"
V=v1.0.0
COMPONENTS="registration placement work registration-operator"
mkdir -p "$WORK/saved"
t_start=$(date +%s)
log() { echo "[ocm-images +$(($(date +%s) - t_start))s] $*"; }
# shellcheck source=binary-images.sh
. "$HERE/binary-images.sh"

# Built only when missing (npm test's integration tier builds all five OCM commands before its multicluster files).
(cd "$REPO" && npm run --silent setup:bins -- --only "$(echo "$COMPONENTS" | tr ' ' ,)" --versions "$V")
IMAGES=()
for c in $COMPONENTS; do
  tag="quay.io/open-cluster-management/$c:$V"
  bin="$BIN/$c/$V/$c"
  binary_image "$tag" "$bin" "$c"
  IMAGES+=("$tag")
done
save_images ocm "${IMAGES[@]}"
# Images replaced by a rebuild keep their layers until pruned: only dangling images made by these scripts.
docker image prune -f --filter label=dev.kokpit.inputs >/dev/null
