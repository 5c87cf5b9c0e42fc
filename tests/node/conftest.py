from __future__ import annotations

import pytest

from tests.node.rpc.node_fixture import DevNode


@pytest.fixture(scope="module")
def node():
    """A dev node (sequencer + gRPC on a free port, with the dev faucet) per test module."""
    dev = DevNode(dev=True).start()
    try:
        yield dev
    finally:
        dev.close()
