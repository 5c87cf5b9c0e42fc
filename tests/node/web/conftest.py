from __future__ import annotations

import pytest

from tests.node.web.web_fixture import WebNode


@pytest.fixture(scope="module")
def web():
    """A dev node with quotes on every series and the web gateway, per test module."""
    node = WebNode().start()
    try:
        yield node
    finally:
        node.close()
