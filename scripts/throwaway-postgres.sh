#!/usr/bin/env bash
# A PostgreSQL server of its own in one folder, for tests and trials; nothing else is touched.
#
#   scripts/throwaway-postgres.sh start DIR PORT   start it (creating it the first time) and
#                                                  print the DAGSTER_PG_* settings to export
#   scripts/throwaway-postgres.sh stop DIR         stop it; delete DIR to throw it away
#
# DIR must be reachable by the `postgres` user when run as root (e.g. under /tmp, not under a
# private home): PostgreSQL refuses to run as root, so the server runs as `postgres` then.
# Local connections are trusted; it listens on 127.0.0.1 only. Needs scripts/install-postgres.sh.
set -euo pipefail

command=${1:?usage: $0 start DIR PORT | stop DIR}
dir=${2:?usage: $0 start DIR PORT | stop DIR}

bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
    echo "PostgreSQL is not installed: run scripts/install-postgres.sh first." >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$command" in
start)
    port=${3:?usage: $0 start DIR PORT}
    mkdir -p "$dir"
    chmod 700 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'dagster'" | grep -q 1; then
        as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres dagster
    fi
    echo "DAGSTER_PG_HOST=127.0.0.1"
    echo "DAGSTER_PG_PORT=$port"
    echo "DAGSTER_PG_DB=dagster"
    echo "DAGSTER_PG_USER=postgres"
    echo "DAGSTER_PG_PASSWORD=trusted-locally"
    ;;
stop)
    if [ -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
