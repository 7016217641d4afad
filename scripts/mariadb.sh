#!/usr/bin/env bash
# Makes sure a MariaDB server answers on 127.0.0.1:3306 (root, empty password):
# installs it from the distribution's packages if missing, starts it if stopped.
# Also makes sure of the openssl tool, which the TLS tests use for their CA.
set -euo pipefail

if ! command -v openssl >/dev/null 2>&1; then
  echo "mariadb: installing openssl" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi

ping() { mariadb-admin --protocol=tcp -h127.0.0.1 -P3306 -uroot --connect-timeout=2 ping >/dev/null 2>&1; }

ping && exit 0

if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "mariadb: installing mariadb-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq mariadb-server mariadb-client >/dev/null
fi

echo "mariadb: starting the server" >&2
install -d -o mysql -g mysql /run/mysqld
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql

for _ in $(seq 1 60); do
  ping && exit 0
  sleep 1
done
echo "mariadb: the server did not answer on 127.0.0.1:3306 within 60 s" >&2
exit 1
