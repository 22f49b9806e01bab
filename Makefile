# Two commands set up everything on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make run    - create/update .venv, install radiowatch, start the app on the local engine
#   make test   - same set-up, then the whole test suite headless (Qt offscreen)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# A hang inside Qt's C++ loop is not killed by pytest-timeout, so the suite has an outer limit;
# at that limit SIGUSR1 makes the suite print every thread's stack (tests/conftest.py), and
# 30 s later it is killed.
TEST_TIMEOUT ?= 2400
STACKS := $(VENV)/test-stacks-at-time-limit.txt
# Parallel test workers (pytest-xdist). The long tests mostly wait on the wall clock (a loopback
# station airs in real time), so more workers than cores pays: 4 on a 2-core CI machine.
# --maxschedchunk 1 hands out tests one at a time, so the slow ones, which run first
# (tests/conftest.py), spread over the workers. TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 4

.PHONY: run test check setup system-deps desktop-deps lint bench-engine package clean screenshots

setup: system-deps $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The few system libraries Qt links against (see packaging/install-system-deps.sh and README).
# Everything else comes from PyPI.
system-deps:
	@PYTHON=$(PYTHON) bash packaging/install-system-deps.sh

# Opening a window on X11/XWayland also needs the xcb libraries of Qt's platform plugin.
desktop-deps:
	@PYTHON=$(PYTHON) bash packaging/install-system-deps.sh desktop

run: setup desktop-deps
	$(VENV)/bin/radiowatch

test: setup
	@rm -f $(STACKS) $(STACKS).*
	QT_QPA_PLATFORM=offscreen RADIOWATCH_TEST_STACKS=$(STACKS) \
		timeout --signal=USR1 --kill-after=30 $(TEST_TIMEOUT) \
		$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist load --maxschedchunk 1 \
		|| { rc=$$?; for f in $(STACKS) $(STACKS).*; do if [ -s "$$f" ]; then \
			echo "--- stacks at the time limit ($$f):"; cat "$$f"; fi; done; exit $$rc; }

# The habits CI enforces: lint, formatting, the design's import contracts, types of the core.
check: setup
	$(VENV)/bin/ruff check radiowatch tests bench packaging
	$(VENV)/bin/ruff format --check radiowatch tests bench packaging
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

lint: check

# One folder, dist/radiowatch/, holding the GUI and the engine; then a headless smoke test of it.
package: setup
	$(PY) -m pip install --quiet -e '.[package]'
	$(PY) -m PyInstaller --noconfirm --clean packaging/radiowatch.spec
	bash packaging/smoke_test.sh dist/radiowatch/radiowatch

screenshots: setup
	bash packaging/take-screenshots.sh

clean:
	rm -rf build dist .pytest_cache
