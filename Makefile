# statekit: make run | make test | make lint | make generate | make build | make bench [BENCH=name]
GO       ?= go
PKGS     := ./...
BENCH    ?=
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run test test-short lint generate check-generate build bench fuzz

## run: start statekit (embedded in-memory Redis unless STATEKIT_REDIS_URL is set)
run:
	STATEKIT_COOKIE_SECURE=$${STATEKIT_COOKIE_SECURE:-false} \
	STATEKIT_API_KEYS=$${STATEKIT_API_KEYS:-dev:dev-secret-change-me-0123456789:admin} \
	$(GO) run ./cmd/statekit serve

## test: every test, with the race detector, against real redis-server processes the tests start
test:
	$(GO) test -race -count=1 -timeout 10m $(PKGS)

## lint: gofmt, go vet and staticcheck
lint:
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

## generate: regenerate the gomock mocks in ports/mocks
generate:
	$(GO) generate ./ports/...

## build: the statekit binary in bin/
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/statekit ./cmd/statekit

## bench: side-by-side benchmarks in tests/bench (its own module); BENCH=name runs one scenario
bench:
	cd tests/bench && $(GO) run . $(BENCH)

## fuzz: run every fuzz target the tests declare (found by name, func FuzzXxx), each for FUZZTIME (default 20s)
FUZZTIME ?= 20s
fuzz:
	@set -e; for f in $$(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(' . | grep -v '^./tests/bench/' | sort); do \
		for t in $$(grep -oE '^func Fuzz[A-Za-z0-9_]+' $$f | cut -d' ' -f2); do \
			echo "fuzz $$(dirname $$f) $$t"; \
			$(GO) test $$(dirname $$f) -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME); \
		done; \
	done
