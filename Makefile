# The two commands of the course: `make book` builds the website, `make test` runs every test.
# Every target sets up the environment it needs itself: a virtual environment in .venv,
# created on first use, into which it installs the course with the extra of pyproject.toml
# it needs (`make lab`: the student's set and JupyterLab; `make book`: the book's tools;
# the others: everything, the `dev` extra), again only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-dev

# Quiet TensorFlow's C++ logging in every process we start (kernels inherit it).
# MPLBACKEND is NOT exported: notebook kernels would inherit Agg and their figures would
# vanish from the book and from JupyterLab. Only the unit tests set it.
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1

BOOK_DIR  := book
BOOK_HTML := $(BOOK_DIR)/_build/html
# Strict build used by `make test`: warnings are errors, every cell must run cleanly.
BOOK_STRICT := --warningiserror --nitpick --keep-going

.PHONY: help setup book publish book-strict test quick lint unit exercises-check solutions numbers site lab bench clean

help:
	@echo "make book   build the website into $(BOOK_HTML) (sets everything up first)"
	@echo "make test   lint, unit tests, strict book build, numbers in the text, exercise checks, browser test"
	@echo "make quick  the fast loop between commits: lint, then the unit tests and doctests that"
	@echo "            train nothing (skips the markers slow, browser and built_book)"
	@echo "make lab    JupyterLab on this repository with the course environment"
	@echo "make bench  timings and model-quality benchmarks (not part of make test)"
	@echo "make clean  remove build outputs (keeps .venv)"

setup: $(STAMP)

# .venv/.installed-EXTRA: the course and the extra EXTRA of pyproject.toml are installed.
$(VENV)/.installed-%: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; got " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$*]"
	@touch $@

book: $(VENV)/.installed-book
	$(BIN)/jupyter-book build $(BOOK_DIR)
	@echo "The website is in $(BOOK_HTML)/index.html"

# What the Pages workflow runs before `make book`: the repository it runs in, the branch of
# published notebooks it pushes and the commit every install cell then installs.
publish: $(VENV)/.installed-book
	@test -n "$(URL)" -a -n "$(COMMIT)" -a -n "$(BRANCH)" || { echo "usage: make publish URL=https://github.com/OWNER/REPO COMMIT=SHA BRANCH=published"; exit 2; }
	$(PY) -m course_lib.install_cell publish --url "$(URL)" --commit "$(COMMIT)" --branch "$(BRANCH)"

book-strict: $(STAMP)
	$(BIN)/jupyter-book build $(BOOK_DIR) $(BOOK_STRICT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The unit tests and every module's doctests (pyproject.toml collects both).
unit: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest -m "not browser and not built_book" --durations=30

# The fast loop between commits: what `unit` runs, less the tests marked slow (they train
# models, run notebooks or start kernels), and the linter first.
quick: lint
	MPLBACKEND=Agg $(PY) -m pytest -m "not slow and not browser and not built_book"

# The exercises are generated from the solutions: fail when they are out of date.
exercises-check: $(STAMP)
	$(BIN)/rnn-course assign --check

# Every cell of every solution notebook runs, and check cells print their success line.
solutions: $(STAMP)
	$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider solutions/

# Every number in the book's text with 3 or more significant digits comes from a run: an
# output of its executed notebook (read from the execution cache `book-strict` leaves in
# book/_build/.jupyter_cache, so the book is executed once) or bench/results.json.
numbers: $(STAMP)
	$(PY) -m pytest -m built_book -p no:cacheprovider tests/test_book_numbers.py

# axe-core for the accessibility audit of the website, from npm (package.json pins the
# version; the test serves it beside the site, never from a CDN).
AXE_JS := node_modules/axe-core/axe.min.js

$(AXE_JS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE_JS)

# The built website in headless Chromium (needs `book-strict` first): every page, link,
# image and equation, search, launch and download buttons, axe-core's WCAG 2.1 AA audit in
# the light and the dark mode, with the network blocked. The browser: RNN_CHROMIUM, else
# one found where people have one (tests/find_browser.py), else Playwright's own install;
# when all fail it stops with the ways to get one.
site: $(STAMP) $(AXE_JS)
	RNN_CHROMIUM="$$($(PY) tests/find_browser.py --install)" && export RNN_CHROMIUM && \
		$(PY) -m pytest -m browser tests/test_site_browser.py

test: lint exercises-check unit solutions book-strict numbers site

bench: $(STAMP)
	$(PY) -m bench

# JupyterLab for a student: without the news prompt and without nbgrader's teacher menus
# (installed with `make test`'s tools), both turned off in .jupyter/, which Binder reads as
# its home's configuration and `make lab` through JUPYTER_CONFIG_PATH.
lab: $(VENV)/.installed-lab
	JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter" $(BIN)/jupyter lab --notebook-dir=.

clean:
	rm -rf $(BOOK_DIR)/_build .pytest_cache .ruff_cache artifacts node_modules
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
