# questgate: the two commands a newcomer needs are `make run` and `make test`.
# `make ci` is what .ci/run (and so CI) runs.

GO        ?= go
ADDR      ?= :8080
TESTFLAGS ?=
PKGS      := ./...

.PHONY: run test ci generate check-generate fmt-check vet staticcheck test-race fuzz bench build clean deps-e2e test-e2e test-node lint-openapi deps-node

## run: serve on $(ADDR) with SQLite under ./data and the Twilio sandbox on
run:
	$(GO) run ./cmd/questgate serve --sandbox --addr $(ADDR) --data-dir data --log-format text

## test: every test; the browser tests (./e2e) run when Chromium is installed and the PostgreSQL tests when QUESTGATE_TEST_POSTGRES_URL is set, else they skip
test:
	@$(HAVE_CHROMIUM) || echo "make test: Chromium not found, so the browser tests (./e2e) are skipped; 'make deps-e2e' installs it"
	@[ -n "$$QUESTGATE_TEST_POSTGRES_URL" ] || echo "make test: QUESTGATE_TEST_POSTGRES_URL is not set, so the PostgreSQL tests are skipped; set it to a database they may create schemas in, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable (.ci/run does)"
	$(GO) test $(TESTFLAGS) $(PKGS)
	@if command -v node >/dev/null 2>&1; then $(MAKE) --no-print-directory test-node; else echo "make test: Node.js not found, so the TwilioQuest validator tests (twilioquest/node) are skipped; 'make deps-node' installs it"; fi

## test-node: TwilioQuest's side, in Node's own test runner: every validator.js of an exported extension, against questgate serve --sandbox
test-node:
	$(GO) build -o bin/questgate-node-test ./cmd/questgate
	QUESTGATE_BIN=$(CURDIR)/bin/questgate-node-test node --test twilioquest/node/

## lint-openapi: Redocly CLI's recommended rules on handlers/openapi.yaml, warnings included (config: redocly.yaml)
REDOCLY ?= @redocly/cli@2.77.0
lint-openapi:
	@out=$$(npx --yes $(REDOCLY) lint --format=stylish handlers/openapi.yaml 2>&1) || { echo "$$out"; exit 1; }; \
	  echo "$$out" | grep -E '(warning|error) ' && { echo "lint-openapi: fix the problems above (zero warnings allowed)"; exit 1; }; \
	  echo "lint-openapi: handlers/openapi.yaml has no error and no warning"

## deps-node: install Debian's Node.js and npm for test-node and lint-openapi (nothing to do when node is there), and npm's twilio package into $(NODE_TWILIO) for the browser tests' run of the Node.js examples
NODE_TWILIO ?= .cache/node-twilio
NODE_TWILIO_VERSION ?= 5
deps-node:
	@if command -v node >/dev/null 2>&1 && command -v npx >/dev/null 2>&1; then \
	  echo "deps-node: Node.js $$(node --version) is installed"; \
	else \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm; \
	fi
	@if NODE_PATH=$(NODE_TWILIO)/node_modules node -e 'require("twilio")' >/dev/null 2>&1; then \
	  echo "deps-node: twilio $$(node -p 'require("./$(NODE_TWILIO)/node_modules/twilio/package.json").version') is in $(NODE_TWILIO)"; \
	else \
	  npm install --no-audit --no-fund --prefix $(NODE_TWILIO) twilio@$(NODE_TWILIO_VERSION); \
	fi

# The browser tests look for $$QUESTGATE_E2E_CHROMIUM, /usr/bin/chromium, or
# chromium, chromium-browser or google-chrome in PATH (e2e/main_test.go).
HAVE_CHROMIUM = { [ -n "$$QUESTGATE_E2E_CHROMIUM" ] || [ -x /usr/bin/chromium ] || command -v chromium || command -v chromium-browser || command -v google-chrome-stable || command -v google-chrome; } >/dev/null 2>&1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

## deps-e2e: install Debian's Chromium and fonts for the browser tests, and python3-twilio for their run of the Python examples (nothing to do for what is there)
deps-e2e:
	@if [ -x /usr/bin/chromium ]; then \
	  echo "deps-e2e: $$(/usr/bin/chromium --version 2>/dev/null || echo Chromium) is installed"; \
	else \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation fonts-dejavu-core; \
	fi
	@if /usr/bin/python3 -c 'import twilio' >/dev/null 2>&1; then \
	  echo "deps-e2e: Python's twilio $$(/usr/bin/python3 -c 'import twilio; print(twilio.__version__)') is installed"; \
	else \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-twilio; \
	fi

## test-e2e: the browser tests in headless Chromium, which must be there; artifacts in artifacts/e2e/
test-e2e:
	QUESTGATE_E2E=1 $(GO) test -race -count=1 $(TESTFLAGS) ./e2e

## build: the questgate binary in ./bin
build:
	$(GO) build -o bin/questgate ./cmd/questgate

## generate: regenerate templ components (commit the result)
generate:
	$(GO) tool templ generate

## check-generate: fail when the committed *_templ.go differ from what templ generates
check-generate:
	$(GO) tool templ generate
	@git diff --exit-code -- '*_templ.go' || { echo "templ generate changed files: run 'make generate' and commit them"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- '*_templ.go'); test -z "$$untracked" || { echo "templ generate made files git does not track: add them"; echo "$$untracked"; exit 1; }

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt would change:"; echo "$$out"; exit 1; }

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

# The browser tests have their own target, test-e2e.
test-race:
	$(GO) test -race -count=1 $$($(GO) list $(PKGS) | grep -v '/e2e$$')

## fuzz: a short run of every fuzz target (the corpus lives in testdata/fuzz)
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## bench: the Go benchmarks, then the load benchmark of docs/performance.md (several minutes;
## BENCHFLAGS passes it flags, such as BENCHFLAGS='-scenarios burst -players 200').
## With QUESTGATE_TEST_POSTGRES_URL set, burst, capacity, repeats and data run on
## PostgreSQL too (one instance, then two behind the bench's round-robin).
## Performance goals are measured here, never as timed tests.
BENCHFLAGS ?=
BENCHPG = $(if $(QUESTGATE_TEST_POSTGRES_URL),-database-url '$(QUESTGATE_TEST_POSTGRES_URL)' -instances 1$(comma)2)
comma := ,
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	$(GO) run ./cmd/questgate-bench $(BENCHPG) $(BENCHFLAGS)

## ci: everything CI checks. The fuzz run is counted in executions, not
## seconds: a time budget ending mid-iteration on a loaded machine makes
## go test report "context deadline exceeded" for a fuzzer that found nothing.
ci: fmt-check vet staticcheck check-generate lint-openapi test-race test-node test-e2e
	$(MAKE) fuzz FUZZTIME=3000x

clean:
	rm -rf bin data artifacts
