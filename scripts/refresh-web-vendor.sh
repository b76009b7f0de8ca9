#!/usr/bin/env bash
# Refresh the vendored browser libraries of the learner app from the npm registry, at pinned versions.
#
#   scripts/refresh-web-vendor.sh          download, check integrity, copy the files and their licences
#
# Nothing here runs at `make run`: the files are committed. Change a version below, run this script,
# review the diff, run `pytest tests/web`, commit.
set -euo pipefail

IDB_VERSION=8.0.4
AXE_VERSION=4.14.1

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REGISTRY="${NPM_REGISTRY:-https://registry.npmjs.org}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# fetch NAME VERSION -> unpacks the registry tarball into $WORK/NAME/package after checking its sha512
fetch() {
    local name="$1" version="$2" meta tarball integrity
    meta="$(curl -fsSL "$REGISTRY/$name/$version")"
    tarball="$(printf '%s' "$meta" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dist"]["tarball"])')"
    integrity="$(printf '%s' "$meta" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dist"]["integrity"])')"
    mkdir -p "$WORK/$name"
    curl -fsSL "$tarball" -o "$WORK/$name.tgz"
    local actual="sha512-$(openssl dgst -sha512 -binary "$WORK/$name.tgz" | base64 -w0)"
    if [ "$actual" != "$integrity" ]; then
        echo "integrity mismatch for $name@$version: $actual != $integrity" >&2
        exit 1
    fi
    tar -xzf "$WORK/$name.tgz" -C "$WORK/$name"
    echo "$name@$version $integrity"
}

# idb: the UMD build defines a global `idb`, usable from a classic page script and from the service
# worker's importScripts() alike (no bundler, no module service worker needed).
fetch idb "$IDB_VERSION"
dest="$ROOT/app/web/static/vendor/idb"
mkdir -p "$dest"
cp "$WORK/idb/package/build/umd.js" "$dest/umd.js"
cp "$WORK/idb/package/LICENSE" "$dest/LICENSE"
echo "idb $IDB_VERSION from $REGISTRY (build/umd.js)" > "$dest/VERSION"

# axe-core: only the browser tests load it (injected by Playwright); never served to learners.
fetch axe-core "$AXE_VERSION"
dest="$ROOT/tests/web/vendor/axe-core"
mkdir -p "$dest"
cp "$WORK/axe-core/package/axe.min.js" "$dest/axe.min.js"
cp "$WORK/axe-core/package/LICENSE" "$dest/LICENSE"
echo "axe-core $AXE_VERSION from $REGISTRY (axe.min.js)" > "$dest/VERSION"

echo "vendored files refreshed; review with: git diff --stat app/web/static/vendor tests/web/vendor"
