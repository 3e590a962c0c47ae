# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make demo   create .venv, install, match the embedded demo authority
#   make test   create .venv, install with test extras, run ruff and mypy (make lint), then the test suite
#   make lint   ruff (lint and format) and mypy
#   make report the demo authority's HTML report (a few minutes)
#   make prove  the demo's whole-cohort match with an hour and a half allowed, so the score is proven too (about 20 s
#               under the default stability rule; 51 minutes with stability = "allow_moves", docs/solvers.md)
#   make serve  the placement team's web application on http://127.0.0.1:8000 (demo authority, a user per role)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint report prove install clean serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/placements match data/demo --out out/demo
	$(BIN)/placements match data/demo --whole-cohort --time-limit 120 --show 10 --out out/demo-whole-cohort

prove: $(STAMP)
	$(BIN)/placements match data/demo --whole-cohort --time-limit 5400 --show 10 --out out/demo-whole-cohort-proof

serve: $(STAMP)
	$(BIN)/placements serve

report: $(STAMP)
	$(BIN)/placements report data/demo --out out/report/report.html

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
