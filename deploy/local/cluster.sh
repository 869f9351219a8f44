#!/usr/bin/env bash
# A local Orleans cluster on 127.0.0.1: N Silo processes and one Web front end in client mode.
#
#   cluster.sh start --silos N [--web-port P] [--no-build]   build (Release) and start; returns once the site answers
#   cluster.sh add-silo                                       one more silo, on the next free ports
#   cluster.sh status                                         what runs, and whether the site is ready
#   cluster.sh stop                                           SIGTERM everything (kill -9 after 20 s)
#
# The database is ConnectionStrings__Postgres (or PGHOST...), else the private PostgreSQL that
# `./ball run` uses. Pid files silo-<i>.pid and web.pid, logs and the settings the cluster was
# started with live in ${CLUSTER_RUN_DIR:-.run/cluster}. Silo i listens on
# CLUSTER_SILO_PORT+i-1 (default 11111) and CLUSTER_GATEWAY_PORT+i-1 (default 30000).
# CLUSTER_CONFIGURATION picks the build (default Release; the tests use their own, with --no-build).
# Any other Orleans__*, Ball__*, Visits__*, Stats__*... variable is passed on to every process.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN_DIR=$(mkdir -p "${CLUSTER_RUN_DIR:-$ROOT/.run/cluster}" && cd "${CLUSTER_RUN_DIR:-$ROOT/.run/cluster}" && pwd)
CONFIG=${CLUSTER_CONFIGURATION:-Release}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

die() { echo "cluster.sh: $*" >&2; exit 1; }
say() { echo "cluster.sh: $*" >&2; }
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Orleans listens with SO_REUSEPORT, so another process (a `./ball run` silo) can hold the same
# port without an error: look at who listens, not only whether something does.
port_taken() { if command -v ss >/dev/null; then [[ -n $(ss -ltnH "sport = :$1") ]]; else port_open "$1"; fi; }
listening() { if command -v ss >/dev/null; then ss -ltnpH "sport = :$2" | grep -q "pid=$1,"; else port_open "$2"; fi; }

silo_indexes() {
  local f
  for f in "$RUN_DIR"/silo-*.pid; do [[ -e $f ]] && basename "$f" .pid | cut -d- -f2; done | sort -n
}

start_silo() {
  local i=$1 silo_port=$(( ${CLUSTER_SILO_PORT:-11111} + $1 - 1 )) gateway_port=$(( ${CLUSTER_GATEWAY_PORT:-30000} + $1 - 1 ))
  local dll=$ROOT/Silo/bin/$CONFIG/net10.0/Silo.dll
  [[ -f $dll ]] || die "$dll missing: run without --no-build"
  local port
  for port in "$silo_port" "$gateway_port"; do
    port_taken "$port" && die "port $port is already in use (another silo?): set CLUSTER_SILO_PORT / CLUSTER_GATEWAY_PORT"
  done
  Orleans__SiloPort=$silo_port Orleans__GatewayPort=$gateway_port \
    nohup dotnet "$dll" >"$RUN_DIR/silo-$i.log" 2>&1 &
  echo $! >"$RUN_DIR/silo-$i.pid"
  local waited=0
  until listening "$(cat "$RUN_DIR/silo-$i.pid")" "$gateway_port"; do
    alive "$RUN_DIR/silo-$i.pid" || { tail -20 "$RUN_DIR/silo-$i.log" >&2; die "silo $i exited"; }
    (( waited++ < 600 )) || die "silo $i did not open gateway port $gateway_port in 60 s"
    sleep 0.1
  done
  say "silo $i up (pid $(cat "$RUN_DIR/silo-$i.pid"), silo port $silo_port, gateway $gateway_port)"
}

wait_ready() {
  local url=$1 waited=0
  until curl -fsS -o /dev/null --max-time 2 "$url/health/ready" 2>/dev/null; do
    alive "$RUN_DIR/web.pid" || { tail -20 "$RUN_DIR/web.log" >&2; die "web front end exited"; }
    (( waited++ < 300 )) || die "$url not ready in 60 s"
    sleep 0.2
  done
}

load_settings() {
  [[ -f $RUN_DIR/settings ]] || die "no cluster started from $RUN_DIR"
  # shellcheck disable=SC1091
  source "$RUN_DIR/settings"
}

cmd=${1:-}; shift || true
case $cmd in
  start)
    silos=3; web_port=8080; build=1
    while (( $# )); do
      case $1 in
        --silos) silos=$2; shift 2 ;;
        --web-port) web_port=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        *) die "unknown option $1" ;;
      esac
    done
    [[ $silos =~ ^[1-9][0-9]*$ ]] || die "--silos needs a positive number"
    for f in "$RUN_DIR"/*.pid; do [[ -e $f ]] && alive "$f" && die "a cluster already runs from $RUN_DIR (cluster.sh stop)"; done
    rm -f "$RUN_DIR"/*.pid
    if [[ -z ${ConnectionStrings__Postgres:-} && -z ${PGHOST:-} ]]; then
      ConnectionStrings__Postgres=$("$ROOT/ball" pg-start)
      export ConnectionStrings__Postgres
    fi
    if (( build )); then
      say "building Silo and Web ($CONFIG)"
      dotnet build "$ROOT/Silo/Silo.csproj" -c "$CONFIG" -v q -nologo >&2
      dotnet build "$ROOT/Web/Web.csproj" -c "$CONFIG" -v q -nologo >&2
    fi
    # Everything add-silo needs later, private to this user: it may hold a password.
    # `export` lines, not `declare -x`: sourced inside a function, declare would make them local.
    ( umask 077; { export -p | grep -E '^declare -x (ConnectionStrings__|PG[A-Z]+=|Orleans__|Ball__|Visits__|NewVisitors__|FailedLogins__|Stats__|Logging__|CLUSTER_)' \
                     | sed 's/^declare -x /export /' || true
                   echo "CONFIG=$CONFIG"; echo "WEB_PORT=$web_port"; } >"$RUN_DIR/settings" )
    for (( i = 1; i <= silos; i++ )); do start_silo "$i"; done
    # Each app reads the appsettings.json beside its dll; the build's static web assets manifest finds wwwroot.
    Orleans__Mode=client nohup dotnet "$ROOT/Web/bin/$CONFIG/net10.0/Web.dll" \
      --urls "http://127.0.0.1:$web_port" \
      >"$RUN_DIR/web.log" 2>&1 &
    echo $! >"$RUN_DIR/web.pid"
    wait_ready "http://127.0.0.1:$web_port"
    say "site ready on http://127.0.0.1:$web_port with $silos silo(s); logs in $RUN_DIR"
    ;;
  add-silo)
    load_settings
    last=$(silo_indexes | tail -1)
    start_silo $(( ${last:-0} + 1 ))
    ;;
  status)
    load_settings
    for f in "$RUN_DIR"/silo-*.pid "$RUN_DIR"/web.pid; do
      [[ -e $f ]] || continue
      if alive "$f"; then echo "$(basename "$f" .pid) running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid) stopped"; fi
    done
    if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$WEB_PORT/health/ready"; then
      echo "site http://127.0.0.1:$WEB_PORT ready"
    else
      echo "site http://127.0.0.1:$WEB_PORT not ready"; exit 1
    fi
    ;;
  stop)
    pids=()
    for f in "$RUN_DIR"/web.pid "$RUN_DIR"/silo-*.pid; do
      [[ -e $f ]] && alive "$f" && { kill -TERM "$(cat "$f")"; pids+=("$(cat "$f")"); }
    done
    for (( waited = 0; waited < 200; waited++ )); do
      running=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
      (( running )) || break
      sleep 0.1
    done
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && { say "pid $p ignored SIGTERM; killing it"; kill -KILL "$p"; }; done
    rm -f "$RUN_DIR"/*.pid
    say "stopped"
    ;;
  *)
    sed -n '2,14p' "$0"; exit 2
    ;;
esac
