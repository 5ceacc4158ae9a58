# Two commands: `make run` serves Liandong, `make test` runs the whole suite.
# Both create .venv, install the package (editable) and the modeler's npm files first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: run test test-fast install bench clean

$(STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(NPM_STAMP): package.json
	npm install --no-audit --no-fund --silent
	touch $(NPM_STAMP)

install: $(STAMP) $(NPM_STAMP)
	for dir in web/translations web/*/translations; do \
	  [ -d "$$dir" ] && $(BIN)/pybabel compile -d "$$dir" || true; done

run: install
	$(BIN)/liandong init-db
	$(BIN)/liandong setup-demo --start-campaign --shift-to-now
	$(BIN)/liandong run

test: install
	$(BIN)/python -m pytest -q -ra $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS)

bench: install
	$(BIN)/liandong bench engine

clean:
	rm -rf $(VENV) node_modules instance/*.sqlite3*
