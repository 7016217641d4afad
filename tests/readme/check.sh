#!/usr/bin/env bash
# Builds and runs the README's Rust and TOML as a new user would: a project made
# by `cargo new` (target/readme/my-dice-app), its files taken from the README by
# extract.py, with the README's `path = "../dice/..."` pointing at this checkout;
# then `cargo fmt --check`, `cargo run` and `cargo test` in it, warnings denied.
# It has a target directory of its own, so it reuses nothing of the workspace's
# build, and it is excluded from the workspace (root Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$PWD/target/readme"
project="$work/my-dice-app"

rm -rf "$project"
mkdir -p "$work"
# `cargo new` run inside this checkout would make a member of its workspace:
# make the project elsewhere, as a reader does, and move it here.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && cargo new --quiet --vcs none my-dice-app)
mv "$scratch/my-dice-app" "$project"
python3 tests/readme/extract.py README.md "$project" ../../..
# The workspace's lock file, so the project gets the dependency versions the
# workspace is tested with rather than whatever was published since; cargo
# drops the rest of it.
cp Cargo.lock "$project/Cargo.lock"

cd "$project"
export CARGO_TARGET_DIR="$work/target" RUSTFLAGS="-D warnings"
cargo fmt --check # the README shows code as rustfmt writes it
cargo run --quiet
cargo test --quiet
