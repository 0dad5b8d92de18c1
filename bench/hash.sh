#!/usr/bin/env bash
# firebreak hash against openssl dgst -sha256 and sha256sum, side by side in
# one run, alternating the tools round by round:
#   (a) one 1 GiB file (streaming, one core)
#   (b) 20,000 small files of 8 KiB (firebreak hashes them on both cores),
#       through xargs (one process per batch) and in one process each
# then a quarantine of the 1 GiB file with its peak RSS.
# Usage: bash bench/hash.sh [ROUNDS]   (default 5; each figure is the median)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
fb="$work/firebreak"

echo "making test data in $work …"
head -c $((1 << 30)) /dev/urandom >"$work/big.bin"
mkdir "$work/small"
# 20,000 files of 8 KiB cut from one random stream.
head -c $((20000 * 8192)) /dev/urandom | split -a 5 -b 8192 - "$work/small/f"
find "$work/small" -type f | sort >"$work/list"
[ "$(wc -l <"$work/list")" -eq 20000 ] || { echo "expected 20000 small files" >&2; exit 1; }
sync

# run LABEL CMD…: one timed run, kept for the median.
declare -A times
run() {
  local label=$1; shift
  local s e
  s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
  times[$label]="${times[$label]:-} $(echo "$e - $s" | bc -l)"
}
mapfile -t files <"$work/list"
for r in $(seq "$rounds"); do
  # (a) the warm large file, tools alternating
  run big-openssl openssl dgst -sha256 "$work/big.bin"
  run big-firebreak "$fb" hash "$work/big.bin"
  run big-sha256sum sha256sum "$work/big.bin"
  # (b) many small files, through xargs
  run small-openssl xargs -a "$work/list" openssl dgst -sha256
  run small-firebreak xargs -a "$work/list" "$fb" hash
  run small-sha256sum xargs -a "$work/list" sha256sum
  # (b2) the same in one process each (firebreak walks the directory itself)
  run one-openssl openssl dgst -sha256 "${files[@]}"
  run one-firebreak "$fb" hash --recursive "$work/small"
  run one-sha256sum sha256sum "${files[@]}"
done
declare -A best
for k in "${!times[@]}"; do
  best[$k]=$(tr ' ' '\n' <<<"${times[$k]}" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
done
gib=1.073741824
printf '\n(a) one 1 GiB file, median of %d\n' "$rounds"
for t in openssl firebreak sha256sum; do
  printf '  %-10s %6.3f s  %5.2f GB/s\n' "$t" "${best[big-$t]}" "$(echo "$gib / ${best[big-$t]}" | bc -l)"
done
printf '  firebreak / openssl throughput: %.2fx (target >= 0.95x)\n' "$(echo "${best[big-openssl]} / ${best[big-firebreak]}" | bc -l)"
printf '  firebreak / sha256sum throughput: %.2fx\n' "$(echo "${best[big-sha256sum]} / ${best[big-firebreak]}" | bc -l)"
printf '\n(b) 20,000 small files (%s) through xargs, median of %d\n' "$(du -sh "$work/small" | cut -f1)" "$rounds"
for t in openssl firebreak sha256sum; do
  printf '  %-10s %6.3f s  %6.0f files/s\n' "$t" "${best[small-$t]}" "$(echo "20000 / ${best[small-$t]}" | bc -l)"
done
printf '  firebreak / openssl throughput: %.2fx (target >= 1.2x)\n' "$(echo "${best[small-openssl]} / ${best[small-firebreak]}" | bc -l)"
printf '  firebreak / sha256sum throughput: %.2fx\n' "$(echo "${best[small-sha256sum]} / ${best[small-firebreak]}" | bc -l)"
printf '\n(b2) the same files in one process each, median of %d\n' "$rounds"
for t in openssl firebreak sha256sum; do
  printf '  %-10s %6.3f s  %6.0f files/s\n' "$t" "${best[one-$t]}" "$(echo "20000 / ${best[one-$t]}" | bc -l)"
done
printf '  firebreak / openssl throughput: %.2fx (target >= 1.7x)\n' "$(echo "${best[one-openssl]} / ${best[one-firebreak]}" | bc -l)"

# (c) quarantine the 1 GiB file: same speed class as a copy that is synced to
# disk (which bounds both), bounded memory.
s=$(date +%s.%N)
cp "$work/big.bin" "$work/big.copy" && sync "$work/big.copy"
e=$(date +%s.%N)
cpt=$(echo "$e - $s" | bc -l)
rm -f "$work/big.copy"
home="$work/home"
id=$(FIREBREAK_HOME="$home" "$fb" incident open --playbook INC-1 --title "bench quarantine" --actor bench 2>/dev/null)
s=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/rss" env FIREBREAK_HOME="$home" "$fb" --actor bench evidence quarantine "$id" "$work/big.bin" --yes >/dev/null
e=$(date +%s.%N)
t=$(echo "$e - $s" | bc -l)
printf '\n(c) quarantine of the 1 GiB file (copy + hash, fsync, re-read + hash, remove)\n'
printf '  firebreak  %.3f s (%.2f GB/s of source), peak RSS %d KiB (target < 32 MiB)\n' "$t" "$(echo "$gib / $t" | bc -l)" "$(tail -1 "$work/rss")"
printf '  cp && sync %.3f s — firebreak / cp+sync time ratio %.2f\n' "$cpt" "$(echo "$t / $cpt" | bc -l)"
