# Sourced by up.sh and down.sh: where Federation's own RabbitMQ node lives and how to reach it.
# Every value can be overridden from the environment (FEDERATION_RABBITMQ_*).

FEDERATION_RABBITMQ_NODE="${FEDERATION_RABBITMQ_NODE:-federation@localhost}"
FEDERATION_RABBITMQ_PORT="${FEDERATION_RABBITMQ_PORT:-55672}"
FEDERATION_RABBITMQ_DIST_PORT="${FEDERATION_RABBITMQ_DIST_PORT:-55673}"
FEDERATION_RABBITMQ_BASE="${FEDERATION_RABBITMQ_BASE:-/var/lib/federation/rabbitmq}"
FEDERATION_RABBITMQ_VHOST="${FEDERATION_RABBITMQ_VHOST:-federation}"
# The demo's gateways; each gets a broker user named after its id (password = id, local test only).
FEDERATION_RABBITMQ_GATEWAYS="${FEDERATION_RABBITMQ_GATEWAYS:-factory-1 factory-2 factory-3}"

rabbitmq_user=rabbitmq
rabbitmq_bin=/usr/lib/rabbitmq/bin

# The environment of our node. The server reads these; the CLI only needs the node name (-n) and
# must not see RABBITMQ_DIST_PORT: it would pick its own port as that + 10000, beyond 65535.
node_env=(
  RABBITMQ_NODENAME="$FEDERATION_RABBITMQ_NODE"
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  RABBITMQ_NODE_PORT="$FEDERATION_RABBITMQ_PORT"
  RABBITMQ_DIST_PORT="$FEDERATION_RABBITMQ_DIST_PORT"
  RABBITMQ_MNESIA_BASE="$FEDERATION_RABBITMQ_BASE/mnesia"
  RABBITMQ_LOG_BASE="$FEDERATION_RABBITMQ_BASE/log"
  RABBITMQ_CONFIG_FILE="$FEDERATION_RABBITMQ_BASE/etc/rabbitmq.conf"
  RABBITMQ_ADVANCED_CONFIG_FILE="$FEDERATION_RABBITMQ_BASE/etc/advanced.config"
  RABBITMQ_CONF_ENV_FILE="$FEDERATION_RABBITMQ_BASE/etc/rabbitmq-env.conf"
  RABBITMQ_ENABLED_PLUGINS_FILE="$FEDERATION_RABBITMQ_BASE/etc/enabled_plugins"
  RABBITMQ_PID_FILE="$FEDERATION_RABBITMQ_BASE/federation.pid"
  # Erlang distribution (node-to-CLI traffic) on loopback too, and epmd with it.
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  ERL_EPMD_ADDRESS=127.0.0.1
)

# Runs a RabbitMQ tool as the rabbitmq user, so server and CLI share its Erlang cookie
# (/var/lib/rabbitmq/.erlang.cookie). runuser passes arguments through untouched, unlike the
# Debian wrappers in /usr/sbin, which re-quote them for `su -c` (and would mangle regexes).
as_rabbitmq() {
  runuser -u "$rabbitmq_user" -- env -C /var/lib/rabbitmq ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_CONF_ENV_FILE="$FEDERATION_RABBITMQ_BASE/etc/rabbitmq-env.conf" "$@"
}

ctl() {
  as_rabbitmq "$rabbitmq_bin/rabbitmqctl" -n "$FEDERATION_RABBITMQ_NODE" "$@"
}

# True when our node runs and answers.
node_answers() {
  [ -x "$rabbitmq_bin/rabbitmqctl" ] && id "$rabbitmq_user" >/dev/null 2>&1 \
    && ctl -q -t 10 ping >/dev/null 2>&1
}

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      exec sudo --preserve-env "$0" "$@"
    fi
    echo "error: $0 must run as root (it starts the node as the rabbitmq user)" >&2
    exit 1
  fi
}
