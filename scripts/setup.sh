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
    time                     # GNU time: the single-log ingest benchmark's peak memory
    chromium chromium-driver # the dashboards' browser test (scripts/browser-test.sh): headless Chromium and its
                             # WebDriver, from Debian (the test never lets Selenium download a browser)
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

# Python tools for the tests and benchmarks only (the product itself needs none of them), each pinned to
# the exact version the tests were last run with: a fresh machine otherwise gets whatever PyPI has newest
# (duckdb 2.0 dropped the `x -> ...` lambdas; highspy 1.16 prints a banner on standard output).
#   moto's server is the S3-compatible endpoint the S3 source is tested against on loopback;
#   duckdb is the baseline the ingest benchmark is compared with;
#   highspy (HiGHS) cross-checks the allocator's exported models in the tests and the benchmark;
#   selenium drives Chromium in the dashboards' browser test (4.51.0: 4.52 and later need a certifi newer than
#   the index serves);
#   axe-selenium-python-nhsuk ships axe-core 4.9.1 (axe.min.js), the accessibility checker of that test
#   (axe-selenium-python 2.1.6, the newest for Python 3.11, ships axe-core 3.1.1 from 2018; they share the module).
# Each entry: the pin, then a module that must import (a package recorded as installed can still be broken,
# and moto's server needs its extras). The installed version is what counts, not importability: a machine
# with another version gets the pinned one.
python_packages=(
    'moto[server]==5.2.1 moto.server'
    'duckdb==1.5.6 duckdb'
    'highspy==1.16.0 highspy'
    'selenium==4.51.0 selenium.webdriver'
    'axe-selenium-python-nhsuk==1.0.4 axe_selenium_python'
)
python_stale=()
for entry in "${python_packages[@]}"; do
    read -r pin module <<<"$entry"
    name="${pin%%[[=]*}"
    want="${pin##*==}"
    # Last line only: whatever the import itself prints comes before the version.
    have="$(python3 -c 'import importlib, importlib.metadata, sys
importlib.import_module(sys.argv[2])
print(importlib.metadata.version(sys.argv[1]))' "$name" "$module" 2>/dev/null | tail -n 1)" || have=""
    if [ "$have" != "$want" ]; then
        python_stale+=("$pin")
    fi
done
if [ "${#python_stale[@]}" -gt 0 ]; then
    echo "setup.sh: pip installing ${python_stale[*]}"
    python3 -m pip install --quiet --disable-pip-version-check "${python_stale[@]}"
fi
