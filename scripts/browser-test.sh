#!/usr/bin/env bash
# The dashboards in a real browser (issue #18): headless Chromium (Debian's chromium and chromium-driver) driven
# by Selenium, with axe-core, against `bursar serve` on loopback and `bursar dashboards export` on disk
# (Tests/Browser/dashboards_test.py says what is checked).
#   bash scripts/browser-test.sh            a synthetic history with known truth: sign-in, crawl, numbers, export
#   bash scripts/browser-test.sh --sample   the bundled sample (bursar nightly into a temporary store): the crawl
# BURSAR_BIN: the bursar to test (a release build, say); without it the debug build is brought up to date and
# used. SCREENSHOTS: where each page's screenshot goes (default .build/browser-screenshots/).
# Exits non-zero when any check fails; no check depends on how long anything took.
set -euo pipefail
cd "$(dirname "$0")/.."

data=synthetic
for argument in "$@"; do
    case "$argument" in
        --sample) data=sample ;;
        *) echo "usage: bash scripts/browser-test.sh [--sample]" >&2; exit 1 ;;
    esac
done

bash scripts/setup.sh
if [ -z "${BURSAR_BIN:-}" ]; then
    swift build --product bursar
fi
export BURSAR_BIN="${BURSAR_BIN:-$PWD/.build/debug/bursar}"
export BROWSER_DATA="$data"
exec python3 Tests/Browser/dashboards_test.py
