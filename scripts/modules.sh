#!/usr/bin/env bash
# modules.sh prints the directory of every Go module of the repository, the
# root first; modules under testdata/ (built by the tests) are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
echo .
git ls-files --cached --others --exclude-standard '*go.mod' | grep -v '/testdata/' | grep -v '^go.mod$' | xargs -r -n1 dirname | sort
