# Two commands on a fresh machine:  make run  (the assistant)  ·  make test  (the test suite)
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
# `make run` and every `isnad` command share one store: $ISNAD_DATA_DIR, by default
# ~/.local/share/isnad (models: ~/.cache/isnad/models, shared by every data dir).

.PHONY: install install-test browser run test bench screenshots clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first and pinned: a bare or open-range torch pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test browser

# Browser tests drive Debian's Chromium with Playwright; never a downloaded browser.
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Starts the chat app on http://127.0.0.1:7860 ; an empty store gets the bundled seed article first.
run: install
	@if [ -z "$$ISNAD_DATA_DIR" ] && [ -d data/chroma ]; then \
	  echo "isnad: ./data holds a store of an older version; to keep using it: ISNAD_DATA_DIR=$(CURDIR)/data make run"; fi
	$(VENV)/bin/isnad serve

# The server-mode tests start their own `chroma run` on a free loopback port; the browser tests
# start `isnad serve` and static host pages on loopback. Screenshots land in test-artifacts/.
test: install-test
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -p no:cacheprovider

bench: install-test
	$(PY) benchmarks/ingest_speed.py
	$(PY) benchmarks/ask_latency.py --chunks 10000
	$(PY) benchmarks/quality.py

# Refresh the screenshots in docs/ from the browser tests.
screenshots: install-test
	ISNAD_UPDATE_DOCS=1 HF_HUB_OFFLINE=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_browser.py

clean:
	rm -rf $(VENV) data .pytest_cache *.egg-info
