# Settings and helpers shared by up.sh and down.sh (sourced, not run).
# Every path is outside the repository: the cluster outlives checkouts and belongs to the postgres OS user.

FEDERATION_PG_PORT="${FEDERATION_PG_PORT:-55432}"
FEDERATION_PG_HOME="${FEDERATION_PG_HOME:-/var/lib/federation/postgres}"
data_dir="$FEDERATION_PG_HOME/data"
socket_dir="$FEDERATION_PG_HOME/run"
log_file="$FEDERATION_PG_HOME/postgres.log"

# PostgreSQL refuses to run as root, and only root can become the postgres user without a password.
require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      exec sudo --preserve-env=FEDERATION_PG_PORT,FEDERATION_PG_HOME,FEDERATION_PG_PASSWORD,FEDERATION_PG_AUDITOR_PASSWORD -- "$0" "$@"
    fi
    echo "$(basename "$0"): must run as root (or with sudo) to act as the postgres OS user." >&2
    exit 1
  fi
}

# Closes the script lock's descriptor (9): the server that pg_ctl starts would otherwise inherit it and
# hold the lock for as long as it runs.
as_postgres() {
  runuser -u postgres -- "$@" 9>&-
}

# The binaries of the cluster's own major version once it exists (a newer PostgreSQL installed later
# cannot open an older data directory), otherwise of the newest installed version.
pg_bin() {
  local dir=""
  if [ -f "$data_dir/PG_VERSION" ]; then
    dir="/usr/lib/postgresql/$(cat "$data_dir/PG_VERSION")/bin"
  else
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  fi
  if [ -z "$dir" ] || [ ! -x "$dir/pg_ctl" ]; then
    echo "PostgreSQL server binaries not found (looked for ${dir:-/usr/lib/postgresql/*/bin}/pg_ctl)." >&2
    return 1
  fi
  echo "$dir"
}

# pg_ctl status: 0 running, 3 not running, 4 no usable data directory.
is_running() {
  [ -f "$data_dir/PG_VERSION" ] && as_postgres "$(pg_bin)/pg_ctl" -D "$data_dir" status >/dev/null 2>&1
}

# up.sh and down.sh never run at the same time (two `make` targets, or two engineers).
take_script_lock() {
  local lock_file=/run/lock/federation-postgres.lock
  [ -d /run/lock ] && [ -w /run/lock ] || lock_file=/tmp/federation-postgres.lock
  exec 9>"$lock_file"
  if ! flock -w 120 9; then
    echo "$(basename "$0"): another ops/postgres script has held the lock for 120 s; giving up." >&2
    exit 1
  fi
}
