# One install path: a virtualenv in .venv built from the pinned requirement files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASL_VALIDATOR := tools/asl-validator/node_modules/.bin/asl-validator

.PHONY: install test sample benchmark clean

install: $(STAMP) $(ASL_VALIDATOR)

$(STAMP): requirements.txt requirements-dev.txt classifier_image/requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

$(ASL_VALIDATOR): tools/asl-validator/package.json tools/asl-validator/package-lock.json
	npm ci --prefix tools/asl-validator --no-audit --no-fund --loglevel=error
	touch $@

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) tools/asl-validator/node_modules
