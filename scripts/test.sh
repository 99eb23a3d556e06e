#!/usr/bin/env bash
# The IntegrationHub test command (used by the README and by CI via .ci/run).
#
# Usage: bash scripts/test.sh [extra dotnet test args...]
#   e.g. bash scripts/test.sh --filter "FullyQualifiedName~RabbitMq"
#
# 1. brings up local RabbitMQ + PostgreSQL (scripts/infra.sh up),
# 2. builds IntegrationHub.sln (Release); on a build error prints the errors,
# 3. lists the solution's test projects (IsTestProject, as MSBuild evaluates it): the test assemblies that must
#    produce results,
# 4. runs each test assembly with dotnet test, TRX results in artifacts/test-results/<assembly>/ (cleared first):
#    first, one at a time and alone, the suites that close every broker connection (rabbitmqctl
#    close_all_connections, which would disturb anything else on the broker), then the others in parallel,
#    TEST_JOBS at a time. A test that gives no result for TEST_HANG_TIMEOUT is cut off (--blame-hang-timeout).
# 5. prints the results per assembly, every test that did not pass (failed, skipped, hung, ...) and every assembly
#    without results (crashed test host, not run), then as the very last line "N passed, N failed"
#    (scripts/test-summary.sh). "failed" counts everything that is not a pass; if the run stops before the tests
#    (infrastructure or build failure), every test assembly counts as failed, not run.
# Exit code is 0 only if every expected test assembly ran and every one of its tests passed.
#
# Environment:
#   SKIP_INFRA=1             skip step 1 (services already managed elsewhere)
#   TEST_HANG_TIMEOUT=5m     a test without a result for this long is a hang: its test host is killed and the test
#                            named (dotnet test --blame-hang-timeout; s, m or h, or plain seconds)
#   TEST_JOBS=2              test assemblies run at the same time (after the ones that run alone)
#   TEST_TIME_BUDGET=35m     backstop for the whole test step: an assembly still running then is killed (and
#                            counted as failed, without results); one not started by then is not run (failed)
#   TEST_RUN_ALONE="A B"     names of the test projects that run alone (default: those whose sources call
#                            RabbitMqBroker.CloseAllConnectionsAsync or mention close_all_connections)
set -euo pipefail

if [ "${BASH_VERSINFO[0]}" -lt 5 ] || { [ "${BASH_VERSINFO[0]}" -eq 5 ] && [ "${BASH_VERSINFO[1]}" -lt 1 ]; }; then
  printf '[test] ERROR: needs bash 5.1 or later (this is %s)\n0 passed, 1 failed\n' "$BASH_VERSION"
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SLN=IntegrationHub.sln
CONFIG=Release
RESULTS="$ROOT/artifacts/test-results"
BUILD_LOG="$ROOT/artifacts/build.log"
LIST_LOG="$ROOT/artifacts/test-projects.log"
SUMMARY="$ROOT/scripts/test-summary.sh"

log() { printf '[test] %s\n' "$*"; }

# to_seconds 5m -> 300 (accepts N, Ns, Nm, Nh); fails on anything else.
to_seconds() {
  case "$1" in
    ''|*[!0-9smh]*) return 1 ;;
    *[0-9]) echo "$1" ;;
    *[0-9]s) echo "${1%s}" ;;
    *[0-9]m) echo $(( ${1%m} * 60 )) ;;
    *[0-9]h) echo $(( ${1%h} * 3600 )) ;;
    *) return 1 ;;
  esac
}

TEST_HANG_TIMEOUT=${TEST_HANG_TIMEOUT:-5m}
TEST_JOBS=${TEST_JOBS:-2}
TEST_TIME_BUDGET=${TEST_TIME_BUDGET:-35m}
config_error=""
hang_seconds=$(to_seconds "$TEST_HANG_TIMEOUT") && [ "$hang_seconds" -gt 0 ] ||
  config_error="TEST_HANG_TIMEOUT='$TEST_HANG_TIMEOUT' is not a duration (e.g. 300, 90s, 5m, 1h)"
budget_seconds=$(to_seconds "$TEST_TIME_BUDGET") && [ "$budget_seconds" -gt 0 ] ||
  config_error="TEST_TIME_BUDGET='$TEST_TIME_BUDGET' is not a duration (e.g. 35m)"
case "$TEST_JOBS" in ''|*[!0-9]*|0) config_error="TEST_JOBS='$TEST_JOBS' is not a positive number" ;; esac
export TEST_HANG_TIMEOUT # named in the summary

rm -rf "$RESULTS"
mkdir -p "$RESULTS"

# --- the solution's test projects, as MSBuild evaluates them (IsTestProject): "name<TAB>project path" lines
TEST_PROJECTS=()
list_test_projects() {
  TEST_PROJECTS=()
  command -v dotnet >/dev/null 2>&1 || return 1
  local out
  if ! out=$(dotnet msbuild "$SLN" -nologo -v:m -tl:off -nodeReuse:false -t:HubListTestProjects \
      -p:Configuration="$CONFIG" -p:CustomAfterMicrosoftCommonTargets="$ROOT/scripts/test-projects.targets" 2>&1); then
    printf '%s\n' "$out" >"$LIST_LOG"
    return 1
  fi
  printf '%s\n' "$out" >"$LIST_LOG"
  local line
  while IFS= read -r line; do
    TEST_PROJECTS+=("$line")
  done < <(printf '%s\n' "$out" | sed -nE 's/^[[:space:]]*hub-test-project\|[Tt]rue\|([^|]+)\|(.+)$/\1\t\2/p' | sort -u)
  [ "${#TEST_PROJECTS[@]}" -gt 0 ]
}
project_names() { local p; for p in "${TEST_PROJECTS[@]}"; do printf '%s\n' "${p%%$'\t'*}"; done; }

# Stops before the tests: every test assembly counts as failed (not run), then the summary's last line.
fail_before_tests() { # fail_before_tests <reason> <exit code>
  local reason=$1 code=$2 names=() name
  if [ "${#TEST_PROJECTS[@]}" -gt 0 ] || list_test_projects; then
    mapfile -t names < <(project_names)
    for name in "${names[@]}"; do
      mkdir -p "$RESULTS/$name"
      printf '%s\n' "$reason" >"$RESULTS/$name/not-run"
    done
    bash "$SUMMARY" "$RESULTS" "${names[@]}" || true
  else
    log "could not list the solution's test projects either (see ${LIST_LOG#"$ROOT"/})"
    log "not passed: $reason"
    echo "0 passed, 1 failed"
  fi
  exit "$code"
}

if [ -n "$config_error" ]; then
  log "ERROR: $config_error"
  fail_before_tests "configuration error: $config_error" 2
fi

if [ "${SKIP_INFRA:-0}" != 1 ]; then
  log "starting infrastructure (scripts/infra.sh up)"
  if ! bash "$ROOT/scripts/infra.sh" up; then
    log "ERROR: scripts/infra.sh up failed"
    fail_before_tests "scripts/infra.sh up failed" 1
  fi
fi

if [ "$(id -u)" -ne 0 ]; then
  log "WARNING: not running as root: the tests that call rabbitmqctl (Debian lets only root run it) will fail"
fi

if ! command -v dotnet >/dev/null 2>&1; then
  log "ERROR: dotnet SDK not found on PATH"
  fail_before_tests "dotnet SDK not found on PATH" 1
fi

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
  fail_before_tests "the build failed (exit $build_rc)" "$build_rc"
fi
grep -E ': warning ' "$BUILD_LOG" | sed -E -e 's/^[[:space:]]+//' -e 's/ \[[^]]*\]$//' | sort -u || true
log "build succeeded"

if ! list_test_projects; then
  log "ERROR: could not list the solution's test projects (see ${LIST_LOG#"$ROOT"/})"
  tail -n 20 "$LIST_LOG" || true
  echo "0 passed, 1 failed"
  exit 1
fi

# --- which suites run alone
alone=()
parallel=()
for entry in "${TEST_PROJECTS[@]}"; do
  name=${entry%%$'\t'*}
  project=${entry#*$'\t'}
  if [ -n "${TEST_RUN_ALONE+set}" ]; then
    case " $TEST_RUN_ALONE " in *" $name "*) alone+=("$entry"); continue ;; esac
  elif grep -rqlE --include='*.cs' --exclude-dir=bin --exclude-dir=obj \
      'CloseAllConnectionsAsync|close_all_connections' "$(dirname "$project")"; then
    alone+=("$entry"); continue
  fi
  parallel+=("$entry")
done
log "test assemblies: ${#TEST_PROJECTS[@]}; alone: $(for e in "${alone[@]}"; do printf '%s ' "${e%%$'\t'*}"; done)"
log "in parallel ($TEST_JOBS at a time): $(for e in "${parallel[@]}"; do printf '%s ' "${e%%$'\t'*}"; done)"
log "hang timeout per test: $TEST_HANG_TIMEOUT; time budget for all tests: $TEST_TIME_BUDGET"

deadline=$((SECONDS + budget_seconds))
declare -A job_name=() job_start=() job_project=() # by pid
extra_args=$#

# Starts dotnet test for one project in the background; its output goes to RESULTS/<name>/dotnet-test.log.
# `timeout` runs it in a process group of its own and kills the whole group (test hosts, processes the tests
# started) when the time budget runs out.
start_tests() { # start_tests <name> <project> <mode> [extra dotnet test args...]
  local name=$1 project=$2 mode=$3 dir="$RESULTS/$1" remaining=$((deadline - SECONDS))
  shift 3
  mkdir -p "$dir"
  echo "$mode" >"$dir/mode"
  if [ "$remaining" -le 0 ]; then
    echo "the time budget for the tests (TEST_TIME_BUDGET=$TEST_TIME_BUDGET) was used up" >"$dir/not-run"
    log "$name: NOT RUN (time budget used up)"
    return 1
  fi
  log "$name: started ($mode)"
  timeout --kill-after=30 "$remaining" \
    dotnet test "$project" -c "$CONFIG" --no-build --nologo \
      --results-directory "$dir" \
      --logger "trx;LogFileName=$name.trx" \
      --logger "console;verbosity=minimal" \
      --blame-hang-timeout "${hang_seconds}s" --blame-hang-dump-type none \
      "$@" >"$dir/dotnet-test.log" 2>&1 </dev/null &
  job_name[$!]=$name
  job_start[$!]=$SECONDS
  job_project[$!]=$project
}

# Waits for one running dotnet test to end, records its exit code and time, and prints its output in one piece.
reap_one() {
  local pid="" rc=0 name
  wait -n -p pid "${!job_name[@]}" || rc=$?
  [ -n "$pid" ] || return 0
  name=${job_name[$pid]}
  echo "$rc" >"$RESULTS/$name/exit-code"
  echo "$((SECONDS - job_start[$pid]))" >"$RESULTS/$name/seconds"
  log "$name: finished in $((SECONDS - job_start[$pid]))s (dotnet test exit code $rc)"
  sed 's/^/    /' "$RESULTS/$name/dotnet-test.log"
  # Processes the tests started and left behind (e.g. a child process of a test host the hang timeout killed) are
  # still in the job's process group: end them before they disturb the next suites.
  local leftovers
  leftovers=$(ps -e -o pgid= -o stat= -o pid= -o args= 2>/dev/null |
    awk -v g="$pid" '$1 == g && $2 !~ /^Z/ { $1 = ""; $2 = ""; print " " $0 }' || true)
  if [ -n "$leftovers" ]; then
    log "$name: killing the processes its tests left running:"
    printf '%s\n' "$leftovers" | cut -c1-200
    kill -KILL -- "-$pid" 2>/dev/null || true # the group still has members, so its id is not reused
  fi
  # A run cut short (a hang, a crash) leaves tests that never started out of its results: list every test of the
  # assembly so the summary counts those too. Not with extra arguments: --list-tests ignores a --filter.
  if [ "$rc" -ne 0 ] && [ "$extra_args" -eq 0 ] && grep -qE 'Test Run Aborted|test run was aborted' "$RESULTS/$name/dotnet-test.log"; then
    dotnet test "${job_project[$pid]}" -c "$CONFIG" --no-build --nologo --list-tests </dev/null 2>/dev/null |
      sed -n '/The following Tests are available:/,$p' | sed -n 's/^    //p' >"$RESULTS/$name/listed-tests" || true
  fi
  unset "job_name[$pid]" "job_start[$pid]" "job_project[$pid]"
}

summarise() {
  local names=()
  mapfile -t names < <(project_names)
  bash "$SUMMARY" "$RESULTS" "${names[@]}"
}

on_interrupt() {
  trap - INT TERM
  log "interrupted: stopping the running tests"
  local pid
  for pid in "${!job_name[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  while [ "${#job_name[@]}" -gt 0 ]; do reap_one; done
  summarise || true
  exit 130
}
trap on_interrupt INT TERM

set +e
t_tests=$SECONDS
for entry in "${alone[@]}"; do
  start_tests "${entry%%$'\t'*}" "${entry#*$'\t'}" alone "$@" && reap_one
done
for entry in "${parallel[@]}"; do
  while [ "${#job_name[@]}" -ge "$TEST_JOBS" ]; do reap_one; done
  start_tests "${entry%%$'\t'*}" "${entry#*$'\t'}" parallel "$@"
done
while [ "${#job_name[@]}" -gt 0 ]; do reap_one; done
set -e
trap - INT TERM
log "tests ran in $((SECONDS - t_tests))s; TRX results: ${RESULTS#"$ROOT"/}/<assembly>/"

# --- summary: the per-assembly results, every test that did not pass, every assembly without results, last line
summarise
