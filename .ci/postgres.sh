#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 and prints the URL to use.
# Usage: eval "$(.ci/postgres.sh start)"   ...   .ci/postgres.sh stop "$KVALITET_PG_DIR"
# Installs Debian's postgresql when no server binaries are found. fsync is off (tests
# only) unless KVALITET_PG_FSYNC=on, as the benchmarks set it; KVALITET_PG_OPTS adds server
# settings (e.g. "-c shared_buffers=1GB").
# KVALITET_PG_REPLICA=1 also starts a streaming replica of it (TEST_POSTGRES_READ_URL);
# KVALITET_PGBOUNCER=1 also starts Debian's pgbouncer in transaction mode in front of it
# (TEST_PGBOUNCER_URL; installed when missing), with a pool of 4 server connections per
# database so that clients really share them.
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
        -o "-h 127.0.0.1 -p $port -k $dir -c fsync=${KVALITET_PG_FSYNC:-off} -c max_connections=500 ${KVALITET_PG_OPTS:-}" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "export KVALITET_PG_DIR=$dir"
    echo "export TEST_POSTGRES_URL=postgres://kvalitet@127.0.0.1:$port/postgres"
    if [ "${KVALITET_PG_REPLICA:-0}" = 1 ]; then
        rport=$((port + 1))
        "${run[@]}" "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U kvalitet -D "$dir/replica" -R -X stream >&2 \
            || exit 1
        "${run[@]}" "$bin/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w \
            -o "-h 127.0.0.1 -p $rport -k $dir -c fsync=off -c max_connections=500 -c hot_standby=on" start >&2 \
            || { cat "$dir/replica.log" >&2; exit 1; }
        echo "export TEST_POSTGRES_READ_URL=postgres://kvalitet@127.0.0.1:$rport/postgres"
    fi
    if [ "${KVALITET_PGBOUNCER:-0}" = 1 ]; then
        if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
            echo "installing pgbouncer" >&2
            apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >&2
        fi
        bport=$((port + 2))
        printf '"kvalitet" ""\n' >"$dir/userlist.txt"
        cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 4
# Test databases come and go: their server connections should not outlive them for long.
server_idle_timeout = 5
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
        [ "$(id -u)" = 0 ] && chown postgres "$dir/pgbouncer.ini" "$dir/userlist.txt"
        "${run[@]}" /usr/sbin/pgbouncer -d "$dir/pgbouncer.ini" >&2 || { cat "$dir/pgbouncer.log" >&2; exit 1; }
        echo "export TEST_PGBOUNCER_URL=postgres://kvalitet@127.0.0.1:$bport/postgres"
    fi
    ;;
stop)
    dir=${2:?usage: postgres.sh stop DIR}
    bin=$(find_bin)
    run=()
    [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
    [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null
    [ -d "$dir/replica" ] && "${run[@]}" "$bin/pg_ctl" -D "$dir/replica" -m immediate stop >/dev/null 2>&1
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
esac
