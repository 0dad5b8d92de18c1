#!/usr/bin/env bash
# Start-up: `firebreak help` beside `openssl version`, alternating round by
# round (N rounds, default 30), with the median wall time of each, their
# ratio, and the peak RSS (/usr/bin/time). Goal: at most 2.5x openssl's
# time and 16 MiB. The same rounds time `firebreak-sigstore version`: the
# Sigstore verifier, which links sigstore-go — what every start of
# firebreak would cost if firebreak linked it.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
go build -o "$work/firebreak-sigstore" ./cmd/firebreak-sigstore
command -v openssl >/dev/null || { echo "openssl is not installed"; exit 1; }

# ns CMD...: wall nanoseconds of one run.
ns() {
  local s e
  s=$(date +%s%N)
  "$@" >/dev/null 2>&1
  e=$(date +%s%N)
  echo $((e - s))
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%d\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

"$work/firebreak" help >/dev/null; openssl version >/dev/null # warm the page cache
for _ in $(seq "$n"); do
  ns "$work/firebreak" help >>"$work/fb"
  ns openssl version >>"$work/ossl"
  ns "$work/firebreak-sigstore" version >>"$work/sg"
done
fb=$(median <"$work/fb")
ossl=$(median <"$work/ossl")
sg=$(median <"$work/sg")
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
printf 'firebreak help    %6.1f ms  peak RSS %s KB\n' "$(echo "$fb / 1000000" | bc -l)" "$(rss "$work/firebreak" help)"
printf 'openssl version   %6.1f ms  peak RSS %s KB\n' "$(echo "$ossl / 1000000" | bc -l)" "$(rss openssl version)"
printf 'firebreak-sigstore version %6.1f ms  peak RSS %s KB (not on firebreak'"'"'s start path)\n' "$(echo "$sg / 1000000" | bc -l)" "$(rss "$work/firebreak-sigstore" version)"
printf 'ratio (firebreak / openssl, medians of %d alternating rounds): %.2f\n' "$n" "$(echo "$fb / $ossl" | bc -l)"
printf 'ratio (firebreak-sigstore / openssl): %.2f\n' "$(echo "$sg / $ossl" | bc -l)"
