# The two set-up commands of the README: `make nightly` (the main job) and `make test`.
# Both install what they need first and can be run again at any time.
SHELL := /bin/bash
.DEFAULT_GOAL := nightly
.PHONY: setup build nightly test bench demo screenshots

setup:
	@bash scripts/setup.sh

build: setup
	swift build --product bursar

# The main job, on the bundled sample (Examples/sample, made by `bursar synth`) with the embedded
# store (.bursar/bursar.sqlite): `bursar nightly` ingests the day's summaries, sizes and places every
# queue, writes Queues/<cluster>/ and the routing table; then the SLO report, and every queue
# configuration checked again. Re-running reads nothing twice (every source has a checkpoint) and, with
# no new data, plans the same night against the same previous plan: the same files, byte for byte.
nightly: build
	.build/debug/bursar nightly
	.build/debug/bursar slo report
	.build/debug/bursar validate Queues

# The scheduler's closed loop on the sample (scripts/demo.sh): two simulated clusters with the night's queues
# deployed, the router, the scheduler running the workflows of Examples/demo/Pipelines, the clusters' summary
# logs ingested, the SLO report, and the report checked against the scheduler's record of every run.
demo: build
	bash scripts/demo.sh

# The module graph against its layers (scripts/check-architecture.py), then unit, golden, fixture and end-to-end
# tests, with a throwaway PostgreSQL server for the store tests, then the dashboards in headless Chromium
# (scripts/browser-test.sh: sign-in, every page crawled with axe, the numbers drawn against a known history).
# Each in a temporary folder of its own (scripts/with-scratch.sh), removed when it passes.
# The router's tests run after the rest, on their own: their in-process routers answer on Swift's cooperative
# threads (two on a 2-core machine), which the end-to-end tests' waits on processes would otherwise hold.
test: setup
	python3 scripts/check-architecture.py
	bash scripts/with-postgres.sh bash scripts/with-scratch.sh sh -c 'swift test --skip ArcherTests && swift test --filter ArcherTests'
	bash scripts/with-scratch.sh bash scripts/browser-test.sh

# Screenshots of the dashboards on the bundled sample (planned into a temporary store, so Queues/ is left alone),
# 1280 px wide, into Dashboards/screenshots/ for review: the first page of each kind of view (page and filter
# names; SCREENSHOT_PAGES=all for every page crawled) and each page in the dark theme. The crawl's checks run too.
screenshots: setup
	SCREENSHOTS=Dashboards/screenshots SCREENSHOT_PAGES=$${SCREENSHOT_PAGES:-one-per-view} bash scripts/browser-test.sh --sample

# Release-build benchmarks; they print their inputs and figures and never fail on time.
bench: setup
	bash Benchmarks/validate.sh
	bash Benchmarks/ingest.sh
	bash Benchmarks/ingest_single.sh
	bash Benchmarks/allocate.sh
	PROJECTS=2730 bash Benchmarks/allocate_history.sh
	bash Benchmarks/router.sh
	bash Benchmarks/pipelines.sh
	bash Benchmarks/scheduler.sh
	bash Benchmarks/dashboards.sh
