#!/usr/bin/env bash
# Stops the local PostgreSQL cluster started by up.sh. Idempotent: does nothing when it is not running.
# The data directory is kept; remove FEDERATION_PG_HOME (/var/lib/federation/postgres) to start from scratch.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ops/postgres/common.sh
source "$here/common.sh"
require_root "$@"
take_script_lock
cd /

if is_running; then
  # fast: roll back open transactions and disconnect clients (committed appends are durable), don't wait for them.
  as_postgres "$(pg_bin)/pg_ctl" -D "$data_dir" -m fast -w -t 60 stop >/dev/null
  echo "PostgreSQL for Federation stopped (127.0.0.1:$FEDERATION_PG_PORT)"
else
  echo "PostgreSQL for Federation is not running (127.0.0.1:$FEDERATION_PG_PORT)"
fi
