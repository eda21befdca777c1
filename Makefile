# questgate: the two commands a newcomer needs are `make run` and `make test`.
# `make ci` is what .ci/run (and so CI) runs.

GO        ?= go
ADDR      ?= :8080
TESTFLAGS ?=
PKGS      := ./...

.PHONY: run test ci generate check-generate fmt-check vet staticcheck test-race fuzz bench build clean

## run: serve on $(ADDR) with SQLite under ./data and the Twilio sandbox on
run:
	$(GO) run ./cmd/questgate serve --sandbox --addr $(ADDR) --data-dir data --log-format text

## test: every unit and in-process end-to-end test
test:
	$(GO) test $(TESTFLAGS) $(PKGS)

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

test-race:
	$(GO) test -race -count=1 $(PKGS)

## fuzz: a short run of every fuzz target (the corpus lives in testdata/fuzz)
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## bench: benchmarks (performance goals are measured here, never as timed tests)
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## ci: everything CI checks
ci: fmt-check vet staticcheck check-generate test-race
	$(MAKE) fuzz FUZZTIME=5s

clean:
	rm -rf bin data
