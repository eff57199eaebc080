# Two commands: `make run` (the app on the sample data) and `make test` (the whole suite).
# Both install exactly the versions in constraints.txt (the lock); `make lock` refreshes it on purpose.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
LOCK := constraints.txt
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check -c $(LOCK)

.PHONY: run test bench install install-dev clean sample lock

# The stamps depend on the lock too: a changed constraints.txt re-installs (pip moves each package to its pin).
$(VENV)/.runtime: requirements.txt $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) pip
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: $(VENV)/.runtime
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true

test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev
	$(PY) bench/run.py $(BENCH_ARGS)

sample: $(VENV)/.runtime
	$(PY) -m nps.sample data

# Resolve requirements-dev.txt afresh (newest versions allowed by its bounds) in a throwaway virtualenv and
# write every installed package's exact version to constraints.txt. Run it on purpose, then `make test`
# and commit the new lock with what it changed. LOCK_ARGS adds pip arguments, e.g. LOCK_ARGS="'numpy<2.5'".
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt $(LOCK_ARGS); \
	{ echo "# The lock: exact versions of everything \`make run\` and \`make test\` install (pip constraints)."; \
	  echo "# Written by \`make lock\` from requirements-dev.txt; do not edit by hand."; \
	  echo "# $$("$$tmp/venv/bin/python" -c 'import platform, sys; print(f"Python {platform.python_version()}, {sys.platform} {platform.machine()}")')"; \
	  "$$tmp/venv/bin/python" -m pip freeze --all --exclude setuptools --exclude wheel --exclude passaparola; \
	} > "$$tmp/$(LOCK)"; \
	mv "$$tmp/$(LOCK)" $(LOCK); \
	echo "$(LOCK): $$(grep -vc '^#' $(LOCK)) packages pinned"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis data/*.duckdb data/*.duckdb.wal tests/screenshots bench/tmp
