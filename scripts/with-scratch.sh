#!/usr/bin/env bash
# Usage: with-scratch.sh COMMAND [ARG...]
# Runs COMMAND with TMPDIR set to a new folder of its own, so the temporary stores, logs and folders the tests make
# (several hundred a run, some of them 10 MB) do not pile up in /tmp run after run. The folder is removed when
# COMMAND succeeds; when it fails the folder is kept and named, with what the failing tests left in it.
set -uo pipefail
scratch="$(mktemp -d "${TMPDIR:-/tmp}/bursar-tests.XXXXXX")" || exit 1
# Readable by the other users a test may run a server as.
chmod 755 "$scratch"
TMPDIR="$scratch" "$@"
status=$?
if [ "$status" -eq 0 ]; then
    rm -rf "$scratch"
else
    echo "with-scratch.sh: exit $status; the temporary files of the run are kept in $scratch" >&2
fi
exit "$status"
