#!/usr/bin/env bash
# A private PostgreSQL for development and tests, on 127.0.0.1 only.
#
#   postgres.sh start DIR PORT [--no-fsync]   init (once) and start; prints the Npgsql connection string
#   postgres.sh stop DIR
#   postgres.sh kill DIR                      crash it: SIGKILL of its whole process group (start recovers it)
#   postgres.sh status DIR
#   postgres.sh url DIR ROLE                  the connection string of ROLE: postgres, ball_owner or ball_runtime
#
# Three logins (docs/operations.md#database-roles): the superuser postgres, ball_owner (owns the
# database ball and its schema: `migrate` runs as it) and ball_runtime (what silos and the site
# log in as: no DDL, only the grants Grains/Storage/Grants/runtime.sql gives it). Each has a
# random password in DIR/password-ROLE (DIR/password for postgres).
#
# Debian's server refuses to run as root, and CI runs as root: as root, the cluster belongs to
# the postgres user and every server command runs through runuser.
#
# Nobody else on the machine gets in: TCP (127.0.0.1) asks for the password of the superuser
# `postgres` (scram-sha-256), a random one generated at init and kept in DIR/password (mode
# 0600, the server owner's); the Unix socket lives in DIR/socket (mode 0700) and admits only
# the OS user who runs the server, as `postgres` (peer). No trust anywhere. The connection
# string printed by start carries the password. A data folder made by an older version of this
# script (trust authentication) gets these rules and a password at its next start.
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

# Who runs the server: the only OS user the socket admits.
server_user() { if [[ $(id -u) == 0 ]]; then echo postgres; else id -un; fi; }

# The authentication rules, written at every start (the files are the server's own, in PGDATA).
write_auth_rules() {
  as_owner tee "$data/pg_hba.conf" >/dev/null <<HBA
# Written by deploy/local/postgres.sh at every start: edits here are overwritten.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 peer map=owner
host    all       all   127.0.0.1/32  scram-sha-256
host    all       all   ::1/128       scram-sha-256
HBA
  as_owner tee "$data/pg_ident.conf" >/dev/null <<IDENT
# Written by deploy/local/postgres.sh: the server's OS user may connect as the superuser postgres.
owner   $(server_user)   postgres
IDENT
}

# psql as the server's owner over the 0700 socket folder (peer authentication).
psql_owner() { as_owner "$PGBIN/psql" -h "$sockets" -p "$port" -U postgres -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

# A random password kept in FILE (mode 0600, the server owner's), made once.
new_password() {
  if [[ ! -s $1 ]]; then
    # 48 hex digits: nothing to quote in a connection string, a URL or a libpq passfile.
    ( umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$1" )
  fi
  [[ $(id -u) == 0 ]] && chown postgres: "$1"
  chmod 600 "$1"
}

# The Npgsql connection string of role $1 to the database ball.
url() {
  local file=$dir/password-$1
  [[ $1 == postgres ]] && file=$password_file
  [[ -s $file ]] || die "no password for role $1 in $dir"
  echo "Host=127.0.0.1;Port=$port;Username=$1;Password=$(cat "$file");Database=ball"
}

# A database made before the two roles (owned by postgres, as were its tables and functions) is
# handed to ball_owner, so that `migrate` as ball_owner may change what is there.
hand_over_to_owner() {
  psql_owner -c "alter database \"$1\" owner to ball_owner" >/dev/null
  psql_owner -d "$1" <<'SQL' >/dev/null
DO $handover$
DECLARE o record;
BEGIN
    FOR o IN SELECT c.relname, c.relkind FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'p')
               AND c.relowner <> 'ball_owner'::regrole LOOP
        EXECUTE format(CASE o.relkind WHEN 'v' THEN 'ALTER VIEW %I OWNER TO ball_owner' ELSE 'ALTER TABLE %I OWNER TO ball_owner' END, o.relname);
    END LOOP;
    FOR o IN SELECT p.oid::regprocedure AS f FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> 'ball_owner'::regrole LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO ball_owner', o.f);
    END LOOP;
    FOR o IN SELECT t.oid::regtype AS t FROM pg_type t
             WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'c' AND t.typrelid IN
                   (SELECT oid FROM pg_class WHERE relkind = 'c') AND t.typowner <> 'ball_owner'::regrole LOOP
        EXECUTE format('ALTER TYPE %s OWNER TO ball_owner', o.t);
    END LOOP;
END
$handover$;
SQL
}

cmd=${1:-}; dir=${2:-}
[[ -n $cmd && -n $dir ]] || die "usage: postgres.sh start|stop|kill|status DIR [PORT] [--no-fsync]"
# Absolute: as root the server commands run from / (runuser), where a relative path means nothing.
dir=$(realpath -m "$dir")
PGBIN=$(pg_bin)
data=$dir/data
sockets=$dir/socket
password_file=$dir/password

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
    new_password "$password_file"
    password=$(cat "$password_file")
    if [[ ! -s $data/PG_VERSION ]]; then
      as_owner "$PGBIN/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
        --pwfile="$password_file" -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    if as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1 && ! grep -q 'postgres.sh at every start' "$data/pg_hba.conf"; then
      echo "postgres.sh: restarting the server of $dir with password and peer authentication (it ran with trust)" >&2
      as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    as_owner mkdir -p "$sockets"
    as_owner chmod 700 "$sockets"
    if ! as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      write_auth_rules
      as_owner "$PGBIN/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$sockets -c unix_socket_permissions=0700 -c password_encryption=scram-sha-256 -c max_connections=300 -c fsync=$fsync" \
        start >/dev/null || { tail -20 "$dir/postgres.log" >&2; die "could not start PostgreSQL on port $port"; }
    fi
    port=$(sed -n 4p "$data/postmaster.pid")
    # A data folder from before passwords (or whose password file was lost) gets this password now.
    if ! PGPASSWORD=$password PGCONNECT_TIMEOUT=5 "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -X -q -At -d postgres -c "select 1" >/dev/null 2>&1; then
      # From stdin: psql substitutes :'password' (quoted as a literal) there, not in -c.
      echo "alter role postgres password :'password'" | psql_owner -v password="$password" >/dev/null \
        || die "could not set the password of postgres (is the server from another folder on port $port?)"
    fi
    for role in ball_owner ball_runtime; do
      new_password "$dir/password-$role"
      # Neither may create roles or databases, nor is a superuser; a password each, set at every
      # start (from stdin: psql substitutes :'password' there, not in -c).
      { echo "select 1 from pg_roles where rolname = '$role'" | psql_owner | grep -q 1 || echo "create role $role;"
        echo "alter role $role login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password :'password';"
      } | psql_owner -v password="$(cat "$dir/password-$role")" >/dev/null
    done
    psql_owner -c "select 1 from pg_database where datname = 'ball'" | grep -q 1 \
      || psql_owner -c "create database ball owner ball_owner" >/dev/null
    hand_over_to_owner ball
    url postgres
    ;;
  url)
    port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null) || die "no server running in $dir"
    url "${3:?role missing: postgres, ball_owner or ball_runtime}"
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
