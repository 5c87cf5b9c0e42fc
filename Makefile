# Set-up and entry points. Every target creates the venv and installs first,
# so a clean clone needs nothing but Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test soak bench clean devnet browser

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The web page's browser tests drive Debian's chromium (tests/web): installed here when missing
# and this is root with apt-get; elsewhere those tests skip, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
	       || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; } \
	  && echo "installed chromium for the browser tests"; } || echo "no chromium: the browser tests (tests/web) will skip"

# Long soak tests (marked slow; `make test` leaves them out).
soak: $(STAMP)
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info

# The whole system on this machine: L1 devnet + contracts + sequencer (see `optrollup devnet -h`).
# DEVNET_ARGS="--follower --traders" adds a follower and demo traders; data in .devnet (resumes).
devnet: $(STAMP)
	$(BIN)/optrollup devnet $(DEVNET_ARGS)
