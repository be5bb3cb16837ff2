#!/bin/bash
# Builds kokpit.dev/kokpit-manager:<package.json version>, the image config/manager runs (`kokpit install`), with
# no registry: Debian minbase (bookworm) + a Node >= 20.9 runtime + the bundled CLI (`npm run build`: dist/cli.js
# and its chunks) + what it reads beside itself (config/, schemas/) + the binaries the operators run (kwok,
# etcdutl) under KOKPIT_BIN_DIR, so nothing is built or written at run time. Runs as 65532:65532 (nonroot) and
# needs no writable path but /tmp (config/manager mounts an emptyDir there and sets HOME=/tmp): fits the
# restricted security context with readOnlyRootFilesystem.
# Node: Debian bookworm's nodejs is 18.19, below kokpit's engines.node (>=20.9), so the runtime is this
# machine's node binary (KOKPIT_NODE overrides; its shared libraries — libstdc++, libgcc_s, libc — are all in
# minbase), checked by running `node --version` inside the root filesystem before the image is made.
# Standalone (not sourced by build-images.sh, whose stamp would change every image), idempotent: rebuilt only when
# its inputs change (label dev.kokpit.inputs); saved to ~/.cache/kokpit/images/saved/ for `kind load image-archive`.
# Needs a running Docker engine (setup-engine.sh) and root (debootstrap, chroot).
# In the sandbox the process pod runner runs this image as the kokpit CLI itself (src/podrunner/images.ts).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${KOKPIT_CACHE_DIR:-$HOME/.cache/kokpit}"
BIN="${KOKPIT_BIN_DIR:-$CACHE/bin}"
WORK="$CACHE/images"
NODE="${KOKPIT_NODE:-$(command -v node)}"
# The Docker CLI, for the kind machine provider when the manager runs in a kind meta cluster (src/local/kind-in-cluster.ts:
# the pod mounts the host engine's socket, as CAPD's controller does); the engine's own client, so the API versions agree.
DOCKER_CLI="${KOKPIT_DOCKER_CLI:-$(command -v docker)}"
VERSION=$(cd "$REPO" && node -p 'require("./package.json").version')
TAG="kokpit.dev/kokpit-manager:$VERSION"
KWOK=v0.7.0
ETCD=v3.5.35
mkdir -p "$WORK/saved"
log() { echo "[manager-image] $*"; }

node_major_minor=$("$NODE" -p 'process.versions.node.split(".").slice(0, 2).join(".")')
case "$node_major_minor" in
  1[0-9].* | 20.[0-8]) echo "node $node_major_minor at $NODE is older than kokpit's engines.node (>=20.9); set KOKPIT_NODE" >&2; exit 1 ;;
esac

# 1. Inputs: the bundle and the operators' binaries (built only when missing).
log "npm run build (dist/cli.js and its chunks)"
(cd "$REPO" && npm run --silent build)
(cd "$REPO" && npm run --silent setup:bins -- --only kwok,etcdutl --versions "$KWOK,$ETCD")

# 2. Debian minbase, cached (minbase-rootfs.sh: one debootstrap shared with the conformance images).
ROOTFS=$(bash "$HERE/minbase-rootfs.sh")

# The files that go in, and the stamp of their contents (paths inside the repository, not absolute ones).
mapfile -t FILES < <(cd "$REPO" && { echo package.json; echo bin/kokpit.js; echo dist/cli.js;
  find dist/cli -name '*.mjs'; find dist/etcd3-proto config schemas -type f; } | sort)
stamp=$( { (cd "$REPO" && sha256sum "${FILES[@]}"); sha256sum "$ROOTFS" "$NODE" "$DOCKER_CLI" "$BIN/kwok/$KWOK/kwok" "$BIN/etcdutl/$ETCD/etcdutl" "$0" |
  cut -d' ' -f1; } | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "dev.kokpit.inputs" }}' "$TAG" 2>/dev/null || true)" = "$stamp" ]; then
  log "$TAG up to date"
  exit 0
fi

# 3. The root filesystem: kokpit under /opt/kokpit (package.json marks its root for packageDir), `kokpit` on PATH.
log "$TAG"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
tar -C "$d" -xf "$ROOTFS"
chmod 0755 "$d" # the rootfs tar's "." (debootstrap's mktemp -d, 0700) is the image's /: user 65532 must get past it
(cd "$REPO" && tar -c "${FILES[@]}") | tar -C "$d" -x --one-top-level=opt/kokpit --no-same-owner
chmod -R a+rX,go-w "$d/opt/kokpit"
install -m 0755 "$NODE" "$d/usr/local/bin/node"
install -m 0755 "$DOCKER_CLI" "$d/usr/local/bin/docker"
ln -sf /opt/kokpit/bin/kokpit.js "$d/usr/local/bin/kokpit"
for c in "kwok:$KWOK" "etcdutl:$ETCD"; do
  install -D -m 0755 "$BIN/${c%%:*}/${c#*:}/${c%%:*}" "$d/usr/local/lib/kokpit/bin/${c%%:*}/${c#*:}/${c%%:*}"
done
# The nonroot user of distroless images; its home is the emptyDir at /tmp.
echo 'nonroot:x:65532:65532:nonroot:/tmp:/usr/sbin/nologin' >>"$d/etc/passwd"
echo 'nonroot:x:65532:' >>"$d/etc/group"
# The runtime works here as it will in the pod (shared libraries, the bundle loads and answers).
# With the image's environment only: this shell's (KOKPIT_FROM_SOURCE in the e2e, NODE_OPTIONS, ...) must not leak in.
CHROOT=$(command -v chroot)
inroot() { env -i HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin KOKPIT_BIN_DIR=/usr/local/lib/kokpit/bin NODE_ENV=production "$CHROOT" "$@"; }
inroot "$d" /usr/local/bin/node --version >/dev/null
inroot "$d" /usr/local/bin/docker --version >/dev/null
v=$(inroot --userspec=65532:65532 "$d" /usr/local/bin/kokpit --version) || true
[ "$v" = "$VERSION" ] || { echo "kokpit --version inside the image's root filesystem said '$v', not $VERSION" >&2; exit 1; }

tar -C "$d" -c . | docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  -c 'ENV HOME=/tmp' \
  -c 'ENV KOKPIT_BIN_DIR=/usr/local/lib/kokpit/bin' \
  -c 'ENV NODE_ENV=production' \
  -c 'USER 65532:65532' \
  -c 'WORKDIR /tmp' \
  -c 'ENTRYPOINT ["/usr/local/bin/kokpit"]' \
  -c 'CMD ["operator", "--leader-elect"]' \
  -c "LABEL dev.kokpit.inputs=$stamp" - "$TAG" >/dev/null

# The image as config/manager runs it: nonroot, read-only root filesystem.
v=$(docker run --rm --read-only --user 65532:65532 "$TAG" --version) || true
[ "$v" = "$VERSION" ] || {
  echo "docker run --read-only --user 65532:65532 $TAG --version said '$v', not $VERSION" >&2
  docker rmi "$TAG" >/dev/null # its label would call it up to date next time
  exit 1
}

f="$WORK/saved/$(echo "$TAG" | tr '/:' '__').tar"
docker save -o "$f.tmp" "$TAG" && mv "$f.tmp" "$f"
log "done: $TAG, saved to $f (kind load image-archive $f --name <cluster>)"
