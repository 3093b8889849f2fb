#!/usr/bin/env bash
# test.sh runs go test in every Go module of the repository: the library at
# the root, cmd/parsecd (its own module, so that the binary's dependencies
# stay out of the library's go.mod), the benchmark module, and any other
# nested module; modules under testdata/ are built by the tests themselves.
#
#   scripts/test.sh                 # go test -race -count=1 in each module
#   scripts/test.sh -count=1 -run X # other go test flags replace the defaults
#
# It stops at the first module that fails and exits with go test's status.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ $# -gt 0 ] || set -- -race -count=1
# bench's quick report runs end to end inside its tests.
has_timeout=false
for a in "$@"; do case "$a" in -timeout*|--timeout*) has_timeout=true ;; esac; done
$has_timeout || set -- "$@" -timeout=20m
for dir in $(scripts/modules.sh); do
	echo "== go test $* ./... in ${dir}"
	(cd "$dir" && go test "$@" ./...)
done
