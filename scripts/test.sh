#!/usr/bin/env bash
# Runs every test against a real MariaDB and a real headless Chromium, setting
# them up first (scripts/mariadb.sh, scripts/chromium.sh),
# then proves that set-up on a server initialised from scratch
# (scripts/mariadb-from-scratch.sh) and builds and runs the README's Rust and
# TOML as a project of a new user's would (tests/readme/check.sh).
#
#   bash scripts/test.sh               # all of it
#   bash scripts/test.sh -p dice-core  # arguments go to `cargo test`, and only it runs
#
# DICE_TEST_DATABASE_URL, when set, names the server to use instead; it must let
# its user create databases and users (see scripts/mariadb.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DICE_TEST_DATABASE_URL:-}" ]; then
  DICE_TEST_DATABASE_URL=$(bash scripts/mariadb.sh)
  export DICE_TEST_DATABASE_URL
fi

bash scripts/chromium.sh

cargo test --workspace --all-features --locked "$@"
[ $# -eq 0 ] || exit 0

echo "== the test set-up on a MariaDB initialised from scratch"
bash scripts/mariadb-from-scratch.sh
echo "== the README's code, as a new project"
bash tests/readme/check.sh
