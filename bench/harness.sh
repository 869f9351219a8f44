#!/usr/bin/env bash
# bench/harness.sh SITE_DIR SHAPE...: the site beside the baseline (bench/Baseline), shape by shape.
# Called by bench/run.sh, which publishes the site into SITE_DIR first. Shapes:
#   new        no cookie: every request is a new visitor
#   returning  IDS_N ids harvested from the app's own Set-Cookie first, one drawn at random per request
#   cold       COLD_VISITORS stored in a fresh database per app, one drawn at random per request
#   empty      new visitors on a fresh empty database, from the moment the app is ready, 10 s windows
#   stats      the site alone: /stats and /api/visitors with STATS_VISITORS stored
# Per shape, baseline then site (never both at once, each a fresh process) against one private
# durable PostgreSQL; every load is wrk to 127.0.0.1, bounded by -d. Each shape's output is
# printed and kept in $RESULTS_DIR/<UTC date and time>-<shape>.txt. Knobs: see bench/README.md.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
SITE_DIR=$(cd "${1:?usage: harness.sh SITE_DIR SHAPE...}" && pwd); shift
(( $# > 0 )) || { echo "harness.sh: no shape given" >&2; exit 2; }

SHAPE_SECONDS=${SHAPE_SECONDS:-180}
WINDOW_SECONDS=${WINDOW_SECONDS:-30}
EMPTY_WINDOW_SECONDS=${EMPTY_WINDOW_SECONDS:-10}
IDS_N=${IDS_N:-10000}
COLD_VISITORS=${COLD_VISITORS:-1000000}
STATS_VISITORS=${STATS_VISITORS:-1000000}
STATS_SECONDS=${STATS_SECONDS:-10}
STATS_CONNS=${STATS_CONNS:-16}
BENCH_NAME=harness
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

for shape in "$@"; do
  [[ $shape =~ ^(new|returning|cold|empty|stats)$ ]] || die "unknown shape '$shape' (new, returning, cold, empty, stats)"
done
# A shape is rounded up to whole windows.
(( SHAPE_SECONDS > 0 && WINDOW_SECONDS > 0 && EMPTY_WINDOW_SECONDS > 0 )) || die "SHAPE_SECONDS and the window lengths must be over 0"
bench_start

# ------------------------------------------------------------------------------ one app, one shape
# measure SHAPE APP: prepares the app's database, starts the app, loads it window by window,
# stops it, and appends its CPU, HOT, count and lag lines to $NOTES.
measure() {
  local shape=$1 app=$2 db=${2}_$1 ids='' url n windows secs views0 views1 ended lag='' logged='' t0 added ok inflight verdict
  url=$(url_of "$app")/
  secs=$WINDOW_SECONDS
  case $shape in
    new|returning)
      db=${app}_visits   # one database for both: the returning visitors join those the new shape made
      [[ $(psqlq -d postgres -c "select count(*) from pg_database where datname = '$db'") == 1 ]] || fresh_db "$db"
      start_app "$app" "$db"
      if [[ $shape == returning ]]; then
        ids=$work/ids-$app.txt
        log "$app: harvesting $IDS_N visitor ids"
        harvest "$app" "$IDS_N" "$ids"
        # Idle backends flush their table statistics up to 10 s after their last transaction;
        # the harvest's must be in before the before-figures are read.
        sleep 11
      fi ;;
    cold)
      fresh_db "$db"
      ids=$work/ids-$app.txt
      t0=$SECONDS
      if [[ $app == site ]]; then
        migrate_site_db "$db"
        (cd "$SITE_DIR" && ConnectionStrings__Postgres=$(cs "$db") dotnet ./Web.dll seed --visitors "$COLD_VISITORS" >"$work/seed.log" 2>&1) \
          || die "site: seed failed"
        psqlq -d "$db" -c "vacuum analyze"
        psqlq -d "$db" -c "copy ($SITE_IDS_SQL) to stdout" >"$ids"
        start_app site "$db"
      else
        start_app baseline "$db"   # it creates its table
        psqlq -d "$db" -c "insert into baseline_visitor (id, color, red_views, blue_views)
            select gen_random_uuid(), color, case when color = 'red' then views else 0 end, case when color = 'blue' then views else 0 end
            from (select case when random() < 0.5 then 'red' else 'blue' end, 1 + floor(random() * 5)::int
                  from generate_series(1, $COLD_VISITORS)) as seeded(color, views)" \
          -c "vacuum analyze baseline_visitor"
        psqlq -d "$db" -c "copy (select id from baseline_visitor) to stdout" >"$ids"
      fi
      (( $(wc -l <"$ids") == COLD_VISITORS )) || die "$app: $(wc -l <"$ids") visitors stored, not $COLD_VISITORS"
      log "$app: $COLD_VISITORS visitors stored in $(( SECONDS - t0 )) s" ;;
    empty)
      fresh_db "$db"
      secs=$EMPTY_WINDOW_SECONDS
      psqlq -d postgres -c "checkpoint"   # see below; here before the start, so the load follows it at once
      start_app "$app" "$db" ;;
  esac
  # Dirty pages the previous app or the seeding left are written now, not during this load.
  [[ $shape == empty ]] || psqlq -d postgres -c "checkpoint"
  views0=$(psqlq -d "$db" -c "$(count_sql_of "$app")")
  hot_snapshot "$db" >"$work/hot0"

  windows=$(( (SHAPE_SECONDS + secs - 1) / secs ))
  log "$app $shape: $windows window(s) of $secs s"
  for (( n = 1; n <= windows; n++ )); do
    window "$shape" "$app" "$n" "$url" "$secs" "$CONNS" "$ids"
  done
  ended=$(date +%s%N)
  [[ $app == site ]] && lag=$(stats_lag "$ended" "$db")
  stop_app "$app"
  # Counted after the stop: what the site logs while it shuts down belongs to the run too.
  [[ $app == site ]] && logged="$(grep -c '^warn' "$work/site.log" || true) warnings, $(grep -c '^fail' "$work/site.log" || true) errors in its log"

  views1=$(psqlq -d "$db" -c "$(count_sql_of "$app")")
  added=$(( views1 - views0 ))
  ok=$(awk -F'\t' -v s="$shape" -v a="$app" '$1 == s && $2 == a { n += $4 - $8 } END { print n + 0 }' "$ROWS")
  # Requests still in flight when a window's wrk stops are stored but not counted by wrk; so
  # are those whose connection failed. Fewer views than answers would be a lost visit.
  inflight=$(awk -F'\t' -v s="$shape" -v a="$app" -v c="$CONNS" '$1 == s && $2 == a { n += c + $9 } END { print n + 0 }' "$ROWS")
  verdict=OK; (( added < ok || added - ok > inflight )) && verdict=MISMATCH
  {
    echo "$app: count check: views added $added, 2xx answers seen by wrk $ok, difference $((added - ok)) (in-flight bound $inflight) $verdict"
    hot_snapshot "$db" | awk -v app="$app" 'NR == FNR { u[$1] = $2; h[$1] = $3; next }
      { du = $2 - u[$1]; dh = $3 - h[$1]; if (du > 0) printf "%s: HOT share of updates: %s %.1f%% (%d of %d)\n", app, $1, 100 * dh / du, dh, du }' "$work/hot0" -
    if [[ $app == site ]]; then
      echo "site: stats lag after the load: $lag; $logged"
      # Which ones, each kind once (the text up to the first digit, so ids and counts don't split them).
      grep -E '^(warn|fail)' "$work/site.log" | awk '{ k = $0; sub(/[0-9].*/, "", k); if (!(k in seen)) { seen[k] = 1; print "  " substr($0, 1, 200) } }' | head -5 || true
    fi
  } >>"$NOTES"
  : >"$work/site.log"
}

# ------------------------------------------------------------------------------ the stats shape
# stats: the site alone, with STATS_VISITORS stored and an admin password (Basic auth on every
# request, as in production); one load of STATS_SECONDS per page.
stats_shape() {
  local db=site_stats password auth path code
  password=bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  auth="Authorization: Basic $(printf 'admin:%s' "$password" | base64 -w0)"
  fresh_db "$db"
  log "site: seeding $STATS_VISITORS visitors"
  migrate_site_db "$db"
  (cd "$SITE_DIR" && ConnectionStrings__Postgres=$(cs "$db") dotnet ./Web.dll seed --visitors "$STATS_VISITORS" >"$work/seed.log" 2>&1) \
    || die "site: seed failed"
  psqlq -d "$db" -c "vacuum analyze" -c "checkpoint"
  start_app site "$db" "$password"
  out "# the site alone, $STATS_VISITORS visitors stored; wrk -t$THREADS -c$STATS_CONNS -d${STATS_SECONDS}s with Basic auth; window 1 = /stats, 2 = /api/visitors"
  out "$ROW_HEADER"
  n=0
  for path in /stats /api/visitors; do
    n=$((n + 1))
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -H "$auth" "http://127.0.0.1:$SITE_PORT$path")
    [[ $code == 200 ]] || { out "$path answered $code: not measured"; continue; }
    window stats site "$n" "http://127.0.0.1:$SITE_PORT$path" "$STATS_SECONDS" "$STATS_CONNS" "" -H "$auth"
  done
  stop_app site
}

# ------------------------------------------------------------------------------ the report
# Per app: the first window, the median of the others, the last; then CPU per visit over the
# whole shape (total CPU seconds / total requests), and the site/baseline ratio of the medians.
summary() {
  awk -F'\t' -v s="$1" '$1 == s' "$ROWS" | awk -F'\t' '
    function med(list,   a, m, i, j, t) { m = split(list, a, " ")
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return m == 0 ? "" : (m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2) }
    function row(app, label, rps, p50, p99, bad, err) {
      if (rps == "") { printf "%-9s %-7s %9s\n", app, label, "-"; return }
      printf "%-9s %-7s %9.0f %8.2f %8.2f %7d %7d\n", app, label, rps, p50 / 1000, p99 / 1000, bad, err }
    { a = $2; if (!(a in n)) order[++apps] = a; k = ++n[a]
      rps[a, k] = $4 / $5; p50[a, k] = $6; p99[a, k] = $7; bad[a, k] = $8; err[a, k] = $9
      req[a] += $4; cpu_app[a] += $10; cpu_pg[a] += $11; cpu_wrk[a] += $12 }
    END {
      printf "%-9s %-7s %9s %8s %8s %7s %7s\n", "app", "window", "req/s", "p50_ms", "p99_ms", "non2xx", "errors"
      for (i = 1; i <= apps; i++) { a = order[i]; m = n[a]
        row(a, "first", rps[a, 1], p50[a, 1], p99[a, 1], bad[a, 1], err[a, 1])
        r = ""; l50 = ""; l99 = ""; b = ""; e = ""
        for (k = 2; k <= m; k++) { r = r " " rps[a, k]; l50 = l50 " " p50[a, k]; l99 = l99 " " p99[a, k]; b = b " " bad[a, k]; e = e " " err[a, k] }
        row(a, "median", med(r), med(l50), med(l99), med(b), med(e)); mr[a] = m > 1 ? med(r) : rps[a, 1]; mp[a] = m > 1 ? med(l99) : p99[a, 1]
        row(a, "last", rps[a, m], p50[a, m], p99[a, m], bad[a, m], err[a, m]) }
      print ""
      print "# CPU per visit over the whole shape, in µs of CPU time per request served"
      printf "%-9s %9s %8s %8s %8s %8s\n", "app", "requests", "app_us", "pg_us", "wrk_us", "total_us"
      for (i = 1; i <= apps; i++) { a = order[i]; r = req[a] > 0 ? req[a] : 1
        printf "%-9s %9d %8.0f %8.0f %8.0f %8.0f\n", a, req[a], cpu_app[a] * 1e6 / r, cpu_pg[a] * 1e6 / r, cpu_wrk[a] * 1e6 / r, (cpu_app[a] + cpu_pg[a] + cpu_wrk[a]) * 1e6 / r }
      if (("site" in mr) && ("baseline" in mr) && mr["baseline"] > 0)
        printf "\nsite / baseline, median windows: %.2fx the requests per second, p99 %.2f against %.2f ms\n", mr["site"] / mr["baseline"], mp["site"] / 1000, mp["baseline"] / 1000 }' \
    | tee -a "$RESULT"
}

describe() {
  case $1 in
    new) echo "new visitors: no cookie, every request a new visitor (database ${2}_visits, kept for the returning shape)" ;;
    returning) echo "returning visitors: $IDS_N ids harvested from each app's own Set-Cookie, one drawn at random per request" ;;
    cold) echo "cold returning visitors: $COLD_VISITORS stored in a fresh database per app, one drawn at random per request" ;;
    empty) echo "new visitors on a fresh empty database, from the moment the app is ready" ;;
  esac
}

mkdir -p "$RESULTS_DIR"
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$ROOT" status --porcelain -uno 2>/dev/null) ]] && commit="$commit (with uncommitted changes)"
ROWS=$work/rows.tsv
for shape in "$@"; do
  RESULT=$RESULTS_DIR/$(date -u +%Y-%m-%dT%H%M)-$shape.txt
  NOTES=$work/notes-$shape
  : >"$RESULT"; : >"$NOTES"
  out "# bench/harness.sh $shape, commit $commit, $(date -u '+%Y-%m-%d %H:%M:%S') UTC, $(nproc) cores"
  out "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  out "# PostgreSQL $PG_VERSION on 127.0.0.1:$PG_PORT, fsync on, synchronous_commit on; site: $SITE_DIR/Web.dll${SITE_ENV:+ with $SITE_ENV}"
  out "# site limits: ${SITE_LIMITS:-none set, the defaults}"
  if [[ $shape == stats ]]; then
    stats_shape
  else
    secs=$WINDOW_SECONDS; [[ $shape == empty ]] && secs=$EMPTY_WINDOW_SECONDS
    out "# $(describe "$shape" '<app>'); baseline then site, each ${SHAPE_SECONDS} s in $secs s windows; wrk -t$THREADS -c$CONNS --timeout $WRK_TIMEOUT"
    out ""
    out "$ROW_HEADER"
    for app in baseline site; do measure "$shape" "$app"; done
    out ""
    out "# summary: first window, median of the other windows, last window"
    summary "$shape"
    out ""
    tee -a "$RESULT" <"$NOTES"
  fi
  out "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  log "kept in ${RESULT#"$ROOT"/}"
done
