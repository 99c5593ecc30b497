# The two commands of the README: `make run` starts the app, `make test` runs every test.
# Both create or refresh .venv (and install missing Debian packages) first.
.PHONY: run test bench bundle smoke lint fmt setup-run setup-test clean

BIN := .venv/bin

run: setup-run
	$(BIN)/chatkit-desktop

# Lint, types, the desktop bundle (its layout is checked by the tests), every test, then the
# built bundle started for real (packaging/smoke).
test: setup-test
	$(BIN)/ruff check src tests bench packaging
	$(BIN)/ruff format --check src tests bench packaging
	$(BIN)/mypy
	$(MAKE) --no-print-directory bundle
	$(BIN)/pytest
	$(MAKE) --no-print-directory smoke

# The desktop bundle for this OS (PyInstaller, one folder) and its archive, into dist/.
bundle: setup-test
	$(BIN)/python packaging/build.py

# Start the built bundle under Xvfb: page, one chat turn, keyring, sizes and launch time.
smoke: setup-test
	$(BIN)/python packaging/smoke --json dist/smoke.json

# Speed and memory against the targets (BENCHMARKS.md); not part of `make test`. Exits 1 when a
# target is missed by more than 2x.
bench: setup-test
	$(BIN)/python -m bench

lint: setup-test
	$(BIN)/ruff check src tests bench packaging
	$(BIN)/ruff format --check src tests bench packaging
	$(BIN)/mypy

fmt: setup-test
	$(BIN)/ruff format src tests bench packaging
	$(BIN)/ruff check --fix src tests bench packaging

setup-run:
	scripts/bootstrap run

setup-test:
	scripts/bootstrap test

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache build dist
