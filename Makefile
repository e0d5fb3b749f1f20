# The two commands of the README's quick start are `make run` and `make test`; `make check` is
# the fast tier to run while editing (everything but the tests marked `system`).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := raptor2-utils chromium virtuoso-opensource-7-bin
VENDOR := web/static/vendor/yasgui/yasgui.min.js

.PHONY: run setup build serve test check system-deps lint typecheck clean

run: setup build serve  ## set everything up, build the knowledge base and serve it

$(BIN)/caikg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(VENDOR): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	bash web/vendor.sh

setup: $(BIN)/caikg $(VENDOR)  ## create .venv, install caikg and the editor's npm assets

build: setup  ## validate the shipped data and load a new store
	$(BIN)/caikg build

serve: setup  ## serve the current store (CAIKG_HOST/CAIKG_PORT)
	$(BIN)/caikg serve

system-deps:  ## Debian packages the tests use (rapper, an independent RDF parser)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

test: setup system-deps  ## run the whole test suite (lint, types, tests)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

check: setup system-deps  ## the fast tier while editing: lint, types and the tests not marked system
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not system" -q -n auto

lint: setup
	$(BIN)/ruff check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info
