#!/usr/bin/env bash
# firebreak wasm scan over 10,000 generated modules (1 KiB–1 MiB, a mix of
# signers), compared in one run with
#   (a) one process per module, the runbook's `find -exec` pattern, using
#       `firebreak wasm show` as the per-file process, and
#   (b) `firebreak hash` over the same files (reading and hashing).
# Usage: bash bench/scan.sh [ROUNDS]   (default 3; best round for scan and hash)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
fb="$work/firebreak"
echo "generating 10,000 modules in $work …"
FIREBREAK_BENCH_WASM_DIR="$work" go test -count=1 -run '^TestWriteScanCorpus$' ./internal/wasmsig >/dev/null
kid=$(cat "$work/key-id.txt")
mods="$work/modules"
find "$mods" -name '*.wasm' | sort >"$work/list"
echo "corpus: $(wc -l <"$work/list") modules, $(du -sh "$mods" | cut -f1); target key id $kid"
cat $(cat "$work/list") >/dev/null   # warm the page cache for every tool alike

best() { # LABEL CMD… : best wall time of $rounds runs
  local label=$1; shift; local b="" s e t
  for _ in $(seq "$rounds"); do
    s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$b" ] || (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
  done
  eval "$label=$b"
}
best scan "$fb" wasm scan "$mods" --key-id "$kid"
best hash xargs -a "$work/list" "$fb" hash
"$fb" wasm scan "$mods" --key-id "$kid" | tail -1
s=$(date +%s.%N)
find "$mods" -name '*.wasm' -exec "$fb" wasm show {} \; >/dev/null
e=$(date +%s.%N)
perfile=$(echo "$e - $s" | bc -l)
printf '\nfirebreak wasm scan --key-id     %7.3f s (best of %d)\n' "$scan" "$rounds"
printf 'firebreak hash (same files)       %7.3f s (best of %d)\n' "$hash" "$rounds"
printf 'find -exec firebreak wasm show    %7.3f s (one run)\n' "$perfile"
printf 'scan vs one process per module:   %.0fx faster (target >= 50x)\n' "$(echo "$perfile / $scan" | bc -l)"
printf 'scan / hash time:                 %.2f (target <= 1.3)\n' "$(echo "$scan / $hash" | bc -l)"
