#!/usr/bin/env bash
# Stops Federation's own RabbitMQ node. Idempotent: does nothing when it is not running.
# Usage: ops/rabbitmq/down.sh [--purge]   --purge also deletes its data (queues, users, messages).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=node.env.sh
source "$here/node.env.sh"
require_root "$@"

purge=false
case "${1:-}" in
  "") ;;
  --purge) purge=true ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

pid_file="$FEDERATION_RABBITMQ_BASE/federation.pid"
if node_answers; then
  echo "Stopping RabbitMQ node $FEDERATION_RABBITMQ_NODE."
  # With the pid file, stop returns only once the node's OS process has exited.
  if [ -f "$pid_file" ]; then
    ctl -q stop "$pid_file"
  else
    ctl -q stop
  fi
else
  echo "RabbitMQ node $FEDERATION_RABBITMQ_NODE is not running."
fi
rm -f "$pid_file"

# The node started epmd (Erlang's port mapper, on loopback); stop it too once no node uses it.
if command -v epmd >/dev/null 2>&1 && epmd -names >/dev/null 2>&1 && ! epmd -names | grep -q '^name '; then
  epmd -kill >/dev/null 2>&1 || true
fi

if $purge && [ -n "$FEDERATION_RABBITMQ_BASE" ] && [ "$FEDERATION_RABBITMQ_BASE" != / ]; then
  echo "Deleting $FEDERATION_RABBITMQ_BASE."
  rm -rf -- "$FEDERATION_RABBITMQ_BASE"
fi
