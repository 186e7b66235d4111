# Two entry points: `make rehearse` and `make test`. Both build .venv on demand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: test rehearse lint typecheck pytest screenshots bench clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[cpython]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

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
	$(BIN)/pytest -q $(PYTEST_ARGS)

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
