# `make demo` and `make test` do all set-up on a fresh Debian machine: system packages, the venv, the package.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/system-packages.sh
	./scripts/system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the CPU build; an unpinned torch pulled in by diffusers would be a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,all]'
	touch $(STAMP)

demo: setup
	$(BIN)/reelforge demo -o out/demo

test: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n 2 --dist loadfile -q

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: setup
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python bench/render.py

clean:
	rm -rf out .pytest_cache
