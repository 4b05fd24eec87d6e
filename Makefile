# pypimal — common tasks. The data folder is ../shared/data unless PYPIMAL_DATA says otherwise.
GO      ?= go
BIN     := bin/pypimal
FUZZTIME ?= 10s
# staticcheck v0.8.2 (.ci/run installs it): from PATH, else where `go install` puts it.
STATICCHECK ?= $(firstword $(shell command -v staticcheck) $(wildcard $(shell $(GO) env GOBIN)/staticcheck) $(shell $(GO) env GOPATH)/bin/staticcheck)

.PHONY: run build build-beam test test-beam test-short bench lint lint-beam fuzz docs clean

# The main job: the paper experiment on the embedded data (results/paper/).
run: build
	$(BIN) run experiments/paper.yaml

build:
	$(GO) build -o $(BIN) ./cmd/pypimal

# The Beam pipeline is its own module (beam/): Beam's dependencies stay out of the core.
build-beam:
	cd beam && $(GO) build -o ../bin/pypimal-beam ./cmd/pypimal-beam

# All tests, including the ones over the whole embedded dataset and the scikit-learn fidelity check.
test:
	$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory test-beam

# The Beam module: prism runs the pipelines on a slice of the dataset and compares them with the CLI.
test-beam:
	cd beam && $(GO) test -count=1 -timeout 15m ./...

# Unit tests only: skips the passes over the whole dataset.
test-short:
	$(GO) test -short ./...

# Benchmarks; go test prints one table row per benchmark.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=1x ./... | grep -E '^(Benchmark|pkg:|ok|FAIL)'

# gofmt, vet, staticcheck, and go mod tidy would change nothing in go.mod and go.sum.
lint: lint-beam
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(STATICCHECK) ./...

# The same for the Beam module (its own go.mod).
lint-beam:
	cd beam && $(GO) vet ./...
	cd beam && $(GO) mod tidy -diff
	cd beam && $(STATICCHECK) ./...

# Runs every fuzz target briefly (FUZZTIME each).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=200x $$pkg || exit 1; \
	  done; \
	done

# Regenerates docs/features.md from the catalogue (a test fails when stale).
docs: build
	$(BIN) features list > docs/features.md

clean:
	rm -rf bin
