#!/usr/bin/env bash
# Builds the solution and runs every test; the PostgreSQL the tests need is started by the test
# run itself (Grains.Tests/Infrastructure/PostgresServer.cs). Installs what a fresh Debian
# machine lacks when run as root: Chromium for the browser test, iptables and faketime for the
# fault scenarios (which are skipped, with the reason, when not root), socat, openssl and
# pg_auto_failover for the netns clusters, and prometheus for promtool (the alert rules' tests).
# The last line printed is the plain summary "N passed, N failed[, N skipped]" read from the
# test results of all the projects run. Extra arguments go to `dotnet test` (e.g. --filter BallPageTests).
# Three test projects, run one after the other:
#   Grains.UnitTests    pure logic, no database, no processes: --fast builds and runs only this
#                       one, less its slow tests (trait Speed=Slow)
#   Grains.Tests        integration: one PostgreSQL for the run, a database per class, classes in parallel
#   Grains.FaultTests   faults and clusters of processes (root, namespaces), one test at a time
# --only unit|integration|faults (repeatable) picks projects; with --fast, their slow tests are left
# out (Grains.Tests/Infrastructure/TestSpeed.cs).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

fast=0 filter="" args=() only=()
while (( $# )); do
  case $1 in
    --fast) fast=1 ;;
    --only) only+=("${2:?--only needs unit, integration or faults}"); shift ;;
    --filter) filter=${2:?--filter needs an expression}; shift ;;
    --filter=*) filter=${1#--filter=} ;;
    *) args+=("$1") ;;
  esac
  shift
done
if (( fast )); then
  (( ${#only[@]} )) || only=(unit)
  filter=${filter:+($filter)&}'Speed!=Slow'
fi
(( ${#only[@]} )) || only=(unit integration faults)
projects=()
for name in "${only[@]}"; do
  case $name in
    unit) projects+=(Grains.UnitTests) ;;
    integration) projects+=(Grains.Tests) ;;
    faults) projects+=(Grains.FaultTests) ;;
    *) echo "run-tests: --only takes unit, integration or faults, not $name" >&2; exit 2 ;;
  esac
done
[[ -n $filter ]] && args+=(--filter "$filter")

missing=()
needs_packages=0
[[ " ${projects[*]} " == *" Grains.Tests "* || " ${projects[*]} " == *" Grains.FaultTests "* ]] && needs_packages=1
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v iptables >/dev/null || missing+=(iptables)
command -v faketime >/dev/null || missing+=(faketime)
command -v promtool >/dev/null || missing+=(prometheus)   # promtool, for the alert rules' tests
# The cluster scripts install these on demand too, but cluster fixtures start side by side, and two
# apt-gets at once fail on dpkg's lock: install them here, once, before any test starts.
command -v socat >/dev/null || missing+=(socat)
command -v openssl >/dev/null || missing+=(openssl)
command -v pg_autoctl >/dev/null || missing+=(postgresql-15-auto-failover)
if (( needs_packages && ${#missing[@]} )); then
  if [[ $(id -u) == 0 ]]; then
    echo "run-tests: installing ${missing[*]} (Debian packages)" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "run-tests: ${missing[*]} missing and this is not root: the browser test will fail without chromium (apt-get install ${missing[*]})" >&2
  fi
fi

results=$ROOT/TestResults
rm -rf "$results"
if [[ ${projects[*]} == Grains.UnitTests ]]; then
  dotnet build Grains.UnitTests -c Release -nologo -v q -clp:ErrorsOnly
else
  dotnet build BallOrleans.sln -c Release -nologo -v q -clp:ErrorsOnly
fi
# A test over 20 s must carry the Slow trait (TestSpeed.cs), or a quick loop would wait for it:
# read from this run's results, and counted as a failure (as is a test run that ended abnormally).
slow_failures=()
unmarked_slow() {
  local over marked name seconds
  over=$(perl -ne 'while (/testName="([^"]*)"[^>]*?duration="(\d+):(\d+):([\d.]+)"/g) {
      my ($n, $s) = ($1, $2 * 3600 + $3 * 60 + $4); $n =~ s/\(.*//s; printf "%s\t%.0f\n", $n, $s if $s > 20 }' \
    "$results/$1"/*.trx 2>/dev/null | sort -u)
  [[ -n $over ]] || return 0
  marked=$(dotnet test "$1" -c Release --no-build --nologo --list-tests --filter "Speed=Slow" 2>/dev/null | sed -n 's/^    //p' | sed 's/(.*//')
  while IFS=$'\t' read -r name seconds; do
    grep -qxF "$name" <<<"$marked" || slow_failures+=("$name took $seconds s: over 20 s without [Trait(TestSpeed.Trait, TestSpeed.Slow)]")
  done <<<"$over"
}

status=0
for project in "${projects[@]}"; do
  started=$SECONDS
  code=0
  dotnet test "$project" -c Release --no-build --nologo \
    --results-directory "$results/$project" --logger "trx" --logger "console;verbosity=normal" \
    --blame-hang-timeout 10m ${args[@]+"${args[@]}"} || code=$?
  if (( code )); then
    status=$code
    # A test host that died counts only the tests it finished: without a failed one among them,
    # the summary would read as a pass.
    grep -qs 'outcome="Failed"' "$results/$project"/*.trx || slow_failures+=("$project: the test run ended abnormally (exit $code) before every test had run")
  fi
  echo "run-tests: $project took $((SECONDS - started)) s" >&2
  unmarked_slow "$project"
done
# A test process that died leaves its PostgreSQL servers behind (they stop at a normal exit): the
# folder names the test process (ball-test-pg-PID-NAME); stop those whose process is gone.
for dir in "${TMPDIR:-/tmp}"/ball-test-pg-*; do
  [[ -d $dir ]] || continue
  owner=${dir##*/ball-test-pg-}; owner=${owner%%-*}
  [[ $owner =~ ^[0-9]+$ ]] && ! kill -0 "$owner" 2>/dev/null || continue
  deploy/local/postgres.sh stop "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
done

passed=0 failed=0 skipped=0 files=0
for trx in "$results"/*/*.trx; do
  [[ -f $trx ]] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  value() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  # A skipped test is in total but not executed (VSTest leaves notExecuted at 0 for them).
  skipped=$((skipped + $(value total) - $(value executed)))
done
if [[ $files == 0 ]]; then
  echo "run-tests: no test results were written" >&2
  failed=$((failed + 1)); status=1
fi
# The failed tests by name, with the first line of each one's message, just above the summary: a
# CI log often keeps only its tail.
if (( failed )); then
  for trx in "$results"/*/*.trx; do
    [[ -f $trx ]] || continue
    perl -0777 -ne 'while (/<UnitTestResult [^>]*?testName="([^"]*)"[^>]*?outcome="(?:Failed|Error|Timeout|Aborted)"(.*?)<\/UnitTestResult>/gs) {
        my ($name, $body) = ($1, $2); my ($message) = $body =~ /<Message>([^\n]*)/; $message //= "";
        $message = substr($message, 0, 300); print "failed: $name\n  $message\n" }' "$trx"
  done
fi
for line in ${slow_failures[@]+"${slow_failures[@]}"}; do
  echo "failed: $line"
  failed=$((failed + 1))
done
summary="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && summary+=", $skipped skipped"
echo "$summary"
[[ $failed == 0 ]] || status=1
exit $status
