#!/usr/bin/env bash
# bench/compare.sh SITE_DIR: the site and the baseline interleaved, at light, moderate and
# saturating load, so that each ratio is a median of paired windows taken minutes apart at most.
# Called by `bench/run.sh --compare`, which publishes the site into SITE_DIR first.
#
# Both apps run the whole time, each on its own database of one private durable PostgreSQL. Per
# round, for each load (COMPARE_CONNS: wrk -c4, -c64, -c256) and kind (COMPARE_KINDS: new
# visitors, returning visitors drawn from IDS_N harvested ids), one WINDOW_SECONDS window of each
# app, the order of the two swapped every round. A round's ratio is the site's rate over the
# baseline's in that round; the report gives the median of ROUNDS rounds. On a shared 2-core
# machine a ratio from one pair of windows moves by 20% or more; the median of interleaved pairs
# does not drift with the machine's load the way two runs an hour apart do.
#
# What makes a run invalid (it then ends with status 1, after printing everything):
# - a count check that fails (views stored against 2xx answers, as in harness.sh);
# - durability not as production runs it (lib.sh durability_check);
# - any of the site's rate limits having fired (lib.sh limits_check).
# The warm-up (WARMUP_SECONDS per app and load, before round 1) is in no window, and the count
# check starts after it.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
SITE_DIR=$(cd "${1:?usage: compare.sh SITE_DIR}" && pwd)

ROUNDS=${ROUNDS:-5}
WINDOW_SECONDS=${WINDOW_SECONDS:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-5}
COMPARE_CONNS=${COMPARE_CONNS:-"4 64 256"}
COMPARE_KINDS=${COMPARE_KINDS:-"new returning"}
IDS_N=${IDS_N:-10000}
BENCH_NAME=compare
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

(( ROUNDS > 0 && WINDOW_SECONDS > 0 )) || die "ROUNDS and WINDOW_SECONDS must be over 0"
for kind in $COMPARE_KINDS; do [[ $kind =~ ^(new|returning)$ ]] || die "unknown kind '$kind' (new, returning)"; done
bench_start
track_statements

report_start compare "site: $SITE_DIR/Web.dll"
out "# $ROUNDS rounds; per round, load and kind one ${WINDOW_SECONDS} s window per app, order swapped each round; wrk -t$THREADS --timeout $WRK_TIMEOUT"

declare -A IDS=() VIEWS0=()
for app in baseline site; do
  fresh_db "${app}_compare"
  start_app "$app" "${app}_compare"
  if [[ " $COMPARE_KINDS " == *" returning "* ]]; then
    IDS[$app]=$work/ids-$app.txt
    log "$app: harvesting $IDS_N visitor ids"
    harvest "$app" "$IDS_N" "${IDS[$app]}"
  fi
done
log "warming up: $WARMUP_SECONDS s per app and load, in no window"
for conns in $COMPARE_CONNS; do
  for app in baseline site; do
    VISIT_IDS='' timeout $((WARMUP_SECONDS + 30)) wrk -t"$THREADS" -c"$conns" -d"${WARMUP_SECONDS}s" "$(url_of "$app")/" >/dev/null 2>&1 || true
  done
done
psqlq -d postgres -c "checkpoint"
for app in baseline site; do
  VIEWS0[$app]=$(psqlq -d "${app}_compare" -c "$(count_sql_of "$app")")
  hot_snapshot "${app}_compare" >"$work/hot0-$app"
done

out ""
out "# every window: shape is <kind>-c<connections>, window is the round"
out "$ROW_HEADER"
for (( round = 1; round <= ROUNDS; round++ )); do
  order="baseline site"; (( round % 2 == 0 )) && order="site baseline"
  log "round $round of $ROUNDS ($order)"
  for conns in $COMPARE_CONNS; do
    for kind in $COMPARE_KINDS; do
      for app in $order; do
        ids=''; [[ $kind == returning ]] && ids=${IDS[$app]}
        window "$kind-c$conns" "$app" "$round" "$(url_of "$app")/" "$WINDOW_SECONDS" "$conns" "$ids"
      done
    done
  done
done
lag=$(stats_lag "$(date +%s%N)" site_compare)

# ------------------------------------------------------------------------------ the report
# Per shape: medians over rounds of each app's rate, p99 and CPU per visit, and the median of
# the rounds' site/baseline ratios (not the ratio of the medians: each round's pair shares its
# minute of the machine).
out ""
out "# medians over $ROUNDS rounds; ratio = median of the rounds' site/baseline rates; CPU in µs per request served"
awk -F'\t' '
  function med(list,   a, m, i, j, t) { m = split(list, a, " ")
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  { key = $1 SUBSEP $2; if (!($1 in seen)) { seen[$1] = 1; shapes[++n] = $1 }
    r = $4 > 0 ? $4 : 1
    rps[key] = rps[key] " " $4 / $5; p99[key] = p99[key] " " $7 / 1000
    app_us[key] = app_us[key] " " $10 * 1e6 / r; pg_us[key] = pg_us[key] " " $11 * 1e6 / r
    rate[$1, $2, $3] = $4 / $5 }
  END {
    printf "%-15s %10s %10s %7s %9s %9s %8s %8s %8s %8s\n", "shape", "site_rps", "base_rps", "ratio", "site_p99", "base_p99", "site_app", "site_pg", "base_app", "base_pg"
    for (i = 1; i <= n; i++) { s = shapes[i]; ratios = ""
      for (k = 1; (s, "site", k) in rate; k++) if ((s, "baseline", k) in rate && rate[s, "baseline", k] > 0) ratios = ratios " " rate[s, "site", k] / rate[s, "baseline", k]
      printf "%-15s %10.0f %10.0f %6.2fx %9.2f %9.2f %8.0f %8.0f %8.0f %8.0f\n", s,
        med(rps[s, "site"]), med(rps[s, "baseline"]), med(ratios), med(p99[s, "site"]), med(p99[s, "baseline"]),
        med(app_us[s, "site"]), med(pg_us[s, "site"]), med(app_us[s, "baseline"]), med(pg_us[s, "baseline"]) } }' "$ROWS" \
  | tee -a "$RESULT"

valid=1
out ""
for app in baseline site; do
  db=${app}_compare
  added=$(( $(psqlq -d "$db" -c "$(count_sql_of "$app")") - VIEWS0[$app] ))
  ok=$(awk -F'\t' -v a="$app" '$2 == a { n += $4 - $8 } END { print n + 0 }' "$ROWS")
  inflight=$(awk -F'\t' -v a="$app" '$2 == a { split($1, s, "-c"); n += s[2] + $9 } END { print n + 0 }' "$ROWS")
  verdict=OK; if (( added < ok || added - ok > inflight )); then verdict=MISMATCH; valid=0; fi
  out "$app: count check: views added $added, 2xx answers seen by wrk $ok, difference $((added - ok)) (in-flight bound $inflight) $verdict"
  out "$(durability_check "$app")"
  [[ $(tail -1 "$RESULT") == *INVALID* ]] && valid=0
done
out "$(limits_check)"
[[ $(tail -1 "$RESULT") == *INVALID* ]] && valid=0
out "site: stats lag after the load: $lag"
for app in baseline site; do stop_app "$app"; done
for app in baseline site; do
  hot_snapshot "${app}_compare" | awk -v app="$app" 'NR == FNR { u[$1] = $2; h[$1] = $3; next }
    { du = $2 - u[$1]; dh = $3 - h[$1]; if (du > 0) printf "%s: HOT share of updates: %s %.1f%% (%d of %d)\n", app, $1, 100 * dh / du, dh, du }' "$work/hot0-$app" - \
    | tee -a "$RESULT"
done
out "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "kept in ${RESULT#"$ROOT"/}"
(( valid )) || { log "INVALID run: see the checks above"; exit 1; }
