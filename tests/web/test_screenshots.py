"""A screenshot of each view on a live dev node (oracle moving, market maker quoting, a trader
with positions and an open order), saved as the run's artefacts; the README's images are these
(OPTROLLUP_SCREENSHOT_DIR=docs/screenshots refreshes them). The test checks what each shot shows."""

from __future__ import annotations

import time

import pytest

from tests.web.conftest import WebNode
from tests.web.pagetools import client, open_view, use_dev_key, wait_until

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live_node():
    node = WebNode("--oracle-interval", "0.5")  # the index moves: the chain shows its path
    try:
        with client(node, "alice") as alice:
            call, put = alice.instrument("ETH-ATM-C"), alice.instrument("ETH-ATM-P")
            alice.buy(call.name, "2", str((call.best_ask_e6 + 20 * call.tick_size_e6) / 1e6), time_in_force="ioc")
            alice.sell(put.name, "1", str(max(put.best_bid_e6 - 20 * put.tick_size_e6, put.tick_size_e6) / 1e6),
                       time_in_force="ioc")
            alice.buy(put.name, "0.5", str(put.tick_size_e6 / 1e6))  # rests: an open order to cancel
        yield node
    finally:
        node.close()


def test_screenshot_of_each_view(browser, live_node, screenshot_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        open_view(page, live_node.url, "chain/ETH", "chain")
        # the gateway samples the index on each block while a page watches: wait for a path of 12 points
        wait_until(lambda: page.eval_on_selector("[data-testid=index-chart]",
                                                 "svg => (svg.querySelector('path.line')?.getAttribute('d') || '').split('L').length") >= 12,
                   timeout=30, what="the index path")
        page.screenshot(path=str(screenshot_dir / "chain.png"), full_page=True)

        use_dev_key(page, "alice")
        open_view(page, live_node.url, "instrument/ETH-ATM-C", "instrument")
        page.wait_for_selector("[data-testid=trades] tbody tr:not(.empty)")
        page.wait_for_selector("[data-testid=depth-chart] path.area")
        time.sleep(5)  # a few marks on the price chart
        page.screenshot(path=str(screenshot_dir / "instrument.png"), full_page=True)

        open_view(page, live_node.url, "account", "account")
        assert len(page.query_selector_all("[data-testid=positions] tbody tr:not(.empty)")) == 2
        page.wait_for_selector("[data-testid^=cancel-]")
        page.screenshot(path=str(screenshot_dir / "account.png"), full_page=True)
    finally:
        context.close()
    phone = browser.new_context(viewport=PHONE, is_mobile=True, device_scale_factor=2)
    try:
        page = phone.new_page()
        open_view(page, live_node.url, "chain/ETH", "chain")
        page.screenshot(path=str(screenshot_dir / "chain-phone.png"), full_page=False)
    finally:
        phone.close()
    for name in ("chain", "instrument", "account", "chain-phone"):
        assert (screenshot_dir / f"{name}.png").stat().st_size > 10_000
