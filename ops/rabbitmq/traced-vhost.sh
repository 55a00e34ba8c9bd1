#!/usr/bin/env bash
# A throwaway virtual host on Federation's running RabbitMQ node with the broker's firehose tracer
# on, so a test can read a copy of every message published there, made by the broker itself
# (tests/Federation.EndToEnd.Tests/Canary). Tracing is per vhost: no other vhost is traced.
# Only federation-admin may use it (everything on it, as on the other vhosts).
# Usage: ops/rabbitmq/traced-vhost.sh create VHOST   (as root; replaces a vhost of that name)
#        ops/rabbitmq/traced-vhost.sh delete VHOST   (its queues, messages and trace go with it)
# Never starts the node: run ops/rabbitmq/up.sh first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=node.env.sh
source "$here/node.env.sh"
require_root "$@"

action="${1:-}" vhost="${2:-}"
if [[ ! "$action" =~ ^(create|delete)$ || ! "$vhost" =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
  echo "usage: $0 create|delete VHOST   (VHOST: lowercase letters, digits and '-')" >&2
  exit 2
fi
if [[ "$vhost" == "$FEDERATION_RABBITMQ_VHOST" || "$vhost" == "${FEDERATION_RABBITMQ_TEST_VHOST:-federation-tests}" ]]; then
  echo "error: $vhost is a shared vhost; pick a throwaway name." >&2
  exit 2
fi
if ! node_answers; then
  echo "error: RabbitMQ node $FEDERATION_RABBITMQ_NODE does not answer; start it with ops/rabbitmq/up.sh." >&2
  exit 1
fi

if ctl -q list_vhosts name | grep -qxF "$vhost"; then
  ctl -q delete_vhost "$vhost" >/dev/null
fi
if [ "$action" = create ]; then
  ctl -q add_vhost "$vhost" >/dev/null
  ctl -q set_permissions -p "$vhost" federation-admin '.*' '.*' '.*' >/dev/null
  ctl -q trace_on -p "$vhost" >/dev/null
  echo "vhost $vhost on $FEDERATION_RABBITMQ_NODE: firehose on (exchange amq.rabbitmq.trace), user federation-admin"
fi
