# false-plugin: `make demo` runs the demo, `make test` runs the test suite.
# Both create .venv/ first (or refresh it when requirements/ or setup.py change).
VENV   ?= .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements-hash
REQS   := $(wildcard requirements/*.txt) setup.py tools/install_env.sh tools/build_mmcv.sh
PYTEST_ARGS ?=

.PHONY: venv test demo clean-venv

venv: $(STAMP)

$(STAMP): $(REQS)
	bash tools/install_env.sh $(VENV)

test: venv
	$(PYTHON) -m pytest tests $(PYTEST_ARGS)

demo: venv
	$(PYTHON) tools/demo.py

clean-venv:
	rm -rf $(VENV)
