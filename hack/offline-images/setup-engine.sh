#!/bin/sh
# Idempotent: Docker's engine from Debian, with runc-capdrop as its default runtime, started if needed.
# This sandbox's capability bounding set lacks some capabilities (CapBnd in /proc/self/status), so
# `--privileged` containers (kind nodes) fail under plain runc; runc-capdrop removes the missing ones
# from each container's config.json first. No systemd here: dockerd runs in the background, logging
# to $CACHE/dockerd.log.
# KOKPIT_DOCKER_SOCK=<path>: an engine of its own on that socket only (pid file and exec root beside it, the same
# image store), so what probes the default socket still finds no engine; .ci/run builds the e2e's images on one
# while the other tiers run, stops it, and the e2e then starts the usual engine on the same images. Its clients need
# DOCKER_HOST=unix://<path>.
set -eu
CACHE="${KOKPIT_CACHE_DIR:-$HOME/.cache/kokpit}"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$CACHE/bin"
set --
LOG="$CACHE/dockerd.log"
if [ -n "${KOKPIT_DOCKER_SOCK:-}" ]; then
  d=$(dirname "$KOKPIT_DOCKER_SOCK")
  mkdir -p "$d"
  export DOCKER_HOST="unix://$KOKPIT_DOCKER_SOCK"
  set -- -H "$DOCKER_HOST" --pidfile "$d/docker.pid" --exec-root "$d/exec"
  LOG="$CACHE/dockerd-private.log"
fi

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
  if pidof dockerd >/dev/null 2>&1; then kill $(pidof dockerd); sleep 2; fi
fi

if ! /usr/bin/docker info >/dev/null 2>&1; then
  echo "starting dockerd $* (log: $LOG)"
  nohup dockerd "$@" >"$LOG" 2>&1 &
  i=0
  until /usr/bin/docker info >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 60 ]; then echo "dockerd did not answer within 60 s; see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; fi
    sleep 1
  done
fi
/usr/bin/docker info --format 'docker {{.ServerVersion}}, default runtime {{.DefaultRuntime}}, cgroup {{.CgroupVersion}} ({{.CgroupDriver}})'
