#!/usr/bin/env bash
# The production topology on this machine, for the tests and bench:api (see README "Deployment"):
#   PgBouncer, transaction pooling, on 127.0.0.1:6432, with a `*` fallback database in front of the local
#   PostgreSQL on 127.0.0.1:5432 (so any database, e.g. a per-run test database, goes through it);
#   a streaming replica of that PostgreSQL on 127.0.0.1:5433 (pg_basebackup, hot standby, no replication slot).
#
#   bash scripts/topology.sh up       idempotent: starts what is not running, repairs a replica that stopped
#                                     streaming; installs Debian's pgbouncer if it is missing (root)
#   bash scripts/topology.sh down     stops both (the primary is never touched)
#   bash scripts/topology.sh status   exit 0 when both answer
#   bash scripts/topology.sh env      prints the TEST_* variables that run the suite through it
#
# The primary is shared: this never restarts it and never uses ALTER SYSTEM. It only adds trust lines for
# replication from loopback to its pg_hba.conf (if missing) and reloads it. Needs root or the postgres user.
set -euo pipefail

PRIMARY_PORT=5432
BOUNCER_PORT=6432
REPLICA_PORT=5433
DIR=${TOPOLOGY_DIR:-/var/lib/postgresql/sdg-topology}
REPLICA_DIR=$DIR/replica

log() { printf 'topology: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_at() { psql -X -q -h 127.0.0.1 -U postgres -d postgres -At -p "$@"; }
answers() { pg_isready -q -h 127.0.0.1 -p "$1" -t 2; }

bindir() {
  local major
  major=$(psql_at "$PRIMARY_PORT" -c "SHOW server_version_num" | cut -c1-2)
  echo "/usr/lib/postgresql/$major/bin"
}

allow_replication() {
  local hba
  hba=$(psql_at "$PRIMARY_PORT" -c "SHOW hba_file")
  if ! grep -Eq '^\s*host\s+replication\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    [ -w "$hba" ] || die "cannot add a replication line to $hba (run as root)"
    log "allowing replication from 127.0.0.1 in $hba"
    printf '\n# streaming replica of scripts/topology.sh (loopback only)\nlocal replication all trust\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
    psql_at "$PRIMARY_PORT" -c "SELECT pg_reload_conf()" >/dev/null
  fi
}

replica_streaming() {
  answers "$REPLICA_PORT" &&
    [ "$(psql_at "$REPLICA_PORT" -c "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null)" = t ]
}

wait_streaming() {
  for _ in $(seq 1 "$1"); do
    replica_streaming && return 0
    sleep 1
  done
  return 1
}

make_replica() {
  local bin=$1
  log "making the replica in $REPLICA_DIR (pg_basebackup of 127.0.0.1:$PRIMARY_PORT)"
  as_postgres "$bin/pg_ctl" -D "$REPLICA_DIR" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$REPLICA_DIR"
  as_postgres "$bin/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$REPLICA_DIR" \
    -X stream -R -c fast --no-sync
  # A hot standby needs these at least as high as on the primary.
  local settings=""
  for name in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
    settings+="$name = $(psql_at "$PRIMARY_PORT" -c "SHOW $name")"$'\n'
  done
  as_postgres tee "$REPLICA_DIR/postgresql.conf" >/dev/null <<EOF
# The streaming replica of scripts/topology.sh.
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
hot_standby = on
hot_standby_feedback = on
max_standby_streaming_delay = 5s
shared_buffers = 32MB
logging_collector = off
$settings
EOF
  as_postgres tee "$REPLICA_DIR/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
  as_postgres touch "$REPLICA_DIR/pg_ident.conf"
}

replica_up() {
  local bin
  bin=$(bindir)
  allow_replication
  replica_streaming && return 0
  if [ -f "$REPLICA_DIR/standby.signal" ]; then
    log "starting the replica on 127.0.0.1:$REPLICA_PORT"
    as_postgres "$bin/pg_ctl" -D "$REPLICA_DIR" -l "$DIR/replica.log" -w -t 30 start >/dev/null 2>&1 9>&- || true
    wait_streaming 15 && return 0
    log "the replica does not stream (e.g. the primary's WAL moved on): making it again"
  elif answers "$REPLICA_PORT"; then
    die "something else answers on 127.0.0.1:$REPLICA_PORT"
  fi
  make_replica "$bin"
  as_postgres "$bin/pg_ctl" -D "$REPLICA_DIR" -l "$DIR/replica.log" -w -t 60 start >/dev/null 9>&- ||
    die "the replica did not start; see $DIR/replica.log"
  wait_streaming 30 || die "the replica does not stream; see $DIR/replica.log"
}

bouncer_up() {
  if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
    [ "$(id -u)" = 0 ] || die "pgbouncer is not installed (apt-get install pgbouncer)"
    log "installing Debian's pgbouncer"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq pgbouncer) >/dev/null ||
      die "apt-get install pgbouncer failed"
  fi
  local bouncer
  bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  as_postgres tee "$DIR/userlist.txt" >/dev/null <<<'"postgres" ""'
  as_postgres tee "$DIR/pgbouncer.ini" >/dev/null <<EOF
; PgBouncer of scripts/topology.sh: transaction pooling; any database name goes to the local PostgreSQL.
[databases]
* = host=127.0.0.1 port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
server_idle_timeout = 20
server_lifetime = 600
ignore_startup_parameters = extra_float_digits,options,application_name
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
EOF
  if answers "$BOUNCER_PORT"; then
    # Running (ours, or a previous run's): take the configuration written above.
    psql -X -q -h 127.0.0.1 -p "$BOUNCER_PORT" -U postgres -d pgbouncer -c "RELOAD" >/dev/null 2>&1 ||
      die "something that is not this PgBouncer answers on 127.0.0.1:$BOUNCER_PORT"
    return 0
  fi
  log "starting PgBouncer on 127.0.0.1:$BOUNCER_PORT"
  as_postgres "$bouncer" -d "$DIR/pgbouncer.ini" 9>&- || die "PgBouncer did not start; see $DIR/pgbouncer.log"
  for _ in $(seq 1 20); do
    answers "$BOUNCER_PORT" && return 0
    sleep 0.5
  done
  die "PgBouncer does not answer; see $DIR/pgbouncer.log"
}

up() {
  answers "$PRIMARY_PORT" || die "PostgreSQL does not answer on 127.0.0.1:$PRIMARY_PORT"
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
  # One `up` at a time (test runs may start together); the daemons started below do not inherit the lock.
  exec 9>"$DIR/.lock"
  flock 9
  bouncer_up
  replica_up
  log "up: PgBouncer 127.0.0.1:$BOUNCER_PORT, replica 127.0.0.1:$REPLICA_PORT"
}

down() {
  if [ -f "$DIR/pgbouncer.pid" ]; then
    kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true
  fi
  if [ -f "$REPLICA_DIR/PG_VERSION" ]; then
    as_postgres "$(bindir)/pg_ctl" -D "$REPLICA_DIR" -m fast stop >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
up) up ;;
down) down ;;
status) answers "$BOUNCER_PORT" && replica_streaming ;;
env)
  echo "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$BOUNCER_PORT/postgres"
  echo "TEST_DATABASE_DIRECT_URL=postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres"
  echo "TEST_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/postgres"
  ;;
*) die "usage: $0 up|down|status|env" ;;
esac
