#!/usr/bin/env bash
# Starts (or stops) a Redis and a PostgreSQL server on loopback for trying several relay processes locally
# (README "Running more than one relay"). Data lives in ./cluster-data; nothing listens beyond 127.0.0.1.
#   tools/cluster-servers.sh start   → prints the BW_REDIS_URL and BW_DATABASE_URL to export
#   tools/cluster-servers.sh stop
# The tests do not use this script: they start their own throwaway servers (test/db-servers.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/cluster-data"
redis_port=${BW_LOCAL_REDIS_PORT:-6390}
pg_port=${BW_LOCAL_PG_PORT:-5440}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

if [ ! -x /usr/bin/redis-server ] || [ -z "$pg_bin" ]; then
  echo "redis-server and postgresql are needed: sudo apt-get update && sudo apt-get install -y redis-server postgresql" >&2
  exit 1
fi
as_pg() { # PostgreSQL refuses to run as root: as root, run it as Debian's 'postgres' user
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    mkdir -p "$dir/redis" "$dir/pg"
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir/redis" --save '' --appendonly no --daemonize yes \
      --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir/pg"
    if [ ! -f "$dir/pg/data/PG_VERSION" ]; then
      as_pg "$pg_bin/initdb" -D "$dir/pg/data" -U bw --auth=trust -E UTF8 --locale=C >/dev/null
    fi
    as_pg "$pg_bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/postgres.log" -w \
      -o "-h 127.0.0.1 -p $pg_port -k $dir/pg" start >/dev/null
    echo "export BW_REDIS_URL=redis://127.0.0.1:$redis_port"
    echo "export BW_DATABASE_URL=postgres://bw@127.0.0.1:$pg_port/postgres"
    ;;
  stop)
    [ -f "$dir/redis/redis.pid" ] && kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
    [ -f "$dir/pg/data/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$dir/pg/data" -m fast stop >/dev/null || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
