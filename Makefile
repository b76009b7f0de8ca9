# Two commands for a fresh machine with Python 3.11 and pip:
#   make run    serve the bundled content on a local SQLite file at http://127.0.0.1:8000
#   make test   run the whole test suite (SQLite; also PostgreSQL when TEST_DATABASE_URL is set)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DEV_TOKENS=true $(BIN)/python -m app serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) *.db *.db-wal *.db-shm
