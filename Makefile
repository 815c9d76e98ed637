# sitevpn.aws — the README's two commands: `make site` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEB_STAMP := $(VENV)/.debs
# Debian packages of the lab's data plane (both Debian 12 and 13 names), and chromium for the
# report pages' browser test (tests/unit/test_report_browser.py).
DEB_PACKAGES := iproute2 nftables iputils-ping procps strongswan-swanctl strongswan-charon libstrongswan-standard-plugins \
	libcharon-extra-plugins frr frr-pythontools default-jre-headless chromium
DEB_OPTIONAL := libstrongswan-extra-plugins
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all setup venv debs site test unit integration lint sanity bench clean lab-down eda fleet

all: test

setup: venv debs

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/pip || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }; }
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	$(BIN)/python scripts/link_collection.py
	touch $@

# The data plane needs root and Debian packages; api_only users can skip this (make venv).
debs: $(DEB_STAMP)

$(DEB_STAMP):
	@if [ "$$(id -u)" != 0 ]; then echo "not root: skipping Debian packages (api_only)"; \
	elif dpkg -s $(DEB_PACKAGES) >/dev/null 2>&1; then echo "Debian packages present"; \
	else apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PACKAGES) \
	  && { apt-cache show $(DEB_OPTIONAL) >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_OPTIONAL) || true; }; fi
	mkdir -p $(VENV) && touch $@

site: setup
	$(BIN)/ansible-playbook site.yml

# SITES generated lab sites on one VPN concentrator through site.yml (own lab, stopped after): what came
# up, and wall time, CPU and memory per site (docs/fleet.md). Root and the data plane's packages.
SITES ?= 50
fleet: setup
	$(BIN)/python bench/fleet.py --sites $(SITES)

unit: venv
	$(BIN)/python -m pytest -q tests/unit lab/tests

integration: setup
	$(BIN)/python -m pytest -q tests/integration

lint: venv
	$(BIN)/ansible-lint --offline --profile production

# ansible-test sanity, offline, from build/collections (see scripts/sanity.py). Pass options
# with SANITY_ARGS, e.g. make sanity SANITY_ARGS='--test pylint'.
sanity: venv
	$(BIN)/python scripts/sanity.py $(SANITY_ARGS)

# Lint the changelog fragments (the same check sanity runs).
.PHONY: changelog
changelog: venv
	$(BIN)/python scripts/sanity.py --test changelog

# Every test, the offline checks (sanity, lint: tests/static) among them. Two workers: the data-plane
# tests one after another on one, every other file beside them at nice 10, the offline checks last (conftest.py).
test: setup
	$(BIN)/python -m pytest -q -n 2 --durations=25 tests/unit lab/tests tests/integration tests/static

bench: setup
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

# The tunnel-event rulebook against the lab (docs/eda.md); Java from the Debian packages.
eda: setup
	ANSIBLE_COLLECTIONS_PATH=$(wildcard $(CURDIR)/$(VENV)/lib/python3*/site-packages) $(BIN)/ansible-rulebook \
	  -r extensions/eda/rulebooks/tunnel_events.yml -i inventories/lab --vars extensions/eda/vars/lab.yml --print-events

lab-down: venv
	$(BIN)/ansible-playbook playbooks/lab_down.yml

clean:
	-$(BIN)/sitevpn-lab down >/dev/null 2>&1
	rm -rf $(VENV) build reports .pytest_cache .ansible tests/output
