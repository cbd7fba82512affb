#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 and prints the URL to use.
# Usage: eval "$(.ci/postgres.sh start)"   ...   .ci/postgres.sh stop "$KVALITET_PG_DIR"
# Installs Debian's postgresql when no server binaries are found. fsync is off (tests
# only) unless KVALITET_PG_FSYNC=on, as the benchmarks set it; KVALITET_PG_OPTS adds server
# settings (e.g. "-c shared_buffers=1GB").
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

case "${1:-start}" in
start)
    bin=$(find_bin)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "installing postgresql" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bin=$(find_bin)
    fi
    dir=$(mktemp -d /tmp/kvalitet-pg.XXXXXX)
    port=$(( 20000 + RANDOM % 20000 ))
    # PostgreSQL refuses to run as root: run it as the postgres user then.
    run=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
        run=(runuser -u postgres --)
    fi
    "${run[@]}" "$bin/initdb" -D "$dir/data" -A trust -U kvalitet -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-h 127.0.0.1 -p $port -k $dir -c fsync=${KVALITET_PG_FSYNC:-off} -c max_connections=200 ${KVALITET_PG_OPTS:-}" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "export KVALITET_PG_DIR=$dir"
    echo "export TEST_POSTGRES_URL=postgres://kvalitet@127.0.0.1:$port/postgres"
    ;;
stop)
    dir=${2:?usage: postgres.sh stop DIR}
    bin=$(find_bin)
    run=()
    [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
esac
