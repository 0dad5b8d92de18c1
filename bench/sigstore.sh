#!/usr/bin/env bash
# Sigstore audit: N real public-good bundles (sigstore-go's own test data,
# read from the module cache, copied into a scratch directory here) audited
# offline, at two sizes, with wall time, time per signature and the peak
# RSS of firebreak and its verifier process (the larger). Constant memory
# means the RSS does not grow with N. Usage: bash bench/sigstore.sh [N...]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-300 3000}")
[ $# -gt 0 ] && sizes=("$@") || sizes=(300 3000)
mod=$(go list -m -f '{{.Dir}}' github.com/sigstore/sigstore-go)
data="$mod/pkg/testing/data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
go build -o "$work/firebreak-sigstore" ./cmd/firebreak-sigstore
bundles=("$data/bundles/sigstore.js@2.0.0-provenance.sigstore.json" "$data/bundles/dsse.sigstore.json")
for n in "${sizes[@]}"; do
  d="$work/b$n"
  mkdir -p "$d"
  for i in $(seq "$n"); do
    cp "${bundles[$((i % 2))]}" "$d/a$i.sigstore.json"
  done
  s=$(date +%s%N)
  /usr/bin/time -f %M -o "$work/rss" "$work/firebreak" sigstore audit "$d" --trusted-root "$data/trusted-roots/public-good.json" >"$work/out" 2>&1 || true
  e=$(date +%s%N)
  grep -q "^$n signature(s), $n verified" "$work/out" || { echo "audit of $n: unexpected result"; tail -3 "$work/out"; exit 1; }
  printf '%6d bundles: %6.2f s, %5.2f ms per signature, peak RSS %s KB\n' "$n" "$(echo "($e - $s) / 1000000000" | bc -l)" "$(echo "($e - $s) / 1000000 / $n" | bc -l)" "$(cat "$work/rss")"
done
