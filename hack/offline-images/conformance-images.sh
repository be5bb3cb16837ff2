# Sourced by build-images.sh --conformance (its functions and variables: log, label, stamp_of, debian_rootfs, b,
# $BUSYBOX, $WORK, $K8S, $REPO). The images upstream's conformance tests run, under the names e2e.test v1.33.13
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

# agnhost: upstream's is Alpine + bind-tools, curl, netcat-openbsd, iproute2, iperf, bash, its users and
# /uploads (test/images/agnhost/Dockerfile); here Debian's equivalents. Not its /coredns (no conformance test).
AGNHOST_ROOTFS=$(debian_rootfs agnhost "bash,bind9-dnsutils,curl,netcat-openbsd,iproute2,iperf,procps" \
  'ln -s /usr/bin/iperf /usr/local/bin/iperf; mkdir /uploads
   useradd -u 1000 -M user-defined-in-image; groupadd -g 50000 group-defined-in-image
   usermod -aG group-defined-in-image user-defined-in-image')
tag="$E2E/agnhost:2.53"
stamp=$(stamp_of "$AGNHOST_ROOTFS" "$(b agnhost "$K8S")" "$PORTER/localhost.crt" "$PORTER/localhost.key" "$BUSYBOX" "$SELF")
if [ "$(label "$tag")" != "$stamp" ]; then
  log "$tag"
  d=$(mktemp -d)
  tar -C "$d" -xf "$AGNHOST_ROOTFS"
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
  tar -C "$d" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENTRYPOINT ["/agnhost"]' -c 'CMD ["pause"]' -c "LABEL dev.kokpit.inputs=$stamp" - "$tag" >/dev/null
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

# httpd and nginx (upstream: the official images): Debian's apache2 and nginx-light in one root filesystem,
# serving upstream's document roots (StatefulSet tests move /usr/local/apache2/htdocs/index.html to fail the
# readiness probe). Each tag is that tarball imported as is, so the four share one layer.
WEB_ROOTFS=$(debian_rootfs e2e-web "apache2,nginx-light" \
  'mkdir -p /usr/local/apache2/htdocs /usr/share/nginx/html
   echo "<html><body><h1>It works!</h1></body></html>" >/usr/local/apache2/htdocs/index.html
   cp /usr/local/apache2/htdocs/index.html /usr/share/nginx/html/index.html
   sed -i "s#/var/www/html#/usr/local/apache2/htdocs#" /etc/apache2/sites-available/000-default.conf
   printf "<Directory /usr/local/apache2/htdocs>\n  Require all granted\n</Directory>\n" >>/etc/apache2/apache2.conf
   sed -i "s#root /var/www/html;#root /usr/share/nginx/html;#" /etc/nginx/sites-available/default')
for t in "httpd:2.4.38-4" "httpd:2.4.39-4" "nginx:1.14-4" "nginx:1.15-4"; do
  # apache2 itself as PID 1 (apache2ctl would stay a shell that ignores SIGTERM, so every pod delete took its
  # whole grace period); what apache2ctl would do before: Debian's environment and run directories.
  cmd='["nginx", "-g", "daemon off;"]'
  case $t in httpd*)
    cmd='["/bin/sh", "-c", "set -a; . /etc/apache2/envvars; mkdir -p $APACHE_RUN_DIR $APACHE_LOCK_DIR $APACHE_LOG_DIR; exec apache2 -D FOREGROUND"]'
    ;;
  esac
  stamp=$({ stamp_of "$WEB_ROOTFS" "$SELF"; echo "$cmd"; } | sha256sum | cut -c1-16)
  if [ "$(label "$E2E/$t")" != "$stamp" ]; then
    log "$E2E/$t"
    conformance_import "$E2E/$t" "$stamp" "$cmd" <"$WEB_ROOTFS"
  else
    log "$E2E/$t up to date"
  fi
  CONFORMANCE_IMAGES="$CONFORMANCE_IMAGES $E2E/$t"
done

# busybox (upstream: busybox 1.36.1): Debian's busybox-static with every applet linked, no entrypoint. Its ash is
# 1.35's, which drops environment variables whose names are not shell identifiers before running a command (1.36's
# keeps them): the Secrets and ConfigMap "consumable via the environment" tests, which read `data-1=value-1` back
# through `sh -c env`, fail with it. bash would keep them, but another test expects ash's exact error message
# ("/bin/sh: can't create /file: Read-only file system"), so sh stays busybox's until Debian ships 1.36.
tag="$E2E/busybox:1.36.1-1"
stamp=$(stamp_of "$BUSYBOX" "$SELF")
if [ "$(label "$tag")" != "$stamp" ]; then
  log "$tag"
  d=$(mktemp -d)
  mkdir -p "$d/bin" "$d/sbin" "$d/usr/bin" "$d/usr/sbin" "$d/etc" "$d/tmp" "$d/root"
  chmod 1777 "$d/tmp"
  install -m 0755 "$BUSYBOX" "$d/bin/busybox"
  for a in $("$BUSYBOX" --list-full); do [ -e "$d/$a" ] || [ -L "$d/$a" ] || ln -s /bin/busybox "$d/$a"; done
  # Upstream's image has every applet in /bin as well (the Sysctls test runs /bin/sysctl, which Debian's list puts
  # in /sbin).
  for a in $("$BUSYBOX" --list); do [ -e "$d/bin/$a" ] || [ -L "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"; done
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

f="$WORK/saved/conformance.tar"
s=$(for img in $CONFORMANCE_IMAGES; do echo "$img $(label "$img")"; done)
if [ ! -e "$f" ] || [ "$(cat "$f.inputs" 2>/dev/null)" != "$s" ]; then
  log "docker save $CONFORMANCE_IMAGES"
  # shellcheck disable=SC2086 # one word per image
  docker save -o "$f.tmp" $CONFORMANCE_IMAGES && mv "$f.tmp" "$f"
  echo "$s" >"$f.inputs"
fi
log "conformance images in $f"
