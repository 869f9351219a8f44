#!/usr/bin/env bash
# bench/capacity.sh: start-up time and memory, the two targets wrk does not measure.
# Called by `bench/run.sh --capacity` (which builds the site into bench/.build first).
#
# 1. Start-up: the site (co-hosted silo, ADO.NET clustering and storage, schema migration) from
#    exec to its first 200 on GET /, START_RUNS times.
# 2. Memory: bench/Activations activates CAPACITY_VISITORS visitor grains in one silo, reports
#    the heap they hold, then watches idle ones being collected (at most CAPACITY_WATCH seconds).
# Uses a private durable PostgreSQL of its own (deploy/local/postgres.sh) on 127.0.0.1:$CAPACITY_PG_PORT
# in a temporary folder, stopped and removed at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SITE_DIR=${1:?usage: capacity.sh SITE_BUILD_DIR}
VISITORS=${CAPACITY_VISITORS:-1000000}
WATCH=${CAPACITY_WATCH:-240}
RUNS=${START_RUNS:-3}
PG_PORT=${CAPACITY_PG_PORT:-5438}
PORT=${SITE_PORT:-5610}
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/ball-capacity-pg.XXXXXX")
chmod 755 "$pgdir"
site=
cleanup() {
  [[ -n $site ]] && kill "$site" 2>/dev/null && wait "$site" 2>/dev/null
  "$ROOT/deploy/local/postgres.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT

export ConnectionStrings__Postgres
ConnectionStrings__Postgres=$("$ROOT/deploy/local/postgres.sh" start "$pgdir" "$PG_PORT")
echo "# capacity, $(date -u -Is), load avg $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL 127.0.0.1:$PG_PORT (fsync on)"

echo "# start-up: exec to first 200 on GET / (the schema migrated before, as ./ball run does)"
cd "$SITE_DIR"
# The site never migrates (docs/operations.md#database-roles): the schema first, as its owner.
ConnectionStrings__PostgresOwner=$("$ROOT/deploy/local/postgres.sh" url "$pgdir" ball_owner) dotnet ./Web.dll migrate >/dev/null \
  || { echo "migrate failed" >&2; exit 1; }
for i in $(seq "$RUNS"); do
  t0=$(date +%s%N)
  dotnet ./Web.dll --urls "http://127.0.0.1:$PORT" >/dev/null 2>&1 &
  site=$!
  until curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; do
    kill -0 "$site" 2>/dev/null || { echo "site exited during start-up" >&2; exit 1; }
    (( ($(date +%s%N) - t0) / 1000000000 < 60 )) || { echo "no 200 within 60 s" >&2; exit 1; }
    sleep 0.05
  done
  echo "start $i: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  kill "$site"; wait "$site" 2>/dev/null || true; site=
done

echo "# memory: $VISITORS visitor grains activated in one silo (bench/Activations)"
out=$ROOT/bench/.activations
dotnet build "$ROOT/bench/Activations/Activations.csproj" -c Release -nologo -v q -o "$out" >/dev/null
dotnet "$out/Activations.dll" "$VISITORS" "$WATCH" 2>/dev/null | grep -vE '^(warn|info|fail):|^ '
