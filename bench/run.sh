#!/usr/bin/env bash
# bench/run.sh: the site under load, beside the hand-written baseline, in one run.
#
#   bench/run.sh            visit loads: new and returning visitors, site and baseline side by side
#   bench/run.sh --cold     cold returning visitors: COLD_VISITORS (1,000,000) stored in each app,
#                           returning visitors drawn from all of them; stats lag (bench/cold.sh)
#   bench/run.sh --stats    the stats shape: /stats and /api/visitors with STATS_VISITORS stored
#   bench/run.sh --capacity silo start-up time, and memory with CAPACITY_VISITORS activated
#                           visitor grains (bench/capacity.sh; no wrk, no baseline)
#
# Builds (publishes) Web in Release once, then calls the shared harness (../shared/bench/bench.sh, beside the
# repository, as CI lays it out) with the site as its target; the harness starts a private durable
# PostgreSQL (127.0.0.1:5435, fsync and synchronous_commit on), the baseline, and the site. All
# load goes to 127.0.0.1 and is bounded (wrk -d). The output is printed and kept in
# bench/results/<UTC date and time>-<shape>.txt.
#
# Knobs: everything the harness reads (REPEAT, DURATION, CONNS, WARMUP, PGBENCH, ...; see its
# README), plus SITE_PORT=5610, SITE_ENV='' (extra environment for the site, e.g.
# 'DOTNET_gcServer=0'), STATS_VISITORS=1000000, STATS_DURATION=10s, STATS_CONNS=16,
# CAPACITY_VISITORS=1000000, CAPACITY_WATCH=240 (seconds to watch idle grains leave), START_RUNS=3,
# STATS_LAG=1 (visit shapes: also measure the stats lag, see below), COLD_VISITORS=1000000.
# Run as root (the harness runs PostgreSQL as the postgres user).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shared/ sits beside the clone (CI); from a git worktree under wt/ it is one level further up.
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
[[ -x $SHARED/bench.sh || -n ${SHARED_BENCH:-} ]] || SHARED=$ROOT/../../shared/bench
[[ -x $SHARED/bench.sh ]] || { echo "run.sh: the shared harness is not at $SHARED/bench.sh (clone the repo beside shared/)" >&2; exit 2; }
SHARED=$(cd "$SHARED" && pwd)

shape=visits
case ${1:-} in
  "") ;;
  --stats) shape=stats ;;
  --capacity) shape=capacity ;;
  --cold) shape=cold ;;
  -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
  *) echo "run.sh: unknown option '$1' (known: --cold, --stats, --capacity)" >&2; exit 2 ;;
esac

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
SITE_PORT=${SITE_PORT:-5610}
OUT=$ROOT/bench/.build          # ignored by git; the site runs from here, built once per run
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
result=$RESULTS/$(date -u +%Y-%m-%dT%H%M)-$shape.txt

# Published ReadyToRun for this machine's runtime: Orleans, Npgsql and our assemblies ship as IL,
# and JIT-compiling them cost start-up time (exec to first 200: 1.1-1.7 s JIT, 0.9-1.1 s R2R,
# paired runs) and CPU while the loads run (5-7% of the site's samples were libclrjit).
echo "run.sh: publishing Web (Release, ReadyToRun) into $OUT" >&2
rm -rf "$OUT"
dotnet publish "$ROOT/Web/Web.csproj" -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
    -nologo -v q -o "$OUT" >"$ROOT/bench/.build.log" 2>&1 \
  || { cat "$ROOT/bench/.build.log" >&2; exit 1; }

# The site runs from its build folder (its content root, where appsettings.json is), against the
# harness's database (BENCH_PG), on 127.0.0.1 only.
# Total views stored by the site, for the harness's count check (payload is the grain state's JSON).
count_sql="select coalesce(sum((convert_from(payload,'UTF8')::jsonb->>'r')::bigint + (convert_from(payload,'UTF8')::jsonb->>'b')::bigint),0) from ball_grain_state where state_name='visitor'"

{
  echo "# bench/run.sh $shape, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$ROOT" status --porcelain -uno 2>/dev/null) ]] && echo ' (with uncommitted changes)'), $(date -u -Is)"
  echo "# site: $OUT/Web.dll${SITE_ENV:+ with $SITE_ENV}"
} | tee "$result"

if [[ $shape == capacity ]]; then
  "$ROOT/bench/capacity.sh" "$OUT" 2>&1 | tee -a "$result"
elif [[ $shape == cold ]]; then
  "$ROOT/bench/cold.sh" "$OUT" "$SHARED" 2>&1 | tee -a "$result"
elif [[ $shape == visits ]]; then
  # STATS_LAG=1 runs the site under bench/watched-site.sh, which also measures the stats lag after
  # each load. Off by default: the shared harness reads every /proc/PID/stat and stops when a
  # process vanishes under it, and the watcher's short-lived pollers make that likely. The cold
  # shape measures the lag in its own loop.
  lag_out=$(mktemp)
  site_cmd="cd '$OUT' && ConnectionStrings__Postgres=\"\$BENCH_PG\" ${SITE_ENV:-} exec dotnet ./Web.dll --urls http://127.0.0.1:$SITE_PORT"
  [[ ${STATS_LAG:-0} == 1 ]] && site_cmd="${SITE_ENV:+export $SITE_ENV; }exec bash '$ROOT/bench/watched-site.sh'"
  BENCH_SITE_DIR=$OUT BENCH_SITE_PORT=$SITE_PORT BENCH_LAG_OUT=$lag_out \
  TARGET_URL=http://127.0.0.1:$SITE_PORT/ TARGET_COOKIE=ball_visitor TARGET_NAME=site \
  TARGET_COUNT_SQL=$count_sql TARGET_CMD=$site_cmd \
  PGBENCH=${PGBENCH:-0} REPEAT=${REPEAT:-3} \
    "$SHARED/bench.sh" 2>&1 | tee -a "$result"
  if [[ -s $lag_out ]]; then
    { echo; echo "# stats lag, each time the visit writes stopped (end of a load, or a pause between loads)"; cat "$lag_out"; } | tee -a "$result"
  fi
  rm -f "$lag_out"
else
  # The stats shape needs the site up against the harness's PostgreSQL with the visitors seeded:
  # the harness starts bench/stats-load.sh as its target, which seeds, runs the stats loads on a
  # port of its own (the harness waits meanwhile), then serves the site for the visit loads.
  stats_out=$(mktemp)
  BENCH_SITE_DLL=$OUT/Web.dll BENCH_SITE_PORT=$SITE_PORT BENCH_STATS_OUT=$stats_out SHARED_BENCH=$SHARED \
  TARGET_URL=http://127.0.0.1:$SITE_PORT/ TARGET_COOKIE=ball_visitor TARGET_NAME=site \
  TARGET_COUNT_SQL=$count_sql TARGET_CMD="exec bash '$ROOT/bench/stats-load.sh'" TARGET_WAIT=${TARGET_WAIT:-1800} \
  PGBENCH=0 REPEAT=${REPEAT:-1} \
    "$SHARED/bench.sh" 2>&1 | tee -a "$result"
  tee -a "$result" <"$stats_out"
  rm -f "$stats_out"
fi
echo "run.sh: results saved in ${result#"$ROOT"/}" >&2
