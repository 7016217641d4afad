#!/usr/bin/env bash
# Runs every test of the workspace against a real MariaDB, setting it up first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/mariadb.sh
cargo test --workspace --all-features --locked "$@"
