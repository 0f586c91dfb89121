#!/usr/bin/env bash
# A PostgreSQL server for the tests; exports TEST_DATABASE_URL (postgresql+psycopg://ROLE@127.0.0.1:PORT/test).
#
#   . .ci/postgres.sh && ci_postgres         from a script at the repository root (as .ci/run does); it
#                                            sets the EXIT, INT and TERM traps (the caller must not)
#   bash .ci/postgres.sh [COMMAND...]        on its own: find/start a server, `select 1`, run COMMAND with
#                                            TEST_DATABASE_URL set, then stop the throwaway server, if any
#
# Which server:
#   - a preset TEST_DATABASE_URL, as is;
#   - else the server on 127.0.0.1:5432 if it answers (role postgres, then root; database test);
#   - else a throwaway server on a free port (55432 and up), run by a non-root OS user, installing Debian's
#     `postgresql` if needed. It is stopped and its directory deleted when the calling shell exits.
# Knobs (optional):
#   CI_FORCE_LOCAL_PG=1  ignore 127.0.0.1:5432 and a preset TEST_DATABASE_URL: always start a throwaway server
#   CI_PG_USER=name      OS user that runs the throwaway server when run as root (default postgres, created
#                        if absent)
# Needs .venv/bin/python with psycopg (the project's install) for the port probes and the `select 1`.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_TMPDIR="" PG_BINDIR="" PG_RUN_AS="" PG_PORT="" PG_ROLE=""

# pg_answers HOST PORT: a server accepts connections there.
pg_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -t 3 -h "$1" -p "$2" </dev/null
    else
        .venv/bin/python -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()' \
            "$1" "$2" 2>/dev/null
    fi
}

# pg_role_works HOST PORT ROLE DB: `select 1` works as ROLE without a password.
pg_role_works() {
    if command -v psql >/dev/null 2>&1; then
        PGCONNECT_TIMEOUT=5 psql -X -q -w -h "$1" -p "$2" -U "$3" -d "$4" -c 'select 1' </dev/null >/dev/null 2>&1
    else
        .venv/bin/python - "$@" <<'PY' >/dev/null 2>&1
import sys, psycopg
host, port, user, db = sys.argv[1:5]
with psycopg.connect(host=host, port=int(port), user=user, dbname=db, connect_timeout=5) as c:
    c.execute("select 1")
PY
    fi
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() {
    .venv/bin/python -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

# find_pg_bindir: the directory with initdb and pg_ctl (Debian's newest major first, then pg_config, then PATH).
find_pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V -r) \
        "$(pg_config --bindir 2>/dev/null)" "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
        if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

# as_pg_user CMD...: run CMD as the throwaway server's OS user, from its directory.
as_pg_user() {
    if [ -n "$PG_RUN_AS" ]; then
        (cd "$PG_TMPDIR" && runuser -u "$PG_RUN_AS" -- "$@")
    else
        (cd "$PG_TMPDIR" && "$@")
    fi
}

stop_local_pg() {
    [ -n "$PG_TMPDIR" ] || return 0
    if [ -f "$PG_TMPDIR/data/postmaster.pid" ]; then
        info "stopping throwaway PostgreSQL ($PG_TMPDIR)"
        as_pg_user "$PG_BINDIR/pg_ctl" -D "$PG_TMPDIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || as_pg_user "$PG_BINDIR/pg_ctl" -D "$PG_TMPDIR/data" -m immediate -w stop >/dev/null 2>&1 \
            || echo "--> WARNING: could not stop PostgreSQL in $PG_TMPDIR" >&2
    fi
    rm -rf "$PG_TMPDIR"
    PG_TMPDIR=""
}

pg_on_exit() {
    local rc=$?
    set +e
    stop_local_pg
    exit "$rc"
}

start_local_pg() {
    PG_BINDIR=$(find_pg_bindir) || {
        info "PostgreSQL server binaries not found; installing Debian's postgresql package"
        apt_install postgresql
        PG_BINDIR=$(find_pg_bindir) || die "postgresql installed but initdb/pg_ctl not found"
    }
    info "PostgreSQL binaries: $PG_BINDIR ($("$PG_BINDIR/postgres" --version))"

    if is_root; then  # PostgreSQL refuses to run as root
        PG_RUN_AS=${CI_PG_USER:-postgres}
        if ! id -u "$PG_RUN_AS" >/dev/null 2>&1; then
            info "creating OS user $PG_RUN_AS"
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_RUN_AS"
        fi
        command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is needed to start PostgreSQL as $PG_RUN_AS"
    fi

    local port=55432
    while ! port_free "$port"; do
        port=$((port + 1))
        [ "$port" -lt 55532 ] || die "no free port in 55432-55531 for PostgreSQL"
    done

    PG_TMPDIR=$(mktemp -d /tmp/ci-postgres.XXXXXX)
    chmod 0755 "$PG_TMPDIR"
    [ -z "$PG_RUN_AS" ] || chown "$PG_RUN_AS" "$PG_TMPDIR"
    info "throwaway server: user=${PG_RUN_AS:-$(id -un)} dir=$PG_TMPDIR port=$port"

    as_pg_user "$PG_BINDIR/initdb" -D "$PG_TMPDIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C \
        --no-sync >"$PG_TMPDIR/initdb.log" 2>&1 || { cat "$PG_TMPDIR/initdb.log" >&2; die "initdb failed"; }
    as_pg_user "$PG_BINDIR/pg_ctl" -D "$PG_TMPDIR/data" -l "$PG_TMPDIR/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$PG_TMPDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$PG_TMPDIR/postgres.log" >&2; die "PostgreSQL did not start"; }

    local i
    for i in $(seq 1 60); do
        pg_answers 127.0.0.1 "$port" && break
        [ "$i" -lt 60 ] || { cat "$PG_TMPDIR/postgres.log" >&2; die "PostgreSQL on port $port is not ready"; }
        sleep 1
    done
    "$PG_BINDIR/createdb" -h 127.0.0.1 -p "$port" -U postgres -w test </dev/null || die "createdb test failed"
    PG_PORT=$port PG_ROLE=postgres
}

# ci_postgres: choose or start the server, export TEST_DATABASE_URL and check `select 1` through it.
ci_postgres() {
    trap pg_on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local force=${CI_FORCE_LOCAL_PG:-0} role
    if [ -n "${TEST_DATABASE_URL:-}" ] && [ "$force" != 1 ]; then
        info "using the preset TEST_DATABASE_URL"
    elif [ "$force" != 1 ] && pg_answers 127.0.0.1 5432; then
        info "a server answers on 127.0.0.1:5432"
        for role in postgres root; do
            if pg_role_works 127.0.0.1 5432 "$role" test; then
                PG_PORT=5432 PG_ROLE=$role
                break
            fi
            info "role $role cannot connect to database test"
        done
        [ -n "$PG_ROLE" ] || { info "no usable role on 127.0.0.1:5432; starting a throwaway server"; start_local_pg; }
    else
        if [ "$force" = 1 ]; then
            info "CI_FORCE_LOCAL_PG=1: not checking 127.0.0.1:5432"
        else
            info "nothing answers on 127.0.0.1:5432"
        fi
        start_local_pg
    fi
    [ -z "$PG_ROLE" ] || export TEST_DATABASE_URL="postgresql+psycopg://${PG_ROLE}@127.0.0.1:${PG_PORT}/test"
    info "TEST_DATABASE_URL=$TEST_DATABASE_URL"
    .venv/bin/python - <<'PY' || die "cannot run 'select 1' through TEST_DATABASE_URL"
import os, psycopg
url = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
with psycopg.connect(url, connect_timeout=10) as conn:
    conn.execute("select 1")
    print("--> select 1 works:", conn.execute("select version()").fetchone()[0])
PY
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then  # run, not sourced
    set -euo pipefail
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    ci_postgres
    [ "$#" -eq 0 ] || "$@"
fi
