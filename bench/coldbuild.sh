#!/usr/bin/env bash
# Builds samldoctor as the release does (CGO_ENABLED=0, -trimpath) with an
# empty build cache, and prints where the compiler's and linker's CPU time
# went, package by package (go build -debug-actiongraph). The modules must
# be in the module cache already (go mod download): only compiling is timed.
#   bench/coldbuild.sh [TOP]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go mod download
start=$(date +%s.%N)
GOCACHE="$dir/cache" CGO_ENABLED=0 go build -trimpath -debug-actiongraph="$dir/actions.json" -o "$dir/samldoctor" ./cmd/samldoctor
end=$(date +%s.%N)
printf 'cold build: %.1f s wall on %s cores; binary %s bytes\n' "$(echo "$end - $start" | bc)" "$(nproc)" "$(stat -c %s "$dir/samldoctor")"
go run ./bench/buildtime -top "${1:-15}" "$dir/actions.json"
