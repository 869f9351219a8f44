#!/usr/bin/env bash
# bench/run.sh: the project's benchmark, the site beside the hand-written baseline (bench/Baseline).
#
#   bench/run.sh             new and returning visitors (bench/harness.sh new returning)
#   bench/run.sh --cold      returning visitors drawn from COLD_VISITORS (1,000,000) stored in each app
#   bench/run.sh --empty     new visitors on a fresh empty database, from the moment the app is ready
#   bench/run.sh --stats     /stats and /api/visitors with STATS_VISITORS (1,000,000) stored (site alone)
#   bench/run.sh --compare   site and baseline interleaved at -c4, -c64 and -c256, new and returning,
#                            ROUNDS (5) rounds, median ratios (bench/compare.sh; about 12 minutes)
#   bench/run.sh --silos     the site as a cluster (web tier + 1, 2, 3 silos, mutual TLS) beside the
#                            co-hosted site, returning visitors at -c64 (bench/silos.sh; about 10 minutes)
#   bench/run.sh --capacity  silo start-up time, and memory with CAPACITY_VISITORS activated visitor
#                            grains (bench/capacity.sh; no wrk, no baseline)
#   bench/run.sh --all       all of the above, one after the other (about 65 minutes)
#
# Publishes Web (Release, ReadyToRun) into bench/.build, then runs bench/harness.sh or
# bench/capacity.sh on it. Run as root (PostgreSQL runs as the postgres user). Every load goes to
# 127.0.0.1 and is bounded; results are printed and kept in bench/results/. Knobs: bench/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

capacity=0 compare=0 silos=0
case ${1:-} in
  "") shapes=(new returning) ;;
  --cold) shapes=(cold) ;;
  --empty) shapes=(empty) ;;
  --stats) shapes=(stats) ;;
  --capacity) shapes=() capacity=1 ;;
  --compare) shapes=() compare=1 ;;
  --silos) shapes=() silos=1 ;;
  --all) shapes=(new returning cold empty stats) capacity=1 compare=1 silos=1 ;;
  -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
  *) echo "run.sh: unknown option '$1' (known: --cold, --empty, --stats, --compare, --silos, --capacity, --all)" >&2; exit 2 ;;
esac

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
OUT=$ROOT/bench/.build          # ignored by git; the site runs from here, built once per run

# Published ReadyToRun (Web.csproj says so) for this machine's runtime: Orleans, Npgsql and our assemblies ship as IL,
# and JIT-compiling them cost start-up time (exec to first 200: 1.1-1.7 s JIT, 0.9-1.1 s R2R,
# paired runs) and CPU while the loads run (5-7% of the site's samples were libclrjit).
echo "run.sh: publishing Web (Release, ReadyToRun) into $OUT" >&2
rm -rf "$OUT"
dotnet publish "$ROOT/Web/Web.csproj" -c Release --use-current-runtime --self-contained false \
    -nologo -v q -o "$OUT" >"$ROOT/bench/.build.log" 2>&1 \
  || { cat "$ROOT/bench/.build.log" >&2; exit 1; }

if (( ${#shapes[@]} )); then
  "$ROOT/bench/harness.sh" "$OUT" "${shapes[@]}"
fi
if (( compare )); then
  "$ROOT/bench/compare.sh" "$OUT"
fi
if (( silos )); then
  SILO_OUT=$ROOT/bench/.build-silo
  echo "run.sh: publishing Silo (Release, ReadyToRun) into $SILO_OUT" >&2
  rm -rf "$SILO_OUT"
  dotnet publish "$ROOT/Silo/Silo.csproj" -c Release --use-current-runtime --self-contained false \
      -nologo -v q -o "$SILO_OUT" >"$ROOT/bench/.build-silo.log" 2>&1 \
    || { cat "$ROOT/bench/.build-silo.log" >&2; exit 1; }
  "$ROOT/bench/silos.sh" "$OUT" "$SILO_OUT"
fi
if (( capacity )); then
  results=${RESULTS_DIR:-$ROOT/bench/results}
  mkdir -p "$results"
  result=$results/$(date -u +%Y-%m-%dT%H%M)-capacity.txt
  {
    echo "# bench/run.sh --capacity, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$ROOT" status --porcelain -uno 2>/dev/null) ]] && echo ' (with uncommitted changes)'), $(date -u -Is)"
    "$ROOT/bench/capacity.sh" "$OUT" 2>&1
  } | tee "$result"
  echo "run.sh: results saved in ${result#"$ROOT"/}" >&2
fi
