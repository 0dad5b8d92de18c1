#!/usr/bin/env bash
# Runs firebreak's benchmarks. Each builds its own 100,000-event journal in a
# temporary directory first (not timed).
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'BenchmarkAppend|BenchmarkVerify100k|BenchmarkTimeline100k' -benchtime 3x -benchmem ./internal/journal
go test -run '^$' -bench 'Export' -benchtime 3x -benchmem ./internal/export
