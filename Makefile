# Two commands do all the set-up: `make run` (the demo) and `make test` (the suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := wsgi.py

.PHONY: run test bench bench-pages venv install install-test translations system-deps db demo clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(MAKE) -s translations

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(MAKE) -s translations

translations:
	$(BIN)/pybabel compile -f -d portal/translations >/dev/null

# Debian packages: a CJK font for PDFs, pdftotext for tests, Chromium for the browser test.
system-deps:
	@command -v pdftotext >/dev/null && fc-list 2>/dev/null | grep -qi wqy && command -v chromium >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei poppler-utils chromium >/dev/null)

db: install
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load

# The embedded default: SQLite and in-process jobs (the worker runs inside the web process).
run: db
	@echo ""
	@echo "  驻会执行主席管理平台: http://$(HOST):$(PORT)/   (全国学联 /acsf/  广东省学联 /gd/  北京市学联 /bj/)"
	@echo "  公示页面（无需登录）: http://$(HOST):$(PORT)/gd/public/   （全国学联往期公示 /acsf/public/）"
	@echo ""
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install-test
	-@$(MAKE) -s system-deps 2>/dev/null || echo "(system packages not installed: PDF/browser tests may skip)"
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks: figures and ratios against floors measured in the same run (needs Redis for the
# notification fan-out; a scratch database 14 by default).
bench: install-test
	REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14} $(BIN)/python -m bench

# Only the cycle page and the nomination list against their bare-driver floors (10,000 nominations).
bench-pages: install-test
	BENCH_ONLY=http REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14} $(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance *.egg-info
