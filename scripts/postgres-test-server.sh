#!/usr/bin/env bash
# Start (or reuse) a private PostgreSQL server for the test suite and print its URL.
# It listens on 127.0.0.1:${PIAOJUE_PG_PORT:-54329}, data under ${PIAOJUE_PG_DIR:-/tmp/piaojue-pg}.
# PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
set -euo pipefail
port="${PIAOJUE_PG_PORT:-54329}"
dir="${PIAOJUE_PG_DIR:-/tmp/piaojue-pg}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then mkdir -p "$dir"; chown postgres:postgres "$dir"; fi
if [ ! -f "$dir/PG_VERSION" ]; then
  as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
fi
echo "postgresql://postgres@127.0.0.1:$port/postgres"
