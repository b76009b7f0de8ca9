# Two commands for a fresh machine with Python 3.11 and pip:
#   make run    serve the bundled content on a local SQLite file at http://127.0.0.1:8000 (PORT=... to move it)
#   make test   run the whole test suite (SQLite; also PostgreSQL when TEST_DATABASE_URL is set)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Every dependency, pip and setuptools included, comes from requirements-dev.lock with its hash; the project
# itself is then installed without dependencies and built by the locked setuptools (no build isolation, so
# nothing unpinned is fetched). `make lock` regenerates both locks after a change to pyproject.toml.
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28

.PHONY: run test lint install lock audit clean

$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Pins stay as they are unless pyproject.toml asks otherwise; add UPGRADE=--upgrade to move every pin.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) $(UPGRADE) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) $(UPGRADE) -c requirements.lock -o requirements-dev.lock

audit: $(STAMP)
	$(BIN)/python scripts/audit.py

PORT ?= 8000
HOST ?= 127.0.0.1

run: $(STAMP)
	DEV_TOKENS=true $(BIN)/python -m app serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) *.db *.db-wal *.db-shm
