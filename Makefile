# Two entry points: `make rehearse` and `make test`. Both build .venv on demand, installing
# only what the hash-locked sets in requirements/ name (`make lock` refreshes them).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
LOCK_RUN := requirements/run.txt
LOCK_TEST := requirements/test.txt
LOCK_TOOL := requirements/lock-tool.txt

# Every package must match a hash in the lock, and only wheels are taken: nothing from the
# index runs a build script on this machine.
PIP_LOCKED := $(BIN)/python -m pip install --quiet --require-hashes --only-binary :all:
# rmtui itself, editable, built by the locked hatchling: no isolated build environment that
# would fetch an unpinned backend, and no dependencies beyond the lock.
PIP_SELF := $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .

# One universal lock (every OS, Python >= 3.11), wheels only, a hash for every file.
# `make lock LOCK_UPGRADE=` keeps today's pins and only follows changes in pyproject.toml.
LOCK_UPGRADE ?= --upgrade
UV_COMPILE = pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--only-binary :all: --custom-compile-command "make lock" $(LOCK_UPGRADE)

# pytest-xdist for `make test`: two workers, each taking whole test files, so that a module's
# fixtures (sandboxes, keys) are built once; measured faster than one process on 2 cores
# (docs/performance.md, "The test suite"). `make test PYTEST_XDIST=` runs the suite in one process.
PYTEST_XDIST ?= -n 2 --dist loadfile

.PHONY: test rehearse lint typecheck pytest screenshots bench clean system-deps lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): $(LOCK_RUN) pyproject.toml | $(BIN)/python
	$(PIP_LOCKED) -r $(LOCK_RUN)
	$(PIP_SELF)
	touch $@

# The test set pins the runtime packages to the same versions, so it is a superset of the
# runtime set and also satisfies `make rehearse`.
$(STAMP_TEST): $(LOCK_TEST) pyproject.toml | $(BIN)/python
	$(PIP_LOCKED) -r $(LOCK_TEST)
	$(PIP_SELF)
	touch $@ $(STAMP_RUN)

# Refresh the locks with uv, itself installed from its own hash-locked pin into a temporary
# venv. The test set is resolved under the runtime pins so that the two never disagree.
lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install --quiet --require-hashes --only-binary :all: -r $(LOCK_TOOL) && \
	uv="$$tmp/venv/bin/uv" && \
	$$uv $(UV_COMPILE) pyproject.toml requirements/build.in --extra cpython -o $(LOCK_RUN) && \
	$$uv $(UV_COMPILE) pyproject.toml requirements/build.in --extra test -c $(LOCK_RUN) -o $(LOCK_TEST) && \
	$$uv $(UV_COMPILE) requirements/lock-tool.in -o $(LOCK_TOOL)

# Debian tools the tests drive for real (tmux is only for the manual walk-through;
# rsvg-convert turns screenshots into PNG). Installed only when missing.
system-deps:
	@missing=""; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v gpg >/dev/null || missing="$$missing gnupg"; \
	command -v xz >/dev/null || missing="$$missing xz-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing" >&2; exit 1; fi; \
	fi

rehearse: $(STAMP_RUN)
	$(BIN)/rmtui rehearse $(ARGS)

lint: $(STAMP_TEST)
	$(BIN)/ruff check rmtui tests bench scripts
	$(BIN)/ruff format --check rmtui tests bench scripts

typecheck: $(STAMP_TEST)
	$(BIN)/mypy --strict rmtui

pytest: $(STAMP_TEST)
	$(BIN)/pytest -q $(PYTEST_XDIST) $(PYTEST_ARGS)

test: system-deps lint typecheck pytest

screenshots: $(STAMP_TEST)
	@command -v rsvg-convert >/dev/null || { apt-get update -qq && apt-get install -y -qq librsvg2-bin; }
	$(BIN)/python scripts/screenshots.py

# Run by hand; the figures go into docs/performance.md (never timed inside the test suite).
bench: $(STAMP_TEST)
	$(BIN)/python bench/bench_export.py
	$(BIN)/python bench/bench_tui.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
