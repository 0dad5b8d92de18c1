#!/usr/bin/env bash
# firebreak search across 1,000 incidents of 100 events each (100,000
# events), compared in one run with `grep -ril` over the same journal files:
# grep only finds the files that hold the text, firebreak parses each
# matching line and reports the event.
# Usage: bash bench/search.sh [INCIDENTS] [ROUNDS]   (defaults 1000, 5; alternating rounds, best of each)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
rounds=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
fb="$work/firebreak"
echo "generating $n incidents of 100 events in $work …"
go run ./bench/journalgen --home "$work/home" --events 100 --incidents "$n" | head -1
echo "journals: $(find "$work/home" -name '*.jsonl' | wc -l) files, $(du -sh "$work/home/incidents" | cut -f1)"
cat "$work"/home/incidents/*/journal/*.jsonl >/dev/null   # warm the page cache for both tools

# Alternating rounds, best of each: both tools see the same load.
fbt="" grp=""
text="module 42 of THE release"
for _ in $(seq "$rounds"); do
  s=$(date +%s.%N); "$fb" --home "$work/home" search "$text" --limit 0 >/dev/null; e=$(date +%s.%N)
  t=$(echo "$e - $s" | bc -l); if [ -z "$fbt" ] || (( $(echo "$t < $fbt" | bc -l) )); then fbt=$t; fi
  s=$(date +%s.%N); grep -ril "$text" "$work/home/incidents" >/dev/null; e=$(date +%s.%N)
  t=$(echo "$e - $s" | bc -l); if [ -z "$grp" ] || (( $(echo "$t < $grp" | bc -l) )); then grp=$t; fi
done
hits=$("$fb" --home "$work/home" search "$text" --json --limit 0 | grep -c '"seq"')
rss=$( { /usr/bin/time -f '%M' "$fb" --home "$work/home" search "$text" --limit 0 >/dev/null; } 2>&1 | tail -1)
printf '\nfirebreak search   %7.3f s (best of %d), %d events found, peak RSS %d KiB\n' "$fbt" "$rounds" "$hits" "$rss"
printf 'grep -ril          %7.3f s (best of %d), files only\n' "$grp" "$rounds"
printf 'ratio              %7.2fx grep\n' "$(echo "$fbt / $grp" | bc -l)"
