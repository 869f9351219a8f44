#!/usr/bin/env bash
# Builds the solution and runs every test; the PostgreSQL the tests need is started by the test
# run itself (Grains.Tests/Infrastructure/PostgresServer.cs). Installs what a fresh Debian
# machine lacks when run as root: Chromium for the browser test, iptables and faketime for the
# fault scenarios (which are skipped, with the reason, when not root), socat, openssl and
# pg_auto_failover for the netns clusters, and prometheus for promtool (the alert rules' tests).
# The last line printed is the plain summary "N passed, N failed[, N skipped]" read from the
# test results. Extra arguments go to `dotnet test` (e.g. --filter BallPageTests).
# --fast leaves out the tests marked slow (trait Speed=Slow: fault scenarios, clusters, browsers,
# anything over about 20 s; see Grains.Tests/Infrastructure/TestSpeed.cs), also within a --filter.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

fast=0 filter="" args=()
while (( $# )); do
  case $1 in
    --fast) fast=1 ;;
    --filter) filter=${2:?--filter needs an expression}; shift ;;
    --filter=*) filter=${1#--filter=} ;;
    *) args+=("$1") ;;
  esac
  shift
done
if (( fast )); then
  filter=${filter:+($filter)&}'Speed!=Slow'
fi
[[ -n $filter ]] && args+=(--filter "$filter")

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v iptables >/dev/null || missing+=(iptables)
command -v faketime >/dev/null || missing+=(faketime)
command -v promtool >/dev/null || missing+=(prometheus)   # promtool, for the alert rules' tests
# The cluster scripts install these on demand too, but cluster fixtures start side by side, and two
# apt-gets at once fail on dpkg's lock: install them here, once, before any test starts.
command -v socat >/dev/null || missing+=(socat)
command -v openssl >/dev/null || missing+=(openssl)
command -v pg_autoctl >/dev/null || missing+=(postgresql-15-auto-failover)
if (( ${#missing[@]} )); then
  if [[ $(id -u) == 0 ]]; then
    echo "run-tests: installing ${missing[*]} (Debian packages)" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "run-tests: ${missing[*]} missing and this is not root: the browser test will fail without chromium (apt-get install ${missing[*]})" >&2
  fi
fi

results=$ROOT/TestResults
rm -rf "$results"
dotnet build BallOrleans.sln -c Release -nologo -v q -clp:ErrorsOnly
status=0
dotnet test BallOrleans.sln -c Release --no-build --nologo \
  --results-directory "$results" --logger "trx" --logger "console;verbosity=normal" \
  --blame-hang-timeout 10m ${args[@]+"${args[@]}"} || status=$?

passed=0 failed=0 skipped=0 files=0
for trx in "$results"/*.trx; do
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
  for trx in "$results"/*.trx; do
    [[ -f $trx ]] || continue
    perl -0777 -ne 'while (/<UnitTestResult [^>]*?testName="([^"]*)"[^>]*?outcome="(?:Failed|Error|Timeout|Aborted)"(.*?)<\/UnitTestResult>/gs) {
        my ($name, $body) = ($1, $2); my ($message) = $body =~ /<Message>([^\n]*)/; $message //= "";
        $message = substr($message, 0, 300); print "failed: $name\n  $message\n" }' "$trx"
  done
fi
summary="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && summary+=", $skipped skipped"
echo "$summary"
[[ $failed == 0 ]] || status=1
exit $status
