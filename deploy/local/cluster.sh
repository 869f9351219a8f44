#!/usr/bin/env bash
# A local Orleans cluster: N Silo processes and one Web front end in client mode, on 127.0.0.1, or
# (--netns, as root) each in a network namespace of its own, so that faults can be injected per host.
#
#   cluster.sh start --silos N [--web-port P] [--no-build] [--netns [--pg-ha M]]
#                                                build (Release) and start; returns once the site answers.
#                                                --pg-ha M: the database is M PostgreSQL nodes with automatic
#                                                failover (deploy/local/pg-ha.sh), not the private server
#   cluster.sh add-silo                          one more silo, on the next free ports
#   cluster.sh status                            what runs, and whether the site is ready
#   cluster.sh stop                              SIGTERM everything (kill -9 after 20 s); with --netns, remove the network too
#
# Faults, to reproduce by hand what Grains.FaultTests/Cluster/FaultScenarios.cs does (I is a silo, 1-based):
#   cluster.sh freeze I | thaw I                 SIGSTOP / SIGCONT the silo (a long GC pause, a stalled VM)
#   cluster.sh kill I                            SIGKILL the silo
#   cluster.sh stop-silo I                       SIGTERM the silo and wait until it has left
#   cluster.sh start-silo I [--clock +180s]      start silo I again (same ports); --clock runs it under libfaketime
#   cluster.sh partition I [--one-way]           (netns) cut silo I off from the other silos; it still reaches
#                                                PostgreSQL and the web front end. --one-way: only its packets to
#                                                them are dropped, theirs still reach it
#   cluster.sh lossy silos|db PERCENT            (netns) drop PERCENT % of the packets the running silos send to
#                                                each other, or of those between them and PostgreSQL (both ways)
#   cluster.sh heal                              (netns) remove every partition and loss rule; prints how many
#                                                packets they dropped
#   PostgreSQL crash: deploy/local/postgres.sh kill DIR (SIGKILL of its whole process group), then start it again.
#   cluster.sh pg COMMAND [I]                    (--pg-ha) a pg-ha.sh command on the cluster's database nodes:
#                                                status, primary, kill I, freeze I, thaw I, cut I, mend, start I,
#                                                stop-monitor, start-monitor, wait-whole (see its header)
#   Added latency needs the tests' DelayProxy: this kernel has no netem.
#
# The database is ConnectionStrings__Postgres (or PGHOST...), else the private PostgreSQL that
# `./ball run` uses. Silos and the site log in with it (the runtime role); `start` first migrates
# the schema as its owner, ConnectionStrings__PostgresOwner (set by itself for the private and
# --pg-ha databases), which no silo or site is given (docs/operations.md#database-roles). Pid files silo-<i>.pid and web.pid, logs and the settings the cluster was
# started with live in ${CLUSTER_RUN_DIR:-.run/cluster}. Silo i listens on
# CLUSTER_SILO_PORT+i-1 (default 11111) and CLUSTER_GATEWAY_PORT+i-1 (default 30000); silo ports
# are CLUSTER_SILO_PORT..+24, which is how partition and loss rules recognise silo-to-silo traffic.
# CLUSTER_CONFIGURATION picks the build (default Release; the tests use their own, with --no-build);
# CLUSTER_SILO_DLL and CLUSTER_WEB_DLL run other builds instead (the benchmark's ReadyToRun publishes).
# Any other Orleans__*, Ball__*, Visits__*, NewVisitors__*, Cookies__*, Stats__*... variable is passed on to every process.
#
# --netns (root; installs Debian's iptables, faketime and socat when missing): network number
# CLUSTER_NETNS (default 1, 1-254) makes a bridge ball<N>-br with 10.213.<N>.1 on the host side,
# namespace ball<N>-web at 10.213.<N>.2 and ball<N>-s<i> at 10.213.<N>.(10+i), each joined to the
# bridge by a veth pair, with no route anywhere else. PostgreSQL is reached at CLUSTER_NETNS_DB
# (host:port) when set; otherwise a socat relay on 10.213.<N>.1 forwards to the loopback database.
# With CLUSTER_NETNS_RELAYED=1 silos advertise 10.213.<N>.1 (same ports): whoever set that (the
# tests) relays each port on the host side to the silo, and can delay what passes.
# With --pg-ha M the database is pg-ha.sh's M nodes and monitor, at 10.213.<N>.30 and up (see its header).
#   cluster.sh net-up | net-down                 make or remove the network alone (start and stop do it too)
#
# Mutual TLS (installs Debian's openssl when missing): start makes a throwaway CA, its certificate
# RUN_DIR/tls/ca.pem and its key RUN_DIR/ca/ca.key (mode 0600 in a 0700 folder of its own, never
# named to any process), and a certificate per process in RUN_DIR/tls, signed by it: silo-<i>.pem
# (serverAuth and clientAuth) and web.pem (clientAuth only), each with its .key.
# Every process gets Orleans__Tls__CertificatePath, __KeyPath and __CaPath. A cluster started with
# Orleans__Tls__CertificatePath (certificates of your own) or Orleans__Tls__Insecure=true set
# gets none of this.
#   cluster.sh cert silo|client NAME             one more certificate from this run folder's CA (made when
#                                                missing); prints the settings that use it
#   cluster.sh guest COMMAND...                  run COMMAND as another host would: (netns) in namespace
#                                                ball<N>-guest at 10.213.<N>.3, with ConnectionStrings__Postgres
#                                                set to reach the database; its exit code is the script's. E.g.
#                                                guest dotnet Web/bin/Release/net10.0/Web.dll cluster-check
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN_DIR=$(mkdir -p "${CLUSTER_RUN_DIR:-$ROOT/.run/cluster}" && cd "${CLUSTER_RUN_DIR:-$ROOT/.run/cluster}" && pwd)
CONFIG=${CLUSTER_CONFIGURATION:-Release}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Tier-1 code from the first seconds of load, not once the JIT has been quiet for 100 ms: a
# fresh site otherwise ran at two thirds of its speed for about 30 s (docs/performance.md).
export DOTNET_TC_CallCountingDelayMs=${DOTNET_TC_CallCountingDelayMs:-0}

die() { echo "cluster.sh: $*" >&2; exit 1; }
say() { echo "cluster.sh: $*" >&2; }
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- network namespaces ---------------------------------------------------------------------
# Names and addresses follow from CLUSTER_NETNS and CLUSTER_SILO_PORT (again once the settings are read).
set_net() {
  NET_ID=${CLUSTER_NETNS:-1}
  NET=ball$NET_ID
  BRIDGE=$NET-br
  SUBNET=10.213.$NET_ID
  HOST_ADDR=$SUBNET.1
  SILO_PORTS="${CLUSTER_SILO_PORT:-11111}:$(( ${CLUSTER_SILO_PORT:-11111} + 24 ))"
}
set_net
netns() { [[ ${NETNS:-0} == 1 ]]; }
silo_ns() { echo "$NET-s$1"; }
silo_addr() { echo "$SUBNET.$(( 10 + $1 ))"; }
# Runs a command inside namespace $1, or here when not in netns mode.
in_ns() { local ns=$1; shift; if netns; then ip netns exec "$ns" "$@"; else "$@"; fi; }
# The words that put a command in namespace $1 (none outside netns mode). For background
# processes: a function run with & is a subshell of its own, and $! would name it, not the process.
ns_prefix() { if netns && [[ -n $1 ]]; then echo "ip netns exec $1"; fi; }

# Orleans listens with SO_REUSEPORT, so another process (a `./ball run` silo) can hold the same
# port without an error: look at who listens, not only whether something does.
port_taken() { if command -v ss >/dev/null; then [[ -n $(in_ns "$1" ss -ltnH "sport = :$2") ]]; else port_open "$2"; fi; }
listening() { if command -v ss >/dev/null; then in_ns "$1" ss -ltnpH "sport = :$3" | grep -q "pid=$2,"; else port_open "$3"; fi; }

apt_updated=0
need() {
  local command=$1 package=$2
  command -v "$command" >/dev/null && return
  [[ $(id -u) == 0 ]] || die "$command missing and this is not root: apt-get install $package"
  say "installing $package (Debian package)"
  if (( ! apt_updated )); then apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
}

faketime_lib() {
  need faketime faketime
  local lib
  lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
  [[ -n $lib ]] || die "libfaketime.so.1 not found (Debian package libfaketime)"
  echo "$lib"
}

net_up() {
  [[ $(id -u) == 0 ]] || die "--netns needs root (namespaces, veth pairs, iptables)"
  command -v ip >/dev/null || die "--netns needs ip (iproute2)"
  [[ $NET_ID =~ ^[0-9]+$ ]] && (( NET_ID >= 1 && NET_ID <= 254 )) || die "CLUSTER_NETNS must be 1-254"
  need iptables iptables
  faketime_lib >/dev/null
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$HOST_ADDR/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    say "network $SUBNET.0/24 on bridge $BRIDGE (host side $HOST_ADDR)"
  fi
}

# host_up NS ADDR: a namespace on the bridge.
# shellcheck source=deploy/local/netns-host.sh
source "$ROOT/deploy/local/netns-host.sh"

net_down() {
  local ns pid
  for ns in $(ip netns list | awk '{print $1}' | grep "^$NET-" || true); do
    # Only what this script started can live in these namespaces.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    # Gone before the namespace is: one that outlives its name keeps its veth pair alive.
    for (( waited = 0; waited < 50; waited++ )); do [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break; sleep 0.1; done
    ip netns del "$ns"
  done
  alive "$RUN_DIR/db-relay.pid" && kill "$(cat "$RUN_DIR/db-relay.pid")"
  rm -f "$RUN_DIR/db-relay.pid"
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
  say "network $SUBNET.0/24 removed"
}

# Where PostgreSQL is, seen from the namespaces: CLUSTER_NETNS_DB, or a relay to the loopback one.
db_endpoint() {
  if [[ -n ${CLUSTER_NETNS_DB:-} ]]; then echo "$CLUSTER_NETNS_DB"; return; fi
  local cs=${ConnectionStrings__Postgres:-} host port
  host=$(grep -oiE '(^|;)\s*(host|server)=[^;]*' <<<"$cs" | tail -1 | cut -d= -f2)
  port=$(grep -oiE '(^|;)\s*port=[^;]*' <<<"$cs" | tail -1 | cut -d= -f2)
  port=${port:-5432}
  [[ $host == 127.0.0.1 || $host == localhost ]] \
    || die "--netns relays a loopback database only; set CLUSTER_NETNS_DB=host:port for '$host'"
  if ! alive "$RUN_DIR/db-relay.pid"; then
    need socat socat
    nohup socat "TCP-LISTEN:$port,bind=$HOST_ADDR,reuseaddr,fork" "TCP:127.0.0.1:$port" >"$RUN_DIR/db-relay.log" 2>&1 &
    echo $! >"$RUN_DIR/db-relay.pid"
    say "relaying PostgreSQL $HOST_ADDR:$port -> 127.0.0.1:$port"
  fi
  echo "$HOST_ADDR:$port"
}

# The connection string with its host and port replaced by $1 (host:port).
connection_via() {
  local cs=$1 host=${2%:*} port=${2##*:}
  cs=$(sed -E 's/(^|;)\s*(host|server|port)=[^;]*//Ig; s/^;+//' <<<"$cs")
  echo "Host=$host;Port=$port;$cs"
}

# The rules below live in the silos' namespaces only, so heal may flush them whole.
fault_rule() { local i=$1; shift; ip netns exec "$(silo_ns "$i")" iptables -w "$@"; }

# --- certificates -----------------------------------------------------------------------------
# What the processes are pointed at: their certificates and keys, and the CA certificate.
TLS_DIR=$RUN_DIR/tls
# The CA's key, apart: add-silo and cert sign with it after start, so it is kept, but in no folder
# a process is told about, and readable by its owner only. A process running as that same user
# (every process cluster.sh starts runs as the user who ran it) could still read it; the key only
# ever signs certificates for this throwaway, 30-day CA.
CA_DIR=$RUN_DIR/ca
# Paths go into the processes' environment as NAME=value words.
[[ $RUN_DIR != *[[:space:]]* ]] || die "the run folder '$RUN_DIR' must not contain spaces"
own_tls() { [[ -z ${Orleans__Tls__CertificatePath:-} && ${Orleans__Tls__Insecure:-false} != true ]]; }

# The cluster CA: made once per run folder, valid for 30 days (a local cluster lives for hours).
make_ca() {
  ( umask 077; mkdir -p "$TLS_DIR" "$CA_DIR" )
  chmod 700 "$CA_DIR"
  # A run folder from before the key had a folder of its own.
  if [[ -s $TLS_DIR/ca.key ]]; then mv "$TLS_DIR/ca.key" "$CA_DIR/ca.key"; fi
  if [[ -s $TLS_DIR/ca.pem ]]; then
    # A new CA would not verify the certificates this one issued.
    [[ -s $CA_DIR/ca.key ]] || die "$CA_DIR/ca.key is gone: this run folder's CA issues no more certificates"
    chmod 600 "$CA_DIR/ca.key"
    return
  fi
  need openssl openssl
  ( umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj "/CN=ball local cluster CA $(date -u +%Y%m%dT%H%M%S)-$$" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$CA_DIR/ca.key" -out "$TLS_DIR/ca.pem" 2>"$CA_DIR/openssl.log" ) || { cat "$CA_DIR/openssl.log" >&2; die "could not make the CA"; }
  say "cluster CA in $TLS_DIR/ca.pem (its key in $CA_DIR)"
}

# make_cert silo|client NAME: NAME.pem and NAME.key signed by the CA. A silo's certificate carries
# both TLS usages (it serves its ports and calls other silos); a client's only clientAuth, so the
# silos refuse it on the silo port and no silo accepts it as a server.
make_cert() {
  local role=$1 name=$2 usage
  case $role in silo) usage=serverAuth,clientAuth ;; client) usage=clientAuth ;; *) die "a certificate is for a silo or a client, not '$role'" ;; esac
  [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || die "a certificate name is letters, digits, - and _"
  [[ -s $TLS_DIR/$name.pem ]] && return
  make_ca
  ( umask 077
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
      -keyout "$TLS_DIR/$name.key" -out "$TLS_DIR/$name.csr" 2>>"$CA_DIR/openssl.log"
    openssl x509 -req -in "$TLS_DIR/$name.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$CA_DIR/ca.key" \
      -set_serial "0x$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" -days 30 -out "$TLS_DIR/$name.pem" \
      -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$usage") \
      2>>"$CA_DIR/openssl.log" ) || { cat "$CA_DIR/openssl.log" >&2; die "could not make certificate $name"; }
  rm -f "$TLS_DIR/$name.csr"
}

# tls_env silo|client NAME: the settings that give a process its certificate (none when the
# operator brought their own or turned TLS off).
tls_env() {
  own_tls || return 0
  make_cert "$1" "$2"
  echo "Orleans__Tls__CertificatePath=$TLS_DIR/$2.pem Orleans__Tls__KeyPath=$TLS_DIR/$2.key Orleans__Tls__CaPath=$TLS_DIR/ca.pem"
}

# --- processes ------------------------------------------------------------------------------
silo_indexes() {
  local f
  for f in "$RUN_DIR"/silo-*.pid; do [[ -e $f ]] && basename "$f" .pid | cut -d- -f2; done | sort -n
}

running_silos() {
  local i
  for i in $(silo_indexes); do alive "$RUN_DIR/silo-$i.pid" && echo "$i"; done
}

silo_pid() {
  [[ $1 =~ ^[1-9][0-9]*$ ]] || die "a silo is a number from 1, not '$1'"
  alive "$RUN_DIR/silo-$1.pid" || die "silo $1 is not running"
  cat "$RUN_DIR/silo-$1.pid"
}

start_silo() {
  local i=$1 clock=${2:-} silo_port=$(( ${CLUSTER_SILO_PORT:-11111} + $1 - 1 )) gateway_port=$(( ${CLUSTER_GATEWAY_PORT:-30000} + $1 - 1 ))
  local dll=${CLUSTER_SILO_DLL:-$ROOT/Silo/bin/$CONFIG/net10.0/Silo.dll} ns="" port
  [[ -f $dll ]] || die "$dll missing: run without --no-build"
  alive "$RUN_DIR/silo-$i.pid" && die "silo $i is already running"
  local -a env=(Orleans__SiloPort="$silo_port" Orleans__GatewayPort="$gateway_port")
  # shellcheck disable=SC2207 # paths without spaces: the run folder is checked at start
  env+=($(tls_env silo "silo-$i"))
  if netns; then
    ns=$(silo_ns "$i")
    host_up "$ns" "$(silo_addr "$i")"
    env+=(Orleans__AdvertisedAddress="$([[ ${CLUSTER_NETNS_RELAYED:-0} == 1 ]] && echo "$HOST_ADDR" || silo_addr "$i")"
          ConnectionStrings__Postgres="$DB_CONNECTION")
  fi
  for port in "$silo_port" "$gateway_port"; do
    port_taken "$ns" "$port" && die "port $port is already in use (another silo?): set CLUSTER_SILO_PORT / CLUSTER_GATEWAY_PORT"
  done
  if [[ -n $clock ]]; then
    # libfaketime preloaded rather than the faketime wrapper, which forks: the pid file must name
    # the silo itself. Only the wall clock moves; timers keep the true monotonic clock.
    env+=(LD_PRELOAD="$(faketime_lib)" FAKETIME="$clock" FAKETIME_DONT_FAKE_MONOTONIC=1)
  fi
  # shellcheck disable=SC2046 # the prefix is words on purpose
  $(ns_prefix "$ns") env -u ConnectionStrings__PostgresOwner "${env[@]}" nohup dotnet "$dll" >>"$RUN_DIR/silo-$i.log" 2>&1 &
  echo $! >"$RUN_DIR/silo-$i.pid"
  local waited=0
  until listening "$ns" "$(cat "$RUN_DIR/silo-$i.pid")" "$gateway_port"; do
    alive "$RUN_DIR/silo-$i.pid" || { tail -20 "$RUN_DIR/silo-$i.log" >&2; die "silo $i exited"; }
    (( waited++ < 600 )) || die "silo $i did not open gateway port $gateway_port in 60 s"
    sleep 0.1
  done
  say "silo $i up (pid $(cat "$RUN_DIR/silo-$i.pid"), silo port $silo_port, gateway $gateway_port${ns:+, namespace $ns}${clock:+, clock $clock})"
}

wait_ready() {
  local url=$1 waited=0
  until curl -fsS -o /dev/null --max-time 2 "$url/health/ready" 2>/dev/null; do
    alive "$RUN_DIR/web.pid" || { tail -20 "$RUN_DIR/web.log" >&2; die "web front end exited"; }
    (( waited++ < 300 )) || die "$url not ready in 60 s"
    sleep 0.2
  done
}

web_url() { if netns; then echo "http://$SUBNET.2:$WEB_PORT"; else echo "http://127.0.0.1:$WEB_PORT"; fi; }

load_settings() {
  [[ -f $RUN_DIR/settings ]] || die "no cluster started from $RUN_DIR"
  # shellcheck disable=SC1091
  source "$RUN_DIR/settings"
  set_net
}

needs_netns() { load_settings; netns || die "$1 needs a cluster started with --netns"; }

cmd=${1:-}; shift || true
case $cmd in
  start)
    silos=3; WEB_PORT=8080; build=1; NETNS=0; PG_HA=0
    while (( $# )); do
      case $1 in
        --silos) silos=$2; shift 2 ;;
        --web-port) WEB_PORT=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --netns) NETNS=1; shift ;;
        --pg-ha) PG_HA=$2; shift 2 ;;
        *) die "unknown option $1" ;;
      esac
    done
    [[ $silos =~ ^[1-9][0-9]*$ ]] || die "--silos needs a positive number"
    for f in "$RUN_DIR"/*.pid; do [[ -e $f && $f != */db-relay.pid ]] && alive "$f" && die "a cluster already runs from $RUN_DIR (cluster.sh stop)"; done
    rm -f "$RUN_DIR"/silo-*.pid "$RUN_DIR"/web.pid
    if (( PG_HA )); then
      netns || die "--pg-ha needs --netns (each database node gets a namespace of its own)"
      net_up
      rm -rf "$RUN_DIR/pg-ha" # a stopped cluster's nodes: nothing runs them any more
      ConnectionStrings__Postgres=$("$ROOT/deploy/local/pg-ha.sh" up "$PG_HA")
      ConnectionStrings__PostgresOwner=$("$ROOT/deploy/local/pg-ha.sh" connection owner)
      export ConnectionStrings__Postgres ConnectionStrings__PostgresOwner
    fi
    if [[ -z ${ConnectionStrings__Postgres:-} && -z ${PGHOST:-} ]]; then
      "$ROOT/ball" pg-start >/dev/null
      ConnectionStrings__Postgres=$("$ROOT/ball" pg-url ball_runtime)
      ConnectionStrings__PostgresOwner=$("$ROOT/ball" pg-url ball_owner)
      export ConnectionStrings__Postgres ConnectionStrings__PostgresOwner
    fi
    DB_CONNECTION=${ConnectionStrings__Postgres:-}
    if netns; then
      [[ -n ${ConnectionStrings__Postgres:-} ]] || die "--netns needs ConnectionStrings__Postgres"
      net_up
      (( PG_HA )) || DB_CONNECTION=$(connection_via "$ConnectionStrings__Postgres" "$(db_endpoint)")
    fi
    if (( build )); then
      say "building Silo and Web ($CONFIG)"
      dotnet build "$ROOT/Silo/Silo.csproj" -c "$CONFIG" -v q -nologo >&2
      dotnet build "$ROOT/Web/Web.csproj" -c "$CONFIG" -v q -nologo >&2
    fi
    # Everything later commands need, private to this user: it may hold a password.
    # `export` lines, not `declare -x`: sourced inside a function, declare would make them local.
    ( umask 077; { export -p | grep -E '^declare -x (ConnectionStrings__|PG[A-Z]+=|Orleans__|Ball__|Visits__|NewVisitors__|Cookies__|FailedLogins__|Stats__|Logging__|CLUSTER_)' \
                     | sed 's/^declare -x /export /' || true
                   echo "CONFIG=$CONFIG"; echo "WEB_PORT=$WEB_PORT"; echo "NETNS=$NETNS"; echo "PG_HA=$PG_HA"
                   printf 'DB_CONNECTION=%q\n' "$DB_CONNECTION"; } >"$RUN_DIR/settings" )
    # The schema, as its owner, before any silo starts: silos and the site never migrate, and
    # refuse a schema that is not their build's.
    if [[ -n ${ConnectionStrings__PostgresOwner:-} ]]; then
      dotnet "$ROOT/Web/bin/$CONFIG/net10.0/Web.dll" migrate >"$RUN_DIR/migrate.log" 2>&1 \
        || { tail -20 "$RUN_DIR/migrate.log" >&2; die "migrate failed"; }
      say "schema migrated as its owner"
    else
      say "ConnectionStrings__PostgresOwner not set: the schema is not migrated here"
    fi
    for (( i = 1; i <= silos; i++ )); do start_silo "$i"; done
    web_ns="" listen=127.0.0.1 web_env=(Orleans__Mode=client)
    # shellcheck disable=SC2207
    web_env+=($(tls_env client web))
    if netns; then
      web_ns=$NET-web; listen=$SUBNET.2; host_up "$web_ns" "$listen"
      web_env+=(ConnectionStrings__Postgres="$DB_CONNECTION")
    fi
    # Each app reads the appsettings.json beside its dll; the build's static web assets manifest finds wwwroot.
    # shellcheck disable=SC2046
    $(ns_prefix "$web_ns") env -u ConnectionStrings__PostgresOwner "${web_env[@]}" \
      nohup dotnet "${CLUSTER_WEB_DLL:-$ROOT/Web/bin/$CONFIG/net10.0/Web.dll}" \
      --urls "http://$listen:$WEB_PORT" \
      >"$RUN_DIR/web.log" 2>&1 &
    echo $! >"$RUN_DIR/web.pid"
    wait_ready "$(web_url)"
    say "site ready on $(web_url) with $silos silo(s); logs in $RUN_DIR"
    ;;
  add-silo)
    load_settings
    last=$(silo_indexes | tail -1)
    start_silo $(( ${last:-0} + 1 ))
    ;;
  start-silo)
    load_settings
    i=${1:?which silo?}; clock=""
    [[ ${2:-} == --clock ]] && clock=${3:?--clock needs an offset such as +180s}
    [[ $i =~ ^[1-9][0-9]*$ ]] || die "a silo is a number from 1, not '$i'"
    start_silo "$i" "$clock"
    ;;
  freeze) load_settings; pid=$(silo_pid "${1:?which silo?}"); kill -STOP "$pid"; say "silo $1 frozen (SIGSTOP)" ;;
  thaw) load_settings; pid=$(silo_pid "${1:?which silo?}"); kill -CONT "$pid"; say "silo $1 thawed (SIGCONT)" ;;
  kill) load_settings; pid=$(silo_pid "${1:?which silo?}"); kill -KILL "$pid"; say "silo $1 killed (SIGKILL)" ;;
  stop-silo)
    load_settings
    pid=$(silo_pid "${1:?which silo?}")
    kill -TERM "$pid"
    for (( waited = 0; waited < 300; waited++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && die "silo $1 (pid $pid) did not stop within 30 s of SIGTERM"
    say "silo $1 stopped"
    ;;
  partition)
    needs_netns partition
    i=${1:?which silo?}; silo_pid "$i" >/dev/null
    # Silo-to-silo traffic is any TCP to or from a silo port (gateways and PostgreSQL use others).
    fault_rule "$i" -A OUTPUT -p tcp -m multiport --ports "$SILO_PORTS" -j DROP
    if [[ ${2:-} == --one-way ]]; then
      say "silo $i cut off one way: its packets to the other silos are dropped"
    else
      fault_rule "$i" -A INPUT -p tcp -m multiport --ports "$SILO_PORTS" -j DROP
      say "silo $i cut off from the other silos, both ways"
    fi
    ;;
  lossy)
    needs_netns lossy
    what=${1:?silos or db?}; percent=${2:?how many percent?}
    [[ $percent =~ ^[0-9]+$ ]] && (( percent <= 100 )) || die "PERCENT is a whole number 0-100"
    probability=$(awk -v p="$percent" 'BEGIN { printf "%.2f", p / 100 }')
    db_port=${DB_CONNECTION#*Port=}; db_port=${db_port%%;*}
    for i in $(running_silos); do
      case $what in
        # One side of each link only, so that a packet crossing it is lost once, not twice.
        silos) fault_rule "$i" -A OUTPUT -p tcp -m multiport --ports "$SILO_PORTS" -m statistic --mode random --probability "$probability" -j DROP ;;
        db) fault_rule "$i" -A OUTPUT -p tcp --dport "$db_port" -m statistic --mode random --probability "$probability" -j DROP
            fault_rule "$i" -A INPUT -p tcp --sport "$db_port" -m statistic --mode random --probability "$probability" -j DROP ;;
        *) die "lossy silos|db PERCENT" ;;
      esac
    done
    say "$percent % of packets lost between $([[ $what == db ]] && echo "silos and PostgreSQL" || echo silos)"
    ;;
  heal)
    needs_netns heal
    dropped=0
    for i in $(silo_indexes); do
      ip netns list | grep -qw "^$(silo_ns "$i")" || continue
      dropped=$(( dropped + $(fault_rule "$i" -L -v -x -n | awk '$3 == "DROP" { n += $1 } END { print n + 0 }') ))
      fault_rule "$i" -F
    done
    echo "dropped $dropped packets"
    say "healed: no partition or loss rule left"
    ;;
  status)
    load_settings
    for f in "$RUN_DIR"/silo-*.pid "$RUN_DIR"/web.pid; do
      [[ -e $f ]] || continue
      if alive "$f"; then echo "$(basename "$f" .pid) running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid) stopped"; fi
    done
    if curl -fsS -o /dev/null --max-time 2 "$(web_url)/health/ready"; then
      echo "site $(web_url) ready"
    else
      echo "site $(web_url) not ready"; exit 1
    fi
    ;;
  stop)
    pids=()
    for f in "$RUN_DIR"/web.pid "$RUN_DIR"/silo-*.pid; do
      # A frozen process cannot act on SIGTERM: thaw it first.
      [[ -e $f ]] && alive "$f" && { kill -CONT "$(cat "$f")"; kill -TERM "$(cat "$f")"; pids+=("$(cat "$f")"); }
    done
    for (( waited = 0; waited < 200; waited++ )); do
      running=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
      (( running )) || break
      sleep 0.1
    done
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && { say "pid $p ignored SIGTERM; killing it"; kill -KILL "$p"; }; done
    rm -f "$RUN_DIR"/silo-*.pid "$RUN_DIR"/web.pid
    if [[ -f $RUN_DIR/settings ]]; then load_settings; netns && net_down; fi
    say "stopped"
    ;;
  cert)
    make_cert "${1:?silo or client?}" "${2:?which name?}"
    echo "Orleans__Tls__CertificatePath=$TLS_DIR/$2.pem Orleans__Tls__KeyPath=$TLS_DIR/$2.key Orleans__Tls__CaPath=$TLS_DIR/ca.pem"
    ;;
  guest)
    load_settings
    (( $# )) || die "guest needs a command"
    guest_ns=""
    if netns; then guest_ns=$NET-guest; host_up "$guest_ns" "$SUBNET.3"; fi
    # shellcheck disable=SC2046
    exec $(ns_prefix "$guest_ns") env -u ConnectionStrings__PostgresOwner ConnectionStrings__Postgres="$DB_CONNECTION" "$@"
    ;;
  pg)
    needs_netns pg
    (( ${PG_HA:-0} )) || die "pg needs a cluster started with --pg-ha"
    CLUSTER_RUN_DIR=$RUN_DIR CLUSTER_NETNS=$NET_ID exec "$ROOT/deploy/local/pg-ha.sh" "$@"
    ;;
  net-up) NETNS=1; net_up ;;
  net-down) NETNS=1; net_down ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2
    ;;
esac
