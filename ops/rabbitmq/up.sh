#!/usr/bin/env bash
# Starts Federation's own RabbitMQ node on loopback (AMQP 127.0.0.1:55672) and applies its
# definitions: vhost, users and their permissions. Idempotent: run it as often as you like.
# Usage: ops/rabbitmq/up.sh        (as root, or through sudo)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=node.env.sh
source "$here/node.env.sh"
require_root "$@"

base="$FEDERATION_RABBITMQ_BASE"
vhost="$FEDERATION_RABBITMQ_VHOST"
# The same users and permissions on a second vhost for tests/Federation.Messaging.Tests, so the
# test suite never touches (or fills) the queues of a federation running on the first.
test_vhost="${FEDERATION_RABBITMQ_TEST_VHOST:-federation-tests}"
vhosts=("$vhost" "$test_vhost")
startup_timeout=90

# --- 1. The Debian package --------------------------------------------------------------------
freshly_installed=false
if ! dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null | grep -q "install ok installed"; then
  freshly_installed=true
fi
"$here/../install-packages.sh" rabbitmq-server

# Installing the package may start its default node (rabbit@<host>, AMQP on every interface,
# guest user) when an init system lets it. We did not ask for that one: stop it if we just
# installed it. An older default node is left alone; it does not share our name or ports.
if $freshly_installed; then
  default_node="rabbit@$(hostname -s)"
  if as_rabbitmq "$rabbitmq_bin/rabbitmqctl" -n "$default_node" -q -t 10 ping >/dev/null 2>&1; then
    echo "Stopping the package's default node $default_node (Federation runs its own)."
    as_rabbitmq "$rabbitmq_bin/rabbitmqctl" -n "$default_node" -q stop || true
  fi
fi

# --- 2. Our node's files (outside the repository, owned by the rabbitmq user) ----------------
install -d -o "$rabbitmq_user" -g "$rabbitmq_user" -m 750 "$base" "$base/mnesia" "$base/log" "$base/etc"
install -o "$rabbitmq_user" -g "$rabbitmq_user" -m 640 "$here/rabbitmq.conf" "$base/etc/rabbitmq.conf"
# No plugins (no management UI): operators use rabbitmqctl; nothing else listens.
[ -f "$base/etc/enabled_plugins" ] || printf '[].\n' | install -o "$rabbitmq_user" -g "$rabbitmq_user" -m 640 /dev/stdin "$base/etc/enabled_plugins"
# Empty on purpose: /etc/rabbitmq/rabbitmq-env.conf belongs to the package's default node.
[ -f "$base/etc/rabbitmq-env.conf" ] || install -o "$rabbitmq_user" -g "$rabbitmq_user" -m 640 /dev/null "$base/etc/rabbitmq-env.conf"

# --- 3. Start the node, detached, unless it already runs -------------------------------------
if node_answers; then
  echo "RabbitMQ node $FEDERATION_RABBITMQ_NODE already runs."
else
  if (exec 3<>"/dev/tcp/127.0.0.1/$FEDERATION_RABBITMQ_PORT") 2>/dev/null; then
    echo "error: something else listens on 127.0.0.1:$FEDERATION_RABBITMQ_PORT, but it is not node $FEDERATION_RABBITMQ_NODE." >&2
    echo "       Stop it, or choose another port with FEDERATION_RABBITMQ_PORT." >&2
    exit 1
  fi
  echo "Starting RabbitMQ node $FEDERATION_RABBITMQ_NODE on 127.0.0.1:$FEDERATION_RABBITMQ_PORT (data in $base)."
  as_rabbitmq env "${node_env[@]}" "$rabbitmq_bin/rabbitmq-server" -detached \
    >>"$base/log/startup.log" 2>&1
fi

deadline=$((SECONDS + startup_timeout))
until ctl -q await_startup --timeout 10 >/dev/null 2>&1; do
  if (( SECONDS >= deadline )); then
    echo "error: RabbitMQ node $FEDERATION_RABBITMQ_NODE did not start within ${startup_timeout}s." >&2
    echo "--- last lines of $base/log (startup.log and the node's log) ---" >&2
    tail -n 30 "$base/log/startup.log" "$base/log/$FEDERATION_RABBITMQ_NODE.log" 2>/dev/null >&2 || true
    exit 1
  fi
  sleep 1
done

# --- 4. Definitions, applied idempotently ----------------------------------------------------
# Exchange names are pinned by services/Federation.Messaging (FederationEntityNames); queue names
# follow the hosts' endpoint names. definitions.md explains every regex below.
announcements='federation\.(round-announced|round-announced\.v2|model-published|model-published\.v2|model-released)'
reports='federation\.(contribution-submitted|contribution-payload-chunk|evaluation-reported)'
all_messages='federation\.(round-announced|round-announced\.v2|model-published|model-published\.v2|model-released|contribution-submitted|contribution-payload-chunk|evaluation-reported)'
own_suffix='(_error|_skipped)?'

users=()        # JSON objects
permissions=()  # JSON objects
json() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }
define() { # name password tags configure write read
  users+=("{\"name\": $(json "$1"), \"password\": $(json "$2"), \"tags\": $(json "$3")}")
  local v
  for v in "${vhosts[@]}"; do
    permissions+=("{\"user\": $(json "$1"), \"vhost\": $(json "$v"), \"configure\": $(json "$4"), \"write\": $(json "$5"), \"read\": $(json "$6")}")
  done
}

# Operators and the test suite: everything on the vhost.
define federation-admin federation-admin administrator '.*' '.*' '.*'

# The aggregator: owns its endpoints, publishes announcements, reads reports.
own="(aggregator-(contributions|payload-chunks|evaluations)|bus-aggregator)$own_suffix"
define aggregator aggregator "" "^($own|$all_messages)\$" "^($own|$announcements)\$" "^($own|$reports)\$"

# Each gateway: owns its endpoints, publishes reports, reads announcements.
for id in $FEDERATION_RABBITMQ_GATEWAYS; do
  if ! [[ "$id" =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
    echo "error: gateway id '$id' must be lowercase letters, digits and '-' (it goes into permission regexes)." >&2
    exit 1
  fi
  own="(gateway-$id-(rounds|models)|bus-$id)$own_suffix"
  define "$id" "$id" "" "^($own|$all_messages)\$" "^($own|$reports)\$" "^($own|$announcements)\$"
done

# One import instead of a CLI call per setting (each costs a second or more): it creates or
# updates the vhost, the users (passwords reset to the documented ones) and their permissions.
definitions="$base/etc/definitions.json"
{
  printf '{"vhosts": [{"name": %s}, {"name": %s}],\n "users": [' "$(json "$vhost")" "$(json "$test_vhost")"
  (IFS=,; printf '%s' "${users[*]}")
  printf '],\n "permissions": ['
  (IFS=,; printf '%s' "${permissions[*]}")
  printf ']}\n'
} | install -o "$rabbitmq_user" -g "$rabbitmq_user" -m 600 /dev/stdin "$definitions"
ctl -q import_definitions "$definitions" >/dev/null

# Nobody signs in with the well-known default account.
if ctl -q list_users | cut -f1 | grep -qxF guest; then
  ctl -q delete_user guest >/dev/null
fi

# The import may finish asynchronously: wait until every user has its permissions.
expected=$(( ${#permissions[@]} ))
for _ in $(seq 30); do
  granted=0
  for v in "${vhosts[@]}"; do
    granted=$(( granted + $(ctl -q list_permissions -p "$v" 2>/dev/null | tail -n +2 | wc -l) ))
  done
  (( granted >= expected )) && break
  sleep 1
done
if (( granted < expected )); then
  echo "error: definitions were not applied (only $granted of $expected permissions exist on ${vhosts[*]})." >&2
  exit 1
fi

echo "RabbitMQ is up: amqp://127.0.0.1:$FEDERATION_RABBITMQ_PORT/$vhost (node $FEDERATION_RABBITMQ_NODE; tests use vhost $test_vhost)"
echo "  users: federation-admin, aggregator, $FEDERATION_RABBITMQ_GATEWAYS (local test passwords: see ops/rabbitmq/definitions.md)"
