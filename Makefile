# false-plugin: `make demo` runs the demo, `make test` runs the test suite.
# Both create .venv/ first (or refresh it when requirements/ or setup.py change).
# TORCH=system keeps the torch that PYTHON already has (e.g. your CUDA build)
# and puts the pinned OpenMMLab stack on top, in .venv-system/.
TORCH  ?= pinned
ifeq ($(TORCH),system)
VENV   ?= .venv-system
endif
VENV   ?= .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements-hash
REQS   := $(wildcard requirements/*.txt) setup.py tools/install_env.sh tools/build_mmcv.sh
PYTEST_ARGS ?=

.PHONY: venv test demo clean-venv

venv: $(STAMP)

$(STAMP): $(REQS)
	TORCH=$(TORCH) bash tools/install_env.sh $(VENV)

test: venv
	$(PYTHON) -m pytest tests $(PYTEST_ARGS)

demo: venv
	$(PYTHON) tools/demo.py

clean-venv:
	rm -rf $(VENV)
