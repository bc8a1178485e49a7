#!/usr/bin/env bash
# make test: build and run every test, then print one closing line "N passed, N failed".
set -uo pipefail
scratch=${SCRATCH_PATH:-.build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

swift build --build-tests --scratch-path "$scratch" || { echo "0 passed, 1 failed (build)"; exit 1; }
# XCTest only (Swift Testing would add a trailing "0 tests" summary line).
swift test --skip-build --scratch-path "$scratch" --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The last summary is the whole run's: "Executed N tests, with [K tests skipped and ]F failures".
summary=$(grep -E "Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$log" | tail -n 1)
total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*[^0-9]([0-9]+) failures?.*/\1/' <<<"$summary")
skipped=0
if [[ "$summary" =~ ([0-9]+)\ tests?\ skipped ]]; then skipped=${BASH_REMATCH[1]}; fi
if [[ -z "$summary" ]]; then
  echo "0 passed, 1 failed (no test summary: the test run crashed or ran no test)"
  exit 1
fi
echo
echo "$((total - failed - skipped)) passed, $failed failed, $skipped skipped"
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  echo "the test process exited with status $status" >&2
fi
exit $status
