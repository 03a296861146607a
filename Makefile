# Two commands set everything up on a fresh machine (Python 3.11, make, apt):
#   make demo   - venv, package, model (trained if models/ has none), demo inbox into demo.db, review UI on :8501
#   make test   - venv with dev extras, system packages the tests need, the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= demo.db
PORT ?= 8501
# Debian packages the tests use: a real browser for the UI tests, pdftotext as the speed reference, OCR,
# and a PostgreSQL server (tests/test_postgres.py starts a throwaway cluster of its own).
SYSTEM_PACKAGES := chromium poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra postgresql

.PHONY: demo test audit venv venv-dev system-deps inbox clean help

help:
	@echo "make demo   - set up, load the demo inbox into $(DB) and start the review UI on http://localhost:$(PORT)"
	@echo "make test   - set up with dev extras and run the whole test suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# -c constraints.txt: a fresh install gets the versions the suite was last run with.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

# Installs only what is missing; needs root (CI runs as root). Elsewhere it says what to install.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "Warning: missing system packages:$$missing (install them with apt-get; tests that need them will be skipped)"; fi; \
	fi

demo: venv
	$(BIN)/triage demo --db $(DB)
	$(BIN)/triage users demo --db $(DB)
	$(BIN)/triage ui --db $(DB) --port $(PORT)

test: venv-dev system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Known vulnerabilities in constraints.txt (pip-audit); fails only on a finding, says "NOT AUDITED" offline.
audit: venv-dev
	-$(BIN)/pip install --quiet pip-audit
	$(BIN)/python .ci/audit_deps.py

# Re-render demo/inbox/*.pdf from demo/reports/*.md (the PDFs are committed, so demo needs no reportlab).
inbox: venv-dev
	$(BIN)/python demo/make_inbox.py

clean:
	rm -rf $(VENV) .pytest_cache demo.db demo.db-wal demo.db-shm
