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
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
WRK_TIMEOUT=${WRK_TIMEOUT:-5s}
IDS_N=${IDS_N:-10000}
COLD_VISITORS=${COLD_VISITORS:-1000000}
STATS_VISITORS=${STATS_VISITORS:-1000000}
STATS_SECONDS=${STATS_SECONDS:-10}
STATS_CONNS=${STATS_CONNS:-16}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-5435}
BASE_PORT=${BASE_PORT:-5100}
SITE_PORT=${SITE_PORT:-5610}
# Not Orleans' defaults (11111, 30000): a site someone else runs on this machine may hold those.
SITE_SILO_PORT=${SITE_SILO_PORT:-11611}
SITE_GATEWAY_PORT=${SITE_GATEWAY_PORT:-30611}
SITE_ENV=${SITE_ENV:-}
# The site's abuse limits, as the benchmark runs it (stated in every report's header; SITE_ENV
# may override them). One load generator on 127.0.0.1 sends every request: exempt from the
# per-address limit by default (NewVisitors__ExemptLoopback), but the instance's new-visitor rate
# (200/s by default) would turn away almost all of the `new` and `empty` shapes' 5,000-8,000
# newcomers a second, and the per-cookie rate (30/min) an eighth of `returning`'s visits or more
# (10,000 ids at about 7,000 visits a second: 0.7 a second each; fewer ids, more): those answers
# show a ball, store nothing and would fail the count check. Off, so that the site is measured, not its limits (SITE_LIMITS= keeps the defaults).
SITE_LIMITS=${SITE_LIMITS-"NewVisitors__ExemptLoopback=true NewVisitors__GlobalPerSecond=0 Visits__PerCookiePerMinute=0"}
RESULTS_DIR=${RESULTS_DIR:-$BENCH/results}
# Total views the site stored: the visitor grains' JSON state holds r (red) and b (blue) views.
SITE_COUNT_SQL=${SITE_COUNT_SQL:-"select coalesce(sum((convert_from(payload,'UTF8')::jsonb->>'r')::bigint + (convert_from(payload,'UTF8')::jsonb->>'b')::bigint),0) from ball_grain_state where state_name='visitor'"}
# The seeded visitors' signed cookies (Grains/Storage/Functions/cookies.sql): a bare id is no cookie.
SITE_IDS_SQL=${SITE_IDS_SQL:-"select ball_visitor_cookie(s.key_id, s.inner_pad, s.outer_pad, g.grain_key) from ball_grain_state g, ball_cookie_signer() s where g.state_name='visitor'"}
BASE_COUNT_SQL="select coalesce(sum(red_views + blue_views), 0) from baseline_visitor"
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[harness %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Prints and keeps: every line of a shape's report goes through here.
out() { printf '%s\n' "$*" | tee -a "$RESULT"; }

[[ $(id -u) == 0 ]] || die "run as root: PostgreSQL runs as the postgres user through runuser"
for shape in "$@"; do
  [[ $shape =~ ^(new|returning|cold|empty|stats)$ ]] || die "unknown shape '$shape' (new, returning, cold, empty, stats)"
done
# A shape is rounded up to whole windows.
(( SHAPE_SECONDS > 0 && WINDOW_SECONDS > 0 && EMPTY_WINDOW_SECONDS > 0 )) || die "SHAPE_SECONDS and the window lengths must be over 0"

work=$(mktemp -d "${TMPDIR:-/tmp}/ball-harness.XXXXXX")
chmod 755 "$work"   # the postgres user must reach its data folder inside
app_pid='' app_name='' pg_started=0
cleanup() {
  local rc=$?
  set +e
  [[ -n $app_pid ]] && stop_app
  if (( pg_started )); then
    "$ROOT/deploy/local/postgres.sh" stop "$work/pg"
  fi
  if (( rc != 0 )); then
    for f in "$work"/*.log "$work/pg/postgres.log"; do
      [[ -s $f ]] && { echo "--- last lines of ${f#"$work"/}" >&2; tail -15 "$f" >&2; }
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------ tools
if ! command -v wrk >/dev/null; then
  log "installing wrk (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [[ ! -x $PG_BIN/postgres ]]; then
  log "installing PostgreSQL 15 (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
fi
for port in "$PG_PORT" "$BASE_PORT" "$SITE_PORT" "$SITE_SILO_PORT" "$SITE_GATEWAY_PORT"; do
  ! ss -Hltn "sport = :$port" | grep -q . || die "port $port is in use (see the port knobs in bench/README.md)"
done

# ------------------------------------------------------------------------------ PostgreSQL
# Durable on purpose: fsync and synchronous_commit on, as in production; only the data folder is
# temporary. Started by deploy/local/postgres.sh, like ./ball run's: 127.0.0.1 only, scram-sha-256
# with the password it generates (kept in $work/pg/password), peer on a 0700 socket folder.
log "starting PostgreSQL on 127.0.0.1:$PG_PORT (data in $work/pg)"
PG_CONNECTION=$("$ROOT/deploy/local/postgres.sh" start "$work/pg" "$PG_PORT") || die "PostgreSQL did not start"
pg_started=1
PG_PASSWORD=$(sed -E 's/.*;Password=([^;]*).*/\1/' <<<"$PG_CONNECTION")
psqlq() { PGPASSWORD=$PG_PASSWORD PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q -At -v ON_ERROR_STOP=1 "$@"; }
PG_MASTER=$(head -1 "$work/pg/data/postmaster.pid")
[[ $(psqlq -d postgres -c "show fsync") == on && $(psqlq -d postgres -c "show synchronous_commit") == on ]] \
  || die "PostgreSQL is not durable (fsync, synchronous_commit)"
PG_VERSION=$(psqlq -d postgres -c "show server_version")

fresh_db() { psqlq -d postgres -c "drop database if exists $1" -c "create database $1"; }
cs() { echo "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=$PG_PASSWORD;Database=$1"; }
# The site never migrates (docs/operations.md#database-roles): its schema comes first, as ./ball
# run does it, here as the superuser that owns the bench's databases. Nothing to apply: no change.
migrate_site_db() {
  (cd "$SITE_DIR" && ConnectionStrings__Postgres=$(cs "$1") dotnet ./Web.dll migrate >>"$work/migrate.log" 2>&1) \
    || { tail -20 "$work/migrate.log" >&2; die "site: migrate failed"; }
}

# ------------------------------------------------------------------------------ the two apps
# The baseline, published like the site (Release, ReadyToRun) so that neither JIT-compiles
# its way through the first window while the other does not.
BASE_DIR=$BENCH/.baseline
log "publishing the baseline into $BASE_DIR"
rm -rf "$BASE_DIR"
dotnet publish "$BENCH/Baseline/Baseline.csproj" -c Release --use-current-runtime --self-contained false \
  -p:PublishReadyToRun=true -nologo -v q -o "$BASE_DIR" >"$work/baseline-build.log" 2>&1 \
  || { cat "$work/baseline-build.log" >&2; die "the baseline did not build"; }

url_of() { [[ $1 == site ]] && echo "http://127.0.0.1:$SITE_PORT" || echo "http://127.0.0.1:$BASE_PORT"; }
cookie_of() { [[ $1 == site ]] && echo ball_visitor || echo visitor; }
count_sql_of() { [[ $1 == site ]] && echo "$SITE_COUNT_SQL" || echo "$BASE_COUNT_SQL"; }

# start_app APP DB [PASSWORD]: starts it on its port, against DB, and waits until it is ready.
start_app() {
  local app=$1 db=$2 ready
  # Both apps as production starts them (./ball run, cluster.sh, the manifests): tier-1 code
  # from the first seconds, not after the JIT has been quiet for 100 ms (docs/performance.md).
  export DOTNET_TC_CallCountingDelayMs=0
  if [[ $app == site ]]; then
    # From its folder: ASP.NET's content root (appsettings.json, its logging levels) is the
    # working directory. No admin password unless given: the admin pages then answer loopback.
    migrate_site_db "$db"
    ( cd "$SITE_DIR"
      ConnectionStrings__Postgres=$(cs "$db")
      export ConnectionStrings__Postgres Orleans__SiloPort=$SITE_SILO_PORT \
        Orleans__GatewayPort=$SITE_GATEWAY_PORT Stats__AdminPassword=${3:-}
      # shellcheck disable=SC2086,SC2163  # SITE_LIMITS and SITE_ENV are lists of NAME=value words
      [[ -n $SITE_LIMITS ]] && export $SITE_LIMITS
      # shellcheck disable=SC2086,SC2163
      [[ -n $SITE_ENV ]] && export $SITE_ENV
      exec dotnet ./Web.dll --urls "http://127.0.0.1:$SITE_PORT" ) >>"$work/site.log" 2>&1 &
    ready=/health/ready
  else
    ( cd "$BASE_DIR" && ConnectionStrings__Postgres=$(cs "$db") exec dotnet ./Baseline.dll --urls "http://127.0.0.1:$BASE_PORT" ) \
      >>"$work/baseline.log" 2>&1 &
    ready=/health
  fi
  app_pid=$! app_name=$app
  local t0=$SECONDS
  until curl -fs -o /dev/null --max-time 2 "$(url_of "$app")$ready"; do
    kill -0 "$app_pid" 2>/dev/null || die "$app exited during start-up"
    (( SECONDS - t0 < 120 )) || die "$app not ready within 120 s"
    sleep 0.1
  done
}

# stop_app: stops the running app and waits until its database connections are gone: a backend
# that exits flushes its table statistics, which the HOT share is read from.
stop_app() {
  local db
  kill -TERM "$app_pid" 2>/dev/null
  for _ in $(seq 150); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=
  for _ in $(seq 100); do
    [[ $(psqlq -d postgres -c "select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() and datname <> 'postgres'") == 0 ]] && return 0
    sleep 0.1
  done
  log "warning: $app_name's database connections outlived it by 10 s"
}

# harvest APP N FILE: N new visitors through the app's own front door, their ids into FILE.
# curl, not wrk: it stops by itself after exactly N requests, 16 at a time.
harvest() {
  local app=$1 n=$2 file=$3 url
  url=$(url_of "$app")/
  awk -v n="$n" -v url="$url" 'BEGIN { for (i = 0; i < n; i++) printf "url = \"%s\"\noutput = \"/dev/null\"\n", url }' >"$work/harvest.curl"
  # No User-Agent, as wrk sends none: the site gives a client that names itself a bot no cookie.
  curl -sS --no-progress-meter -A '' --parallel --parallel-max 16 -K "$work/harvest.curl" \
      -w '%{http_code} %header{set-cookie}\n' >"$work/harvest.out" || die "$app: harvesting failed"
  { grep -o "$(cookie_of "$app")=[^;]*" "$work/harvest.out" || true; } | cut -d= -f2 | sort -u >"$file"
  (( $(wc -l <"$file") == n )) || die "$app: harvested $(wc -l <"$file") distinct ids from $n requests"
}

# ------------------------------------------------------------------------------ measuring
# CPU ticks of the running app (all its threads).
app_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$app_pid/stat"; }
# CPU ticks of PostgreSQL: the postmaster and every process whose parent it is. Backends that
# ended meanwhile are counted too: the postmaster reaps them, and their time moves into its
# cutime/cstime. A process may vanish between the glob and its read: cat then fails on that
# one file, which must not stop the run.
pg_ticks() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$PG_MASTER" '
    { pid = $1; sub(/^.*\) /, "")   # past "pid (comm) ": $2 is the parent, $12.. utime stime cutime cstime
      if (pid == pm) t += $12 + $13 + $14 + $15; else if ($2 == pm) t += $12 + $13 }
    END { print t + 0 }'
}

# CPU ticks the whole machine spent busy (all cores; /proc/stat: user nice system irq softirq steal):
# what neither app, PostgreSQL nor wrk used of it is other people's work on the same cores.
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# window SHAPE APP N URL SECONDS CONNS IDS [wrk args...]: one wrk run; appends its row to $ROWS.
# wrk's own CPU comes from bash's `time` (its children's rusage), the others' from /proc.
window() {
  local shape=$1 app=$2 n=$3 url=$4 secs=$5 conns=$6 ids=$7 a0 p0 b0 a1 p1 b1 line kv wu ws TIMEFORMAT='%3U %3S'
  local w_requests w_duration_us w_p50_us w_p99_us w_non2xx w_connect w_read w_write w_timeout   # from wrk-result
  shift 7
  a0=$(app_ticks); p0=$(pg_ticks); b0=$(busy_ticks)
  { time VISIT_IDS=$ids VISIT_COOKIE=$(cookie_of "$app") timeout $((secs + 60)) \
      wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout "$WRK_TIMEOUT" -s "$BENCH/visit.lua" "$@" "$url" >"$work/wrk.out" 2>&1 || true; } 2>"$work/wrk.time"
  a1=$(app_ticks) || die "$app exited during the load"; p1=$(pg_ticks); b1=$(busy_ticks)
  line=$(grep '^wrk-result ' "$work/wrk.out") || { cat "$work/wrk.out" >&2; die "wrk gave no result"; }
  for kv in ${line#wrk-result }; do printf -v "w_${kv%%=*}" '%s' "${kv#*=}"; done
  read -r wu ws <"$work/wrk.time"
  # shape app window requests seconds p50_us p99_us non2xx socket_errors app_s pg_s wrk_s busy_s
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$shape" "$app" "$n" "$w_requests" \
    "$(awk -v d="$w_duration_us" 'BEGIN { print d / 1e6 }')" "$w_p50_us" "$w_p99_us" "$w_non2xx" \
    $((w_connect + w_read + w_write + w_timeout)) \
    "$(awk -v t=$((a1 - a0)) -v hz="$CLK_TCK" 'BEGIN { print t / hz }')" \
    "$(awk -v t=$((p1 - p0)) -v hz="$CLK_TCK" 'BEGIN { print t / hz }')" \
    "$(awk -v u="$wu" -v s="$ws" 'BEGIN { print u + s }')" \
    "$(awk -v t=$((b1 - b0)) -v hz="$CLK_TCK" 'BEGIN { print t / hz }')" | tee -a "$ROWS" | print_rows
}

# Rows as the report shows them: CPU per visit in µs of CPU time per request served.
print_rows() {
  awk -F'\t' '{ r = $4 > 0 ? $4 : 1
    others = $13 - $10 - $11 - $12; if (others < 0) others = 0
    printf "%-9s %-6s %9.0f %8.2f %8.2f %7d %7d %9d %8.0f %8.0f %8.0f %7.0f%%\n", $2, $3, $4 / $5, $6 / 1000, $7 / 1000, $8, $9, $4,
      $10 * 1e6 / r, $11 * 1e6 / r, $12 * 1e6 / r, 100 * others / $5 / ncpu }' ncpu="$(nproc)" | tee -a "$RESULT"
}
ROW_HEADER=$(printf '%-9s %-6s %9s %8s %8s %7s %7s %9s %8s %8s %8s %8s' app window req/s p50_ms p99_ms non2xx errors requests app_us pg_us wrk_us others)

hot_snapshot() { psqlq -d "$1" -F ' ' -c "select relname, n_tup_upd, n_tup_hot_upd from pg_stat_user_tables"; }

# stats_lag ENDED_NS: seconds from ENDED_NS (the end of the site's load) until /api/stats shows
# every view stored. Summing a large table of grain state takes a while, so /api/stats is polled
# in the background meanwhile, and its first poll that shows the stored sum is looked up after.
stats_lag() {
  local ended=$1 db=$2 polls=$work/polls stored poller
  ( until (( $(date +%s%N) - ended > 30000000000 )); do
      echo "$(date +%s%N) $(curl -fs -A "" --max-time 2 "http://127.0.0.1:$SITE_PORT/api/stats" | grep -o '"views":[0-9]*' | head -1 | cut -d: -f2)"
      sleep 0.05
    done ) >"$polls" &
  poller=$!
  stored=$(psqlq -d "$db" -c "$SITE_COUNT_SQL")
  until awk -v s="$stored" '$2 == s { found = 1 } END { exit !found }' "$polls" || ! kill -0 $poller 2>/dev/null; do sleep 0.1; done
  kill $poller 2>/dev/null; wait $poller 2>/dev/null || true
  awk -v s="$stored" -v e="$ended" '$2 == s { printf "%.2f s", ($1 - e) / 1e9; found = 1; exit }
    END { if (!found) print "over 30 s" }' "$polls"
}

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
  stop_app
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
  stop_app
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
