#!/usr/bin/env bash
# `npm test`: builds, runs every suite (Node; then, in a loopback-only namespace, browser and end-to-end),
# and ends with one line totalling them all. Any failing suite fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

run() { # run NAME CMD… — streams output, remembers failure
  echo "== $1"
  shift
  "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { echo "== failed ($rc): $*"; status=1; }
}

run build npm run -s build || true
[ "$status" -eq 0 ] || { echo "0 passed, 1 failed"; exit 1; }
run node node --test build/test/node/*.test.js
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "== browser: Chromium not found at $chromium. Install it: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH); .ci/run does this."
  status=1
else
  run browser bash test/in-netns.sh bash -c 'npx web-test-runner && node --test --test-concurrency=1 build/test/e2e/*.test.js'
fi

# node:test prints "# pass N" / "# fail N" per run; Web Test Runner ends with "N passed, N failed".
node_pass=$(grep -aE '^# pass [0-9]+$' "$log" | awk '{s+=$3} END {print s+0}')
node_fail=$(grep -aE '^# fail [0-9]+$' "$log" | awk '{s+=$3} END {print s+0}')
wtr=$(grep -aoE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
wtr_pass=${wtr%% passed*}
wtr_fail=$(echo "$wtr" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
pass=$((node_pass + ${wtr_pass:-0}))
fail=$((node_fail + ${wtr_fail:-0}))
[ "$status" -eq 0 ] || [ "$fail" -gt 0 ] || fail=1 # a suite that died before counting still fails
echo
echo "tests: $pass passed, $fail failed"
exit "$status"
