"""The rollup view on a rollup with an L1 (the devnet's L1 and a sequencer posting batches and
roots): it shows a posted batch and a proposed root, and the disputes section's placeholder."""

from __future__ import annotations

import time

import pytest
from web3 import Web3

from bridge.deploy import Deployment
from bridge.l1 import Transactor

from node.client import Client, ClientError
from node.sequencer.dev import dev_key

from tests.web.l1_node import L1Rollup
from tests.web.pagetools import open_view, wait_until


# /api/rollup reads the L1 contracts (Query.GetRollup): on a loaded 2-core machine the first answers
# can take tens of seconds; the view retries on each new block until one arrives.
ROLLUP_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def rollup(tmp_path_factory):
    r = L1Rollup(tmp_path_factory.mktemp("rollup"))
    yield r
    r.close()


def _l1_deposit(rollup, name: str, amount_e6: int) -> None:
    w3 = Web3(Web3.HTTPProvider(rollup.l1_url))
    contracts = Deployment.load(rollup.deployment).contracts(w3)
    sender = Transactor(w3, dev_key(name))
    sender.transact(contracts["token"], "approve", contracts["portal"].address, amount_e6)
    sender.transact(contracts["portal"], "deposit", sender.address, amount_e6)


def _count(page, testid: str) -> int:
    el = page.query_selector(f"[data-testid={testid}]")
    return int(el.inner_text()) if el and el.inner_text().isdigit() else 0


def test_the_rollup_view_shows_a_batch_and_a_root(page, rollup, screenshot_dir):
    with Client(rollup.node.grpc, dev_key("alice")) as alice:
        _l1_deposit(rollup, "alice", 1000 * 10**6)  # approve + Portal.deposit on L1, credited on L2 by derivation
        wait_until(lambda: alice.account().balance_e6 > 0, timeout=60, what="alice's deposit on L2")
        withdrawal = alice.withdraw("250")  # an L2 withdrawal: listed with its claim status
    assert withdrawal.ok
    open_view(page, rollup.node.url, "rollup", "rollup", timeout_s=ROLLUP_TIMEOUT_S)
    assert page.query_selector("[data-testid=no-l1]") is None
    # the view redraws on new blocks (the blocks stream): no reload
    wait_until(lambda: _count(page, "l1-batches") >= 1 and _count(page, "l1-roots") >= 1, timeout=60,
               what="a batch and a root on the rollup view")
    wait_until(lambda: page.query_selector_all("[data-testid=batches] tbody tr:not(.empty)")
               and page.query_selector_all("[data-testid=roots] tbody tr:not(.empty)"), what="the batch and root rows")
    batch = page.inner_text("[data-testid=batches] tbody tr").split("\t")
    assert int(batch[1]) > 0 and int(batch[3]) >= 0  # its L1 block, its transactions
    root = page.inner_text("[data-testid=roots] tbody tr").split("\t")
    assert root[3].startswith("0x") and ("final" in root[5])  # "final in 4m 59s" or "final"
    wait_until(lambda: "250" in page.inner_text("[data-testid=withdrawals]"), timeout=30, what="the withdrawal")
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
