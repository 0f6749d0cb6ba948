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
    openssl                  # test certificates for the Kubernetes API client's TLS tests
    wrk                      # the router benchmark's HTTP load generator
)

missing=()
for package in "${packages[@]}"; do
    # "install ok installed" is the only state in which the files are really there (not half-configured or removed).
    if [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$package")
    fi
done

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
else
    sudo=(sudo)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup.sh: installing ${missing[*]}"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

# Python tools for the tests and benchmarks only (the product itself needs none of them):
# moto's server is the S3-compatible endpoint the S3 source is tested against on loopback;
# duckdb is the baseline the ingest benchmark is compared with; highspy checks the allocation models.
python_missing=()
python3 -c 'import moto.server' 2>/dev/null || python_missing+=('moto[server]>=5,<6')
python3 -c 'import duckdb' 2>/dev/null || python_missing+=('duckdb==1.*')
# highspy (HiGHS) cross-checks the allocator's exported models in the tests and the benchmark.
python3 -c 'import highspy' 2>/dev/null || python_missing+=('highspy>=1.7')
if [ "${#python_missing[@]}" -gt 0 ]; then
    echo "setup.sh: pip installing ${python_missing[*]}"
    python3 -m pip install --quiet --disable-pip-version-check "${python_missing[@]}"
fi
