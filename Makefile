# upshift: the two commands a new machine needs are `make demo` and
# `make test`. Both install what they need first.

GO      ?= go
BIN     := bin/upshift
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X upshift.dev/upshift/internal/buildinfo.Version=$(VERSION)
export GOFLAGS := -buildvcs=false

.PHONY: all build deps toolchain demo test e2e-sweep fuzz generate clean help bench-nodepool bench-cutover bench-preflight bench-fleet bench-go

all: build

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

build: ## Build bin/upshift
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/upshift

deps: ## Install the Debian packages the tests and the demo use
	@./hack/deps.sh

toolchain: build ## Build the local fleet's control-plane binaries (cached outside the repo)
	$(BIN) toolchain build

demo: deps toolchain ## Set up everything and run the main job on the local fleet
	./hack/demo.sh

test: deps toolchain ## Run every test, including those against local clusters
	$(GO) vet ./...
	$(GO) test -timeout 60m -count=1 ./... ; rc=$$?; $(MAKE) --no-print-directory e2e-sweep; exit $$rc

bench-cutover: toolchain ## Blue-green cutover through the local gateway under load (2 clusters, 800 req/s, 2 x 40s)
	$(GO) run ./internal/traffic/local/bench $(BENCH_ARGS)

# Three fresh local clusters, one after another (about 15 minutes); the
# toolchain is built first if it is not cached. Override the sizes with, for
# example, BENCH_NODEPOOL_FLAGS='-nodes 100 -surges 10%'.
BENCH_NODEPOOL_FLAGS ?= -nodes 50 -pods-per-node 10 -surges 10%,33% -kubectl
bench-nodepool: ## Time a 50-node pool upgrade: upshift surge 10% and 33%, a kubectl script, the ideal bound
	$(GO) run ./internal/nodepool/bench $(BENCH_NODEPOOL_FLAGS)

bench-preflight: ## Scan a generated corpus of 100,000 objects in 3,000 files; objects/s and peak memory vs a naive reader
	$(GO) run ./internal/preflight/bench -objects 100000 -files 3000

bench-fleet: toolchain ## Update runs of 10, 100 and 1000 simulated members on a real hub: makespan vs ideal, hub writes, CPU, memory
	$(GO) run ./internal/fleet/bench $(BENCH_FLEET_FLAGS)

bench-go: ## The go test benchmarks: drain-free engines (analysis, manifest reader, Azure routers)
	$(GO) test -run '^$$' -bench . -benchmem ./internal/analysis/ ./internal/manifest/ ./internal/traffic/azure/

CONTROLLER_GEN = $(GO) run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0

generate: ## Regenerate deepcopy functions, CRDs and the controller's role from the kubebuilder markers
	$(CONTROLLER_GEN) object paths=./api/... paths=./internal/window/...
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:dir=config/crd
	$(CONTROLLER_GEN) rbac:roleName=upshift-controller paths=./internal/fleet/... paths=./internal/strategy/... output:rbac:artifacts:config=config/rbac

# Every parser of user input, FUZZTIME each (go test -fuzz runs one target
# at a time).
FUZZTIME ?= 30s
FUZZ_TARGETS = ./internal/manifest:FuzzRead ./internal/window:FuzzParse ./internal/version:FuzzParse \
	./internal/nodepool:FuzzParseCount ./internal/analysis:FuzzConditions ./internal/cli/strategy:FuzzRead \
	./internal/provider/aks:FuzzParseClusterRef ./internal/cli/canary:FuzzParseSteps ./internal/apply:FuzzDecode

fuzz: ## Fuzz every parser of user input for FUZZTIME each (default 30s)
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$pkg $$fn ($(FUZZTIME))"; $(GO) test $$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) 2>&1 | tail -2; done

e2e-sweep: # Kill control planes a crashed test binary left behind
	@pkill -f '[u]pshift-fleettest' 2>/dev/null || true

clean: ## Remove build output (not the toolchain cache)
	rm -rf bin
