#!/usr/bin/env bash
# Builds the Dockerfile, unchanged, with buildah (both stages), from the local stand-in base
# (scripts/base-image.sh) unless NODE_IMAGE names another, and prints its size and build time.
#   scripts/build-image.sh                (as root; STORAGE_DRIVER=vfs unless set)
#   FEEDLINE_IMAGE=localhost/feedline:ci  the tag it builds (scripts/check-image-run.sh runs it)
set -euo pipefail
cd "$(dirname "$0")/.."

buildah() { command buildah --storage-driver "${STORAGE_DRIVER:-vfs}" "$@"; }
image=${FEEDLINE_IMAGE:-localhost/feedline:ci}
base=${NODE_IMAGE:-${FEEDLINE_BASE_IMAGE:-localhost/feedline-base:node20-bookworm}}

if [ -z "${NODE_IMAGE:-}" ]; then FEEDLINE_BASE_IMAGE=$base scripts/base-image.sh; fi

args=(--isolation chroot --network host --pull=never --format docker --layers=false
  --build-arg "NODE_IMAGE=$base" -t "$image")
# Behind a TLS-intercepting proxy (as on our CI machines) npm ci needs this machine's CA
# bundle: mounted for the build's RUN steps only, never copied into a layer.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
  args+=(-v "$NODE_EXTRA_CA_CERTS:/etc/ssl/certs/build-extra-ca.crt:ro"
    --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/build-extra-ca.crt)
fi

log=$(mktemp /tmp/feedline-build-XXXXXX.log)
start=$(date +%s)
if ! buildah bud "${args[@]}" . >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "image build FAILED (full log: $log)" >&2
  exit 1
fi
rm -f "$log"
echo "image $image built from $base in $(( $(date +%s) - start )) s: $(buildah images --format '{{.Size}}' "$image")"
