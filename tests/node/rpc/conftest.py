from __future__ import annotations

import pytest

from tests.node.rpc.node_fixture import DevNode


@pytest.fixture(scope="module")
def node():
    dev = DevNode().start()
    try:
        yield dev
    finally:
        dev.close()
