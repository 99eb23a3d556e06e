#!/usr/bin/env bash
# Summarises a test run of scripts/test.sh; its last line is "N passed, N failed".
#
# Usage: bash scripts/test-summary.sh RESULTS_DIR ASSEMBLY...
#
# ASSEMBLY is the name of every test assembly the run was expected to produce results for (the solution's test
# projects). For each, RESULTS_DIR/ASSEMBLY/ holds what scripts/test.sh left there:
#   ASSEMBLY.trx      the TRX results file (absent if the test host crashed before writing it, or never ran)
#   Sequence_*.xml    (in subdirectories) the blame collector's record of the tests started, written when the
#                     test host hung (--blame-hang-timeout) or crashed; Completed="False" marks unfinished tests
#   dotnet-test.log   the output of dotnet test
#   exit-code         dotnet test's exit code (124/137: killed by the run's time budget)
#   seconds, mode     how long it ran, and "alone" or "parallel"
#   not-run           why it did not run (build failed, infrastructure failed, time budget used up)
#   listed-tests      every test of the assembly (dotnet test --list-tests), written when its run was aborted
#
# Counting: "passed" counts tests whose outcome is Passed, nothing else. "failed" counts every other outcome
# (Failed, Error, Timeout, Aborted, NotExecuted -- which is how a skipped test is reported --, Inconclusive, ...),
# every test that hung or was running when the test host crashed, every listed test an aborted run never got to,
# and at least 1 for every assembly that has no
# results, ran no test, whose run was aborted or whose dotnet test exited non-zero without any failed test to show
# for it. Every one of them is named before the last line. Exit code: 0 only if failed is 0.
set -uo pipefail

# Empty arrays under set -u ("${a[@]}" with nothing in it) need bash 4.4 or later.
if [ "${BASH_VERSINFO[0]}" -lt 4 ] || { [ "${BASH_VERSINFO[0]}" -eq 4 ] && [ "${BASH_VERSINFO[1]}" -lt 4 ]; }; then
  printf '[test] ERROR: test-summary.sh needs bash 4.4 or later (this is %s)\n0 passed, 1 failed\n' "$BASH_VERSION"
  exit 1
fi

RESULTS=${1:?usage: test-summary.sh RESULTS_DIR ASSEMBLY...}
shift
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

rel() { local p=$1; printf '%s' "${p#"$ROOT"/}"; }

xml_decode() {
  sed -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' \
      -e 's/&#xA;/ /g' -e 's/&#xD;//g' -e 's/&#x9;/ /g' -e 's/&amp;/\&/g'
}

# attr NAME < tag-line: the value of attribute NAME (first occurrence), empty if absent.
attr() { sed -nE "s/.*[[:space:]]$1=\"([^\"]*)\".*/\1/p" | head -n 1; }

total_passed=0
total_failed=0
problems=()   # "OUTCOME<TAB>ASSEMBLY<TAB>what"
table=()

problem() { problems+=("$(printf '%s\t%s\t%s' "$1" "$2" "$3")"); }

# Every outcome counter of a TRX <Counters> element except "passed" (and total/executed, which are not outcomes).
NOT_PASSED_COUNTERS="failed error timeout aborted inconclusive passedButRunAborted notRunnable notExecuted disconnected warning completed inProgress pending"

for name in "$@"; do
  dir="$RESULTS/$name"
  log="$dir/dotnet-test.log"
  passed=0
  failed=0
  note=""
  [ -f "$dir/mode" ] && note="$(cat "$dir/mode")"
  [ -f "$dir/seconds" ] && note="${note:+$note, }$(cat "$dir/seconds")s"
  exit_code=""
  [ -f "$dir/exit-code" ] && exit_code="$(cat "$dir/exit-code")"

  if [ -f "$dir/not-run" ]; then
    problem "NotRun" "$name" "$(cat "$dir/not-run")"
    table+=("$(printf '  %-44s %5d passed, %3d failed  (not run)' "$name" 0 1)")
    total_failed=$((total_failed + 1))
    continue
  fi

  trx=""
  if [ -d "$dir" ]; then
    trx=$(find "$dir" -maxdepth 1 -name '*.trx' -type f | sort | head -n 1)
  fi

  hung_run=0
  if [ -f "$log" ] && grep -q 'The specified inactivity time of' "$log"; then hung_run=1; fi
  if [ -n "$trx" ] && grep -q 'The specified inactivity time of' "$trx"; then hung_run=1; fi

  # Tests the blame collector saw start but not finish: the hung test(s), or the ones running when the host crashed.
  unfinished=()
  if [ -d "$dir" ]; then
    seq_file=$(find "$dir" -name 'Sequence_*.xml' -type f | sort | head -n 1)
    if [ -n "$seq_file" ]; then
      while IFS= read -r t; do
        [ -n "$t" ] && unfinished+=("$t")
      done < <(grep -o '<Test [^>]*Completed="False"[^>]*>' "$seq_file" |
                 sed -nE 's/.*[[:space:]]DisplayName="([^"]*)".*/\1/p' | xml_decode | sort -u)
    fi
  fi

  if [ -z "$trx" ]; then
    why="no TRX results file: dotnet test failed, or it was killed before it wrote one"
    case "$exit_code" in
      124|137) why="no TRX results file: dotnet test was killed when the run's time budget (TEST_TIME_BUDGET) ran out" ;;
      "") why="no TRX results file, and dotnet test left no exit code (did it run?)" ;;
    esac
    problem "NoResults" "$name" "$why (dotnet test exit code ${exit_code:-none}; log: $(rel "$log"))"
    failed=1
    if [ -f "$dir/listed-tests" ]; then
      listed_count=$(grep -c . "$dir/listed-tests" || true)
      if [ "$listed_count" -gt "${#unfinished[@]}" ]; then
        problem "NeverRan" "$name" "$((listed_count - ${#unfinished[@]})) of its $listed_count tests have no result"
      fi
      [ "$listed_count" -gt 1 ] && failed=$listed_count
    fi
    # Every unfinished (hung or crashed) test named below is a failure of its own, listed tests or not.
    [ "${#unfinished[@]}" -gt "$failed" ] && failed=${#unfinished[@]}
    for t in "${unfinished[@]}"; do
      if [ "$hung_run" -eq 1 ]; then problem "Hung" "$name" "$t (no result within ${TEST_HANG_TIMEOUT:-the hang timeout}; cut off by --blame-hang-timeout)"
      else problem "Unfinished" "$name" "$t (running when the test host crashed)"; fi
    done
  else
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    c_total=$(printf '%s' "$counters" | attr total); c_total=${c_total:-0}
    c_passed=$(printf '%s' "$counters" | attr passed); c_passed=${c_passed:-0}
    c_not_passed=0
    for c in $NOT_PASSED_COUNTERS; do
      v=$(printf '%s' "$counters" | attr "$c")
      c_not_passed=$((c_not_passed + ${v:-0}))
    done

    r_passed=0
    r_not_passed=0
    r_names=()
    all_names=()
    while IFS=$'\t' read -r outcome test; do
      [ -n "$outcome" ] || continue
      all_names+=("$test")
      if [ "$outcome" = Passed ]; then
        r_passed=$((r_passed + 1))
      else
        r_not_passed=$((r_not_passed + 1))
        r_names+=("$test")
        label=$outcome
        [ "$outcome" = NotExecuted ] && label="NotExecuted"
        what=$test
        [ "$outcome" = NotExecuted ] && what="$test (skipped or not executed)"
        problem "$label" "$name" "$what"
      fi
    done < <(grep -o '<UnitTestResult [^>]*>' "$trx" | while IFS= read -r tag; do
               o=$(printf '%s' "$tag" | attr outcome)
               n=$(printf '%s' "$tag" | attr testName | xml_decode)
               printf '%s\t%s\n' "${o:-Unknown}" "$n"
             done)

    # The counters and the result entries describe the same tests; trust whichever reports more trouble.
    passed=$c_passed
    [ "$r_passed" -lt "$passed" ] && passed=$r_passed
    failed=$r_not_passed
    [ "$c_not_passed" -gt "$failed" ] && failed=$c_not_passed
    [ $((c_total - c_passed)) -gt "$failed" ] && failed=$((c_total - c_passed))
    if [ "$failed" -gt "$r_not_passed" ]; then
      problem "Unlisted" "$name" "$((failed - r_not_passed)) result(s) counted in the TRX <Counters> as not passed without a named result"
    fi

    for t in "${unfinished[@]}"; do
      seen=0
      for r in "${r_names[@]}"; do [ "$r" = "$t" ] && seen=1; done
      [ "$seen" -eq 1 ] && continue
      failed=$((failed + 1))
      if [ "$hung_run" -eq 1 ]; then problem "Hung" "$name" "$t (no result within ${TEST_HANG_TIMEOUT:-the hang timeout}; cut off by --blame-hang-timeout)"
      else problem "Unfinished" "$name" "$t (running when the test host crashed)"; fi
    done

    # An aborted run: the listed tests with neither a result nor a place among the unfinished never ran.
    never_ran=0
    if [ -f "$dir/listed-tests" ]; then
      mapfile -t listed < "$dir/listed-tests"
      never_ran=$(( ${#listed[@]} - ${#all_names[@]} ))
      for t in "${unfinished[@]}"; do
        seen=0
        for r in "${all_names[@]}"; do [ "$r" = "$t" ] && seen=1; done
        [ "$seen" -eq 0 ] && never_ran=$((never_ran - 1))
      done
      if [ "$never_ran" -gt 0 ]; then
        failed=$((failed + never_ran))
        named=0
        for t in "${listed[@]}"; do
          known=0
          for r in "${all_names[@]}" "${unfinished[@]}"; do [ "$r" = "$t" ] && { known=1; break; }; done
          [ "$known" -eq 1 ] && continue
          problem "NeverRan" "$name" "$t (the run was aborted before it started)"
          named=$((named + 1))
        done
        [ "$named" -lt "$never_ran" ] && problem "NeverRan" "$name" "$((never_ran - named)) more test(s) the aborted run never started"
      else
        never_ran=0
      fi
    fi

    summary_outcome=$(grep -o '<ResultSummary [^>]*>' "$trx" | head -n 1 | attr outcome)
    aborted=0
    grep -q 'The active test run was aborted' "$trx" && aborted=1
    case "$summary_outcome" in Completed|Passed|Failed|"") ;; *) aborted=1 ;; esac
    if [ "$aborted" -eq 1 ]; then
      reason=$(grep -o 'The active test run was aborted[^<]*' "$trx" | head -n 1 | xml_decode)
      if [ "${#unfinished[@]}" -eq 0 ] || [ "$hung_run" -eq 0 ]; then
        if [ -f "$dir/listed-tests" ]; then
          problem "Aborted" "$name" "${reason:-test run outcome $summary_outcome} (the log shows the crash: $(rel "$log"))"
        else
          problem "Aborted" "$name" "${reason:-test run outcome $summary_outcome}; the tests it had not run yet are not counted (the log shows the crash: $(rel "$log"))"
        fi
        failed=$((failed + 1))
      fi
    elif [ "$c_total" -eq 0 ] && [ "$failed" -eq 0 ]; then
      if [ -f "$log" ] && grep -q 'No test matches the given testcase filter' "$log"; then
        note="${note:+$note, }no test matched the filter"
      else
        problem "NoTests" "$name" "the TRX file holds no test result (log: $(rel "$log"))"
        failed=1
      fi
    fi
  fi

  if [ -n "$exit_code" ] && [ "$exit_code" != 0 ] && [ "$failed" -eq 0 ]; then
    problem "ExitCode" "$name" "dotnet test exited with code $exit_code though no test failed (log: $(rel "$log"))"
    failed=1
  fi

  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  table+=("$(printf '  %-44s %5d passed, %3d failed%s' "$name" "$passed" "$failed" "${note:+  ($note)}")")
done

if [ "$#" -eq 0 ]; then
  problem "NoAssemblies" "-" "no test assembly was expected (no test project found in the solution)"
  total_failed=$((total_failed + 1))
elif [ "$total_passed" -eq 0 ] && [ "$total_failed" -eq 0 ]; then
  problem "NoTests" "-" "not a single test ran (does the filter match any test?)"
  total_failed=1
fi

echo "[test] results per test assembly:"
for line in "${table[@]}"; do printf '%s\n' "$line"; done
if [ "${#problems[@]}" -gt 0 ]; then
  echo "[test] not passed:"
  for p in "${problems[@]}"; do
    IFS=$'\t' read -r outcome assembly what <<<"$p"
    printf '  %-12s %s: %s\n' "$outcome" "$assembly" "$what"
  done
fi
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
