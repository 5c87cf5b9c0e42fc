"""Helpers of the browser tests: open a view, pick a dev key, read the page's book and tables."""

from __future__ import annotations

import time
from decimal import Decimal

from node.client import Client
from node.sequencer.dev import dev_key


def open_view(page, base: str, route: str, ready: str, timeout_s: float | None = None) -> None:
    """Go to ``base/#/route`` and wait until the view says it rendered (``data-ready``)."""
    page.goto(f"{base}/#/{route}")
    page.wait_for_selector(f"#view[data-ready={ready}]", timeout=None if timeout_s is None else timeout_s * 1000)


def use_dev_key(page, name: str) -> str:
    """Pick the dev key ``name`` in the header; answers its address as the page shows it."""
    page.select_option("[data-testid=signer-select]", f"dev:{name}")
    return page.get_attribute("[data-testid=signer-address]", "title")


def book_side(page, side: str) -> list[tuple[Decimal, Decimal]]:
    """The page's book levels ``[(price, size)]`` of ``side`` ("bids"/"asks"), best first."""
    rows = page.eval_on_selector_all(
        f"[data-testid={side}] tr:not(.empty)", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    levels = [(Decimal(r[0]), Decimal(r[1])) for r in rows]
    return list(reversed(levels)) if side == "asks" else levels  # asks are drawn best last (above the spread)


def wait_until(predicate, timeout: float = 15.0, what: str = "the page"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def client(node, name: str | None = None) -> Client:
    """A Python client of the node (another client than the page), signing as dev account ``name``."""
    return Client(node.grpc, dev_key(name) if name else None)
