#!/usr/bin/env bash
# Starts, stops or restarts the throwaway PostgreSQL and Redis servers the
# store tests use, on loopback only. Used by .ci/run and by the fault tests.
#   services.sh start|stop|restart [postgres|redis|all]
set -euo pipefail
base=${AUTHKIT_SERVICES_DIR:-/tmp/authkit-services}
pgport=${AUTHKIT_PG_PORT:-55432}
redisport=${AUTHKIT_REDIS_PORT:-56379}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pgdata=$base/pgdata

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  mkdir -p "$base"
  if [ ! -s "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$base"
    as_postgres "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  as_postgres "$pgbin/pg_ctl" -D "$pgdata" -l "$base/postgres.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $base -c max_connections=300 -c fsync=off -c synchronous_commit=off" start >/dev/null
  as_postgres "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='authkit'" | grep -q 1 ||
    as_postgres "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE authkit" >/dev/null
}
pg_stop() {
  [ -s "$pgdata/PG_VERSION" ] && as_postgres "$pgbin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
}
redis_start() {
  mkdir -p "$base"
  redis-server --bind 127.0.0.1 --port "$redisport" --daemonize yes --save '' --appendonly no \
    --pidfile "$base/redis.pid" --logfile "$base/redis.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis did not start" >&2; return 1
}
redis_stop() {
  redis-cli -p "$redisport" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 || return 0; sleep 0.1; done
}

cmd=${1:-start}; what=${2:-all}
for svc in postgres redis; do
  [ "$what" = all ] || [ "$what" = "$svc" ] || continue
  case "$cmd:$svc" in
    start:postgres) pg_start ;;
    stop:postgres) pg_stop ;;
    restart:postgres) pg_stop; pg_start ;;
    start:redis) redis_start ;;
    stop:redis) redis_stop ;;
    restart:redis) redis_stop; redis_start ;;
    *) echo "usage: $0 start|stop|restart [postgres|redis|all]" >&2; exit 2 ;;
  esac
done
