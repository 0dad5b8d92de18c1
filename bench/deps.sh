#!/usr/bin/env bash
# firebreak deps check over a package-lock.json of 50,000 packages and a
# directory of 10,000 npm OSV advisories, beside jq only parsing the same
# files (the floor: reading them); then the same lockfile in version 1
# (nested) against an OSV.dev-style export zip of 100,000 advisories with
# 2 KiB of details each, beside unzip -p | jq. Wall time and peak RSS, best
# of ROUNDS alternating rounds.
# Usage: bash bench/deps.sh [ROUNDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
pkgs = {"": {"name": "app"}}
for i in range(50000):
    pkgs["node_modules/pkg-%d" % i] = {"version": "1.%d.%d" % (i % 50, i % 7)}
json.dump({"lockfileVersion": 3, "packages": pkgs}, open(os.path.join(w, "package-lock.json"), "w"))
os.mkdir(os.path.join(w, "adv"))
for i in range(10000):
    a = {"id": "GHSA-bench-%d" % i, "modified": "2024-01-01T00:00:00Z",
         "affected": [{"package": {"ecosystem": "npm", "name": "pkg-%d" % (i * 5)},
                       "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.25.0"}]}]}]}
    json.dump(a, open(os.path.join(w, "adv", "GHSA-bench-%d.json" % i), "w"))
# Version 1: every package nested one level under a parent, as npm 6 wrote.
deps = {}
for i in range(0, 50000, 10):
    deps["pkg-%d" % i] = {"version": "1.%d.%d" % (i % 50, i % 7),
        "dependencies": {"pkg-%d" % j: {"version": "1.%d.%d" % (j % 50, j % 7)} for j in range(i + 1, i + 10)}}
os.mkdir(os.path.join(w, "v1"))
json.dump({"lockfileVersion": 1, "dependencies": deps}, open(os.path.join(w, "v1", "package-lock.json"), "w"))
import zipfile
with zipfile.ZipFile(os.path.join(w, "all.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(100000):
        a = {"id": "GHSA-zip-%d" % i, "modified": "2024-01-01T00:00:00Z", "details": ("details %d " % i) * 200,
             "affected": [{"package": {"ecosystem": "npm", "name": "pkg-%d" % (i * 3)},
                           "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.25.0"}]}]}]}
        z.writestr("GHSA-zip-%d.json" % i, json.dumps(a))
PY
# compare LABEL REFLABEL LOCKFILE ADVISORIES REFCMD: best of $rounds
# alternating rounds of firebreak deps check and the reference command.
compare() {
  local label=$1 ref=$2 lock=$3 adv=$4 refcmd=$5 fb="" rf="" s k
  for _ in $(seq "$rounds"); do
    /usr/bin/time -f "%e %M" -o "$work/t" "$work/firebreak" deps check "$lock" --advisory "$adv" >/dev/null || true
    read -r s k < <(tail -1 "$work/t"); if [ -z "$fb" ] || (( $(echo "$s < ${fb%% *}" | bc -l) )); then fb="$s $k"; fi
    /usr/bin/time -f "%e %M" -o "$work/t" sh -c "$refcmd"
    read -r s k < <(tail -1 "$work/t"); if [ -z "$rf" ] || (( $(echo "$s < ${rf%% *}" | bc -l) )); then rf="$s $k"; fi
  done
  echo "$label"
  "$work/firebreak" deps check "$lock" --advisory "$adv" | tail -1 || true
  printf 'firebreak deps check   %s s  %s KiB peak RSS (best of %d)\n' "${fb% *}" "${fb#* }" "$rounds"
  printf '%-22s %s s  %s KiB (best of %d)\n' "$ref" "${rf% *}" "${rf#* }" "$rounds"
  printf 'ratio                  %.2fx\n\n' "$(echo "${fb% *} / ${rf% *}" | bc -l)"
}
cat "$work"/adv/*.json "$work/package-lock.json" "$work/all.zip" >/dev/null
compare "lockfile $(du -h "$work/package-lock.json" | cut -f1), advisories $(find "$work/adv" -name '*.json' | wc -l) files" \
  "jq, parsing only" "$work/package-lock.json" "$work/adv" \
  "jq -c '.packages|length' '$work/package-lock.json' >/dev/null && cat '$work'/adv/*.json | jq -c '.id' >/dev/null"
compare "v1 lockfile $(du -h "$work/v1/package-lock.json" | cut -f1), export zip $(du -h "$work/all.zip" | cut -f1) (100,000 advisories)" \
  "unzip -p | jq" "$work/v1/package-lock.json" "$work/all.zip" \
  "jq -c '.dependencies|length' '$work/v1/package-lock.json' >/dev/null && unzip -p '$work/all.zip' | jq -c '.id' >/dev/null"
