# The two commands of the README: `make run` starts the app, `make test` runs every test.
# Both create or refresh .venv (and install missing Debian packages) first.
.PHONY: run test bench lint fmt setup-run setup-test clean

BIN := .venv/bin

run: setup-run
	$(BIN)/chatkit-desktop

test: setup-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

# Speed and memory against the targets (BENCHMARKS.md); not part of `make test`. Exits 1 when a
# target is missed by more than 2x.
bench: setup-test
	$(BIN)/python -m bench

lint: setup-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: setup-test
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

setup-run:
	scripts/bootstrap run

setup-test:
	scripts/bootstrap test

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache build dist
