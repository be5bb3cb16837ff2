#!/bin/sh
# Idempotent: Docker's engine from Debian, with runc-capdrop as its default runtime, started if needed.
# This sandbox's capability bounding set lacks some capabilities (CapBnd in /proc/self/status), so
# `--privileged` containers (kind nodes) fail under plain runc; runc-capdrop removes the missing ones
# from each container's config.json first. No systemd here: dockerd runs in the background, logging
# to $CACHE/dockerd.log.
set -eu
CACHE="${KOKPIT_CACHE_DIR:-$HOME/.cache/kokpit}"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$CACHE/bin"

if ! command -v dockerd >/dev/null 2>&1; then
  echo "installing docker.io from Debian"
  apt-get install -y -q docker.io >/dev/null || { apt-get update -qq && apt-get install -y -q docker.io >/dev/null; } # stale package lists: refresh once
fi

WRAPPER="$CACHE/bin/runc-capdrop"
if [ ! -x "$WRAPPER" ] || [ "$HERE/runc-capdrop/main.go" -nt "$WRAPPER" ]; then
  echo "building runc-capdrop"
  (cd "$HERE/runc-capdrop" && go build -o "$WRAPPER" .)
fi

mkdir -p /etc/docker
want="{\"runtimes\":{\"runc-capdrop\":{\"path\":\"$WRAPPER\"}},\"default-runtime\":\"runc-capdrop\"}"
if [ "$(cat /etc/docker/daemon.json 2>/dev/null || true)" != "$want" ]; then
  echo "$want" > /etc/docker/daemon.json
  if pidof dockerd >/dev/null 2>&1; then kill "$(pidof dockerd)"; sleep 2; fi
fi

if ! /usr/bin/docker info >/dev/null 2>&1; then
  echo "starting dockerd (log: $CACHE/dockerd.log)"
  nohup dockerd >"$CACHE/dockerd.log" 2>&1 &
  i=0
  until /usr/bin/docker info >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 60 ]; then echo "dockerd did not answer within 60 s; see $CACHE/dockerd.log" >&2; tail -20 "$CACHE/dockerd.log" >&2; exit 1; fi
    sleep 1
  done
fi
/usr/bin/docker info --format 'docker {{.ServerVersion}}, default runtime {{.DefaultRuntime}}, cgroup {{.CgroupVersion}} ({{.CgroupDriver}})'
