#!/usr/bin/env bash
# A private PostgreSQL for development and tests, on 127.0.0.1 only.
#
#   postgres.sh start DIR PORT [--no-fsync]   init (once) and start; prints the Npgsql connection string
#   postgres.sh stop DIR
#   postgres.sh kill DIR                      crash it: SIGKILL of its whole process group (start recovers it)
#   postgres.sh status DIR
#
# Debian's server refuses to run as root, and CI runs as root: as root, the cluster belongs to
# the postgres user and every server command runs through runuser. Trust authentication on
# loopback: this is a private, local database, never a shared one.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [[ -z $bin ]]; then
    [[ $(id -u) == 0 ]] || die "PostgreSQL server binaries not found; install Debian's postgresql package"
    echo "postgres.sh: installing PostgreSQL (Debian package)" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$bin"
}

as_owner() {
  if [[ $(id -u) == 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

cmd=${1:-}; dir=${2:-}
[[ -n $cmd && -n $dir ]] || die "usage: postgres.sh start|stop|kill|status DIR [PORT] [--no-fsync]"
PGBIN=$(pg_bin)
data=$dir/data

case $cmd in
  start)
    # --no-fsync gives up what survives a power cut, not what survives a crash of PostgreSQL
    # itself: commits still reach the OS before they are acknowledged (synchronous_commit stays on).
    port=${3:?port missing}; fsync=on
    [[ ${4:-} == --no-fsync ]] && fsync=off
    mkdir -p "$dir"
    if [[ $(id -u) == 0 ]]; then
      id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
      chown postgres: "$dir"
      runuser -u postgres -- test -w "$dir" || die "user postgres cannot write to $dir (a parent folder is closed to it); set BALL_DATA_DIR to an open folder"
    fi
    if [[ ! -s $data/PG_VERSION ]]; then
      as_owner "$PGBIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    if ! as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$PGBIN/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=300 -c fsync=$fsync" \
        start >/dev/null || { tail -20 "$dir/postgres.log" >&2; die "could not start PostgreSQL on port $port"; }
    fi
    port=$(sed -n 4p "$data/postmaster.pid")
    "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -X -q -At -d postgres \
      -c "select 1 from pg_database where datname = 'ball'" | grep -q 1 \
      || "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -X -q -d postgres -c "create database ball" >/dev/null
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=ball"
    ;;
  stop)
    [[ -s $data/postmaster.pid ]] && as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
    ;;
  kill)
    [[ -s $data/postmaster.pid ]] || die "no postmaster.pid in $data"
    pid=$(head -1 "$data/postmaster.pid")
    kill -0 "$pid" 2>/dev/null || die "PostgreSQL (pid $pid) is not running"
    # pg_ctl starts the postmaster in a session of its own, so its group is the server and its
    # backends, nothing else; refuse anything that looks otherwise.
    pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
    [[ $pgid == "$pid" ]] || die "postmaster $pid does not lead its process group ($pgid); not killing it"
    kill -KILL -- "-$pgid"
    for (( waited = 0; waited < 100; waited++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    ;;
  status)
    as_owner "$PGBIN/pg_ctl" -D "$data" status
    ;;
  *) die "unknown command $cmd" ;;
esac
