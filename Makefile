# careers-etl: `make demo` runs the whole job on the bundled demo site; `make test` tests it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CAREERS := $(BIN)/careers
DEMO_PORT ?= 8765
DEMO_URL  := http://127.0.0.1:$(DEMO_PORT)/

.PHONY: install demo refresh crawl load export status report serve test bench lint clean

$(BIN)/careers: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/careers

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check scraper pipeline schemas demosite tests bench
	$(BIN)/mypy scraper pipeline schemas demosite

clean:
	rm -rf $(VENV) output/* build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	touch output/.gitkeep
