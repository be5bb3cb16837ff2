# Sourced by the standalone image scripts whose images are one static binary each (konnectivity-images.sh,
# ocm-images.sh); not by build-images.sh, which hashes itself into every stamp (editing it rebuilds every image).
# Expects: log (a function), $WORK (the images cache dir). Each image's stamp (label dev.kokpit.inputs) hashes its binary,
# the calling script and this file, so a change to any of them rebuilds it and nothing else does.
BINARY_IMAGES_LIB="${BASH_SOURCE[0]}"

label() { docker image inspect -f '{{ index .Config.Labels "dev.kokpit.inputs" }}' "$1" 2>/dev/null || true; }

# binary_image TAG BIN COMMAND: TAG holds BIN at /COMMAND (its entrypoint), /etc/passwd, /etc/group, nsswitch.conf
# and a writable /tmp; rebuilt only when its stamp changed.
binary_image() {
  local tag="$1" bin="$2" cmd="$3" stamp d
  stamp=$(sha256sum "$bin" "$0" "$BINARY_IMAGES_LIB" | cut -d' ' -f1 | sha256sum | cut -c1-16)
  if [ "$(label "$tag")" = "$stamp" ]; then
    log "$tag up to date"
    return
  fi
  log "$tag"
  d=$(mktemp -d)
  mkdir -p "$d/etc" "$d/tmp"
  chmod 1777 "$d/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$d/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$d/etc/group"
  echo 'hosts: files dns' >"$d/etc/nsswitch.conf"
  install -m 0755 "$bin" "$d/$cmd"
  tar -C "$d" -c . | docker import -c "ENTRYPOINT [\"/$cmd\"]" -c "LABEL dev.kokpit.inputs=$stamp" - "$tag" >/dev/null
  rm -rf "$d"
}

# save_images NAME IMAGE…: one archive $WORK/saved/NAME.tar for `kind load image-archive`, written again only when an
# image in it changed (its .inputs lists each image's stamp).
save_images() {
  local f="$WORK/saved/$1.tar" s
  shift
  s=$(for img in "$@"; do echo "$img $(label "$img")"; done)
  if [ ! -e "$f" ] || [ "$(cat "$f.inputs" 2>/dev/null)" != "$s" ]; then
    log "docker save $*"
    docker save -o "$f.tmp" "$@" && mv "$f.tmp" "$f"
    echo "$s" >"$f.inputs"
  fi
  log "done: $f ($(du -m "$f" | cut -f1) MB)"
}
