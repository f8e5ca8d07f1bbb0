# careers-etl. `make demo` runs the whole job on the bundled demo site; `make test` tests it.
PYTHON    ?= python3
VENV      ?= .venv
BIN       := $(VENV)/bin
CAREERS   := $(BIN)/careers
CONFIG    ?= careers.toml
DEMO_PORT ?= 8765
DEMO_URL  := http://127.0.0.1:$(DEMO_PORT)/
DEMO_FAULTS ?= flaky

.PHONY: install demo refresh crawl load export status report serve test bench lint clean

$(CAREERS): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(CAREERS)

## The main job, end to end, on the bundled demo site (flaky profile, full speed).
demo: $(CAREERS)
	@set -e; \
	$(CAREERS) demo-site --port $(DEMO_PORT) --faults $(DEMO_FAULTS) --slow-seconds 8 > output/demo-site.log 2>&1 & \
	site=$$!; trap 'kill $$site 2>/dev/null; wait $$site 2>/dev/null || true' EXIT; \
	$(BIN)/python scripts/wait_for_demo_site.py $(DEMO_URL) $$site output/demo-site.log || exit 1; \
	echo "demo site: $(DEMO_URL) (faults: $(DEMO_FAULTS))"; \
	CAREERS_LIMITS__TIMEOUT=5 $(CAREERS) refresh --base-url $(DEMO_URL) --rate 0 --max-in-flight 16 -v; \
	echo "database: output/careers.db   CSVs: output/csv/   report: output/report/index.html   run reports: output/runs/"

refresh: $(CAREERS)
	$(CAREERS) refresh --config $(CONFIG)

crawl: $(CAREERS)
	$(CAREERS) crawl --config $(CONFIG)

load: $(CAREERS)
	$(CAREERS) load --config $(CONFIG)

export: $(CAREERS)
	$(CAREERS) export --config $(CONFIG)

status: $(CAREERS)
	$(CAREERS) status --config $(CONFIG)

report: $(CAREERS)
	$(CAREERS) report --config $(CONFIG)

## Datasette on the database, with the metadata (descriptions, canned queries, search) on
## 127.0.0.1:8001; `make serve SERVE_DB=path SERVE_PORT=n` for another database or port.
serve: $(CAREERS)
	@$(BIN)/python -c "import datasette" 2>/dev/null || { echo "Datasette is not installed: $(BIN)/pip install -e '.[datasette]'"; exit 1; }
	@test -f "$(or $(SERVE_DB),output/careers.db)" || { echo "no database at $(or $(SERVE_DB),output/careers.db): run make demo (or make refresh) first"; exit 1; }
	$(BIN)/datasette serve "$(or $(SERVE_DB),output/careers.db)" --metadata schemas/metadata.json --host 127.0.0.1 --port $(or $(SERVE_PORT),8001)

test: $(CAREERS)
	$(BIN)/pytest -q

bench: $(CAREERS)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(CAREERS)
	$(BIN)/ruff check scraper pipeline schemas store demosite tests bench
	$(BIN)/mypy scraper pipeline schemas store demosite

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find output -mindepth 1 ! -name .gitkeep -delete
