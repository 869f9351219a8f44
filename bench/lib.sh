# bench/lib.sh: what bench/harness.sh and bench/compare.sh share, sourced by both after they set
# BENCH, ROOT and SITE_DIR: the knobs of both, a private durable PostgreSQL, the baseline's build,
# starting and stopping either app, harvesting visitor ids, and one measured wrk window.
# bench_start sets everything up (call it once, after the script's own checks); the EXIT trap
# stops whatever was started.

CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
WRK_TIMEOUT=${WRK_TIMEOUT:-5s}
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

log() { printf "[${BENCH_NAME:-bench} %(%H:%M:%S)T] %s\n" -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Prints and keeps: every line of a shape's report goes through here.
out() { printf '%s\n' "$*" | tee -a "$RESULT"; }

declare -A APP_PIDS=() APP_DBS=()
pg_started=0
work=''
cleanup() {
  local rc=$? app
  set +e
  for app in "${!APP_PIDS[@]}"; do stop_app "$app"; done
  if (( pg_started )); then
    "$ROOT/deploy/local/postgres.sh" stop "$work/pg"
  fi
  if (( rc != 0 )) && [[ -n $work ]]; then
    for f in "$work"/*.log "$work/pg/postgres.log"; do
      [[ -s $f ]] && { echo "--- last lines of ${f#"$work"/}" >&2; tail -15 "$f" >&2; }
    done
  fi
  [[ -n $work ]] && rm -rf "$work"
  exit "$rc"
}

# bench_start: tools, a private durable PostgreSQL, the baseline's build.
bench_start() {
  [[ $(id -u) == 0 ]] || die "run as root: PostgreSQL runs as the postgres user through runuser"
  work=$(mktemp -d "${TMPDIR:-/tmp}/ball-bench.XXXXXX")
  chmod 755 "$work"   # the postgres user must reach its data folder inside
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
  PG_MASTER=$(head -1 "$work/pg/data/postmaster.pid")
  [[ $(psqlq -d postgres -c "show fsync") == on && $(psqlq -d postgres -c "show synchronous_commit") == on ]] \
    || die "PostgreSQL is not durable (fsync, synchronous_commit)"
  PG_VERSION=$(psqlq -d postgres -c "show server_version")

  # ------------------------------------------------------------------------------ the two apps
  # The baseline, published like the site (Release, ReadyToRun) so that neither JIT-compiles
  # its way through the first window while the other does not.
  BASE_DIR=$BENCH/.baseline
  log "publishing the baseline into $BASE_DIR"
  rm -rf "$BASE_DIR"
  dotnet publish "$BENCH/Baseline/Baseline.csproj" -c Release --use-current-runtime --self-contained false \
    -p:PublishReadyToRun=true -nologo -v q -o "$BASE_DIR" >"$work/baseline-build.log" 2>&1 \
    || { cat "$work/baseline-build.log" >&2; die "the baseline did not build"; }
}

psqlq() { PGPASSWORD=$PG_PASSWORD PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fresh_db() { psqlq -d postgres -c "drop database if exists $1" -c "create database $1"; }
cs() { echo "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=$PG_PASSWORD;Database=$1"; }
# The site never migrates (docs/operations.md#database-roles): its schema comes first, as ./ball
# run does it, here as the superuser that owns the bench's databases. Nothing to apply: no change.
migrate_site_db() {
  (cd "$SITE_DIR" && ConnectionStrings__Postgres=$(cs "$1") dotnet ./Web.dll migrate >>"$work/migrate.log" 2>&1) \
    || { tail -20 "$work/migrate.log" >&2; die "site: migrate failed"; }
}

# Any app but the baseline is the site, co-hosted or as a cluster (APP_URLS names other ports).
declare -A APP_URLS=()
url_of() { if [[ -n ${APP_URLS[$1]:-} ]]; then echo "${APP_URLS[$1]}"; elif [[ $1 == baseline ]]; then echo "http://127.0.0.1:$BASE_PORT"; else echo "http://127.0.0.1:$SITE_PORT"; fi; }
cookie_of() { [[ $1 == baseline ]] && echo visitor || echo ball_visitor; }
count_sql_of() { [[ $1 == baseline ]] && echo "$BASE_COUNT_SQL" || echo "$SITE_COUNT_SQL"; }

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
  APP_PIDS[$app]=$! APP_DBS[$app]=$db
  local t0=$SECONDS
  until curl -fs -o /dev/null --max-time 2 "$(url_of "$app")$ready"; do
    kill -0 "${APP_PIDS[$app]}" 2>/dev/null || die "$app exited during start-up"
    (( SECONDS - t0 < 120 )) || die "$app not ready within 120 s"
    sleep 0.1
  done
}

# stop_app APP: stops the app and waits until its database connections are gone: a backend
# that exits flushes its table statistics, which the HOT share is read from.
stop_app() {
  local app=$1 pids=${APP_PIDS[$1]:-} db=${APP_DBS[$1]:-} pid
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086  # one or more pids (a cluster's processes)
  kill -TERM $pids 2>/dev/null || true
  for pid in $pids; do
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  unset "APP_PIDS[$app]"
  for _ in $(seq 100); do
    [[ $(psqlq -d postgres -c "select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() and datname = '$db'") == 0 ]] && return 0
    sleep 0.1
  done
  log "warning: $app's database connections outlived it by 10 s"
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
# app_ticks APP: CPU ticks of the app (all its threads).
# APP_PIDS[APP] may list several processes (a cluster's web tier and silos): their sum.
app_ticks() {
  local pid files=()
  for pid in ${APP_PIDS[$1]}; do files+=("/proc/$pid/stat"); done
  awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }' "${files[@]}"
}
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
  a0=$(app_ticks "$app"); p0=$(pg_ticks); b0=$(busy_ticks)
  { time VISIT_IDS=$ids VISIT_COOKIE=$(cookie_of "$app") timeout $((secs + 60)) \
      wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout "$WRK_TIMEOUT" -s "$BENCH/visit.lua" "$@" "$url" >"$work/wrk.out" 2>&1 || true; } 2>"$work/wrk.time"
  a1=$(app_ticks "$app") || die "$app exited during the load"; p1=$(pg_ticks); b1=$(busy_ticks)
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

# stats_lag ENDED_NS DB [APP]: seconds from ENDED_NS (the end of the site's load) until /api/stats shows
# every view stored. Summing a large table of grain state takes a while, so /api/stats is polled
# in the background meanwhile, and its first poll that shows the stored sum is looked up after.
stats_lag() {
  local ended=$1 db=$2 polls=$work/polls stored poller
  ( until (( $(date +%s%N) - ended > 30000000000 )); do
      echo "$(date +%s%N) $(curl -fs -A "" --max-time 2 "$(url_of "${3:-site}")/api/stats" | grep -o '"views":[0-9]*' | head -1 | cut -d: -f2)"
      sleep 0.05
    done ) >"$polls" &
  poller=$!
  stored=$(psqlq -d "$db" -c "$SITE_COUNT_SQL")
  until awk -v s="$stored" '$2 == s { found = 1 } END { exit !found }' "$polls" || ! kill -0 $poller 2>/dev/null; do sleep 0.1; done
  kill $poller 2>/dev/null; wait $poller 2>/dev/null || true
  awk -v s="$stored" -v e="$ended" '$2 == s { printf "%.2f s", ($1 - e) / 1e9; found = 1; exit }
    END { if (!found) print "over 30 s" }' "$polls"
}

# track_statements: restarts PostgreSQL with pg_stat_statements loaded, so that
# durability_check can see every statement of the run. Both apps pay its small cost alike.
track_statements() {
  psqlq -d postgres -c "alter system set shared_preload_libraries = 'pg_stat_statements'"
  "$ROOT/deploy/local/postgres.sh" stop "$work/pg"
  "$ROOT/deploy/local/postgres.sh" start "$work/pg" "$PG_PORT" >/dev/null || die "PostgreSQL did not start again"
  PG_MASTER=$(head -1 "$work/pg/data/postmaster.pid")
  psqlq -d postgres -c "create extension if not exists pg_stat_statements"
}

# durability_check APP: prints one line; fails (status 1) unless fsync, full_page_writes and
# synchronous_commit are on as a session of the app's own role and database sees them (role and
# database settings apply at connect), no function of its database sets them (proconfig), and
# no statement run by anyone since track_statements changed them (SET, set_config).
durability_check() {
  local app=$1 db=${APP_DBS[$1]} seen functions statements
  seen=$(PGPASSWORD=$PG_PASSWORD "$PG_BIN/psql" "$(psql_uri "$db")" -X -q -At -F ' ' \
    -c "select current_setting('fsync'), current_setting('full_page_writes'), current_setting('synchronous_commit')")
  functions=$(psqlq -d "$db" -c "select count(*) from pg_proc where array_to_string(proconfig, ' ') ~* '(synchronous_commit|fsync|full_page_writes)'")
  statements=$(psqlq -d postgres -c "select count(*) from pg_stat_statements
      where query ~* '(^|;)\s*set\s+(session\s+|local\s+)?(synchronous_commit|fsync|full_page_writes)'
         or query ~* 'set_config\s*\(\s*''(synchronous_commit|fsync|full_page_writes)'
         or (query ~* 'set_config' and query !~* 'set_config\s*\(\s*''')")
  if [[ $seen == 'on on on' && $functions == 0 && $statements == 0 ]]; then
    echo "$app: durability: fsync, full_page_writes and synchronous_commit on as its sessions see them; no function or statement changed them"
  else
    echo "$app: durability: INVALID (fsync full_page_writes synchronous_commit: $seen; functions setting them: $functions; statements: $statements)"
    return 1
  fi
}
psql_uri() { echo "postgresql://postgres@127.0.0.1:$PG_PORT/$1"; }

# limits_check [APP]: prints one line; fails (status 1) if any of the site's rate limits turned a
# visit away (its /metrics counters): a limited visit is shown, not stored, not measured.
limits_check() {
  local app=${1:-site} limited
  limited=$(curl -fs --max-time 10 "$(url_of "$app")/metrics" \
    | awk '/^ball_(visitors|visits)_limited_total[{ ]/ { n += $NF } END { print n + 0 }') || limited=unknown
  if [[ $limited == 0 ]]; then
    echo "$app: rate limits: none fired"
  else
    echo "$app: rate limits: INVALID, $limited visits turned away by a limit"
    return 1
  fi
}

# report_start NAME SITE_LINE: RESULT (a new file in RESULTS_DIR) and ROWS, and the report's first
# lines: what ran, the commit, the machine's load, the database, the site and its limits.
report_start() {
  local commit
  mkdir -p "$RESULTS_DIR"
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [[ -n $(git -C "$ROOT" status --porcelain -uno 2>/dev/null) ]] && commit="$commit (with uncommitted changes)"
  RESULT=$RESULTS_DIR/$(date -u +%Y-%m-%dT%H%M)-$1.txt
  ROWS=$work/rows.tsv
  : >"$RESULT"; : >"$ROWS"
  out "# bench/$1.sh, commit $commit, $(date -u '+%Y-%m-%d %H:%M:%S') UTC, $(nproc) cores"
  out "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  out "# PostgreSQL $PG_VERSION on 127.0.0.1:$PG_PORT; $2${SITE_ENV:+, with $SITE_ENV}"
  out "# site limits: ${SITE_LIMITS:-none set, the defaults}"
}
