#!/usr/bin/env bash
# Builds bootstrap.zip for AWS Lambda (provided.al2023) with cargo-lambda and
# checks it: x86_64 always, arm64 too when the aarch64 standard library is
# installed. Installs cargo-lambda and zig from PyPI when they are missing.
# Output: target/lambda/bootstrap/bootstrap.zip (x86_64) and
# target/lambda/arm64/bootstrap/bootstrap.zip.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-lambda >/dev/null 2>&1 || ! python3 -c 'import ziglang' 2>/dev/null; then
  echo "package: installing cargo-lambda and zig" >&2
  python3 -m pip install --quiet -r deploy/requirements.txt
fi

# The RDS CA bundle goes into the zip when it is there (for DB_TLS=verify).
include=()
[ -f deploy/global-bundle.pem ] && include=(--include deploy/global-bundle.pem)

build() { # target-flag lambda-dir
  cargo lambda build --release "$1" --bin bootstrap -p dice-lambda --no-default-features \
    --output-format zip --lambda-dir "$2" "${include[@]}"
  python3 deploy/check_package.py "$2/bootstrap/bootstrap.zip"
}

build --x86-64 target/lambda
if [ -d "$(rustc --print sysroot)/lib/rustlib/aarch64-unknown-linux-gnu" ]; then
  build --arm64 target/lambda/arm64
else
  echo "package: arm64 skipped: the aarch64-unknown-linux-gnu standard library is not installed (rustup target add aarch64-unknown-linux-gnu)"
fi
