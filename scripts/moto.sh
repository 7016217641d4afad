#!/usr/bin/env bash
# Makes sure the moto server (an emulator of AWS APIs, API Gateway's control
# plane and CloudFormation among them) is installed in a virtualenv under
# target/, pinned, for dice-keys-aws's tests. Prints the server's path.
# Idempotent: a second run with the venv in place does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.5
VENV=target/moto-venv
SERVER="$VENV/bin/moto_server"

if [ -x "$SERVER" ] && [ "$("$VENV/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$MOTO_VERSION" ]; then
  echo "$SERVER"
  exit 0
fi

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "moto: installing python3-venv" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
echo "moto: installing moto[server]==$MOTO_VERSION in $VENV" >&2
mkdir -p target
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
echo "$SERVER"
