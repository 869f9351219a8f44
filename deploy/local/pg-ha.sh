#!/usr/bin/env bash
# A highly available PostgreSQL for the --netns cluster: pg_auto_failover (Debian
# postgresql-15-auto-failover) with its monitor and N data nodes (default 3), each in a network
# namespace of its own on cluster.sh's bridge. One node is the primary; the others are synchronous
# standbys (docs/faults.md, "Database", has the settings and why). Called by cluster.sh (start
# --netns --pg-ha N, and its pg-* commands); runs as root, the servers as the postgres user.
#
#   pg-ha.sh up N                  install when missing, create and start the monitor and N nodes,
#                                  wait for a primary and N-1 standbys; prints the connection string
#   pg-ha.sh status                the monitor's view (pg_autoctl show state)
#   pg-ha.sh primary               the number of the node that is primary now (none: exit 1)
#   pg-ha.sh wait-whole            wait until every node runs and the group is primary + secondaries
#   pg-ha.sh kill I                SIGKILL everything node I runs (its keeper and PostgreSQL)
#   pg-ha.sh freeze I | thaw I     SIGSTOP / SIGCONT everything node I runs
#   pg-ha.sh cut I | mend I        drop every packet into and out of node I's namespace, or stop that
#   pg-ha.sh start I               run node I's keeper again (it rejoins, rewinding if it must)
#   pg-ha.sh stop-monitor | start-monitor
#   pg-ha.sh connection [owner]    the silos' and site's connection string (ball_runtime), or the
#   pg-ha.sh monitor               schema owner's (ball: migrate), or the monitor's (for the host
#                                  side); each carries its password
#
# Network CLUSTER_NETNS (N, as cluster.sh): the monitor is ball<N>-pgm at 10.213.<N>.30, node i is
# ball<N>-pg<i> at 10.213.<N>.(30+i), on port 15000+10N and 15000+10N+i. Data, configuration and logs live in
# $CLUSTER_RUN_DIR/pg-ha. The database is "ball", owned by the role "ball", which migrates it; silos
# and the site log in as "ball_runtime" (docs/operations.md#database-roles).
#
# Authentication. The bridge's host side, 10.213.<N>.1, is an address of this machine's own
# namespace, so every local user reaches the nodes and the monitor over TCP; and their Unix
# sockets are in /var/run/postgresql, which every local user may enter. So every TCP login asks
# for a password (scram-sha-256), and a socket admits the OS user postgres as postgres (peer), and
# on the monitor autoctl_node with its password. Passwords are generated at every `up`, 48 hex
# digits each, and kept in $CLUSTER_RUN_DIR/pg-ha-secrets (root's alone, 0700; files 0600):
# postgres (the superuser, on the nodes and the monitor: these scripts and the tests), ball (the
# schema's owner), ball_runtime (the silos and the site), autoctl_node (the keepers' login to the monitor) and pgautofailover_replicator
# (streaming replication and pg_rewind). The keepers, which run as postgres, read the last two
# from a passfile of their own in the pg-ha folder (postgres's, 0600), not from their command
# lines, which every local user can read. One rule keeps pg_autoctl's own choice: the monitor's
# health checks log in as pgautofailover_monitor without a password, from the monitor's address
# only, a role with no privileges of its own. No TLS: the bridge carries SCRAM exchanges, never a
# password, but the rows themselves in plain text (a real deployment verifies TLS: deploy/k8s).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN_DIR=$(mkdir -p "${CLUSTER_RUN_DIR:-$ROOT/.run/cluster}" && cd "${CLUSTER_RUN_DIR:-$ROOT/.run/cluster}" && pwd)
NET_ID=${CLUSTER_NETNS:-1}
NET=ball$NET_ID
SUBNET=10.213.$NET_ID
DIR=$RUN_DIR/pg-ha
PGBIN=/usr/lib/postgresql/15/bin
# Ports of their own (monitor 15000+10N, node i 15000+10N+i): the namespaces share one file
# system, and so the folder of PostgreSQL's Unix sockets, whose names carry the port; two clusters
# on one machine (a test run beside a developer's) would otherwise fight over one lock file.
PORT_BASE=${PG_HA_PORT:-$(( 15000 + 10 * NET_ID ))}
# No password in the URI: pg_autoctl keeps it in its configuration and passes it on command lines.
MONITOR_URI="postgres://autoctl_node@$SUBNET.30:$PORT_BASE/pg_auto_failover?sslmode=disable"
# Root's alone: the generated passwords, and root's passfile for psql_at.
SECRETS=$RUN_DIR/pg-ha-secrets
# The keepers' passfile (the monitor's and the replication password), postgres's alone.
KEEPER_PASSFILE=$DIR/keeper.pgpass

die() { echo "pg-ha.sh: $*" >&2; exit 1; }
say() { echo "pg-ha.sh: $*" >&2; }

node_ns() { if [[ $1 == m ]]; then echo "$NET-pgm"; else echo "$NET-pg$1"; fi; }
node_addr() { if [[ $1 == m ]]; then echo "$SUBNET.30"; else echo "$SUBNET.$(( 30 + $1 ))"; fi; }
node_port() { if [[ $1 == m ]]; then echo "$PORT_BASE"; else echo "$(( PORT_BASE + $1 ))"; fi; }
node_data() { if [[ $1 == m ]]; then echo "$DIR/monitor"; else echo "$DIR/node$1"; fi; }
node_count() { cat "$DIR/nodes"; }

# pg_autoctl as the postgres user inside the node's namespace, with its configuration and state
# kept beside the data rather than in the postgres user's home.
# PGPASSFILE reaches every libpq client the keeper starts (pg_basebackup, pg_rewind, its login to
# the monitor) and the PostgreSQL it starts, whose WAL receiver logs in to the primary.
autoctl() {
  local node=$1; shift
  ip netns exec "$(node_ns "$node")" runuser -u postgres -- env -C / \
    XDG_CONFIG_HOME="$DIR/config" XDG_DATA_HOME="$DIR/share" XDG_RUNTIME_DIR="$DIR/runtime" \
    PGPASSFILE="$KEEPER_PASSFILE" PG_CONFIG=$PGBIN/pg_config PATH="$PGBIN:$PATH" pg_autoctl "$@"
}

# psql as postgres on the node's own socket: for setting up, before the rule below exists.
psql_local() {
  local node=$1 db=$2; shift 2
  ip netns exec "$(node_ns "$node")" runuser -u postgres -- env -C / \
    "$PGBIN/psql" -h /var/run/postgresql -p "$(node_port "$node")" -U postgres -d "$db" -XAtq -v ON_ERROR_STOP=1 "$@"
}

# psql from the host side of the bridge: `ip netns exec` and runuser each take up to seconds on
# a loaded machine, far too slow for a fault scenario's "who is primary now?".
psql_at() {
  local node=$1 db=$2; shift 2
  PGPASSFILE="$SECRETS/pgpass" "$PGBIN/psql" -h "$(node_addr "$node")" -p "$(node_port "$node")" -U postgres -d "$db" -XAtq -v ON_ERROR_STOP=1 "$@"
}

secret() { cat "$SECRETS/$1"; }

# New passwords for a new cluster; none is ever a command-line argument (see the header).
make_secrets() {
  local name
  rm -rf "$SECRETS"
  ( umask 077
    mkdir "$SECRETS"
    for name in postgres ball ball_runtime autoctl_node pgautofailover_replicator; do
      # 48 hex digits: nothing to quote in SQL, a connection string, a URI or a passfile.
      od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$SECRETS/$name"
    done
    echo "*:*:*:postgres:$(secret postgres)" >"$SECRETS/pgpass"
    { echo "*:*:pg_auto_failover:autoctl_node:$(secret autoctl_node)"
      echo "*:*:*:pgautofailover_replicator:$(secret pgautofailover_replicator)"; } >"$KEEPER_PASSFILE" )
  chown postgres: "$KEEPER_PASSFILE"
}

# set_password NODE ROLE: the role's generated password, through the node's socket, as SQL on
# stdin (printf is a shell builtin: the password is in no process's arguments). pg_autoctl logs
# DDL statements (log_statement = ddl) and loads pg_stat_statements, which keeps their text: off
# for this session, so the password is in neither.
set_password() {
  printf "SET log_statement = 'none';\nSET pg_stat_statements.track_utility = off;\nALTER ROLE %s PASSWORD '%s';\n" \
    "$2" "$(secret "$2")" | psql_local "$1" postgres >/dev/null
}

# Closes what initdb (pg_autoctl runs it with --auth=trust) opened: "trust" for every local user
# and for loopback. A socket admits postgres as postgres only; loopback asks for a password. The
# rule pg_autoctl adds for its monitor's health checks stays (see the header). Then lets the
# host side of the bridge (these scripts and the tests, as root) in as postgres, with the password.
close_hba() {
  local hba
  hba=$(node_data "$1")/pg_hba.conf
  sed -i -E \
    -e 's/^local([[:space:]]+)(all|replication)([[:space:]]+)all([[:space:]]+)trust$/local\1\2\3postgres\4peer/' \
    -e '/pgautofailover_monitor/! s/^(host[[:space:]].*[[:space:]])trust$/\1scram-sha-256/' "$hba"
  echo "host all postgres $SUBNET.1/32 scram-sha-256 # the host side: pg-ha.sh and the tests" >>"$hba"
  # The monitor's own pg_autoctl service logs in over its socket as autoctl_node (initdb's
  # trust let it): with the password, from the keepers' passfile.
  [[ $1 != m ]] || echo "local pg_auto_failover autoctl_node scram-sha-256 # the monitor's service (pg-ha.sh)" >>"$hba"
  # Only the health checks' rule may remain; anything else saying trust is a rule this script
  # did not expect, and would let some local user in.
  if grep -vE '^[[:space:]]*(#|$)' "$hba" | grep -v pgautofailover_monitor | grep -qw trust; then
    die "$hba still trusts: $(grep -vE '^[[:space:]]*(#|$)' "$hba" | grep -v pgautofailover_monitor | grep -w trust | head -3)"
  fi
  psql_local "$1" postgres -c "SELECT pg_reload_conf()" >/dev/null
}

install() {
  command -v pg_autoctl >/dev/null && [[ -f $PGBIN/../lib/pgautofailover.so ]] && return
  [[ $(id -u) == 0 ]] || die "pg_auto_failover missing and this is not root: apt-get install postgresql-15-auto-failover"
  say "installing postgresql-15-auto-failover (Debian package)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-auto-failover >/dev/null
}

# host_up NS ADDR: a namespace on the bridge.
# shellcheck source=deploy/local/netns-host.sh
source "$ROOT/deploy/local/netns-host.sh"

# TCP keepalives of a few seconds in a database node's namespace (the kernel's default waits two
# hours). PostgreSQL and libpq turn keepalives on for every connection, so an idle connection to a
# node that vanished (a standby's to its primary, a keeper's to the monitor) is found dead within
# seconds, not hours.
fast_keepalives() {
  ip netns exec "$(node_ns "$1")" sysctl -q -w net.ipv4.tcp_keepalive_time=2 net.ipv4.tcp_keepalive_intvl=1 net.ipv4.tcp_keepalive_probes=2
}

# Runs node's keeper (the monitor's service, for m) in the background; its pid goes to a file.
run_node() {
  local node=$1 log
  log=$DIR/$([[ $node == m ]] && echo monitor || echo "node$node").log
  # shellcheck disable=SC2046
  nohup ip netns exec "$(node_ns "$node")" runuser -u postgres -- env -C / \
    XDG_CONFIG_HOME="$DIR/config" XDG_DATA_HOME="$DIR/share" XDG_RUNTIME_DIR="$DIR/runtime" \
    PGPASSFILE="$KEEPER_PASSFILE" PATH="$PGBIN:$PATH" pg_autoctl run --pgdata "$(node_data "$node")" >>"$log" 2>&1 &
}

# The state the monitor records for each node: "name state" lines (reported and assigned).
states() {
  psql_at m pg_auto_failover -F ' ' -c \
    "SELECT nodename, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodeid" 2>/dev/null
}

wait_for() {
  local what=$1 seconds=$2 check=$3 waited=0
  until eval "$check"; do
    (( waited++ < seconds * 5 )) || { states >&2 || true; die "$what not within $seconds s"; }
    sleep 0.2
  done
}

whole() {
  local n primaries=0 secondaries=0 name reported goal
  n=$(node_count)
  while read -r name reported goal; do
    [[ $reported == "$goal" ]] || return 1
    case $reported in primary) primaries=$(( primaries + 1 )) ;; secondary) secondaries=$(( secondaries + 1 )) ;; *) return 1 ;; esac
  done < <(states)
  (( primaries == 1 && secondaries == n - 1 ))
}

# Monitor timings (milliseconds): how fast a dead or cut-off primary is noticed and replaced.
# docs/faults.md ("Database") gives the reason for each value.
tune_monitor() {
  psql_at m pg_auto_failover <<'SQL'
ALTER SYSTEM SET pgautofailover.health_check_period = 500;
ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000;
ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1;
ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 250;
ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 1000;
ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 1500;
SELECT pg_reload_conf();
SQL
}

# Keeper timings (seconds), set on every node before it first runs.
tune_keeper() {
  local node=$1 data
  data=$(node_data "$node")
  # A primary that reaches neither the monitor nor any standby for this long demotes itself.
  autoctl "$node" config set --pgdata "$data" timeout.network_partition_timeout 1 >/dev/null
  # A crashed PostgreSQL is restarted by its keeper; a node whose PostgreSQL cannot restart for
  # this long is given up (the monitor fails over).
  autoctl "$node" config set --pgdata "$data" timeout.postgresql_restart_failure_timeout 5 >/dev/null
  autoctl "$node" config set --pgdata "$data" timeout.prepare_promotion_walreceiver 1 >/dev/null
}

up() {
  local n=${1:-3} i
  [[ $n =~ ^[0-9]+$ ]] && (( n >= 2 && n <= 9 )) || die "--pg-ha needs 2-9 nodes"
  [[ $(id -u) == 0 ]] || die "--pg-ha needs root (namespaces, and the servers run as postgres)"
  install
  # The run directory is private to root; postgres may pass through it to its own folder only.
  chmod 711 "$RUN_DIR"
  mkdir -p "$DIR"
  echo "$n" >"$DIR/nodes"
  chown postgres: "$DIR"
  chmod 700 "$DIR"
  make_secrets

  host_up "$(node_ns m)" "$(node_addr m)"
  fast_keepalives m
  autoctl m create monitor --pgdata "$(node_data m)" --pgport "$(node_port m)" --hostname "$(node_addr m)" \
    --auth scram-sha-256 --no-ssl >>"$DIR/monitor.log" 2>&1 || { tail -20 "$DIR/monitor.log" >&2; die "monitor not created"; }
  run_node m
  wait_for "the monitor" 30 'psql_local m pg_auto_failover -c "SELECT 1" >/dev/null 2>&1'
  # Before any node registers: the keepers log in as autoctl_node with this password.
  set_password m postgres
  set_password m autoctl_node
  close_hba m
  tune_monitor >/dev/null

  for (( i = 1; i <= n; i++ )); do
    host_up "$(node_ns "$i")" "$(node_addr "$i")"
    fast_keepalives "$i"
    autoctl "$i" create postgres --pgdata "$(node_data "$i")" --pgport "$(node_port "$i")" --hostname "$(node_addr "$i")" \
      --name "node$i" --monitor "$MONITOR_URI" --auth scram-sha-256 --no-ssl --pg-hba-lan --dbname ball \
      --pgctl $PGBIN/pg_ctl >>"$DIR/node$i.log" 2>&1 || { tail -20 "$DIR/node$i.log" >&2; die "node $i not created"; }
    tune_keeper "$i"
    run_node "$i"
    if (( i == 1 )); then
      wait_for "node 1 as the only primary" 60 '[[ $(states) == "node1 single single" ]] && psql_local 1 postgres -c "SELECT 1" >/dev/null 2>&1'
      # Roles and pg_hba.conf are copied to every standby by its base backup. pg_autoctl made
      # the replication role without a password; a standby's base backup needs it.
      set_password 1 postgres
      set_password 1 pgautofailover_replicator
      psql_local 1 postgres -c "CREATE ROLE ball LOGIN" >/dev/null
      set_password 1 ball
      psql_local 1 postgres -c "CREATE ROLE ball_runtime LOGIN" >/dev/null
      set_password 1 ball_runtime
      close_hba 1
      # Copied to every standby by its base backup. synchronous_commit=on (the default, said
      # here on purpose): a commit returns once a synchronous standby has flushed it.
      # wal_sender_timeout 5 s (pg_auto_failover sets 30 s): the keeper demotes a primary that
      # reaches neither the monitor nor a standby, and it counts a standby as reachable while its
      # WAL sender lives; a cut-off primary's WAL senders give up after this long, so it is
      # demoted while the cut lasts, and cannot serve stale reads the moment the cut heals.
      psql_at 1 postgres <<'SQL' >/dev/null
ALTER SYSTEM SET synchronous_commit = on;
ALTER SYSTEM SET wal_sender_timeout = '5s';
ALTER DATABASE ball OWNER TO ball;
SQL
      # The application's rule (pg_autoctl's --pg-hba-lan names its own user only); standbys
      # copy the file with their base backup.
      echo "host ball ball,ball_runtime $SUBNET.0/24 scram-sha-256 # ball-orleans (pg-ha.sh)" >>"$(node_data 1)/pg_hba.conf"
      psql_at 1 postgres -c "SELECT pg_reload_conf()" >/dev/null
    else
      wait_for "node $i as a standby" 90 '[[ $(states | grep -c "secondary secondary") == $(( i - 1 )) ]]'
    fi
  done
  # One standby of the two must confirm each commit: a visit's 200 means two servers hold it,
  # and losing either standby does not stop writes (docs/faults.md says why).
  autoctl m set formation number-sync-standbys $(( n > 2 ? 1 : 0 )) --pgdata "$(node_data m)" >/dev/null 2>&1 || true
  wait_for "a primary and $(( n - 1 )) standbys" 60 whole
  say "PostgreSQL HA: monitor $(node_addr m), nodes $(for (( i = 1; i <= n; i++ )); do printf '%s ' "$(node_addr "$i")"; done)(logs in $DIR)"
  connection_string
}

# connection_string [owner]: ball_runtime's, or with "owner" the schema owner's (ball).
connection_string() {
  local n i hosts="" role=ball_runtime
  [[ ${1:-} == owner ]] && role=ball
  n=$(node_count)
  for (( i = 1; i <= n; i++ )); do hosts+="${hosts:+,}$(node_addr "$i"):$(node_port "$i")"; done
  # read-write, not primary: a standby being promoted is out of recovery before pg_auto_failover
  # lets it take writes (default_transaction_read_only stays on until the old primary is fenced).
  # Host states are cached 1 s, not 10: a server learnt to be a standby may be the primary now.
  echo "Host=$hosts;Username=$role;Password=$(secret "$role");Database=ball;Target Session Attributes=read-write;Host Recheck Seconds=1"
}

# Every process node I runs: its keeper and every PostgreSQL process (their pids in its namespace).
node_pids() { ip netns pids "$(node_ns "$1")" 2>/dev/null || true; }

check_node() { [[ $1 =~ ^[1-9]$ ]] && (( $1 <= $(node_count) )) || die "a node is 1-$(node_count), not '$1'"; }

cmd=${1:-}; shift || true
case $cmd in
  up) up "${1:-3}" ;;
  connection) connection_string "${1:-}" ;;
  status) autoctl m show state --pgdata "$(node_data m)" ;;
  primary)
    # Reported and assigned alike: a dead old primary stays "reported primary" (assigned demoted).
    primary=$(states | awk '$2 == $3 && ($2 == "primary" || $2 == "wait_primary" || $2 == "single") { sub("node", "", $1); print $1 }' | head -1)
    [[ -n $primary ]] || exit 1
    echo "$primary"
    ;;
  wait-whole) wait_for "a primary and $(( $(node_count) - 1 )) standbys" "${1:-60}" whole ;;
  kill) check_node "$1"; pids=$(node_pids "$1"); [[ -n $pids ]] || die "node $1 runs nothing"
        # shellcheck disable=SC2086
        kill -KILL $pids; say "node $1 killed (SIGKILL of $(wc -w <<<"$pids") processes: keeper and PostgreSQL)" ;;
  freeze) check_node "$1"; pids=$(node_pids "$1")
          # shellcheck disable=SC2086
          kill -STOP $pids; say "node $1 frozen (SIGSTOP of $(wc -w <<<"$pids") processes)" ;;
  thaw) check_node "$1"; pids=$(node_pids "$1")
        # shellcheck disable=SC2086
        [[ -z $pids ]] || kill -CONT $pids; say "node $1 thawed" ;;
  cut) check_node "$1"
       ip netns exec "$(node_ns "$1")" sh -c 'iptables -w -A INPUT -i eth0 -j DROP && iptables -w -A OUTPUT -o eth0 -j DROP'
       say "node $1 cut off from everything" ;;
  mend)
    dropped=0
    for (( i = 1; i <= $(node_count); i++ )); do
      ns=$(node_ns "$i")
      dropped=$(( dropped + $(ip netns exec "$ns" iptables -w -L -v -x -n | awk '$3 == "DROP" { n += $1 } END { print n + 0 }') ))
      ip netns exec "$ns" iptables -w -F
    done
    echo "dropped $dropped packets" ;;
  start) check_node "$1"; [[ -z $(node_pids "$1") ]] || die "node $1 still runs"; run_node "$1"; say "node $1 started" ;;
  stop-monitor) pids=$(node_pids m)
                # shellcheck disable=SC2086
                [[ -z $pids ]] || kill -KILL $pids; say "monitor stopped (SIGKILL)" ;;
  start-monitor) [[ -z $(node_pids m) ]] || die "the monitor still runs"; run_node m
                 wait_for "the monitor" 30 'psql_at m pg_auto_failover -c "SELECT 1" >/dev/null 2>&1'; say "monitor started" ;;
  monitor) echo "Host=$(node_addr m);Port=$(node_port m);Username=postgres;Password=$(secret postgres);Database=pg_auto_failover" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
esac
