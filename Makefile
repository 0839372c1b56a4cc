# The two commands: `make test` and `make demo`. Both set up a fresh machine.
SHELL := /bin/bash
GO ?= go
# Go 1.27.3: the code reaches 14 standard-library vulnerabilities fixed after
# 1.26.8 (SECURITY.md). The go command fetches it from the module proxy.
export GOTOOLCHAIN := go1.27.3
FUZZTIME ?= 10s
# Linters at pinned versions, fetched through the module proxy.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test deps vet lint bench demo chaos vulncheck testbed-up testbed-down

deps:
	@scripts/deps.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

# staticcheck, and the import rule with docs/architecture.md's package table
# checked against `go list` (internal/layering).
lint:
	$(GO) run $(STATICCHECK) ./...
	$(GO) test -count=1 ./internal/layering/

test: deps vet lint
	OMP_THREAD_LIMIT=1 PASSPORT_TESSDATA_DIR=$(CURDIR)/tessdata scripts/testbed.sh run $(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -run='^$$' -fuzz=FuzzParseText -fuzztime=$(FUZZTIME) ./passport/
	$(GO) test -run='^$$' -fuzz=FuzzParseFrenchCard -fuzztime=$(FUZZTIME) ./passport/
	# mrzscan without -race: the tests it skips under -race (the evaluation set idle then with
	# every core busy, needs_review, the printed page, portraits, a 19-megapixel photo) run here.
	OMP_THREAD_LIMIT=1 $(GO) test -count=1 -timeout 30m ./mrzscan/

testbed-up: deps
	scripts/testbed.sh up

testbed-down:
	scripts/testbed.sh down

# Figures beside the tools a user would otherwise pick, same data, one run.
bench: deps
	@WITH_BENCH_TOOLS=1 scripts/deps.sh
	scripts/testbed.sh run scripts/bench.sh

# The worker end to end on the bundled documents; CLOUD=1 uses versitygw.
demo: deps
	CLOUD=$(CLOUD) scripts/demo.sh

# Faults, load and hostile input; writes the figures to RELIABILITY.md.
chaos: deps
	PASSPORT_TESSDATA_DIR=$(CURDIR)/tessdata scripts/testbed.sh run scripts/chaos.sh

# govulncheck against the pinned vulndb snapshot (SECURITY.md); exit 3 = vulnerable code reached.
vulncheck:
	scripts/vulncheck.sh
