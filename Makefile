# One install path: a virtualenv in .venv built from the pinned requirement files.
PYTHON ?= python3
# Checked before a virtualenv is made: an older interpreter failed deep in pip's resolver (numpy's pin)
# and left a .venv that a later run with the right one did not repair (venv keeps the old python link).
REQUIRE_PYTHON = @$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	echo "$(PYTHON) is missing or older than Python 3.11, which this project needs: make $(MAKECMDGOALS) PYTHON=python3.11" >&2; \
	exit 1; }
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASL_VALIDATOR := tools/asl-validator/node_modules/.bin/asl-validator

.PHONY: install check test local sample benchmark accuracy image policy clean
SAMPLE_UPLOAD ?= samples/S001_imagery.zip
SAMPLE_OUT ?= out/sample

install: $(STAMP) $(ASL_VALIDATOR)

# The packages install without --quiet: on first use that takes a minute or more, and pip's lines and
# progress bars show it going on.
$(STAMP): requirements.txt requirements-dev.txt handlers/requirements.txt classifier_image/requirements.txt eegclient/requirements.txt constraints.txt
	$(REQUIRE_PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install -r requirements-dev.txt -c constraints.txt
	touch $@

$(ASL_VALIDATOR): tools/asl-validator/package.json tools/asl-validator/package-lock.json
	npm ci --prefix tools/asl-validator --no-audit --no-fund --loglevel=error
	touch $@

# The fast loop: lint, then every test that needs neither the sandbox nor ../shared/data and is not
# marked slow (tests/conftest.py sorts tests into these sets by folder and by fixture), one worker
# per CPU (pytest-xdist). Whole files go to one worker, so a module's fixtures are built once, and all of
# tests/infra goes to one worker, so the session's two Pulumi program runs are made once (tests/conftest.py).
# Every worker collects every module it is given; tests/sandbox/ is left out of collection, not only
# deselected, since importing its modules costs about 3 s of CPU per worker. Bytecode caches stay on
# even where PYTHONDONTWRITEBYTECODE is set: without them every worker compiles the project and
# rewrites every test module's asserts again (about 4 s of CPU each).
check: install policy
	$(BIN)/ruff check .
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto --dist loadfile --ignore=tests/sandbox \
	  -m "not sandbox and not full_data and not slow"

# The policy pack's own virtualenv is part of the tests: they run the pack as the engine does.
test: install policy
	$(BIN)/python -m pytest

# The whole pipeline offline on the bundled sample: emulated AWS, the deployed state machine
# definition, the real handlers and the classifier container's entrypoint.
local: $(STAMP)
	$(BIN)/python -m sandbox run $(SAMPLE_UPLOAD) --out sandbox-out

# Train the classifier on the bundled sample upload as the container does, then replay the exported
# classifier.json on the same recording. The sample's metadata.json names no channels, so (unlike
# the container, which gets none) they are given here (its columns are FC3 FC4 C3 Cz C4 CP3 CPz CP4) for correct CSP scalp maps.
SAMPLE_CHANNELS := FC3 FC4 C3 Cz C4 CP3 CPz CP4
sample: $(STAMP)
	PYTHONPATH=classifier_image:. $(BIN)/python -m fbcsp train $(SAMPLE_UPLOAD) --out $(SAMPLE_OUT) --channel-names $(SAMPLE_CHANNELS)
	PYTHONPATH=classifier_image:. $(BIN)/python -m fbcsp predict $(SAMPLE_OUT)/classifier.json $(SAMPLE_UPLOAD) --channel-names $(SAMPLE_CHANNELS)
	@echo "Open $(SAMPLE_OUT)/report.html to read the report."

benchmark: $(STAMP)
	PYTHONPATH=classifier_image:. $(BIN)/python benchmarks/fbcsp_benchmark.py --input $(SAMPLE_UPLOAD)

# Nested accuracy of the default procedure, --selection original and two textbook baselines on the
# three imagery uploads in ../shared/data/uploads (table in README.md).
accuracy: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py

# The classifier image `sandbox run --docker` runs. Where python:3.12-slim cannot be pulled, make a
# base with tools/debian-base-image.sh and pass it: `make image BASE_IMAGE=debian-python:bookworm`.
IMAGE ?= eeg-classifier:sandbox
BASE_IMAGE ?= python:3.12-slim
image:
	@docker info > /dev/null 2>&1 || { echo "make image needs a running Docker daemon (docker info failed)" >&2; exit 1; }
	docker build --network host --build-arg BASE_IMAGE=$(BASE_IMAGE) -t $(IMAGE) -f classifier_image/Dockerfile .
	@docker image inspect $(BASE_IMAGE) $(IMAGE) --format '{{.Size}}' | \
	  awk 'NR == 1 { base = $$1 } NR == 2 { printf "$(IMAGE): %.0f MB (%.0f MB on top of $(BASE_IMAGE))\n", $$1 / 1e6, ($$1 - base) / 1e6 }'

# The CrossGuard policy pack's own virtualenv (pulumi-policy pins protobuf 5.29, the program uses 6):
# `pulumi preview --policy-pack policy` runs it from policy/venv.
POLICY_STAMP := policy/venv/.installed
policy: $(POLICY_STAMP)

$(POLICY_STAMP): policy/requirements.txt policy/constraints.txt
	$(REQUIRE_PYTHON)
	$(PYTHON) -m venv policy/venv
	policy/venv/bin/python -m pip install --quiet --upgrade "pip==26.3"
	policy/venv/bin/python -m pip install --quiet -r policy/requirements.txt -c policy/constraints.txt
	touch $@

clean:
	rm -rf $(VENV) policy/venv tools/asl-validator/node_modules
