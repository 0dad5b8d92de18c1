#!/usr/bin/env bash
# The two drills end to end through the real binary (sandbox build, every
# step, sandbox checks, report), N rounds each, with wall time and peak RSS
# from /usr/bin/time, beside the plain `git` and `openssl` work a drill
# cannot do without (init + 6 commits; one pkeyutl verify) for scale.
# Usage: bash bench/drill.sh [ROUNDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
fb="$work/firebreak"
for kind in rotation rollback; do
  best="" rss=0
  for i in $(seq "$rounds"); do
    /usr/bin/time -f '%e %M' -o "$work/t" "$fb" --home "$work/home" drill "$kind" --yes --json >"$work/out.json"
    grep -q '"passed": true' "$work/out.json" || { echo "$kind drill did not pass"; exit 1; }
    read -r t m <"$work/t"
    if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
    (( m > rss )) && rss=$m
  done
  steps=$(grep -o '"duration_ms": [0-9]*' "$work/out.json" | head -1 | grep -o '[0-9]*$')
  echo "$kind drill: best wall ${best}s of $rounds, drill-reported total ${steps} ms, peak RSS $((rss / 1024)) MB"
done
# The floor: what git alone takes to make a comparable history.
s=$(date +%s.%N)
g="$work/g"; mkdir "$g"; git -C "$g" init -q -b main
for i in 1 2 3 4 5 6; do echo "$i" >"$g/f"; git -C "$g" add -A; git -C "$g" -c user.name=b -c user.email=b@x commit -qm "$i"; done
e=$(date +%s.%N)
echo "git init + 6 commits alone: $(echo "$e - $s" | bc -l | cut -c1-5)s"
