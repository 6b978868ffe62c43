#!/usr/bin/env bash
# Build cost of the fluxer-oauth2 crate (default features, dev profile):
#   1. a clean `cargo build`, with `--timings` for the crates that take longest;
#   2. the rebuild after the OpenAPI spec changes (`touch openapi/fluxer-oauth2.yaml && cargo build`),
#      and after a real edit of it (a schema added), which changes the generated code;
#   3. a no-op `cargo build` (nothing changed), for reference.
#
# It works on a copy of the work tree (tracked and untracked files, not ignored ones) in a fresh
# directory under the system temp dir, with its own CARGO_TARGET_DIR there: the shared target dir is
# not wiped and the spec in the work tree is not touched, so nobody else's build is disturbed.
# Dependencies are fetched first, so that download time is not counted.
#
# The machine's load (`uptime`) is printed beside each figure: on a busy machine the figures are
# inflated, so each measured step first waits (up to 2 min) for the load to fall below 1. Goals
# (printed, never enforced): clean build <= 50 s, rebuild after a spec edit <= 6 s, at load < 1.
#
# Usage: scripts/build-cost.sh            (from anywhere in the repository)
#        KEEP=1 scripts/build-cost.sh     (keep the temp directory, e.g. to open cargo-timing.html)
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d "${TMPDIR:-/tmp}/fluxer-build-cost.XXXXXX")
cleanup() {
    if [[ "${KEEP:-0}" == 1 ]]; then
        echo "kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

src="$work/src"
export CARGO_TARGET_DIR="$work/target"
mkdir -p "$src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$src"

# Runs a command; sets `wall` and `cpu` (user + sys of it and its children) in seconds.
measure() {
    local TIMEFORMAT='%R %U %S' out
    out=$( { time "$@" >/dev/null 2>"$work/last-stderr"; } 2>&1 ) || { cat "$work/last-stderr" >&2; return 1; }
    read -r wall u s <<<"$out"
    cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.1f", u + s }')
    wall=$(awk -v w="$wall" 'BEGIN { printf "%.1f", w }')
}
load() { uptime | sed 's/.*load average: /load average /'; }
# The goals are set at load < 1: before each measured step, wait (at most SETTLE_MAX seconds, 120 by
# default) for the 1-minute load average to fall below 1, which the previous step has raised.
settle() {
    local waited=0 limit=${SETTLE_MAX:-120}
    while awk '{ exit !($1 >= 1.0) }' /proc/loadavg && ((waited < limit)); do
        sleep 5
        waited=$((waited + 5))
    done
    ((waited == 0)) || echo "  (waited ${waited} s for the load to settle)"
}
verdict() { awk -v t="$1" -v g="$2" 'BEGIN { print (t <= g) ? "goal met" : sprintf("goal missed by %.1f s", t - g) }'; }

cd "$src"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
echo "toolchain: $(cargo --version), $(rustc --version)"
echo "commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
cargo fetch --quiet

echo
echo "== clean build (cargo build --timings) =="
settle
before=$(load)
measure cargo build --timings
clean=$wall
echo "clean build: ${clean} s wall, ${cpu} s CPU (user+sys) [$(verdict "$clean" 50), goal <= 50 s]"
echo "  load before: $before"
echo "  load after:  $(load)"

report=$(ls -t "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing-*.html 2>/dev/null | head -1 || true)
[[ -n "$report" ]] || report="$CARGO_TARGET_DIR/cargo-timings/cargo-timing.html"
if [[ -f "$report" ]]; then
    echo "  slowest units (seconds, from cargo's --timings report; units overlap on $(nproc) cores):"
    cargo tree -e normal --target all --prefix none -f '{p}' 2>/dev/null | awk '{ print $1 " " $2 }' | sort -u >"$work/normal-deps"
    python3 - "$report" "$work/normal-deps" <<'PY' || echo "  (could not read $report)"
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"const UNIT_DATA = (\[.*?\]);\s*$", html, re.S | re.M)
units = json.loads(m.group(1))
rows = []
for u in units:
    target = u.get("target", "").strip()
    name = f"{u['name']} {u['version']}{' ' + target if target else ''}"
    rows.append((u["duration"], name, u.get("rmeta_time")))
rows.sort(reverse=True)
for duration, name, _ in rows[:12]:
    print(f"    {duration:7.1f}  {name}")
# Crates that only the code generator needs (build-dependencies of this crate, not linked into it).
normal = {tuple(l.split()[:2]) for l in open(sys.argv[2]) if l.strip()}
gen = [u for u in units if (u["name"], "v" + u["version"]) not in normal]
total = sum(u["duration"] for u in units)
gen_total = sum(u["duration"] for u in gen)
print(f"  unit time in total: {total:.1f} s; in crates only the build script needs (code generation): "
      f"{gen_total:.1f} s ({100 * gen_total / total:.0f}%), {len(gen)} of {len(units)} units")
PY
fi

echo
echo "== rebuild after a spec edit (touch openapi/fluxer-oauth2.yaml && cargo build) =="
settle
before=$(load)
touch openapi/fluxer-oauth2.yaml
measure cargo build
spec=$wall
echo "rebuild after spec touch: ${spec} s wall, ${cpu} s CPU [$(verdict "$spec" 6), goal <= 6 s]"
echo "  load before: $before"
echo "  load after:  $(load)"

echo
echo "== rebuild after a spec content edit (a schema added to a copy of the spec, then cargo build) =="
# The touch above leaves the generated code as it was, so incremental compilation reuses most of it;
# a real edit changes the generated code. The schema added here is unused, so only code generation and
# the crate itself are redone.
cat >> openapi/fluxer-oauth2.yaml <<'YAML'

    BuildCostProbe:
      description: Added by scripts/build-cost.sh to measure a rebuild after a content change.
      type: object
      properties:
        probe:
          type: string
YAML
settle
before=$(load)
measure cargo build
edit=$wall
echo "rebuild after spec content edit: ${edit} s wall, ${cpu} s CPU [$(verdict "$edit" 6), goal <= 6 s]"
echo "  load before: $before"
echo "  load after:  $(load)"

echo
echo "== no-op build =="
measure cargo build
echo "no-op build: ${wall} s  ($(load))"

echo
echo "SUMMARY clean=${clean}s spec_touch_rebuild=${spec}s spec_edit_rebuild=${edit}s cores=$(nproc) ($(load))"
