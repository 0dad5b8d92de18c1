#!/usr/bin/env bash
# firebreak's benchmarks: the Go benchmarks, then the real binary on a
# 100,000-event incident (written by bench/journalgen) beside sha256sum
# reading the same journal files.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Go benchmarks"
go test -run '^$' -bench 'BenchmarkAppend|BenchmarkVerify100k|BenchmarkStream100k|BenchmarkTimeline100k' -benchtime 3x -benchmem ./internal/journal
go test -run '^$' -bench 'BenchmarkState100k' -benchtime 3x -benchmem ./internal/incident
go test -run '^$' -bench 'Export' -benchtime 3x -benchmem ./internal/export

echo
echo "== The binary on a 100,000-event incident"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
id=$(go run ./bench/journalgen --home "$work/home" --events 100000 | tail -1)
go build -o "$work/firebreak" ./cmd/firebreak
journal="$work/home/incidents/$id/journal"
echo "journal: $(cat "$journal"/*.jsonl | wc -l) lines, $(du -sh "$journal" | cut -f1)"

# measure LABEL CMD...: wall seconds and peak RSS of one run (after a warm-up run).
measure() {
  local label=$1; shift
  "$@" >/dev/null 2>&1 || true
  local start end
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; return 1; }
  else
    "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; return 1; }
    echo "?" >"$work/rss"
  fi
  end=$(date +%s.%N)
  local secs
  secs=$(echo "$end - $start" | bc -l)
  printf '%-34s %7.3f s  peak RSS %s KB\n' "$label" "$secs" "$(tail -1 "$work/rss")"
  echo "$secs" >"$work/last"
}

measure "sha256sum of the journal files" sha256sum "$journal"/alice.jsonl "$journal"/bob.jsonl "$journal"/carol.jsonl
base=$(cat "$work/last")
measure "firebreak timeline verify" "$work/firebreak" --home "$work/home" timeline verify "$id"
verify=$(cat "$work/last")
measure "firebreak incident show" "$work/firebreak" --home "$work/home" incident show "$id"
measure "firebreak export --format md" "$work/firebreak" --home "$work/home" --actor bench export "$id" --format md -o "$work/out.md" --force
measure "firebreak export --format html" "$work/firebreak" --home "$work/home" --actor bench export "$id" --format html -o "$work/out.html" --force
measure "firebreak export --format json" "$work/firebreak" --home "$work/home" --actor bench export "$id" --format json -o "$work/out.json" --force
printf 'verify / sha256sum time ratio: %.1f\n' "$(echo "$verify / $base" | bc -l)"
