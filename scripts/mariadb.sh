#!/usr/bin/env bash
# Gets a MariaDB server ready for the tests and prints the URL they log in with
# (the value of DICE_TEST_DATABASE_URL) on stdout; everything else goes to stderr.
#
#   bash scripts/mariadb.sh                        # this machine's server, 127.0.0.1:3306
#   bash scripts/mariadb.sh --port P --socket S    # a server already running there
#
# For this machine's server it installs mariadb-server from the distribution's
# packages when missing and starts it when stopped. Then, whichever the server,
# it makes the tests' own login, `dice_test`, through the unix socket as root:
# a freshly installed MariaDB lets root in through that socket only, so the tests
# cannot count on root over TCP. `dice_test` has every privilege with grant
# option, from 127.0.0.1 only: the tests create and drop databases and users,
# grant, lock tables and kill connections, as root would.
# Also makes sure of the openssl tool, which the TLS tests use for their CA.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

TEST_USER=dice_test
TEST_PASSWORD=dice_test_only
port=3306
socket=
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --socket) socket=$2; shift 2 ;;
    *) echo "mariadb.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done

need openssl openssl
need mariadb mariadb-client

alive() { mariadb-admin --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" --connect-timeout=2 ping >/dev/null 2>&1; }
as_test_user() {
  mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" -u"$TEST_USER" -p"$TEST_PASSWORD" \
    --connect-timeout=5 --batch --skip-column-names "$@"
}
ready() { as_test_user -e 'SHOW GRANTS' 2>/dev/null | grep -q 'GRANT ALL PRIVILEGES ON \*\.\* TO .* WITH GRANT OPTION'; }

start_system_server() {
  if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    need_package mariadb-server
    alive && return 0 # the package starts it where systemd runs
  fi
  echo "mariadb.sh: starting the server" >&2
  if [ -d /run/systemd/system ]; then
    as_root systemctl start mariadb
  else
    as_root install -d -o mysql -g mysql /run/mysqld
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  fi
  for _ in $(seq 1 60); do
    alive && return 0
    sleep 1
  done
  echo "mariadb.sh: the server did not answer on 127.0.0.1:$port within 60 s" >&2
  exit 1
}

if [ -n "$socket" ]; then
  alive || { echo "mariadb.sh: nothing answers on 127.0.0.1:$port" >&2; exit 1; }
  as_admin() { mariadb --no-defaults --socket="$socket" -uroot; }
else
  alive || start_system_server
  # The client's own configuration knows where the distribution puts the socket.
  as_admin() { as_root mariadb --protocol=socket -uroot; }
fi

# The IAM tests' stand-in for RDS runs auth_pam, which calls PAM through
# auth_pam_tool. mariadb-server ships it; where an image deleted it, restore it
# from the installed version's package (`apt-get install --reinstall` fails while
# a server runs: its preinst cannot stop it). pam_exec comes with libpam-modules.
dpkg -s libpam-modules >/dev/null 2>&1 || need_package libpam-modules
pam_tool=/usr/lib/mysql/plugin/auth_pam_tool_dir/auth_pam_tool
if [ ! -x "$pam_tool" ] && dpkg -s mariadb-server >/dev/null 2>&1; then
  echo "mariadb.sh: restoring $pam_tool from the mariadb-server package" >&2
  deb_dir=$(mktemp -d)
  version=$(dpkg-query -W -f='${Version}' mariadb-server)
  as_root apt-get update -qq
  (cd "$deb_dir" && as_root apt-get download -qq "mariadb-server=$version")
  dpkg-deb --fsys-tarfile "$deb_dir"/mariadb-server_*.deb |
    as_root tar -x -C / ./usr/lib/mysql/plugin/auth_pam_tool_dir/auth_pam_tool
  as_root chmod 0700 /usr/lib/mysql/plugin/auth_pam_tool_dir # as the package's postinst does
  as_root chmod 04755 "$pam_tool"
  as_root chown mysql /usr/lib/mysql/plugin/auth_pam_tool_dir
  rm -rf "$deb_dir"
fi

if ! ready; then
  echo "mariadb.sh: creating the tests' login $TEST_USER@127.0.0.1 (as root, through the unix socket)" >&2
  as_admin <<SQL
CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'127.0.0.1' WITH GRANT OPTION;
SQL
  if ! ready; then
    echo "mariadb.sh: $TEST_USER still cannot log in over TCP on 127.0.0.1:$port:" >&2
    as_test_user -e 'SHOW GRANTS' >&2 || true
    exit 1
  fi
fi

echo "mysql://$TEST_USER:$TEST_PASSWORD@127.0.0.1:$port"
