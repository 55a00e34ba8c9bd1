#!/usr/bin/env bash
# Starts the local PostgreSQL cluster of Federation's event store on 127.0.0.1:55432 and ensures its roles
# and database. Idempotent: each step is done only when it is missing, so running it again is cheap.
#
# Environment (all optional): FEDERATION_PG_PORT (55432), FEDERATION_PG_HOME (/var/lib/federation/postgres),
# FEDERATION_PG_PASSWORD (federation), FEDERATION_PG_AUDITOR_PASSWORD (federation_auditor).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ops/postgres/common.sh
source "$here/common.sh"
require_root "$@"
take_script_lock
# The postgres user may not be allowed into the caller's directory; nothing below depends on it.
cd /

readonly ready_timeout_seconds=60

"$here/../install-packages.sh" postgresql

# ---- The cluster: created once, by initdb in a scratch directory that is renamed when complete, so an
# interrupted run never leaves a half-made data directory behind.
install -d -o postgres -g postgres -m 0750 "$FEDERATION_PG_HOME"
install -d -o postgres -g postgres -m 0750 "$socket_dir"
if [ ! -f "$data_dir/PG_VERSION" ]; then
  if [ -e "$data_dir" ]; then
    echo "$data_dir exists but is not a PostgreSQL data directory; move it away and run again." >&2
    exit 1
  fi
  bin="$(pg_bin)"
  scratch="$data_dir.initdb.$$"
  rm -rf "$scratch"
  echo "Creating the PostgreSQL cluster in $data_dir"
  # UTF8 so every event round-trips; the C locale so text compares byte by byte, like SQLite does.
  as_postgres "$bin/initdb" -D "$scratch" --username=postgres --encoding=UTF8 --no-locale \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  mv "$scratch" "$data_dir"
fi
bin="$(pg_bin)"

# ---- Configuration: rewritten on every run from this script, so the repository stays the source of truth.
write_if_changed() {  # FILE: writes stdin to FILE (owned by postgres); exit status 0 when it changed
  local file="$1" new
  new="$(cat)"
  if [ -f "$file" ] && [ "$(cat "$file")" = "$new" ]; then
    return 1
  fi
  printf '%s\n' "$new" >"$file"
  chown postgres:postgres "$file"
  chmod 0600 "$file"
}

config_changed=false
if write_if_changed "$data_dir/federation.conf" <<CONF
# Written by ops/postgres/up.sh on every run: change that script, not this file.
listen_addresses = '127.0.0.1'
port = $FEDERATION_PG_PORT
unix_socket_directories = '$socket_dir'
password_encryption = 'scram-sha-256'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
then
  config_changed=true
fi
if ! grep -qx "include_if_exists = 'federation.conf'" "$data_dir/postgresql.conf"; then
  printf "\n# Federation's settings (ops/postgres/up.sh)\ninclude_if_exists = 'federation.conf'\n" >>"$data_dir/postgresql.conf"
  config_changed=true
fi

# Only the superuser over the socket (for this script), and the two application roles over loopback TCP.
hba_changed=false
if write_if_changed "$data_dir/pg_hba.conf" <<'HBA'
# Written by ops/postgres/up.sh on every run: change that script, not this file.
# TYPE  DATABASE    USER                          ADDRESS        METHOD
local   all         postgres                                     peer
host    federation  federation,federation_auditor 127.0.0.1/32   scram-sha-256
HBA
then
  hba_changed=true
fi

# ---- Start (or apply changed settings to a running server).
print_log_tail() {
  echo "---- last lines of $log_file ----" >&2
  tail -n 30 "$log_file" >&2 2>/dev/null || true
}

if is_running; then
  if $config_changed; then
    echo "Settings changed: restarting PostgreSQL"
    as_postgres "$bin/pg_ctl" -D "$data_dir" -l "$log_file" -m fast -w -t "$ready_timeout_seconds" restart >/dev/null \
      || { echo "PostgreSQL did not restart." >&2; print_log_tail; exit 1; }
  elif $hba_changed; then
    as_postgres "$bin/pg_ctl" -D "$data_dir" reload >/dev/null
  fi
else
  touch "$log_file" && chown postgres:postgres "$log_file"
  as_postgres "$bin/pg_ctl" -D "$data_dir" -l "$log_file" -w -t "$ready_timeout_seconds" start >/dev/null \
    || { echo "PostgreSQL did not start (is port $FEDERATION_PG_PORT taken?)." >&2; print_log_tail; exit 1; }
fi

deadline=$((SECONDS + ready_timeout_seconds))
until "$bin/pg_isready" -q -h 127.0.0.1 -p "$FEDERATION_PG_PORT" -U federation -d federation; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "PostgreSQL is not accepting connections on 127.0.0.1:$FEDERATION_PG_PORT after ${ready_timeout_seconds} s." >&2
    print_log_tail
    exit 1
  fi
  sleep 1
done

# ---- Roles, database and privileges (init.sql is idempotent), as the superuser over the Unix socket.
as_postgres "$bin/psql" -X -q -h "$socket_dir" -p "$FEDERATION_PG_PORT" -U postgres -d postgres \
  -v ON_ERROR_STOP=1 \
  -v writer_password="${FEDERATION_PG_PASSWORD:-federation}" \
  -v auditor_password="${FEDERATION_PG_AUDITOR_PASSWORD:-federation_auditor}" \
  <"$here/init.sql"

echo "PostgreSQL $(cat "$data_dir/PG_VERSION") for Federation listens on 127.0.0.1:$FEDERATION_PG_PORT (database federation, roles federation and federation_auditor; data in $data_dir)"
