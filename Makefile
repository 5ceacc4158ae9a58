# Two commands: `make run` serves Liandong, `make test` runs the whole suite.
# Both create .venv, install the package (editable) and the modeler's npm files first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
# The modeler's bundle (bpmn-js, its properties panel, the SpiffWorkflow extension, the
# minimap): built with esbuild from web/processes/assets, served by the app, not committed.
BUNDLE := web/processes/static/build/modeler.bundle.js
BUNDLE_SOURCES := $(shell find web/processes/assets -type f 2>/dev/null)

.PHONY: run test test-fast install bundle bench clean

$(STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund --silent
	touch $(NPM_STAMP)

$(BUNDLE): $(NPM_STAMP) $(BUNDLE_SOURCES)
	node_modules/.bin/esbuild web/processes/assets/modeler.js --bundle --minify --sourcemap \
	  --target=es2019 --log-level=warning --loader:.woff=file --loader:.woff2=file \
	  --loader:.ttf=file --loader:.eot=file --loader:.svg=file --outfile=$(BUNDLE)

bundle: $(BUNDLE)

install: $(STAMP) $(NPM_STAMP) $(BUNDLE)
	for dir in web/translations web/*/translations; do \
	  [ -d "$$dir" ] && $(BIN)/pybabel compile -d "$$dir" || true; done

run: install
	$(BIN)/liandong init-db
	$(BIN)/liandong setup-demo --start-campaign --shift-to-now
	$(BIN)/liandong run --training

# Two workers, a test file each at a time: most of the suite waits (browsers, timers,
# subprocesses), so two run in about half the time on a two-core machine.
test: install
	$(BIN)/python -m pytest -q -ra -n 2 --dist loadfile $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS)

bench: install
	$(BIN)/liandong bench engine

clean:
	rm -rf $(VENV) node_modules web/processes/static/build instance/*.sqlite3*
