# One virtual environment in .venv, created on first use; every target installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: crawl test demo bench lint

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# make crawl ARGS="-a max_pages=2"
crawl: $(STAMP)
	$(BIN)/scrapy crawl kompas_global $(ARGS)

# Serves the bundled offline Kompas-shaped site on a free local port and crawls it into
# data/demo.db, no internet needed. make demo ARGS="-O data/demo.jsonl" passes ARGS to scrapy.
demo: $(STAMP)
	$(BIN)/python -m kompas_crawler.offline --port 0 --crawl sqlite:///data/demo.db -- $(ARGS)
	@echo "Archive: data/demo.db. Try: sqlite3 data/demo.db" \
	  "'SELECT published_at, title FROM articles ORDER BY published_at DESC LIMIT 5'"

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/ruff format --check kompas_crawler tests benchmarks
	$(BIN)/ruff check kompas_crawler tests benchmarks
	$(BIN)/mypy kompas_crawler
