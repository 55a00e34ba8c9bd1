#!/usr/bin/env bash
# Runs the federation the production way on one machine: the aggregator and three gateways as
# separate processes, over the local RabbitMQ and PostgreSQL that `make infra-up` starts, each
# configured only through environment variables (as ops/systemd does). Three rounds, then it
# prints the model versions and stops everything. Usage (after `make build infra-up`):
#   ops/run-separately.sh [DATA_DIR]        (default data/separate; wiped first)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$(realpath -m "${1:-$root/data/separate}")"
bin() { echo "$root/services/$1/bin/Release/net10.0/$2.dll"; }
fedctl() { dotnet "$(bin Federation.Cli fedctl)" "$@"; }
for dll in "$(bin Federation.Aggregator Federation.Aggregator)" "$(bin Federation.Gateway Federation.Gateway)" "$(bin Federation.Cli fedctl)"; do
  [ -f "$dll" ] || { echo "error: $dll is missing; run make build first." >&2; exit 1; }
done

rm -rf "$data"
mkdir -p "$data"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

# 1. The aggregator's key (it signs checkpoints); the gateways' policies name its key id.
install -d -m 700 "$data/aggregator"
aggregator_key_id=$(fedctl keys init --out "$data/aggregator/aggregator.key" | awk '/^key id:/ {print $NF}')

# 2. Each factory makes its key on site and writes its policy (here: the example, naming this aggregator).
bus() { # user
  echo "Bus__Kind=RabbitMQ Bus__RabbitMQ__Host=127.0.0.1 Bus__RabbitMQ__Port=55672 Bus__RabbitMQ__VirtualHost=federation Bus__RabbitMQ__Username=$1 Bus__RabbitMQ__Password=$1"
}
enrolments=()
for site in 0 1 2; do
  id="factory-$((site + 1))"
  install -d -m 700 "$data/$id"
  public_key=$(fedctl keys init --out "$data/$id/gateway.key" | awk '/^public key:/ {print $NF}')
  sed "s/^  - [0-9a-f]\{64\}$/  - $aggregator_key_id/; s/^expires: .*/expires: 2030-01-01T00:00:00Z/" \
    "$root/policies/example.yaml" > "$data/$id/policy.yaml"
  policy_sha256=$(sha256sum "$data/$id/policy.yaml" | cut -d' ' -f1)
  enrolments+=("Aggregator__Gateways__${site}__Id=$id" "Aggregator__Gateways__${site}__PublicKey=$public_key"
               "Aggregator__Gateways__${site}__AllowedPolicies__0=$policy_sha256")
done

# 3. The aggregator: history in PostgreSQL (its own schema), bus on RabbitMQ, three rounds.
schema="separate_$(date +%s)"
(cd "$(dirname "$(bin Federation.Aggregator Federation.Aggregator)")" && exec env $(bus aggregator) "${enrolments[@]}" \
  Urls=http://127.0.0.1:5080 \
  Aggregator__DataDirectory="$data/aggregator" \
  Aggregator__EventStore__Kind=Postgres \
  Aggregator__EventStore__ConnectionString="Host=127.0.0.1;Port=55432;Username=federation;Password=federation;Database=federation" \
  Aggregator__EventStore__Schema="$schema" \
  Aggregator__Rounds__Count=3 Aggregator__Rounds__MinParticipants=3 \
  Aggregator__Rounds__LearningRate=0.5 Aggregator__Rounds__BatchSize=64 \
  Aggregator__Api__Credentials__0__Name=operator Aggregator__Api__Credentials__0__Role=operator \
  Aggregator__Api__Credentials__0__TokenSha256="$(printf %s local-operator-token | sha256sum | cut -d' ' -f1)" \
  dotnet "$(bin Federation.Aggregator Federation.Aggregator)") > "$data/aggregator.log" 2>&1 &
pids+=($!)

# 4. The gateways, each signed in to the broker as itself, each with its own state folder.
for site in 0 1 2; do
  id="factory-$((site + 1))"
  (cd "$(dirname "$(bin Federation.Gateway Federation.Gateway)")" && exec env $(bus "$id") \
    Gateway__Id="$id" Gateway__KeyFile="$data/$id/gateway.key" Gateway__PolicyFile="$data/$id/policy.yaml" \
    Gateway__AggregatorKeyId="$aggregator_key_id" Gateway__StateDirectory="$data/$id/state" \
    Gateway__Aggregator__BaseUrl=http://127.0.0.1:5080/ \
    Gateway__Sites=3 Gateway__Site="$site" \
    dotnet "$(bin Federation.Gateway Federation.Gateway)") > "$data/$id.log" 2>&1 &
  pids+=($!)
done

echo "aggregator and 3 gateways running; logs in $data/*.log, history in PostgreSQL schema $schema"
export FEDERATION_TOKEN=local-operator-token
for _ in $(seq 600); do
  if fedctl models ls 2>/dev/null | grep -qw v3; then break; fi
  sleep 1
done
fedctl models ls
fedctl gateway decisions --state "$data/factory-1/state"
