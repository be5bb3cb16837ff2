#!/bin/bash
# Builds every image kokpit's kind runtime needs, with no registry: the component images, tagged with
# exactly the names the version catalog (src/catalog/versions.ts) and kubeadm use, and the kind node
# image kindest/node:<version> that carries them. Inputs: Go builds (npm run setup:bins) and Debian's
# packages (debootstrap). Idempotent: an image is rebuilt only when its inputs changed (label
# dev.kokpit.inputs); root filesystems are cached in $CACHE/images. Needs a running Docker engine
# (setup-engine.sh) and root (debootstrap, chroot).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${KOKPIT_CACHE_DIR:-$HOME/.cache/kokpit}"
BIN="${KOKPIT_BIN_DIR:-$CACHE/bin}"
WORK="$CACHE/images"
MIRROR="${KOKPIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
K8S=v1.33.13
# Every release images are built for: $K8S (kubeadm and kubectl come from it) and the one an upgrade starts
# from (v1.32.0: the only 1.32 release whose staging modules the Go proxy has complete).
K8S_VERSIONS="v1.33.13 v1.32.0"
ETCD_VERSIONS="v3.5.35 v3.5.34"
# The catalog's CoreDNS and the version the kind e2e's addon rollout moves clusters to (hack/bins/coredns-v1.12.1).
COREDNS_VERSIONS="v1.11.3 v1.12.1"
PAUSE=3.10
CNI_IMAGE=kokpit.dev/kokpit-cni:v0.1.0
# --conformance: also the images the upstream conformance suite runs (section 5; npm run test:conformance).
CONFORMANCE=0
[ "${1:-}" != "--conformance" ] || CONFORMANCE=1
mkdir -p "$WORK/saved"
t_start=$(date +%s)
log() { echo "[images +$(($(date +%s) - t_start))s] $*"; }

label() { docker image inspect -f '{{ index .Config.Labels "dev.kokpit.inputs" }}' "$1" 2>/dev/null || true; }
# Content hashes only (not paths), so the same inputs give the same stamp from any working directory.
stamp_of() { sha256sum "$@" | cut -d' ' -f1 | sha256sum | cut -c1-16; }

# 0. Debian tools a fresh machine lacks (found missing on one): debootstrap for the root filesystems.
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap from Debian"
  apt-get install -y -q debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -q debootstrap >/dev/null; } # stale package lists: refresh once
fi

# 1. Binaries from Go modules (only missing ones are built).
log "binaries (npm run setup:bins)"
(cd "$REPO" && npm run --silent setup:bins -- --only \
  kube-apiserver,kube-controller-manager,kube-scheduler,kubectl,kubelet,kubeadm,kube-proxy,etcd,etcdctl,etcdutl,coredns,kind \
  --versions "$K8S")
(cd "$REPO" && npm run --silent setup:bins -- --only kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy --versions v1.32.0)
b() { echo "$BIN/$1/$2/$1"; }

# busybox (static, from Debian): /bin/sh for the etcd image's restore step, `ip` for kokpit-cni.
BUSYBOX="$WORK/busybox"
if [ ! -x "$BUSYBOX" ]; then
  log "busybox-static from Debian"
  d=$(mktemp -d)
  (cd "$d" && apt-get download -q busybox-static >/dev/null && dpkg-deb -x busybox-static_*.deb x)
  cp "$d/x/bin/busybox" "$BUSYBOX"
  rm -rf "$d"
fi

# pause and kokpit-cni: kokpit's own sources.
PAUSE_BIN="$WORK/pause"
if [ ! -x "$PAUSE_BIN" ] || [ "$HERE/pause/pause.c" -nt "$PAUSE_BIN" ]; then
  log "pause (gcc -static)"
  gcc -static -O2 -Wall -o "$PAUSE_BIN" "$HERE/pause/pause.c"
fi
CAPDROP_BIN="$WORK/runc-capdrop"
if [ ! -x "$CAPDROP_BIN" ] || [ "$HERE/runc-capdrop/main.go" -nt "$CAPDROP_BIN" ]; then
  log "runc-capdrop for the node image (go build, static)"
  (cd "$HERE/runc-capdrop" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$CAPDROP_BIN" .)
fi
CNI_BIN="$WORK/kokpit-cni"
if [ ! -x "$CNI_BIN" ] || [ "$HERE/cni/main.go" -nt "$CNI_BIN" ]; then
  log "kokpit-cni (go build)"
  (cd "$HERE/cni" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$CNI_BIN" .)
fi

# A minimal image: the given files (path in image=host file), /etc/passwd and /etc/group, PATH set.
# usage: minimal_image TAG ENTRYPOINT_JSON "dest=src" ...
minimal_image() {
  local tag=$1 entry=$2; shift 2
  local srcs=() f
  for f in "$@"; do srcs+=("${f#*=}"); done
  local stamp
  stamp=$({ sha256sum "${srcs[@]}" "$0" | cut -d' ' -f1; echo "$entry ${*%%=*}"; } | sha256sum | cut -c1-16)
  if [ "$(label "$tag")" = "$stamp" ]; then log "$tag up to date"; return; fi
  log "$tag"
  local d; d=$(mktemp -d)
  mkdir -p "$d/etc" "$d/tmp" "$d/usr/local/bin" "$d/bin"
  chmod 1777 "$d/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$d/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$d/etc/group"
  echo 'hosts: files dns' >"$d/etc/nsswitch.conf"
  for f in "$@"; do
    local dest=${f%%=*} src=${f#*=}
    mkdir -p "$d$(dirname "$dest")"
    cp "$src" "$d$dest"
  done
  # busybox applets the image wants (sh, ip), as links to /bin/busybox.
  if [ -e "$d/bin/busybox" ]; then ln -sf busybox "$d/bin/sh"; ln -sf busybox "$d/bin/ip"; fi
  tar -C "$d" -c . | docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c "ENTRYPOINT $entry" \
    -c "LABEL dev.kokpit.inputs=$stamp" - "$tag" >/dev/null
  rm -rf "$d"
}

# A Debian root filesystem (debootstrap minbase + packages), cached as a tarball keyed by its package list and
# an optional shell script run in it afterwards (chroot; its text is part of the key).
debian_rootfs() {
  local name=$1 pkgs=$2 setup=${3:-} out="$WORK/$1-rootfs.tar"
  local key=$pkgs
  [ -z "$setup" ] || key="$pkgs $(echo "$setup" | sha256sum | cut -c1-16)"
  if [ -e "$out" ] && [ "$(cat "$out.packages" 2>/dev/null)" = "$key" ]; then echo "$out"; return; fi
  log "debootstrap $name: $pkgs" >&2
  local d; d=$(mktemp -d)
  debootstrap --variant=minbase --include="$pkgs" bookworm "$d" "$MIRROR" >"$WORK/$name-debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/$name-debootstrap.log" >&2; exit 1; }
  [ -z "$setup" ] || chroot "$d" /bin/sh -euc "$setup" >>"$WORK/$name-debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/$name-debootstrap.log" >&2; exit 1; }
  rm -rf "$d"/var/cache/apt/archives/*.deb "$d"/var/lib/apt/lists/* "$d"/usr/share/doc/* "$d"/usr/share/man/*
  tar -C "$d" -cf "$out.tmp" . && mv "$out.tmp" "$out"
  echo "$key" >"$out.packages"
  rm -rf "$d"
  echo "$out"
}

# 2. Component images.
for v in $K8S_VERSIONS; do
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    minimal_image "registry.k8s.io/$c:$v" "[\"/usr/local/bin/$c\"]" "/usr/local/bin/$c=$(b "$c" "$v")"
  done
done
for v in $ETCD_VERSIONS; do
  minimal_image "registry.k8s.io/etcd:${v#v}-0" '["/usr/local/bin/etcd"]' \
    "/usr/local/bin/etcd=$(b etcd "$v")" "/usr/local/bin/etcdctl=$(b etcdctl "$v")" "/usr/local/bin/etcdutl=$(b etcdutl "$v")" "/bin/busybox=$BUSYBOX"
done
for v in $COREDNS_VERSIONS; do
  minimal_image "registry.k8s.io/coredns/coredns:$v" '["/coredns"]' "/coredns=$(b coredns "$v")"
done
minimal_image "registry.k8s.io/pause:$PAUSE" '["/pause"]' "/pause=$PAUSE_BIN"
minimal_image "$CNI_IMAGE" '["/usr/local/bin/kokpit-cni"]' "/usr/local/bin/kokpit-cni=$CNI_BIN" "/bin/busybox=$BUSYBOX"

# kube-proxy programs iptables/nftables: a Debian base with those tools.
PROXY_ROOTFS=$(debian_rootfs kube-proxy "iptables,nftables,conntrack,ipset,kmod")
for v in $K8S_VERSIONS; do
  tag="registry.k8s.io/kube-proxy:$v"
  stamp=$(stamp_of "$PROXY_ROOTFS" "$(b kube-proxy "$v")" "$0")
  if [ "$(label "$tag")" != "$stamp" ]; then
    log "$tag"
    d=$(mktemp -d)
    tar -C "$d" -xf "$PROXY_ROOTFS"
    install -m 0755 "$(b kube-proxy "$v")" "$d/usr/local/bin/kube-proxy"
    tar -C "$d" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]' -c "LABEL dev.kokpit.inputs=$stamp" - "$tag" >/dev/null
    rm -rf "$d"
  else
    log "$tag up to date"
  fi
done

# 3. The images a node runs without a registry, saved for /kind/images.
NODE_IMAGES="registry.k8s.io/pause:$PAUSE $CNI_IMAGE"
for v in $COREDNS_VERSIONS; do NODE_IMAGES="$NODE_IMAGES registry.k8s.io/coredns/coredns:$v"; done
for v in $K8S_VERSIONS; do
  for c in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do NODE_IMAGES="$NODE_IMAGES registry.k8s.io/$c:$v"; done
done
for v in $ETCD_VERSIONS; do NODE_IMAGES="$NODE_IMAGES registry.k8s.io/etcd:${v#v}-0"; done
saved=()
saved_inputs=() # each saved archive's image stamp: hashing these is as good as hashing the archives, and fast
for img in $NODE_IMAGES; do
  f="$WORK/saved/$(echo "$img" | tr '/:' '__').tar"
  s=$(label "$img")
  if [ ! -e "$f" ] || [ "$(cat "$f.inputs" 2>/dev/null)" != "$s" ]; then
    log "docker save $img"
    docker save -o "$f.tmp" "$img" && mv "$f.tmp" "$f"
    echo "$s" >"$f.inputs"
  fi
  saved+=("$f")
  saved_inputs+=("$f.inputs")
done

# 4. The kind node images, one per release (kindest/node:<version>): systemd, containerd, runc and CNI plugins
# from Debian; that release's kubelet, kubeadm and kubectl of $K8S (kubeadm supports joining one minor
# older); every release's kubelet in /kind/bin/kubelet-<version> (a kubelet Component upgrades in place
# from there); kokpit's unit files and manifests; the component images above.
NODE_ROOTFS=$(debian_rootfs node "systemd,systemd-sysv,dbus,containerd,runc,containernetworking-plugins,iptables,nftables,iproute2,ethtool,socat,conntrack,ebtables,kmod,ca-certificates,procps,util-linux,mount,libseccomp2,bash")
kubelets=()
for v in $K8S_VERSIONS; do kubelets+=("$(b kubelet "$v")"); done
for V in $K8S_VERSIONS; do
  NODE_IMAGE="kindest/node:$V"
  stamp=$(stamp_of "$NODE_ROOTFS" "$CAPDROP_BIN" "${kubelets[@]}" "$(b kubeadm "$K8S")" "$(b kubectl "$K8S")" "${saved_inputs[@]}" "$0" $(find "$HERE/node" -type f | sort))-$V
  if [ "$(label "$NODE_IMAGE")" = "$stamp" ]; then
    log "$NODE_IMAGE up to date"
    continue
  fi
  log "$NODE_IMAGE"
  d=$(mktemp -d)
  tar -C "$d" -xf "$NODE_ROOTFS"
  mkdir -p "$d/kind/bin"
  for v in $K8S_VERSIONS; do install -m 0755 "$(b kubelet "$v")" "$d/kind/bin/kubelet-$v"; done
  install -m 0755 "$(b kubelet "$V")" "$d/usr/bin/kubelet"
  for c in kubeadm kubectl; do install -m 0755 "$(b "$c" "$K8S")" "$d/usr/bin/$c"; done
  N="$HERE/node"
  install -m 0755 "$N/entrypoint" "$d/usr/local/bin/entrypoint"
  install -m 0755 "$N/kokpit-import-images" "$N/kokpit-kubelet-cgroups" "$CAPDROP_BIN" "$d/usr/local/bin/"
  install -m 0644 "$N/kubelet.service" "$N/kubelet.slice" "$N/kokpit-images.service" "$d/etc/systemd/system/"
  mkdir -p "$d/etc/systemd/system/kubelet.service.d" "$d/etc/containerd" "$d/etc/cni/net.d" "$d/kind/manifests" "$d/kind/images" "$d/etc/kubernetes/manifests" "$d/var/lib/kubelet"
  install -m 0644 "$N/kubelet.service.d/10-kubeadm.conf" "$d/etc/systemd/system/kubelet.service.d/"
  install -m 0644 "$N/containerd-config.toml" "$d/etc/containerd/config.toml"
  install -m 0644 "$N/crictl.yaml" "$d/etc/crictl.yaml"
  install -m 0644 "$N/sysctl.conf" "$d/etc/sysctl.d/10-kokpit-node.conf"
  install -m 0644 "$N/default-cni.yaml" "$N/default-storage.yaml" "$d/kind/manifests/"
  echo "$V" >"$d/kind/version"
  cp "${saved[@]}" "$d/kind/images/"
  # Units for a container: no getty, no kernel-facing services; ours on.
  chroot "$d" systemctl enable containerd kubelet kokpit-images >/dev/null 2>&1
  chroot "$d" systemctl mask getty.target systemd-udevd.service systemd-modules-load.service sys-kernel-debug.mount sys-kernel-tracing.mount >/dev/null 2>&1 || true
  : >"$d/etc/machine-id"
  tar -C "$d" -c . | docker import \
    -c 'ENV container=docker' \
    -c 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
    -c "LABEL dev.kokpit.inputs=$stamp" - "$NODE_IMAGE" >/dev/null
  rm -rf "$d"
done
# 5. --conformance: the images upstream's conformance suite runs (npm run test:conformance). A file of its own,
# so changing it does not change this script's stamp (every image above hashes "$0").
# shellcheck source=conformance-images.sh
[ "$CONFORMANCE" != 1 ] || . "$HERE/conformance-images.sh"

log "done: kind node images $(for v in $K8S_VERSIONS; do printf 'kindest/node:%s ' "$v"; done)and $(echo "$NODE_IMAGES" | wc -w) component images"
# Images replaced by a rebuild keep their layers until pruned: only dangling images this script made.
docker image prune -f --filter label=dev.kokpit.inputs >/dev/null
