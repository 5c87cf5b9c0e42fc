"""The rollup view on a rollup with an L1 (the devnet's L1 and a sequencer posting batches and
roots): it shows a posted batch and a proposed root, and the disputes section's placeholder."""

from __future__ import annotations

import time

import pytest

from node.client import Client, ClientError

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


def test_a_followers_page_is_read_only(page, rollup):
    follower = rollup.follower()
    started = time.monotonic()
    with Client(rollup.node.grpc) as sequencer:
        listed = sequencer.instrument("ETH-ATM-C").name  # the follower knows the series once it derived them

    def derived() -> bool:
        with Client(follower.grpc) as c:
            try:
                return c.instrument(listed) is not None
            except ClientError:
                return False

    wait_until(derived, timeout=90, what="the follower deriving the listed series from L1")
    print(f"follower caught up in {time.monotonic() - started:.1f}s")
    open_view(page, follower.url, f"instrument/{listed}", "instrument")
    assert page.inner_text("#signer") == "read only"  # no signer to pick: a follower takes no transaction
    assert page.is_disabled("[data-testid=order-submit]")
    assert "read replica" in page.inner_text("[data-testid=order-form]")
    assert "follower" in page.inner_text("#mode")
    open_view(page, follower.url, "rollup", "rollup")
    wait_until(lambda: _count(page, "l1-roots") >= 1, timeout=60, what="the follower's roots")
