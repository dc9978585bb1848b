# Set-up-and-go targets. `make demo` and `make test` set the stack up first when needed; a
# second run on a set-up machine only checks the stamp. MARS_WHEELHOUSE may name a directory
# holding a prebuilt mmcv 2.1.0 wheel (see tools/misc/setup_env.sh).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.mars-setup-done
SETUP_INPUTS := setup.py $(wildcard requirements/*.txt) tools/misc/setup_env.sh
PYTEST_ARGS ?=

.PHONY: setup demo test

setup: $(STAMP)

$(STAMP): $(SETUP_INPUTS)
	VENV=$(VENV) bash tools/misc/setup_env.sh
	touch $@

demo: $(STAMP)
	$(PYTHON) tools/misc/demo.py

test: $(STAMP)
	$(PYTHON) -m pytest tests $(PYTEST_ARGS)
