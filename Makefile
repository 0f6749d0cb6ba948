# The two set-up commands of the README: `make nightly` (the main job) and `make test`.
# Both install what they need first and can be run again at any time.
SHELL := /bin/bash
.DEFAULT_GOAL := nightly
.PHONY: setup build nightly test bench

setup:
	@bash scripts/setup.sh

build: setup
	swift build --product bursar

# The main job. Until ingestion (#3) and allocation (#4) land, the nightly run checks every queue
# configuration Bursar manages, exactly as it will before writing new ones.
nightly: build
	@mkdir -p .bursar
	.build/debug/bursar validate Queues

# Unit, golden, fixture and end-to-end tests, with a throwaway PostgreSQL server for the store tests.
test: setup
	bash scripts/with-postgres.sh swift test

# Release-build benchmarks; they print their inputs and figures and never fail on time.
bench: setup
	bash Benchmarks/validate.sh
