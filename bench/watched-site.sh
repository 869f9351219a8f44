#!/usr/bin/env bash
# bench/watched-site.sh: the site as `bench/run.sh` starts it through the shared harness, with a
# watcher beside it that measures the stats lag: each time visit writes stop (a load ended), the
# seconds from the last stored visit until /api/stats shows every stored view. Lines go to
# $BENCH_LAG_OUT; at the end, also the count of warnings the site logged.
set -uo pipefail
: "${BENCH_PG:?started by bench/run.sh through the shared harness}" "${BENCH_SITE_DIR:?}" "${BENCH_SITE_PORT:?}" "${BENCH_LAG_OUT:?}"
cd "$BENCH_SITE_DIR"   # the content root: appsettings.json is read from here
export ConnectionStrings__Postgres=$BENCH_PG
log=$(mktemp)
dotnet ./Web.dll --urls "http://127.0.0.1:$BENCH_SITE_PORT" >"$log" 2>&1 &
site=$!

views_sql="select coalesce(sum((convert_from(payload,'UTF8')::jsonb->>'r')::bigint + (convert_from(payload,'UTF8')::jsonb->>'b')::bigint), 0) from ball_grain_state where state_name = 'visitor'"
last_sql="select coalesce(extract(epoch from max(modified_on)), 0) from ball_grain_state where state_name = 'visitor'"
api_views() { curl -fs --max-time 2 "http://127.0.0.1:$BENCH_SITE_PORT/api/stats" | grep -o '"views":[0-9]*' | head -1 | cut -d: -f2; }

watch() {
  # One psql session for the whole run: a process per poll would cost more CPU than the polls.
  coproc PG { psql -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" -d "$BENCH_PG_DB" -X -q -At 2>/dev/null; }
  ask() { echo "$1;" >&"${PG[1]}"; read -r answer <&"${PG[0]}"; echo "$answer"; }
  local seen quiet_since measured=1 now stored poller polls
  until seen=$(ask "$last_sql") && [[ -n $seen ]]; do sleep 0.5; kill -0 "$site" 2>/dev/null || return; done
  while kill -0 "$site" 2>/dev/null; do
    sleep 0.1
    last=$(ask "$last_sql") || break
    now=$(date +%s%N)
    if [[ $last != "$seen" ]]; then seen=$last; quiet_since=$now; measured=0; continue; fi
    # A load has ended once no visit was written for 300 ms.
    (( measured || now - quiet_since < 300000000 )) && continue
    # Summing the stored views takes a while on a large table: poll /api/stats meanwhile, and look
    # up afterwards when it first showed that sum.
    polls=$(mktemp)
    ( for _ in $(seq 600); do echo "$(date +%s.%N) $(api_views)"; sleep 0.05; done ) >"$polls" &
    poller=$!
    stored=$(ask "$views_sql")
    until awk -v s="$stored" '$2 == s { found = 1 } END { exit !found }' "$polls" || ! kill -0 $poller 2>/dev/null; do
      sleep 0.1
      # Writes again: that was a pause, not the end of a load; measure at the next one.
      [[ $(ask "$last_sql") == "$seen" ]] || break
    done
    kill $poller 2>/dev/null; wait $poller 2>/dev/null
    if [[ $(ask "$last_sql") == "$seen" ]]; then
      measured=1
      awk -v l="$last" -v s="$stored" '$2 == s { printf "stats lag %.2f s after the last stored visit (%d views)\n", $1 - l, s; found = 1; exit }
        END { if (!found) printf "stats lag over 30 s after the last stored visit (%d views stored)\n", s }' "$polls" >>"$BENCH_LAG_OUT"
    fi
    rm -f "$polls"
  done
}
watch &
watcher=$!
stop() {
  kill -TERM "$site" 2>/dev/null; wait "$site" 2>/dev/null
  kill "$watcher" 2>/dev/null
  echo "site: $(grep -c '^warn' "$log") warnings logged, $(grep -c '^fail' "$log") errors" >>"$BENCH_LAG_OUT"
  rm -f "$log"
  exit 0
}
trap stop TERM INT
wait "$site"
