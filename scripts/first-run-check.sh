#!/usr/bin/env bash
# The README's main job as a new user runs it, from an empty binary cache and state directory (the Go
# caches may be warm): `npm start -- --detach` must build everything it needs by itself, then the sample is
# Running with 2/2 machines, its business cluster lists 2 Ready nodes, and `kokpit down` leaves no process.
# .ci/run calls this before any binary is prebuilt, so a missing build step fails CI.
# KOKPIT_FIRST_RUN_KEEP_BINS=<dir>: copy the binaries it built into <dir> afterwards (CI's cache), missing ones only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d /tmp/kokpit-first-run.XXXXXX)
export KOKPIT_BIN_DIR="$root/bin" XDG_STATE_HOME="$root/state" XDG_CONFIG_HOME="$root/config"
# A new user's commands find the running environment themselves: no kubeconfig is pointed at.
unset KOKPIT_SANDBOX_DIR KUBEBUILDER_ASSETS KUBECONFIG
t0=$(date +%s)
say() { echo "first-run: $* (+$(( $(date +%s) - t0 ))s)"; }
kokpit() { node bin/kokpit.js "$@"; }
fail() {
  echo "first-run: FAILED: $*" >&2
  for f in "$root"/state/kokpit/sandbox/kokpit/up.log; do [ -f "$f" ] && { echo "--- last lines of $f" >&2; tail -n 60 "$f" >&2; }; done
  exit 1
}
cleanup() {
  kokpit down >/dev/null 2>&1 || true
  # Anything still running from this run's binaries or state is a leak; never leave it for the next tier.
  pkill -KILL -f "$root/" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT

say "empty caches: KOKPIT_BIN_DIR=$KOKPIT_BIN_DIR, XDG_STATE_HOME=$XDG_STATE_HOME"
[ -z "$(ls -A "$KOKPIT_BIN_DIR" 2>/dev/null)" ] || fail "the binary cache is not empty"

# --runtime sandbox: on a machine where a Docker engine and kind happen to answer, npm start would pick kind, whose
# real run is the e2e's; this check is about what a first `npm start` builds and starts by itself.
say "npm start -- --detach --runtime sandbox"
timeout 3600 npm start --silent -- --detach --runtime sandbox || fail "npm start -- --detach exited $?"

say "kokpit status"
status=$(kokpit status) || fail "kokpit status exited $?"
echo "$status"
echo "$status" | grep -Eq '^\s*default\s+sample\s+Running\s.*\s2/2 running' || fail "kokpit status does not show the sample Running with 2/2 machines"

say "kubectl get nodes on the sample (kubectl built for this check: not part of kokpit up)"
npm run --silent setup:bins -- --only kubectl --versions v1.33.13 >/dev/null 2>&1 || fail "building kubectl"
kokpit kubeconfig sample -o "$root/sample.kubeconfig" >/dev/null || fail "kokpit kubeconfig sample"
nodes=$("$KOKPIT_BIN_DIR/kubectl/v1.33.13/kubectl" --kubeconfig "$root/sample.kubeconfig" get nodes --no-headers) || fail "kubectl get nodes"
echo "$nodes"
[ "$(echo "$nodes" | awk '$2 == "Ready"' | wc -l)" -eq 2 ] || fail "expected 2 Ready nodes"

say "kokpit down"
kokpit down || fail "kokpit down exited $?"
sleep 1
left=$(pgrep -af "$root/" | grep -v -e pgrep -e first-run-check || true)
[ -z "$left" ] || fail "processes left after kokpit down:
$left"

if [ -n "${KOKPIT_FIRST_RUN_KEEP_BINS:-}" ]; then
  mkdir -p "$KOKPIT_FIRST_RUN_KEEP_BINS"
  cp -an "$KOKPIT_BIN_DIR"/. "$KOKPIT_FIRST_RUN_KEEP_BINS"/
fi
say "passed"
