#!/bin/sh
# build-layer.sh builds parsecd as a Lambda layer for both architectures:
#
#   dist/parsecd-layer-amd64.zip  (x86_64)
#   dist/parsecd-layer-arm64.zip  (arm64)
#
# each holding extensions/parsecd, a static binary (CGO_ENABLED=0, -trimpath,
# stripped with -ldflags='-s -w'), which Lambda runs as an external extension.
# Run it from anywhere in the repository: scripts/build-layer.sh
# Output directory: $DIST (default dist/ at the repository root).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
dist=${DIST:-$root/dist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dist"

for arch in amd64 arm64; do
	mkdir -p "$work/$arch/extensions"
	(cd "$root/cmd/parsecd" && CGO_ENABLED=0 GOOS=linux GOARCH=$arch \
		go build -trimpath -ldflags='-s -w' -o "$work/$arch/extensions/parsecd" .)
	chmod 755 "$work/$arch/extensions/parsecd"
	out="$dist/parsecd-layer-$arch.zip"
	rm -f "$out"
	if command -v zip >/dev/null 2>&1; then
		(cd "$work/$arch" && zip -q -X -r "$out" extensions)
	else
		(cd "$work/$arch" && python3 -m zipfile -c "$out" extensions)
	fi
	size=$(wc -c <"$work/$arch/extensions/parsecd" | tr -d ' ')
	echo "$out (extensions/parsecd: $size bytes)"
done
