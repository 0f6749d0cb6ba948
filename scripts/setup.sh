#!/usr/bin/env bash
# Installs the Debian packages Bursar's C-library targets, tests and scripts need, only when one is missing,
# so running it on every CI start costs nothing on a prepared machine.
set -euo pipefail

packages=(
    libglpk-dev glpk-utils   # GLPK solver (no pkg-config file; header and libglpk on default paths)
    libpq-dev postgresql     # libpq client; the server for scripts/with-postgres.sh
    libcurl4-openssl-dev     # HTTPFetch
    libsqlite3-dev           # Store (SQLite)
    zlib1g-dev               # Gzip
    pkg-config               # SwiftPM reads libpq/libcurl/sqlite3/zlib flags through it
    python3                  # the HTTP server in the libcurl tests
)

missing=()
for package in "${packages[@]}"; do
    # "install ok installed" is the only state in which the files are really there (not half-configured or removed).
    if [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "setup.sh: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
else
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
