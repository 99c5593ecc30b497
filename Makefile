# The two commands of the README: `make run` starts the app, `make test` runs every test.
# Both create or refresh .venv (and install missing Debian packages) first.
.PHONY: run test lint fmt setup-run setup-test clean

BIN := .venv/bin

run: setup-run
	$(BIN)/chatkit-desktop

test: setup-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/pytest

lint: setup-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

fmt: setup-test
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

setup-run:
	scripts/bootstrap run

setup-test:
	scripts/bootstrap test

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache build dist
