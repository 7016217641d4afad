#!/usr/bin/env bash
# Builds the Lambda zip for one architecture with cargo-lambda, and checks it.
#
#   bash scripts/package.sh            # x86_64
#   bash scripts/package.sh arm64      # after `rustup target add aarch64-unknown-linux-gnu`
#
# Whichever the architecture, the zip lands at target/lambda/bootstrap/bootstrap.zip,
# the CodeUri of deploy/template.yaml, and target/lambda/bootstrap/architecture
# names it: deploy with the template's Architecture set to that (README, "Deploy").
# The RDS CA bundle goes into the zip when deploy/global-bundle.pem exists.
# Tools: cargo-lambda and zig from PyPI in the virtual environment target/venv,
# and objdump (Debian package binutils), installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

architecture=${1:-x86_64}
case "$architecture" in
  x86_64) flag=--x86-64 triple=x86_64-unknown-linux-gnu ;;
  arm64) flag=--arm64 triple=aarch64-unknown-linux-gnu ;;
  *) echo "package.sh: the architecture is x86_64 or arm64, not $architecture" >&2; exit 2 ;;
esac
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/$triple" ]; then
  echo "package.sh: the $triple standard library is missing: rustup target add $triple" >&2
  exit 1
fi

need objdump binutils
python_tools

out=target/lambda/bootstrap
rm -rf "$out" # never leave the other architecture's zip behind a failed build
include=()
[ -f deploy/global-bundle.pem ] && include=(--include deploy/global-bundle.pem)
cargo lambda build --release "$flag" --bin bootstrap -p dice-lambda --no-default-features \
  --output-format zip --lambda-dir target/lambda "${include[@]}"
python3 deploy/check_package.py --architecture "$architecture" "$out/bootstrap.zip"
echo "$architecture" >"$out/architecture"
echo "package.sh: $out/bootstrap.zip is ready for Architecture=$architecture"
