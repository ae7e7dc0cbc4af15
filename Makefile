PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
# pytest-xdist workers for `make test` ("auto": one per CPU; 0: no workers).
TEST_WORKERS ?= auto

.PHONY: run test bench install install-test lint format migrate seed messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## make run: the embedded default on http://127.0.0.1:$(PORT) (web, worker, beat).
run: seed
	APP_PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

## make test: lint, the structure check and the whole suite: in parallel on
## $(TEST_WORKERS) pytest-xdist workers, then the tests marked `solo` (the quick
## benchmark, a load test) on their own.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_structure.py
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal -m "not solo" --durations=25
	$(BIN)/pytest -m solo

bench: install-test
	$(BIN)/python -m bench

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_structure.py

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make messages: extract French strings and compile them (needs GNU gettext).
messages: install
	$(BIN)/python manage.py makemessages -l fr --no-obsolete -i ".venv/*" -i "var/*" -i "tests/*" -i "bench/*"
	$(BIN)/python manage.py compilemessages -l fr --ignore=.venv --ignore=var

clean:
	rm -rf var/cache
