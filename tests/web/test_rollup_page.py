"""The rollup view on a rollup with an L1 (the devnet's L1 and a sequencer posting batches and
roots): it shows a posted batch and a proposed root, and the disputes section's placeholder."""

from __future__ import annotations

import pytest

from tests.web.l1_node import L1Rollup
from tests.web.pagetools import open_view, wait_until


@pytest.fixture(scope="module")
def rollup(tmp_path_factory):
    r = L1Rollup(tmp_path_factory.mktemp("rollup"))
    yield r
    r.close()


def _count(page, testid: str) -> int:
    el = page.query_selector(f"[data-testid={testid}]")
    return int(el.inner_text()) if el and el.inner_text().isdigit() else 0


def test_the_rollup_view_shows_a_batch_and_a_root(page, rollup, screenshot_dir):
    open_view(page, rollup.node.url, "rollup", "rollup")
    assert page.query_selector("[data-testid=no-l1]") is None
    # the view redraws on new blocks (the blocks stream): no reload
    wait_until(lambda: _count(page, "l1-batches") >= 1 and _count(page, "l1-roots") >= 1, timeout=60,
               what="a batch and a root on the rollup view")
    rows = page.query_selector_all("[data-testid=batches] tbody tr:not(.empty)")
    if rows:  # the gateway lists batches and roots where the node's Query service exposes them
        assert page.query_selector_all("[data-testid=roots] tbody tr:not(.empty)")
    assert "No disputes" in page.inner_text("[data-testid=no-disputes]")
    page.screenshot(path=str(screenshot_dir / "rollup.png"), full_page=True)
