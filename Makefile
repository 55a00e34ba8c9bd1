# Federation: the two commands a new machine needs are `make demo` and `make test`.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIGURATION ?= Release
# What the code needs from Debian: Fashion-MNIST as stand-in inspection photos; PyTorch and
# Pillow for the external trainers under trainers/pytorch (run by /usr/bin/python3); bubblewrap to
# confine every external trainer (no network, only its own files). (Ed25519's
# libsodium comes inside the NSec.Cryptography NuGet package, not from the system.)
DEBIAN_PACKAGES := dataset-fashion-mnist python3-torch python3-pil bubblewrap
TEST_LOG := TestResults/test.log

.PHONY: deps build test demo clean infra-up infra-down

deps:
	@ops/install-packages.sh $(DEBIAN_PACKAGES)

build: deps
	$(DOTNET) build Federation.sln -c $(CONFIGURATION)

# Local PostgreSQL and RabbitMQ on loopback, installed and started by our own scripts (no
# Docker, no systemd): the store and bus tests talk to the real servers.
infra-up:
	@ops/postgres/up.sh
	@ops/rabbitmq/up.sh

infra-down:
	@ops/rabbitmq/down.sh
	@ops/postgres/down.sh

# One build, servers up once, then every test project in one `dotnet test` of the solution.
test: build infra-up
	@mkdir -p $(dir $(TEST_LOG))
	@set -o pipefail; $(DOTNET) test Federation.sln -c $(CONFIGURATION) --no-build 2>&1 | tee $(TEST_LOG); \
	  status=$$?; ops/summarize-tests.sh $(TEST_LOG); exit $$status

demo: build
	$(DOTNET) run --project services/Federation.Cli -c $(CONFIGURATION) --no-build -- demo

clean:
	$(DOTNET) clean Federation.sln -c $(CONFIGURATION)
	rm -rf data TestResults
