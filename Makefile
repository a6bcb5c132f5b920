# One virtual environment in .venv, created on first use; every target installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Every install takes its versions from constraints.txt (make lock rewrites it).
CONSTRAINTS := constraints.txt
PIP := $(BIN)/python -m pip install -q -c $(CONSTRAINTS)
EXTRAS := test,dev,bench

.PHONY: crawl test demo bench lint lock

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e '.[test]'
	touch $(STAMP)

# The cron entry point, so this exits as cron would see it. make crawl ARGS="-a max_pages=2"
crawl: $(STAMP)
	$(BIN)/kompas-crawler crawl $(ARGS)

# Newest versions allowed by pyproject.toml, installed in a fresh venv and frozen into
# constraints.txt: run after adding or bumping a dependency, then commit constraints.txt.
LOCK_VENV ?= .lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install -q -e '.[$(EXTRAS)]'
	$(LOCK_VENV)/bin/python -m pip freeze --exclude-editable --all \
	  | grep -v -i '^kompas-crawler' > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)
	@echo "$(CONSTRAINTS): $$(wc -l < $(CONSTRAINTS)) pinned packages"

# Serves the bundled offline Kompas-shaped site on a free local port and crawls it into
# data/demo.db, no internet needed. make demo ARGS="-O data/demo.jsonl" passes ARGS to scrapy.
demo: $(STAMP)
	$(BIN)/python -m kompas_crawler.offline --port 0 --crawl sqlite:///data/demo.db -- $(ARGS)
	@echo "Archive: data/demo.db. Try: sqlite3 data/demo.db" \
	  "'SELECT published_at, title FROM articles ORDER BY published_at DESC LIMIT 5'"

# System packages first (Chromium for the browser test), then every test.
test: $(STAMP)
	tools/system-packages.sh
	$(BIN)/python -m pytest -n auto --dist loadfile $(ARGS)

lint: $(STAMP)
	$(PIP) -e '.[dev]'
	$(BIN)/ruff format --check kompas_crawler tests benchmarks
	$(BIN)/ruff check kompas_crawler tests benchmarks
	$(BIN)/mypy kompas_crawler
