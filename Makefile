# Set-up and entry points. Every target creates the venv and installs first,
# so a clean clone needs nothing but Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test soak bench clean devnet

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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
