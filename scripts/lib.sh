# shellcheck shell=bash
# Shell helpers the scripts source: running as root when needed, and
# installing a missing tool from the distribution's packages (Debian, Ubuntu).

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

# need_package PACKAGE: installs PACKAGE with apt-get.
need_package() {
  echo "$(basename "$0"): installing $1" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

# need COMMAND PACKAGE: installs PACKAGE when COMMAND is missing.
need() {
  command -v "$1" >/dev/null 2>&1 || need_package "$2"
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Puts the Python tools of deploy/requirements.txt (cargo-lambda, zig, cfn-lint,
# the SAM CLI) on PATH from a virtual environment of this checkout, target/venv,
# made or updated when the requirements change: Debian's own Python refuses
# `pip install` outside one (externally-managed-environment).
python_tools() {
  local venv=target/venv stamp
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    need_package python3-venv
  fi
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  stamp=$(sha256sum deploy/requirements.txt | cut -d' ' -f1)
  if [ "$(cat "$venv/requirements.sha256" 2>/dev/null)" != "$stamp" ]; then
    echo "$(basename "$0"): installing deploy/requirements.txt into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r deploy/requirements.txt
    echo "$stamp" >"$venv/requirements.sha256"
  fi
  PATH="$PWD/$venv/bin:$PATH"
  export PATH
}
