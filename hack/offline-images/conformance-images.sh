# Sourced by build-images.sh --conformance (its functions and variables: log, label, stamp_of, b, $HERE, $BUSYBOX,
# $WORK, $K8S, $REPO). The images upstream's conformance tests run, under the names e2e.test v1.33.13
# asks for (test/utils/image/manifest.go; `e2e.test --list-images`), so no KUBE_TEST_REPO_LIST is needed. All saved
# in one archive ($WORK/saved/conformance.tar) that scripts/conformance.ts imports into each machine's containerd
# (what the e2e does for its app image). Stamps hash this file, not build-images.sh.
SELF="$HERE/conformance-images.sh"
CONFORMANCE_IMAGES=""
conformance_import() { # usage: conformance_import TAG STAMP CMD_JSON < rootfs tar
  docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c "CMD $3" \
    -c "LABEL dev.kokpit.inputs=$2" - "$1" >/dev/null
}
E2E=registry.k8s.io/e2e-test-images
(cd "$REPO" && npm run --silent setup:bins -- --only agnhost --versions "$K8S")
K8S_SRC=$(cd "$REPO/hack/bins/kubernetes-v1.33" && GOWORK=off go list -m -f '{{.Dir}}' k8s.io/kubernetes)
PORTER="$K8S_SRC/test/images/agnhost/porter"

# One root filesystem under agnhost, jessie-dnsutils, nautilus, httpd and nginx: Debian minbase (minbase-rootfs.sh, the
# debootstrap manager-image.sh shares) + both package sets installed with apt-get, instead of a debootstrap each
# (2026-12-06, load ~27: 104 s against 269 s + 261 s). Imported once as kokpit.dev/conformance-base; every image below
# adds its layer on top, so conformance.tar carries the base once. Cached as a tarball keyed by packages and setup.
apt_rootfs() { # usage: apt_rootfs NAME "pkg,pkg" SETUP_SCRIPT → prints the tarball's path
  local name=$1 pkgs=$2 setup=$3 out="$WORK/$1-rootfs.tar" key d base
  key="minbase+apt $pkgs $(echo "$setup" | sha256sum | cut -c1-16)"
  if [ -e "$out" ] && [ "$(cat "$out.packages" 2>/dev/null)" = "$key" ]; then echo "$out"; return; fi
  base=$(bash "$HERE/minbase-rootfs.sh")
  log "apt-get install into minbase ($name): $pkgs" >&2
  d=$(mktemp -d)
  tar -C "$d" -xf "$base"
  cp /etc/resolv.conf "$d/etc/resolv.conf"
  # No package's maintainer script may start its service in the chroot (apache2, nginx).
  printf '#!/bin/sh\nexit 101\n' >"$d/usr/sbin/policy-rc.d" && chmod 0755 "$d/usr/sbin/policy-rc.d"
  chroot "$d" /bin/sh -euc "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    $(echo "$pkgs" | tr , ' ')" >"$WORK/$name-apt.log" 2>&1 && chroot "$d" /bin/sh -euc "$setup" >>"$WORK/$name-apt.log" 2>&1 ||
    { tail -20 "$WORK/$name-apt.log" >&2; exit 1; }
  rm -rf "$d/usr/sbin/policy-rc.d" "$d"/var/cache/apt/archives/*.deb "$d"/var/lib/apt/lists/* "$d"/usr/share/doc/* "$d"/usr/share/man/*
  tar -C "$d" -cf "$out.tmp" . && mv "$out.tmp" "$out"
  echo "$key" >"$out.packages"
  rm -rf "$d"
  echo "$out"
}
# agnhost: upstream's is Alpine + bind-tools, curl, netcat-openbsd, iproute2, iperf, bash, its users and /uploads
# (test/images/agnhost/Dockerfile); here Debian's equivalents. Not its /coredns (no conformance test).
# httpd and nginx (upstream: the official images): Debian's apache2 and nginx-light serving upstream's document roots
# (StatefulSet tests move /usr/local/apache2/htdocs/index.html to fail the readiness probe).
E2E_ROOTFS=$(apt_rootfs conformance "bash,bind9-dnsutils,curl,netcat-openbsd,iproute2,iperf,procps,apache2,nginx-light" \
  'ln -s /usr/bin/iperf /usr/local/bin/iperf; mkdir /uploads
   useradd -u 1000 -M user-defined-in-image; groupadd -g 50000 group-defined-in-image
   usermod -aG group-defined-in-image user-defined-in-image
   mkdir -p /usr/local/apache2/htdocs /usr/share/nginx/html
   echo "<html><body><h1>It works!</h1></body></html>" >/usr/local/apache2/htdocs/index.html
   cp /usr/local/apache2/htdocs/index.html /usr/share/nginx/html/index.html
   sed -i "s#/var/www/html#/usr/local/apache2/htdocs#" /etc/apache2/sites-available/000-default.conf
   printf "<Directory /usr/local/apache2/htdocs>\n  Require all granted\n</Directory>\n" >>/etc/apache2/apache2.conf
   sed -i "s#root /var/www/html;#root /usr/share/nginx/html;#" /etc/nginx/sites-available/default')
BASE=kokpit.dev/conformance-base:latest
stamp=$(stamp_of "$E2E_ROOTFS")
if [ "$(label "$BASE")" != "$stamp" ]; then
  log "$BASE"
  conformance_import "$BASE" "$stamp" '["bash"]' <"$E2E_ROOTFS"
else
  log "$BASE up to date"
fi
# usage: on_base TAG STAMP DOCKERFILE_LINES [CONTEXT_DIR]: an image on the base (metadata, or ADD from the context).
on_base() {
  local df
  df=$(printf 'FROM %s\n%s\nLABEL dev.kokpit.inputs=%s\n' "$BASE" "$3" "$2")
  if [ -n "${4:-}" ]; then echo "$df" | docker build -q -t "$1" -f - "$4" >/dev/null; else echo "$df" | docker build -q -t "$1" - >/dev/null; fi
}
# The two root filesystems (debootstraps) this one replaced, if an older build left them.
rm -f "$WORK"/agnhost-rootfs.tar* "$WORK"/agnhost-debootstrap.log "$WORK"/e2e-web-rootfs.tar* "$WORK"/e2e-web-debootstrap.log

tag="$E2E/agnhost:2.53"
stamp=$({ label "$BASE"; stamp_of "$(b agnhost "$K8S")" "$PORTER/localhost.crt" "$PORTER/localhost.key" "$BUSYBOX" "$SELF"; } | sha256sum | cut -c1-16)
if [ "$(label "$tag")" != "$stamp" ]; then
  log "$tag"
  # The layer: what is added to the base root filesystem (extracted here only to see which paths it already has).
  d=$(mktemp -d)
  tar -C "$d" -xf "$E2E_ROOTFS"
  touch "$d/.before"
  sleep 1 # mtimes have a second's resolution on some filesystems: everything added is strictly newer
  install -m 0755 "$(b agnhost "$K8S")" "$d/agnhost"
  ln -s agnhost "$d/agnhost-2"
  install -m 0644 "$PORTER/localhost.crt" "$PORTER/localhost.key" "$d/"
  # Upstream's Alpine base is busybox: tests call its applets (the port-forward pod's readiness probe runs
  # `netstat`). Every applet Debian does not already provide, as a link to busybox-static.
  install -m 0755 "$BUSYBOX" "$d/bin/busybox"
  # (-L too: Debian's alternatives are absolute links that do not resolve from outside the root filesystem.)
  for a in $("$BUSYBOX" --list-full); do
    found=0
    for p in "$d/$a" "$d/usr/$a" "$d/bin/${a##*/}" "$d/usr/bin/${a##*/}" "$d/usr/sbin/${a##*/}"; do
      if [ -e "$p" ] || [ -L "$p" ]; then found=1; fi
    done
    [ "$found" = 1 ] || ln -s /bin/busybox "$d/$a"
  done
  # Files and links only, at their real paths (/bin is usr/bin here: a directory "bin" in the layer would hide it).
  (cd "$d" && find . -newer .before ! -type d -print0 | tar --null --no-recursion -T - -cf "$d.add.tar")
  rm -rf "$d" && mkdir "$d" && mv "$d.add.tar" "$d/add.tar"
  on_base "$tag" "$stamp" "$(printf 'ADD add.tar /\nENTRYPOINT ["/agnhost"]\nCMD ["pause"]')" "$d"
  rm -rf "$d"
else
  log "$tag up to date"
fi
CONFORMANCE_IMAGES="$tag"

# jessie-dnsutils (upstream: Debian jessie + dnsutils; the DNS tests' second querier runs its shell script with
# dig): the agnhost image without its entrypoint, so the two share every layer.
tag="$E2E/jessie-dnsutils:1.7"
stamp=$({ label "$E2E/agnhost:2.53"; echo jessie; } | sha256sum | cut -c1-16)
if [ "$(label "$tag")" != "$stamp" ]; then
  log "$tag"
  printf 'FROM %s\nENTRYPOINT []\nCMD ["bash"]\nLABEL dev.kokpit.inputs=%s\n' "$E2E/agnhost:2.53" "$stamp" |
    docker build -q -t "$tag" - >/dev/null
else
  log "$tag up to date"
fi
CONFORMANCE_IMAGES="$CONFORMANCE_IMAGES $tag"

for t in "httpd:2.4.38-4" "httpd:2.4.39-4" "nginx:1.14-4" "nginx:1.15-4"; do
  # apache2 itself as PID 1 (apache2ctl would stay a shell that ignores SIGTERM, so every pod delete took its
  # whole grace period); what apache2ctl would do before: Debian's environment and run directories.
  cmd='["nginx", "-g", "daemon off;"]'
  case $t in httpd*)
    cmd='["/bin/sh", "-c", "set -a; . /etc/apache2/envvars; mkdir -p $APACHE_RUN_DIR $APACHE_LOCK_DIR $APACHE_LOG_DIR; exec apache2 -D FOREGROUND"]'
    ;;
  esac
  stamp=$({ label "$BASE"; stamp_of "$SELF"; echo "$cmd"; } | sha256sum | cut -c1-16)
  if [ "$(label "$E2E/$t")" != "$stamp" ]; then
    log "$E2E/$t"
    on_base "$E2E/$t" "$stamp" "CMD $cmd"
  else
    log "$E2E/$t up to date"
  fi
  CONFORMANCE_IMAGES="$CONFORMANCE_IMAGES $E2E/$t"
done

# busybox (upstream: busybox 1.36.1): upstream busybox built static (busybox-upstream.sh: Debian's ash drops the
# environment variable `data-1` that the Secrets and ConfigMap "consumable via the environment" tests read back
# through `sh -c env`), every applet linked, no entrypoint. Its ash gives the exact error message "read only busybox
# container" expects ("/bin/sh: can't create /file: Read-only file system"), which bash did not.
UPSTREAM_BUSYBOX=$(bash "$HERE/busybox-upstream.sh")
tag="$E2E/busybox:1.36.1-1"
stamp=$(stamp_of "$UPSTREAM_BUSYBOX" "$SELF")
if [ "$(label "$tag")" != "$stamp" ]; then
  log "$tag"
  d=$(mktemp -d)
  mkdir -p "$d/bin" "$d/sbin" "$d/usr/bin" "$d/usr/sbin" "$d/etc" "$d/tmp" "$d/root"
  chmod 1777 "$d/tmp"
  install -m 0755 "$UPSTREAM_BUSYBOX" "$d/bin/busybox"
  for a in $("$UPSTREAM_BUSYBOX" --list-full); do [ -e "$d/$a" ] || [ -L "$d/$a" ] || ln -s /bin/busybox "$d/$a"; done
  # Upstream's image has every applet in /bin as well (the Sysctls test runs /bin/sysctl, which busybox's list puts
  # in /sbin).
  for a in $("$UPSTREAM_BUSYBOX" --list); do [ -e "$d/bin/$a" ] || [ -L "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$d/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$d/etc/group"
  tar -C "$d" -c . | conformance_import "$tag" "$stamp" '["sh"]'
  rm -rf "$d"
else
  log "$tag up to date"
fi
CONFORMANCE_IMAGES="$CONFORMANCE_IMAGES $tag"

# nonewprivs (the AllowPrivilegeEscalation test): upstream's nnp.go, which prints its effective uid, built static and
# installed setuid root, as upstream's Alpine image has it.
tag="$E2E/nonewprivs:1.3"
stamp=$(stamp_of "$K8S_SRC/test/images/nonewprivs/nnp.go" "$SELF")
if [ "$(label "$tag")" != "$stamp" ]; then
  log "$tag"
  d=$(mktemp -d)
  mkdir -p "$d/usr/local/bin"
  (cd "$d" && CGO_ENABLED=0 GOWORK=off go build -trimpath -o "$d/usr/local/bin/nnp" "$K8S_SRC/test/images/nonewprivs/nnp.go")
  chmod 4755 "$d/usr/local/bin/nnp"
  tar -C "$d" -c . | conformance_import "$tag" "$stamp" '["nnp"]'
  rm -rf "$d"
else
  log "$tag up to date"
fi
CONFORMANCE_IMAGES="$CONFORMANCE_IMAGES $tag"

# nautilus (kubectl's Update Demo tests): upstream's, the agnhost image serving its html/ with test-webserver.
tag="$E2E/nautilus:1.7"
stamp=$({ label "$E2E/agnhost:2.53"; stamp_of "$K8S_SRC/test/images/nautilus/html/nautilus.jpg" "$K8S_SRC/test/images/nautilus/html/data.json"; } |
  sha256sum | cut -c1-16)
if [ "$(label "$tag")" != "$stamp" ]; then
  log "$tag"
  d=$(mktemp -d)
  cp "$K8S_SRC/test/images/nautilus/html/nautilus.jpg" "$K8S_SRC/test/images/nautilus/html/data.json" "$d/"
  printf 'FROM %s\nCOPY nautilus.jpg data.json /\nCMD ["test-webserver"]\nLABEL dev.kokpit.inputs=%s\n' "$E2E/agnhost:2.53" "$stamp" |
    docker build -q -t "$tag" -f - "$d" >/dev/null
  rm -rf "$d"
else
  log "$tag up to date"
fi
CONFORMANCE_IMAGES="$CONFORMANCE_IMAGES $tag"

# sample-apiserver (the Aggregator test, "Should be able to support the 1.17 Sample API Server using the current
# Aggregator"): upstream's image is k8s.io/sample-apiserver v0.29.2 built static (`CGO_ENABLED=0 go install .`) on
# Alpine with ENTRYPOINT ["/sample-apiserver"]; the test passes only args (--etcd-servers, --tls-*, --audit-log-*) and
# probes https :443/readyz. Here the same release from hack/bins/sample-apiserver (CGO_ENABLED=0), alone in the image
# with a /tmp: the binary needs no shell or libc.
SAMPLE_APISERVER=v0.29.2
(cd "$REPO" && npm run --silent setup:bins -- --only sample-apiserver --versions "$SAMPLE_APISERVER")
tag="$E2E/sample-apiserver:1.29.2"
stamp=$(stamp_of "$(b sample-apiserver "$SAMPLE_APISERVER")" "$SELF")
if [ "$(label "$tag")" != "$stamp" ]; then
  log "$tag"
  d=$(mktemp -d)
  mkdir -m 1777 "$d/tmp"
  install -m 0755 "$(b sample-apiserver "$SAMPLE_APISERVER")" "$d/sample-apiserver"
  tar -C "$d" -c . | docker import -c 'ENTRYPOINT ["/sample-apiserver"]' -c "LABEL dev.kokpit.inputs=$stamp" - "$tag" >/dev/null
  rm -rf "$d"
else
  log "$tag up to date"
fi
CONFORMANCE_IMAGES="$CONFORMANCE_IMAGES $tag"

# The same test's etcd sidecar runs registry.k8s.io/etcd:3.5.21-0 (manifest.go's Etcd) as
# `/usr/local/bin/etcd --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls …`, the sample-apiserver's
# storage. kokpit builds etcd 3.5.35 and 3.5.34, not 3.5.21: the 3.5.35 image (build-images.sh, same layout) under
# that name, so the pod starts without a registry. A substitute: a newer patch of the same 3.5 minor.
tag="registry.k8s.io/etcd:3.5.21-0"
stamp=$({ label "registry.k8s.io/etcd:3.5.35-0"; echo etcd-3.5.35-as-3.5.21; } | sha256sum | cut -c1-16)
if [ "$(label "$tag")" != "$stamp" ]; then
  log "$tag (etcd 3.5.35)"
  printf 'FROM registry.k8s.io/etcd:3.5.35-0\nLABEL dev.kokpit.inputs=%s\n' "$stamp" | docker build -q -t "$tag" - >/dev/null
else
  log "$tag up to date"
fi
CONFORMANCE_IMAGES="$CONFORMANCE_IMAGES $tag"

f="$WORK/saved/conformance.tar"
s=$(for img in $CONFORMANCE_IMAGES; do echo "$img $(label "$img")"; done)
if [ ! -e "$f" ] || [ "$(cat "$f.inputs" 2>/dev/null)" != "$s" ]; then
  log "docker save $CONFORMANCE_IMAGES"
  # shellcheck disable=SC2086 # one word per image
  docker save -o "$f.tmp" $CONFORMANCE_IMAGES && mv "$f.tmp" "$f"
  echo "$s" >"$f.inputs"
fi
log "conformance images in $f"
