.DEFAULT_GOAL := help
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

help: ## show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

test: ## vet and test (what CI runs)
	go vet ./...
	go test ./...

race: ## test with the race detector
	go test -race ./...

fuzz: ## run every fuzz target for 30 s
	go test -run '^$$' -fuzz FuzzParseLine -fuzztime 30s ./internal/journal
	go test -run '^$$' -fuzz FuzzVerify -fuzztime 30s ./internal/journal
	go test -run '^$$' -fuzz FuzzAppendVerify -fuzztime 30s ./internal/journal
	go test -run '^$$' -fuzz FuzzLineKey -fuzztime 30s ./internal/journal
	go test -run '^$$' -fuzz FuzzEventJSON -fuzztime 30s ./internal/export
	go test -run '^$$' -fuzz FuzzSafeName -fuzztime 30s ./evidence
	go test -run '^$$' -fuzz FuzzRecordedName -fuzztime 30s ./evidence
	go test -run '^$$' -fuzz FuzzScrub -fuzztime 30s ./internal/redact
	go test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./playbooks
	go test -run '^$$' -fuzz FuzzParseTime -fuzztime 30s ./internal/incident
	go test -run '^$$' -fuzz FuzzParseDue -fuzztime 30s ./internal/incident
	go test -run '^$$' -fuzz FuzzRequirements -fuzztime 30s ./internal/deps
	go test -run '^$$' -fuzz FuzzAdvisory -fuzztime 30s ./internal/deps
	go test -run '^$$' -fuzz FuzzPackageLock -fuzztime 30s ./internal/deps
	go test -run '^$$' -fuzz FuzzGoMod -fuzztime 30s ./internal/deps
	go test -run '^$$' -fuzz FuzzParseKey -fuzztime 30s ./internal/signing
	go test -run '^$$' -fuzz FuzzParseSignature -fuzztime 30s ./internal/signing
	go test -run '^$$' -fuzz FuzzParseManifest -fuzztime 30s ./internal/signing
	go test -run '^$$' -fuzz FuzzReplaceKeyReferences -fuzztime 30s ./internal/signing
	go test -run '^$$' -fuzz FuzzParseRecord -fuzztime 30s ./internal/actions
	go test -run '^$$' -fuzz FuzzParseDays -fuzztime 30s ./internal/app
	go test -run '^$$' -fuzz FuzzGuide -fuzztime 30s ./tui

bench: ## run the benchmarks (see bench/README.md)
	bash bench/startup.sh
	bash bench/run.sh
	bash bench/hash.sh

golden: ## rewrite golden files
	go test ./internal/cli -run TestGoldenOutput -update

build: ## build ./firebreak with the version stamped in
	go build -ldflags "-X github.com/firebreak-dev/firebreak/internal/cli.Version=$(VERSION)" -o firebreak ./cmd/firebreak

.PHONY: help test race fuzz bench golden build
