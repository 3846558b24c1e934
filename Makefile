# One front door for humans and CI. Every target runs from the repository root.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go
NPM_PREFIX := tools/node
CDK := $(NPM_PREFIX)/node_modules/.bin/cdk
FUZZTIME ?= 10s

.PHONY: help check-tools deps local test unit lint fuzz bench synth deploy diagram clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

check-tools: ## check (in under a second) every tool the tests and local mode need; names the install command
	@./scripts/check-tools.sh

NPM_STAMP := $(NPM_PREFIX)/node_modules/.package-lock.json

deps: $(NPM_STAMP) ## install Go modules and the pinned npm tools (aws-cdk CLI, cognito-local)
	$(GO) mod download

# npm ci only when the lockfile changed since the last install (npm writes the stamp).
$(NPM_STAMP): $(NPM_PREFIX)/package-lock.json | check-tools
	npm ci --prefix $(NPM_PREFIX) --no-audit --no-fund --loglevel=error
	touch $@

local: check-tools deps ## run the whole system locally (cdk synth, cognito-local, RIE, local ALB); Ctrl-C stops it; ARGS="--help" for flags
	@$(GO) build -o .build/bin/local ./cmd/local
	@# Built, then run (not `go run`, which reports exit status 1 after Ctrl-C even when local mode stopped cleanly);
	@# the shell ignores Ctrl-C so that its exit status is local mode's own.
	@trap '' INT TERM; .build/bin/local $(ARGS)

test: check-tools deps lint ## the full test suite: lint, unit, template and end-to-end tests, brief fuzzing
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

unit: ## fast tests only (skips the end-to-end run)
	$(GO) test -short ./...

lint: ## gofmt, go vet and shellcheck
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tools/*'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	shellcheck scripts/*.sh .ci/run

fuzz: ## run every fuzz target for FUZZTIME each (default 10s)
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

bench: deps ## measure synth (2/100/1,000 tenants), local ALB vs direct, bootstrap size, local mode at 1,000 tenants; writes docs/bench-output.txt
	./scripts/bench.sh | tee docs/bench-output.txt

synth: deps ## synthesize every stack into cdk.out (pass CONTEXT="-c certificateArn=...")
	$(CDK) synth --quiet $(CONTEXT)

deploy: deps ## deploy to AWS: STACKS="TenantRouting-Cell-3" for one cell (default: all, shared stack first); CONTEXT="-c certificateArn=..."
	$(CDK) deploy $(if $(STACKS),$(STACKS),--all) $(CONTEXT)

diagram: ## regenerate docs/architecture.{svg,png} from docs/architecture.dot (needs graphviz)
	dot -Tsvg docs/architecture.dot -o docs/architecture.svg
	dot -Tpng -Gdpi=110 docs/architecture.dot -o docs/architecture.png

clean: ## remove build output and local state
	rm -rf cdk.out .build .local
