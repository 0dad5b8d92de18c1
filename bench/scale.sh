#!/usr/bin/env bash
# How verify, show and the three exports scale with the journal: for each
# size, one incident written by bench/journalgen (one event in a hundred
# back-dated), then each command run ROUNDS times, alternating with
# sha256sum of the same journal files (the floor: reading the bytes once),
# and the median wall time and peak RSS printed as a Markdown table.
#
#   bash bench/scale.sh [SIZE...]        default: 10000 100000 300000 1000000
#   ROUNDS=5 bash bench/scale.sh 300000
#   OLD=/path/to/older/firebreak bash bench/scale.sh 300000   # the same rows for another build, alternated
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 300000 1000000)
rounds=${ROUNDS:-3}
[ -x /usr/bin/time ] || { echo "scale.sh needs /usr/bin/time (Debian package: time)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
builds=(new)
[ -n "${OLD:-}" ] && builds+=(old)

# run1 BIN ARGS...: one run; prints "seconds KiB".
run1() {
  /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
  tail -1 "$work/t"
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "| events | journal | what | build | time (median of $rounds) | peak RSS | time ÷ sha256sum of the journal |"
echo "|---:|---:|---|---|---:|---:|---:|"
for n in "${sizes[@]}"; do
  home="$work/h$n"
  id=$(go run ./bench/journalgen --home "$home" --events "$n" | tail -1)
  jdir="$home/incidents/$id/journal"
  size=$(du -sh "$jdir" | cut -f1)
  declare -A cmds=(
    [verify]="timeline verify $id"
    [show]="incident show $id"
    [md]="--actor bench export $id --format md -o $work/out.md --force"
    [json]="--actor bench export $id --format json -o $work/out.json --force"
    [html]="--actor bench export $id --format html -o $work/out.html --force"
  )
  for what in verify show md json html; do
    : >"$work/ref"
    for b in "${builds[@]}"; do : >"$work/$b.t"; : >"$work/$b.m"; done
    for ((r = 0; r < rounds; r++)); do
      read -r s _ < <(run1 sha256sum "$jdir"/*.jsonl)
      echo "$s" >>"$work/ref"
      for b in "${builds[@]}"; do
        bin="$work/firebreak"
        [ "$b" = old ] && bin=$OLD
        # shellcheck disable=SC2086
        read -r s m < <(run1 "$bin" --home "$home" ${cmds[$what]})
        echo "$s" >>"$work/$b.t"
        echo "$m" >>"$work/$b.m"
      done
    done
    ref=$(median <"$work/ref")
    for b in "${builds[@]}"; do
      t=$(median <"$work/$b.t")
      m=$(median <"$work/$b.m")
      printf '| %s | %s | %s | %s | %.2f s | %.1f MiB | %.1f |\n' "$n" "$size" "$what" "$b" "$t" "$(echo "$m / 1024" | bc -l)" "$(echo "$t / ($ref + 0.001)" | bc -l)"
    done
  done
  rm -rf "$home"
done
