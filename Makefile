# arshif — two commands: `make run` (set up, then crawl the real sites into ./archive) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.arshif-installed

.PHONY: setup run test demo bench replica status clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "arshif needs Python >= 3.11, $(PYTHON) is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/arshif crawl

test: setup
	$(BIN)/python -m pytest -q -n 3 --dist loadgroup

demo: setup
	$(BIN)/arshif demo

bench: setup
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/fixtures.py
	$(BIN)/python bench/archive.py
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/dataset.py
	$(BIN)/python bench/reextract.py
	$(BIN)/python bench/stories.py
	$(BIN)/python bench/metadata.py
	$(BIN)/python bench/dates.py
	$(BIN)/python bench/sitemap_memory.py

replica: setup
	$(BIN)/arshif replica --port 8800

status: setup
	$(BIN)/arshif status

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache demo-archive
