# ChainSync middleware. `make test` is what CI runs (.ci/run): it installs the
# servers the tests need when they are missing, then checks formatting, vet,
# staticcheck and the whole suite with the race detector, real redis-server
# and postgres required (no skips).

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCH       ?= .
BENCHTIME   ?= 1s
COUNT       ?= 6

.PHONY: test deps fmt vet staticcheck unit bench run

test: deps fmt vet staticcheck unit

# redis-server via apt-get; PostgreSQL binaries are normally present under
# /usr/lib/postgresql/*/bin, installed the same way when not.
deps:
	@need=""; \
	command -v redis-server >/dev/null 2>&1 || need="$$need redis-server"; \
	{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || need="$$need postgresql"; \
	if [ -n "$$need" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing:$$need"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$need >/dev/null; \
		else \
			echo "missing:$$need (install them; the tests need real servers)" >&2; exit 1; \
		fi; \
	fi

fmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

unit:
	CHAINSYNC_REQUIRE_SERVERS=1 $(GO) test -race -count=1 ./...

# Benchmarks of this module; compare runs with benchstat.
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime $(BENCHTIME) -count $(COUNT) ./...

run:
	@if [ -d examples/chainsync ]; then $(GO) run ./examples/chainsync; \
	else echo "examples/chainsync has not landed yet"; exit 1; fi
