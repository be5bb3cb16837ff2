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
label() { docker image inspect -f '{{ index .Config.Labels "dev.kokpit.inputs" }}' "$1" 2>/dev/null || true; }

# Built only when missing (npm test's integration tier builds all five OCM commands before its multicluster files).
(cd "$REPO" && npm run --silent setup:bins -- --only "$(echo "$COMPONENTS" | tr ' ' ,)" --versions "$V")
IMAGES=""
for c in $COMPONENTS; do
  tag="quay.io/open-cluster-management/$c:$V"
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
    echo 'hosts: files dns' >"$d/etc/nsswitch.conf"
    install -m 0755 "$bin" "$d/$c"
    tar -C "$d" -c . | docker import -c "ENTRYPOINT [\"/$c\"]" -c "LABEL dev.kokpit.inputs=$stamp" - "$tag" >/dev/null
    rm -rf "$d"
  fi
  IMAGES="$IMAGES $tag"
done

f="$WORK/saved/ocm.tar"
s=$(for img in $IMAGES; do echo "$img $(label "$img")"; done)
if [ ! -e "$f" ] || [ "$(cat "$f.inputs" 2>/dev/null)" != "$s" ]; then
  log "docker save$IMAGES"
  # shellcheck disable=SC2086 # one word per image
  docker save -o "$f.tmp" $IMAGES && mv "$f.tmp" "$f"
  echo "$s" >"$f.inputs"
fi
log "done: $f ($(du -m "$f" | cut -f1) MB)"
# Images replaced by a rebuild keep their layers until pruned: only dangling images made by these scripts.
docker image prune -f --filter label=dev.kokpit.inputs >/dev/null
