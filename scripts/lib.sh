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

# need COMMAND PACKAGE: installs PACKAGE with apt-get when COMMAND is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "$(basename "$0"): installing $2 (for $1)" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
