#!/usr/bin/env bash
# Proves that scripts/mariadb.sh is enough on a server configured as a fresh
# install leaves it: initialises a private MariaDB with mariadb-install-db and the
# server's defaults (own data directory, socket and port; root may log in through
# the unix socket only), checks that root over TCP is refused there, runs the
# set-up against it, and runs the MySQL tests that need the most of the tests'
# login (create and drop databases and users, grant, lock, kill connections) on it.
#
#   bash scripts/mariadb-from-scratch.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

need mariadb-install-db mariadb-server

dir=$(mktemp -d "${TMPDIR:-/tmp}/dice-mariadb-XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

# mariadbd refuses to run as root unless told to; as anyone else it runs as them.
run_as=()
[ "$(id -u)" = 0 ] && run_as=(--user=root)

echo "== private MariaDB in $dir" >&2
mariadb-install-db --no-defaults --datadir="$dir/data" "${run_as[@]}" --skip-test-db \
  >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }

port=$(free_port)
socket="$dir/mysqld.sock"
/usr/sbin/mariadbd --no-defaults --datadir="$dir/data" --socket="$socket" --port="$port" \
  --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
  --innodb-buffer-pool-size=32M "${run_as[@]}" </dev/null >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  [ -S "$socket" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$dir/error.log" >&2; exit 1; }
  sleep 0.1
done
[ -S "$socket" ] || { echo "private mariadbd did not start within 30 s" >&2; cat "$dir/error.log" >&2; exit 1; }

# The premise: as on a stock install, root without a password over TCP is refused.
if mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
  echo "root logs in over TCP on the fresh server: this check would prove nothing" >&2
  exit 1
fi

url=$(bash scripts/mariadb.sh --port "$port" --socket "$socket")
echo "== the tests against the fresh server, as $url" >&2
# The same command as scripts/test.sh, so it reuses that build.
DICE_TEST_DATABASE_URL="$url" cargo test --workspace --all-features --locked "$@"
