#!/usr/bin/env bash
# firebreak sync over a home of N incidents of 100 events (5 files each),
# against a bare repository on the same disk: the first sync (commit and
# push everything), a sync with nothing new, a second home's first sync
# (receive everything), and a sync bringing one new event, each with wall
# time and peak RSS, beside git alone doing the first push.
# Usage: bash bench/sync.sh [INCIDENTS]   (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
fb="$work/firebreak"
go run ./bench/journalgen --home "$work/a" --events 100 --incidents "$n" | head -1
cp -r "$work/a" "$work/plain"
git init -q --bare "$work/r.git"
git init -q --bare "$work/plain.git"
measure() { # LABEL CMD…
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null
  read -r secs kib <"$work/t"
  printf '%-44s %6.2f s  %7d KiB\n' "$label" "$secs" "$kib"
}
measure "first sync (commit $((n*5)) files, push)" "$fb" --home "$work/a" --actor erin@a sync init --remote "$work/r.git"
measure "sync, nothing new" "$fb" --home "$work/a" --actor erin@a sync
measure "second home's first sync (receive all)" "$fb" --home "$work/b" --actor dave@b sync init --remote "$work/r.git"
id=$(ls "$work/a/incidents" | head -1)
"$fb" --home "$work/a" --actor erin@a note "$id" "one more" >/dev/null
"$fb" --home "$work/a" --actor erin@a sync >/dev/null
measure "sync bringing one new event" "$fb" --home "$work/b" --actor dave@b sync
cd "$work/plain"
measure "git alone: init, add, commit, push" sh -c 'git init -q -b main . && git add -A incidents && git -c user.name=x -c user.email=x@x commit -qm x && git push -q ../plain.git main'
