#!/usr/bin/env bash
# Makes sure of headless Chromium and its WebDriver, which the page's browser
# tests drive: Debian's chromium and chromium-driver, installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

need chromium chromium
need chromedriver chromium-driver
