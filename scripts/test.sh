#!/usr/bin/env bash
# test.sh runs go test in every Go module of the repository (scripts/modules.sh
# lists them): the library at the root, cmd/parsecd (its own module, so that
# the binary's dependencies stay out of the library's go.mod), bench,
# metrics/otel, examples/lambda, and any other nested module; modules under
# testdata/ are built by the tests themselves.
#
#   scripts/test.sh                 # go test -race -count=1 ./... in each module
#   scripts/test.sh -count=1 -run X # other go test flags replace the defaults
#
# It runs every module even after one fails, then prints a summary (each
# module: ok or FAIL, with its time in seconds) and exits 1 if any failed.
# docs/testing.md lists what the tests need.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
[ $# -gt 0 ] || set -- -race -count=1
# go test's default -timeout (10m) is too short for a loaded machine: the
# bench module's quick report runs end to end inside its tests.
has_timeout=false
for a in "$@"; do case "$a" in -timeout*|--timeout*) has_timeout=true ;; esac; done
$has_timeout || set -- "$@" -timeout=30m
modules=$(scripts/modules.sh) || { echo "test.sh: scripts/modules.sh failed" >&2; exit 2; }
summary=()
failed=0
for dir in $modules; do
	echo "== go test $* ./... in ${dir}"
	start=$SECONDS
	if (cd "$dir" && go test "$@" ./...); then
		status=ok
	else
		status=FAIL
		failed=$((failed + 1))
	fi
	summary+=("$(printf '%-4s %-18s %5ds' "$status" "$dir" $((SECONDS - start)))")
done
echo
echo "== summary (go test $*)"
printf '%s\n' "${summary[@]}"
total=${#summary[@]}
if [ "$failed" -gt 0 ]; then
	echo "test.sh: $failed of $total modules FAILED"
	exit 1
fi
echo "test.sh: all $total modules ok"
