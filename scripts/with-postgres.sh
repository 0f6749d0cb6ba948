#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Runs CMD against a throwaway PostgreSQL server: a fresh cluster in a temp dir, trust auth, listening only on
# 127.0.0.1 (free port) and a unix socket inside the temp dir. CMD sees
#   BURSAR_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:PORT/postgres
# The server is stopped and the temp dir removed on every exit path (success, failure, Ctrl-C, TERM), and the
# script exits with CMD's exit code.
set -euo pipefail
# INT/TERM are handled after a foreground CMD returns (bash defers traps); Ctrl-C reaches CMD too.

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

say() { echo "with-postgres: $*" >&2; }

# Highest installed major version (Debian installs each under /usr/lib/postgresql/MAJOR/bin).
pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        if [ -z "$pg_bin" ] || [ "$(basename "$(dirname "$dir")")" -gt "$(basename "$(dirname "$pg_bin")")" ]; then
            pg_bin="$dir"
        fi
    fi
done
if [ -z "$pg_bin" ]; then
    say "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run scripts/setup.sh)"
    exit 2
fi

# initdb refuses to run as root, so as root everything server-side runs as the postgres OS user.
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        say "running as root but there is no 'postgres' user to own the server"
        exit 2
    fi
    as_server() { runuser -u postgres -- "$@"; }
else
    as_server() { "$@"; }
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bursar-pg.XXXXXX")"
data="$tmp/data"
log="$tmp/server.log"

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -f "$data/postmaster.pid" ]; then
        # "fast" disconnects clients and shuts down cleanly; fall back to SIGKILL so the dir can go.
        if ! (cd "$tmp" && as_server "$pg_bin/pg_ctl" -D "$data" -m fast -w -t 20 stop >/dev/null 2>&1); then
            pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
            [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$tmp"
fi
chmod 700 "$tmp"

# Server-side commands run from inside the temp dir: the postgres user may not be able to enter the
# caller's working directory.
(cd "$tmp" && as_server "$pg_bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-locale --no-sync >"$tmp/initdb.log" 2>&1) || {
    say "initdb failed:"
    cat "$tmp/initdb.log" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A port found free can be taken before the server binds it; retry with a new one in that case.
port=""
for attempt in 1 2 3 4 5; do
    candidate="$(free_port)"
    options="-c listen_addresses=127.0.0.1 -p $candidate -k $tmp -c fsync=off -c full_page_writes=off"
    # -w makes pg_ctl wait until the server accepts connections or has died (e.g. port taken meanwhile).
    if (cd "$tmp" && as_server "$pg_bin/pg_ctl" -D "$data" -l "$log" -o "$options" -w -t 60 start >/dev/null 2>&1); then
        for _ in $(seq 1 100); do
            if "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$candidate" -U postgres -d postgres; then
                port="$candidate"
                break
            fi
            sleep 0.1
        done
    fi
    [ -n "$port" ] && break
    (cd "$tmp" && as_server "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1) || true
    say "attempt $attempt on port $candidate failed; retrying"
done
if [ -z "$port" ]; then
    say "PostgreSQL did not become ready; server log:"
    cat "$log" >&2 || true
    exit 1
fi

export BURSAR_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
say "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') at $BURSAR_TEST_POSTGRES_URL (socket dir $tmp, data $data)"

status=0
"$@" || status=$?
exit "$status"
