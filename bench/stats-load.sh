#!/usr/bin/env bash
# bench/stats-load.sh: the stats load shape; started by `bench/run.sh --stats` as the harness's
# target command (so it runs against the harness's PostgreSQL, with BENCH_PG set).
#
# 1. seeds STATS_VISITORS visitors with the site's own `seed --visitors N` command;
# 2. serves the site on BENCH_SITE_PORT+1 and runs bounded wrk loads on /stats and /api/visitors
#    (Basic auth admin:$Stats__AdminPassword), appending the figures to BENCH_STATS_OUT;
# 3. then serves the site on BENCH_SITE_PORT, where the harness measures the visit loads as usual.
# Each step that the site does not support yet (no seed command, no stats endpoints) is skipped
# with a message, so the shape runs on any version of the site.
set -uo pipefail
: "${BENCH_PG:?started by bench/run.sh --stats through the shared harness}" "${BENCH_SITE_DLL:?}" "${BENCH_SITE_PORT:?}" "${BENCH_STATS_OUT:?}"
LUA=${SHARED_BENCH:?set by bench/run.sh}/visit.lua
VISITORS=${STATS_VISITORS:-1000000}
DURATION=${STATS_DURATION:-10s}
CONNS=${STATS_CONNS:-16}
PORT=$((BENCH_SITE_PORT + 1))
cd "$(dirname "$BENCH_SITE_DLL")"   # the content root: appsettings.json (logging) is read from here
export ConnectionStrings__Postgres=$BENCH_PG
# The stats endpoints ask for Basic auth; a private password for this run unless one is given.
export Stats__AdminPassword=${Stats__AdminPassword:-bench-admin-password-$RANDOM$RANDOM}
auth="Authorization: Basic $(printf 'admin:%s' "$Stats__AdminPassword" | base64 -w0)"
out() { echo "$*" >>"$BENCH_STATS_OUT"; echo "stats-load: $*" >&2; }

out ""
out "# stats shape: $VISITORS visitors stored, wrk -t1 -c$CONNS -d$DURATION, load avg $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. seed
start=$(date +%s)
seed_log=$(mktemp)
if dotnet "$BENCH_SITE_DLL" seed --visitors "$VISITORS" >"$seed_log" 2>&1; then
  out "seeded $VISITORS visitors in $(( $(date +%s) - start )) s"
else
  out "SKIPPED seeding: \`seed --visitors\` failed or is not there yet ($(tail -1 "$seed_log"))"
fi
rm -f "$seed_log"

# 2. the stats loads, on a port of their own so the harness doesn't start its loads meanwhile
dotnet "$BENCH_SITE_DLL" --urls "http://127.0.0.1:$PORT" >&2 &
site=$!
for _ in $(seq 600); do
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/" 2>/dev/null && break
  kill -0 $site 2>/dev/null || break
  sleep 0.2
done
printf '%-22s %10s %9s %9s %8s %9s\n' load req/s p50_ms p99_ms errors requests >>"$BENCH_STATS_OUT"
for path in /stats /api/visitors; do
  url=http://127.0.0.1:$PORT$path
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -H "$auth" "$url")
  if [[ $code != 200 ]]; then
    out "SKIPPED $path: answered $code (not there yet, or refused the credentials)"
    continue
  fi
  res=$(BENCH_MODE=plain timeout 300 wrk -t1 -c"$CONNS" -d"$DURATION" --timeout 10s -H "$auth" -s "$LUA" "$url" 2>&1 | grep '^RESULT ' | tail -1)
  eval "$(sed 's/^RESULT //; s/ /;/g' <<<"$res")"
  printf '%-22s %10.0f %9.2f %9.2f %8d %9d\n' "site $path" "$rps" "$(bc -l <<<"$p50_us/1000")" "$(bc -l <<<"$p99_us/1000")" \
    $((connect + read + write + status + timeout)) "$requests" >>"$BENCH_STATS_OUT"
done
kill -TERM $site; wait $site
# A silo's identity is address, port and a generation counted in seconds: a silo started again on
# 127.0.0.1:11111 within the same second is the one just declared dead, and stops at once.
sleep 2

# 3. the site where the harness expects it
exec dotnet "$BENCH_SITE_DLL" --urls "http://127.0.0.1:$BENCH_SITE_PORT"
