#!/usr/bin/env bash
# bench/silos.sh SITE_DIR SILO_DIR: the site as a cluster (deploy/local/cluster.sh: the web tier
# in client mode and SILO_COUNTS silos, mutual TLS, loopback) beside the co-hosted site, returning
# visitors at -c$CLUSTER_CONNS. Called by `bench/run.sh --silos`, which publishes Web into
# SITE_DIR and Silo into SILO_DIR first (both ReadyToRun).
#
# The co-hosted site runs the whole time. For each silo count a fresh cluster on a fresh database
# starts, both get IDS_N visitors harvested, a warm-up that no window counts, then ROUNDS rounds
# of one WINDOW_SECONDS window each, the order swapped every round. Per silo count the report
# gives medians over rounds of each one's rate, p99 and CPU per visit: `app_us` is the co-hosted
# process, or the cluster's web tier and every silo together; `pg_us` is all of PostgreSQL while
# that one was loaded. Ratios are medians of the rounds' cluster/co-hosted figures, so each
# compares two windows a few seconds apart; p99 is also given against the one-silo cluster's.
# Invalid (status 1) on a failed count check, durability not as production's, a rate limit that
# fired, or a cluster not on mutual TLS (its web tier's start line says which transport it uses).
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
SITE_DIR=$(cd "${1:?usage: silos.sh SITE_DIR SILO_DIR}" && pwd)
SILO_DIR=$(cd "${2:?usage: silos.sh SITE_DIR SILO_DIR}" && pwd)

ROUNDS=${ROUNDS:-5}
WINDOW_SECONDS=${WINDOW_SECONDS:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-5}
SILO_COUNTS=${SILO_COUNTS:-"1 2 3"}
CLUSTER_CONNS=${CLUSTER_CONNS:-64}
IDS_N=${IDS_N:-10000}
CLUSTER_WEB_PORT=${CLUSTER_WEB_PORT:-5620}
# Not cluster.sh's defaults (11111, 30000), nor the co-hosted site's (SITE_SILO_PORT, SITE_GATEWAY_PORT).
CLUSTER_FIRST_SILO_PORT=${CLUSTER_FIRST_SILO_PORT:-11711}
CLUSTER_FIRST_GATEWAY_PORT=${CLUSTER_FIRST_GATEWAY_PORT:-30711}
BENCH_NAME=silos
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

(( ROUNDS > 0 && WINDOW_SECONDS > 0 )) || die "ROUNDS and WINDOW_SECONDS must be over 0"
[[ -f $SILO_DIR/Silo.dll ]] || die "no Silo.dll in $SILO_DIR"
bench_start
track_statements

report_start silos "site: $SITE_DIR/Web.dll, silos: $SILO_DIR/Silo.dll"
out "# returning visitors, wrk -t$THREADS -c$CLUSTER_CONNS; per silo count $ROUNDS rounds of one ${WINDOW_SECONDS} s window each, order swapped each round"

valid=1
# check LINE: prints and keeps it; a line that says INVALID makes the run invalid.
check() { out "$1"; [[ $1 != *INVALID* ]] || valid=0; }

# count_check APP VIEWS0: views the app's database gained against the 2xx answers wrk saw.
count_check() {
  local app=$1 views0=$2 added ok inflight verdict=OK
  added=$(( $(psqlq -d "${APP_DBS[$app]}" -c "$SITE_COUNT_SQL") - views0 ))
  ok=$(awk -F'\t' -v a="$app" '$2 == a { n += $4 - $8 } END { print n + 0 }' "$ROWS")
  inflight=$(awk -F'\t' -v a="$app" -v c="$CLUSTER_CONNS" '$2 == a { n += c + $9 } END { print n + 0 }' "$ROWS")
  (( added >= ok && added - ok <= inflight )) || verdict="MISMATCH INVALID"
  check "$app: count check: views added $added, 2xx answers seen by wrk $ok, difference $((added - ok)) (in-flight bound $inflight) $verdict"
}

warm_up() { timeout $((WARMUP_SECONDS + 30)) wrk -t"$THREADS" -c"$CLUSTER_CONNS" -d"${WARMUP_SECONDS}s" "$(url_of "$1")/" >/dev/null 2>&1 || true; }

fresh_db site_cohosted
start_app site site_cohosted
harvest site "$IDS_N" "$work/ids-site.txt"
warm_up site
site_views0=$(psqlq -d site_cohosted -c "$SITE_COUNT_SQL")

out ""
out "# every window: app is site (co-hosted) or silosN (the cluster), window is the round"
out "$ROW_HEADER"
for silos in $SILO_COUNTS; do
  app=silos$silos run_dir=$work/cluster-$silos
  fresh_db "$app"
  # cluster.sh migrates as the owner's login; the bench's superuser is both here.
  log "starting a cluster of $silos silo(s)"
  (
    export CLUSTER_RUN_DIR=$run_dir CLUSTER_SILO_DLL=$SILO_DIR/Silo.dll CLUSTER_WEB_DLL=$SITE_DIR/Web.dll \
      CLUSTER_SILO_PORT=$CLUSTER_FIRST_SILO_PORT CLUSTER_GATEWAY_PORT=$CLUSTER_FIRST_GATEWAY_PORT \
      ConnectionStrings__Postgres="$(cs "$app")" ConnectionStrings__PostgresOwner="$(cs "$app")"
    # shellcheck disable=SC2086,SC2163  # lists of NAME=value words, as in lib.sh's start_app
    [[ -n $SITE_LIMITS ]] && export $SITE_LIMITS
    # shellcheck disable=SC2086,SC2163
    [[ -n $SITE_ENV ]] && export $SITE_ENV
    "$ROOT/deploy/local/cluster.sh" start --silos "$silos" --web-port "$CLUSTER_WEB_PORT" --no-build
  ) >"$work/cluster-$silos.log" 2>&1 || { cat "$work/cluster-$silos.log" >&2; die "the cluster of $silos did not start"; }
  APP_PIDS[$app]=$(cat "$run_dir/web.pid" "$run_dir"/silo-*.pid | tr '\n' ' ')
  APP_DBS[$app]=$app
  APP_URLS[$app]=http://127.0.0.1:$CLUSTER_WEB_PORT
  transport=$(grep -o 'mutual TLS[^;,)]*\|PLAIN TEXT' "$run_dir/web.log" | head -1 || true)
  [[ $transport == "mutual TLS"* ]] && check "$app: transport: $transport" || check "$app: transport: INVALID (${transport:-not stated in its log})"
  harvest "$app" "$IDS_N" "$work/ids-$app.txt"
  warm_up "$app"
  views0=$(psqlq -d "$app" -c "$SITE_COUNT_SQL")
  for (( round = 1; round <= ROUNDS; round++ )); do
    order="site $app"; (( round % 2 == 0 )) && order="$app site"
    for one in $order; do
      # The co-hosted site's rows carry the silo count they were paired with.
      shape=returning-c$CLUSTER_CONNS-silos$silos
      window "$shape" "$one" "$round" "$(url_of "$one")/" "$WINDOW_SECONDS" "$CLUSTER_CONNS" "$work/ids-$one.txt"
    done
  done
  check "$(durability_check "$app")"
  check "$(limits_check "$app")"
  count_check "$app" "$views0"
  stop_app "$app"
  CLUSTER_RUN_DIR=$run_dir "$ROOT/deploy/local/cluster.sh" stop >/dev/null 2>&1 || true
done
check "$(durability_check site)"
check "$(limits_check site)"
count_check site "$site_views0"

out ""
out "# medians over $ROUNDS rounds; ratios are medians of the rounds' cluster/co-hosted figures; CPU in µs per request served"
awk -F'\t' '
  function med(list,   a, m, i, j, t) { m = split(list, a, " ")
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  { n = $1; sub(/.*-silos/, "", n); who = $2 == "site" ? "site" : "cluster"; r = $4 > 0 ? $4 : 1
    if (!(n in seen)) { seen[n] = 1; counts[++k] = n }
    rps[n, who, $3] = $4 / $5; p99[n, who, $3] = $7 / 1000; app[n, who, $3] = $10 * 1e6 / r; pg[n, who, $3] = $11 * 1e6 / r; rounds[n] = $3 > rounds[n] ? $3 : rounds[n] }
  END {
    printf "%-6s %9s %9s %8s %8s %9s %9s %9s %9s %9s %9s %11s\n", "silos", "rps", "site_rps", "p99_ms", "site_p99", "app_us", "site_app", "pg_us", "site_pg", "app_ratio", "pg_ratio", "p99/1silo"
    for (i = 1; i <= k; i++) { n = counts[i]
      split("", L); for (w = 1; w <= rounds[n]; w++) {
        L["rps"] = L["rps"] " " rps[n, "cluster", w]; L["srps"] = L["srps"] " " rps[n, "site", w]
        L["p99"] = L["p99"] " " p99[n, "cluster", w]; L["sp99"] = L["sp99"] " " p99[n, "site", w]
        L["app"] = L["app"] " " app[n, "cluster", w]; L["sapp"] = L["sapp"] " " app[n, "site", w]
        L["pg"] = L["pg"] " " pg[n, "cluster", w]; L["spg"] = L["spg"] " " pg[n, "site", w]
        L["ar"] = L["ar"] " " app[n, "cluster", w] / app[n, "site", w]; L["pr"] = L["pr"] " " pg[n, "cluster", w] / pg[n, "site", w] }
      m99[n] = med(L["p99"])
      printf "%-6s %9.0f %9.0f %8.2f %8.2f %9.0f %9.0f %9.0f %9.0f %8.2fx %8.2fx %10.2fx\n", n, med(L["rps"]), med(L["srps"]), m99[n], med(L["sp99"]),
        med(L["app"]), med(L["sapp"]), med(L["pg"]), med(L["spg"]), med(L["ar"]), med(L["pr"]), (m99[counts[1]] > 0 ? m99[n] / m99[counts[1]] : 0) } }' "$ROWS" \
  | tee -a "$RESULT"
out "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "kept in ${RESULT#"$ROOT"/}"
(( valid )) || { log "INVALID run: see the checks above"; exit 1; }
