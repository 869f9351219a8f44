#!/usr/bin/env bash
# bench/cold.sh: the cold returning shape, site beside the baseline in one run.
# Called by `bench/run.sh --cold` (which publishes the site into bench/.build first).
#
# Both apps get COLD_VISITORS stored visitors (the site through its own `seed` command, the
# baseline through one INSERT of as many rows); then every request of the load is a returning
# visitor picked at random from all of them, so almost every site visit activates a grain and
# reads its row. Loads alternate baseline, site, REPEAT times (wrk -t1 -c$CONNS -d$DURATION,
# 127.0.0.1 only, bounded), after a warm-up per app. For the site it also measures the stats lag:
# seconds from the end of each load until /api/stats equals what grain state holds.
# A private durable PostgreSQL (fsync and synchronous_commit on) on 127.0.0.1:$COLD_PG_PORT, in a
# temporary folder removed at the end. Run as root (PostgreSQL runs as the postgres user).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SITE_DIR=${1:?usage: cold.sh SITE_BUILD_DIR SHARED_BENCH_DIR}
SHARED=${2:?usage: cold.sh SITE_BUILD_DIR SHARED_BENCH_DIR}
VISITORS=${COLD_VISITORS:-1000000}
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-5s}
CONNS=${CONNS:-64}
PG_PORT=${COLD_PG_PORT:-5437}
SITE_PORT=${SITE_PORT:-5610}
BASE_PORT=${BASE_PORT:-5100}
LUA=$SHARED/visit.lua
work=$(mktemp -d "${TMPDIR:-/tmp}/ball-cold.XXXXXX")
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  "$ROOT/deploy/local/postgres.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

cs=$("$ROOT/deploy/local/postgres.sh" start "$work/pg" "$PG_PORT")
psqlq() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q -At -v ON_ERROR_STOP=1 "$@"; }
psqlq -d ball -c "create database baseline"
site_cs=$cs
base_cs=${cs/Database=ball/Database=baseline}
wait_http() { for _ in $(seq 300); do curl -fs -o /dev/null --max-time 2 "$1" && return 0; sleep 0.2; done; return 1; }

echo "# cold returning: $VISITORS visitors stored in each app, returning visitors drawn at random from all of them"
echo "# $(date -u -Is), load avg $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL 127.0.0.1:$PG_PORT fsync=on synchronous_commit=on; wrk -t1 -c$CONNS -d$DURATION"

# The baseline, copied and built outside shared/ (which CI lays out read-only).
cp -r "$SHARED/baseline" "$work/baseline-src"
dotnet build "$work/baseline-src/baseline.csproj" -c Release -nologo -v q -o "$work/baseline" >"$work/baseline-build.log" 2>&1 \
  || { cat "$work/baseline-build.log" >&2; exit 1; }
dotnet "$work/baseline/baseline.dll" --urls "http://127.0.0.1:$BASE_PORT" --pg "$base_cs" >"$work/baseline.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$BASE_PORT/static" || { cat "$work/baseline.log" >&2; exit 1; }

t0=$(date +%s)
psqlq -d baseline -c "insert into visitor (id, color, red, blue, first_seen, last_seen)
  select gen_random_uuid(), c, case when c = 'red' then v else 0 end, case when c = 'blue' then v else 0 end,
         now() - interval '30 days' * random(), now()
  from (select case when random() < 0.5 then 'red' else 'blue' end as c, 1 + floor(random() * 5)::int as v
        from generate_series(1, $VISITORS)) g" -c "vacuum analyze visitor"
echo "baseline: $VISITORS rows inserted in $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
(cd "$SITE_DIR" && ConnectionStrings__Postgres=$site_cs dotnet ./Web.dll seed --visitors "$VISITORS" >"$work/seed.log" 2>&1) \
  || { tail -5 "$work/seed.log" >&2; exit 1; }
psqlq -d ball -c "vacuum analyze"
echo "site: $VISITORS visitors seeded in $(( $(date +%s) - t0 )) s"

psqlq -d baseline -c "copy (select id from visitor) to stdout" >"$work/ids-baseline.txt"
psqlq -d ball -c "copy (select grain_key from ball_grain_state where state_name = 'visitor') to stdout" >"$work/ids-site.txt"

(cd "$SITE_DIR" && ConnectionStrings__Postgres=$site_cs exec dotnet ./Web.dll --urls "http://127.0.0.1:$SITE_PORT") >"$work/site.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$SITE_PORT/health/ready" || { tail -20 "$work/site.log" >&2; exit 1; }

views_sql="select coalesce(sum((convert_from(payload,'UTF8')::jsonb->>'r')::bigint + (convert_from(payload,'UTF8')::jsonb->>'b')::bigint), 0) from ball_grain_state where state_name = 'visitor'"
site_views() { psqlq -d ball -c "$views_sql"; }
base_views() { psqlq -d baseline -c "select sum(red + blue) from visitor"; }
api_views() { curl -fs --max-time 2 "http://127.0.0.1:$SITE_PORT/api/stats" | grep -o '"views":[0-9]*' | head -1 | cut -d: -f2; }

# run_load <app> <url> <cookie> <ids> <duration> -> "requests rps p50_us p99_us errors ok"
run_load() {
  local res
  res=$(BENCH_MODE=returning BENCH_COOKIE=$3 BENCH_IDS=$4 timeout 300 wrk -t1 -c"$CONNS" -d"$5" --timeout 5s -s "$LUA" "$2" 2>&1 | grep '^RESULT ' | tail -1)
  [[ -n $res ]] || { echo "wrk gave no result for $1" >&2; exit 1; }
  local requests rps p50_us p99_us max_us duration_us connect read write status timeout
  eval "$(sed 's/^RESULT //; s/ /;/g' <<<"$res")"
  echo "$requests $rps $p50_us $p99_us $((connect + read + write + status + timeout)) $((requests - status))"
}

declare -A ok=([baseline]=0 [site]=0) v0=()
v0[baseline]=$(base_views); v0[site]=$(site_views)
for app in baseline site; do
  if [[ $app == site ]]; then url=http://127.0.0.1:$SITE_PORT/ cookie=ball_visitor; else url=http://127.0.0.1:$BASE_PORT/visit cookie=vid; fi
  read -r _ _ _ _ _ warm <<<"$(run_load "$app" "$url" "$cookie" "$work/ids-$app.txt" "$WARMUP")"
  ok[$app]=$(( ${ok[$app]} + warm ))
done

printf '%-4s %-16s %10s %9s %9s %8s %9s %12s\n' rep load req/s p50_ms p99_ms errors requests stats_lag_s
results=$work/results.tsv
for rep in $(seq "$REPEAT"); do
  for app in baseline site; do
    if [[ $app == site ]]; then url=http://127.0.0.1:$SITE_PORT/ cookie=ball_visitor; else url=http://127.0.0.1:$BASE_PORT/visit cookie=vid; fi
    read -r requests rps p50 p99 errors good <<<"$(run_load "$app" "$url" "$cookie" "$work/ids-$app.txt" "$DURATION")"
    ok[$app]=$(( ${ok[$app]} + good ))
    lag=-
    if [[ $app == site ]]; then
      # Stats lag: from the end of the load until the stats show every stored view. Summing a
      # million rows of grain state takes a second or more, so /api/stats is polled meanwhile
      # and the first poll that shows the stored total is looked up afterwards (30 s at most).
      ended=$(date +%s%N)
      ( until (( $(date +%s%N) - ended > 30000000000 )); do echo "$(date +%s%N) $(api_views)"; sleep 0.05; done ) >"$work/polls" &
      poller=$!
      stored=$(site_views)
      until awk -v s="$stored" '$2 == s { found = 1 } END { exit !found }' "$work/polls" || ! kill -0 $poller 2>/dev/null; do sleep 0.1; done
      kill $poller 2>/dev/null; wait $poller 2>/dev/null || true
      lag=$(awk -v s="$stored" -v e="$ended" '$2 == s { printf "%.2f", ($1 - e) / 1e9; found = 1; exit } END { if (!found) print "over-30" }' "$work/polls")
    fi
    printf '%-4s %-16s %10.0f %9.2f %9.2f %8s %9s %12s\n' "$rep" "$app cold" "$rps" "$(bc -l <<<"$p50/1000")" "$(bc -l <<<"$p99/1000")" "$errors" "$requests" "$lag"
    printf '%s\t%s\t%s\t%s\n' "$app" "$rps" "$p99" "$lag" >>"$results"
  done
done

echo
echo "# medians over $REPEAT repetitions"
awk -F'\t' '{ r[$1] = r[$1] " " $2; p[$1] = p[$1] " " $3 }
  function med(s,   a, m, i, j, t) { m = split(s, a, " "); for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  END { for (k in r) { printf "%-16s %8.0f req/s  p99 %.2f ms\n", k " cold", med(r[k]), med(p[k]) / 1000; rate[k] = med(r[k]) }
        if (rate["baseline"] > 0) printf "site / baseline: %.2fx\n", rate["site"] / rate["baseline"] }' "$results"

echo
echo "# count check: views added vs successful responses seen by wrk (in-flight bound $(( (REPEAT + 1) * CONNS )))"
for app in baseline site; do
  now=$([[ $app == site ]] && site_views || base_views)
  added=$(( now - ${v0[$app]} )); d=$(( added - ${ok[$app]} ))
  verdict=OK; (( d < 0 || d > (REPEAT + 1) * CONNS )) && verdict=MISMATCH
  echo "$app: views added $added, wrk successes ${ok[$app]}, difference $d $verdict"
done
echo "site: warnings in its log: $(grep -c 'warn' "$work/site.log" || true)"
