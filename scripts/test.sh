#!/usr/bin/env bash
# The IntegrationHub test command (used by the README and by CI via .ci/run).
#
# Usage: bash scripts/test.sh [extra dotnet test args...]
#   e.g. bash scripts/test.sh --filter "FullyQualifiedName~RabbitMq"
#
# 1. brings up local RabbitMQ + PostgreSQL (scripts/infra.sh up),
# 2. builds IntegrationHub.sln (Release); on a build error prints the errors,
#    a last line "0 passed, 0 failed" and exits non-zero,
# 3. runs dotnet test with TRX results in artifacts/test-results (cleared first),
# 4. prints the failed test names, then as the very last line "N passed, N failed".
# Exit code is non-zero if the build failed, any test failed or dotnet test failed.
# Set SKIP_INFRA=1 to skip step 1 (services already managed elsewhere).
set -euo pipefail

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SLN=IntegrationHub.sln
CONFIG=Release
RESULTS="$ROOT/artifacts/test-results"
BUILD_LOG="$ROOT/artifacts/build.log"

log() { printf '[test] %s\n' "$*"; }

if [ "${SKIP_INFRA:-0}" != 1 ]; then
  log "starting infrastructure (scripts/infra.sh up)"
  if ! bash "$ROOT/scripts/infra.sh" up; then
    log "ERROR: scripts/infra.sh up failed"
    echo "0 passed, 0 failed"
    exit 1
  fi
fi

command -v dotnet >/dev/null 2>&1 || { log "ERROR: dotnet SDK not found on PATH"; echo "0 passed, 0 failed"; exit 1; }

rm -rf "$RESULTS"
mkdir -p "$RESULTS"

# --- build (separate step so a build failure is never reported as a test failure)
log "building $SLN ($CONFIG)"
set +e
dotnet build "$SLN" -c "$CONFIG" -nologo -v minimal -tl:off >"$BUILD_LOG" 2>&1
build_rc=$?
set -e
if [ "$build_rc" -ne 0 ]; then
  log "BUILD FAILED (exit $build_rc); errors:"
  errors=$(grep -E ': error [A-Za-z]*[0-9]*|error MSB|error NU' "$BUILD_LOG" | sed -E 's/^[[:space:]]+//' | sort -u || true)
  if [ -n "$errors" ]; then printf '%s\n' "$errors"; else tail -n 40 "$BUILD_LOG"; fi
  log "full build log: ${BUILD_LOG#"$ROOT"/}"
  echo "0 passed, 0 failed"
  exit "$build_rc"
fi
grep -E ': warning ' "$BUILD_LOG" | sed -E 's/^[[:space:]]+//' | sort -u || true
log "build succeeded"

# --- test
log "running dotnet test $*"
set +e
# One test assembly at a time: they share one broker and one database server, and the transport's
# recovery tests close every broker connection (rabbitmqctl close_all_connections).
dotnet test "$SLN" -c "$CONFIG" --no-build --nologo -m:1 \
  --results-directory "$RESULTS" \
  --logger "trx" \
  --logger "console;verbosity=minimal" \
  "$@"
test_rc=$?
set -e

# --- summary from TRX files
passed=0
failed=0
shopt -s nullglob
trx_files=("$RESULTS"/*.trx "$RESULTS"/*/*.trx)
shopt -u nullglob
for f in "${trx_files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -n 1 || true)
  [ -n "$counters" ] || continue
  p=$(printf '%s' "$counters" | sed -nE 's/.* passed="([0-9]+)".*/\1/p')
  x=$(printf '%s' "$counters" | sed -nE 's/.* failed="([0-9]+)".*/\1/p')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${x:-0}))
done

if [ "$failed" -gt 0 ]; then
  echo "Failed tests:"
  for f in "${trx_files[@]}"; do
    grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$f" |
      sed -nE 's/.* testName="([^"]*)".*/\1/p' |
      sed -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' |
      sed 's/^/  FAILED /' || true
  done
fi

rc=0
if [ "$test_rc" -ne 0 ]; then
  [ "$failed" -gt 0 ] || log "dotnet test exited with code $test_rc (test run aborted or crashed?)"
  rc=$test_rc
elif [ "$failed" -gt 0 ]; then
  rc=1
fi
log "TRX results: ${RESULTS#"$ROOT"/}/ (${#trx_files[@]} file(s))"
echo "$passed passed, $failed failed"
exit "$rc"
