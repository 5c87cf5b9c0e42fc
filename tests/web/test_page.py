"""The web page in a real browser (headless Chromium) against a real ``optrollup node --dev --web``:
what a trader sees equals what the node's Query service says, orders signed in the page with a dev
key fill and cancel, the book follows other clients live and resumes without a gap after a dropped
socket, bad input gets a clear message, and the views fit a phone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.web.pagetools import book_side, client, open_view, use_dev_key, wait_until

E6 = Decimal(10**6)


@pytest.fixture(scope="module")
def node(web_node):
    """The session's dev node with its web page; the ETH at-the-money call and put by name."""
    with client(web_node) as c:
        web_node.call = c.instrument("ETH-ATM-C")
        web_node.put = c.instrument("ETH-ATM-P")
    return web_node


def test_chain_marks_equal_the_query_services(page, node):
    open_view(page, node.url, "chain/ETH", "chain")
    with client(node) as c:
        series = [i for i in c.instruments("ETH") if i.expiry == min(j.expiry for j in c.instruments("ETH"))]

        def agree():
            shown = {int(el.get_attribute("data-testid").split("-")[1]): el.get_attribute("data-mark")
                     for el in page.query_selector_all("[data-testid^=mark-]")}
            query = {i.instrument_id: Decimal(i.mark_e6) / E6 for i in c.instruments("ETH")}
            return shown and all(Decimal(shown[i.instrument_id]) == query[i.instrument_id] for i in series) and shown

        shown = wait_until(agree, what="the chain's marks to equal the Query service's")
    assert {i.instrument_id for i in series} <= set(shown)  # every series of the first expiry, calls and puts
    assert len(series) == 10
    assert page.inner_text("[data-testid=index]") != ""
    assert page.query_selector("[data-testid=smile-chart] circle") is not None  # the smile has points
    assert len(page.query_selector_all("[data-testid=expiry-tabs] button")) == 3


def test_an_order_signed_in_the_page_fills_against_the_market_maker(page, node):
    open_view(page, node.url, f"instrument/{node.call.name}", "instrument")
    alice = use_dev_key(page, "alice")
    best_ask = wait_until(lambda: book_side(page, "asks"), what="the market maker's ask")[0][0]
    page.fill("[data-testid=order-price]", str(best_ask + 5))  # above the ask: trades at the ask
    page.fill("[data-testid=order-size]", "1")
    page.select_option("[data-testid=order-tif]", "ioc")
    page.click("[data-testid=order-submit]")
    result = page.wait_for_selector("[data-testid=order-result]").inner_text()
    assert "filled 1, resting 0" in result, result
    order_id = int(result.split(":")[0].split()[1])
    with client(node) as c:
        trades = c.trades(node.call.name, limit=5).items
    price = Decimal(trades[0].price_e6) / E6
    # the trade list (live, from the trades stream) shows the fill at the node's price
    wait_until(lambda: page.inner_text("[data-testid=trades] tbody tr").split("\t")[2:5] == ["buy", str(price), "1"],
               what="the trade in the list")
    # and the account view shows the fill, as a taker, and the position
    open_view(page, node.url, "account", "account")
    assert page.inner_text("[data-testid=account-address]") == alice
    row = page.inner_text("[data-testid=fills] tbody tr").split("\t")
    assert row[2:8] == [node.call.name, "buy", str(price), "1", row[6], "taker"] and int(row[8]) == order_id
    assert node.call.name in page.inner_text("[data-testid=positions]")


def test_a_cancel_in_the_page_removes_the_order(page, node):
    open_view(page, node.url, "account", "account-empty")
    bob = use_dev_key(page, "bob")
    page.wait_for_selector("#view[data-ready=account]")
    page.fill("[data-testid=order-instrument]", node.put.name)
    page.fill("[data-testid=order-price]", "1")  # far below the bid: rests
    page.fill("[data-testid=order-size]", "0.5")
    page.click("[data-testid=order-submit]")
    result = page.wait_for_selector("[data-testid=order-result]").inner_text()
    assert "filled 0, resting 0.5" in result, result
    order_id = int(result.split(":")[0].split()[1])
    page.wait_for_selector(f"[data-testid=orders] tr[data-order-id='{order_id}']")
    with client(node) as c:
        assert [o.order_id for o in c.open_orders(bob)] == [order_id]
    page.click(f"[data-testid=cancel-{order_id}]")
    assert "cancelled" in page.wait_for_selector("[data-testid=cancel-result]").inner_text()
    page.wait_for_selector(f"[data-testid=orders] tr[data-order-id='{order_id}']", state="detached")
    with client(node) as c:
        assert list(c.open_orders(bob)) == []


def _inside_spread(c, name) -> Decimal:
    """A bid price one tick above the best bid and below the best ask."""
    book, inst = c.book(name), c.instrument(name)
    bid, ask, tick = book.bids[0].price_e6, book.asks[0].price_e6, inst.tick_size_e6
    assert bid + tick < ask, "the market maker's spread is one tick"
    return Decimal(bid + tick) / E6


def test_the_book_and_trades_follow_another_clients_trade(page, node):
    name = node.call.name
    open_view(page, node.url, f"instrument/{name}", "instrument")
    with client(node, "carol") as carol, client(node, "bob") as bob:
        price = _inside_spread(carol, name)
        placed = carol.buy(name, "0.3", str(price))
        try:
            wait_until(lambda: book_side(page, "bids")[:1] == [(price, Decimal("0.3"))], what="carol's bid on the page")
            bob.sell(name, "0.1", str(price), time_in_force="ioc")
            wait_until(lambda: book_side(page, "bids")[:1] == [(price, Decimal("0.2"))], what="the bid after bob's trade")
            first = page.inner_text("[data-testid=trades] tbody tr").split("\t")
            assert (first[2], first[3], first[4]) == ("sell", str(price), "0.1")
        finally:
            carol.cancel(placed.order_id)
        wait_until(lambda: all(p != price for p, _ in book_side(page, "bids")), what="the bid gone after the cancel")


def test_a_dropped_socket_resumes_without_a_gap(page, node):
    name = node.call.name
    open_view(page, node.url, f"instrument/{name}", "instrument")
    page.wait_for_selector("#conn[data-state=live]")
    wait_until(lambda: page.evaluate("window.__optrollup.stream.log.some(f => f.channel === 'book')"), what="a book frame")
    page.evaluate("window.__optrollup.stream.drop()")
    with client(node, "carol") as carol:
        price = _inside_spread(carol, name)
        placed = carol.buy(name, "0.4", str(price))  # while the page is disconnected (or reconnecting)
        try:
            wait_until(lambda: book_side(page, "bids")[:1] == [(price, Decimal("0.4"))], what="the bid after reconnecting")
        finally:
            carol.cancel(placed.order_id)
    wait_until(lambda: page.evaluate("window.__optrollup.stream.reconnects") >= 1, what="a reconnection")
    log = page.evaluate("window.__optrollup.stream.log.filter(f => f.channel === 'book').map(f => [f.seq, f.snapshot])")
    seqs = [s for s, _ in log]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"book frames skipped a sequence number: {seqs}"
    assert not any(snap for _, snap in log[1:]), "the resume replayed from the buffer, not a fresh snapshot"
    assert page.evaluate("window.__optrollup.stream.gaps") == 0


@pytest.mark.parametrize("route, ready, text", [
    ("instrument/ETH-1JAN99-1-C", "instrument-error", "Unknown instrument"),
    ("account/0x12", "account-error", "Not an address"),
    ("chain/DOGE", "chain-error", 'Unknown underlying "DOGE"'),
])
def test_bad_input_gets_a_clear_message(page, node, route, ready, text):
    open_view(page, node.url, route, ready)
    assert text in page.inner_text("[data-testid=message]")


def test_an_unknown_instrument_in_the_order_form_is_named(page, node):
    open_view(page, node.url, "account/" + "0x" + "cd" * 20, "account")
    use_dev_key(page, "carol")
    page.wait_for_selector("#view[data-ready=account]")
    page.fill("[data-testid=order-instrument]", "ETH-1JAN99-1-C")
    page.fill("[data-testid=order-price]", "1")
    page.click("[data-testid=order-submit]")
    wait_until(lambda: "Unknown instrument" in page.inner_text("[data-testid=order-result]"), what="the message")
    assert "ETH-1JAN99-1-C" in page.inner_text("[data-testid=order-result]")


def test_a_refused_order_shows_the_exchanges_reason(page, node):
    open_view(page, node.url, f"instrument/{node.call.name}", "instrument")
    page.fill("[data-testid=order-price]", "100")
    page.click("[data-testid=order-submit]")
    assert "Pick a signer first" in page.inner_text("[data-testid=order-result]")
    use_dev_key(page, "alice")
    page.fill("[data-testid=order-price]", "1.2345678")
    page.click("[data-testid=order-submit]")
    assert 'Bad price "1.2345678"' in page.inner_text("[data-testid=order-result]")
    page.fill("[data-testid=order-price]", "100.05")  # not on the 0.1 tick: the STF refuses it
    page.click("[data-testid=order-submit]")
    wait_until(lambda: 'Refused' in page.inner_text('[data-testid=order-result]') or 'failed' in page.inner_text('[data-testid=order-result]'), what='the refusal')
    text = page.inner_text("[data-testid=order-result]")
    assert "Refused by the exchange" in text and "tick" in text, text


def test_rollup_view_without_an_l1_says_so(page, node):
    open_view(page, node.url, "rollup", "rollup")
    assert "no L1 link" in page.inner_text("[data-testid=no-l1]")
    assert "No disputes" in page.inner_text("[data-testid=no-disputes]")
    assert page.inner_text("[data-testid=l2-head]").startswith("block ")


@pytest.mark.parametrize("route, ready", [("chain/ETH", "chain"), (f"account/0x{'ab' * 20}", "account"),
                                          ("rollup", "rollup"), ("instrument/ETH-ATM-C", "instrument")])
def test_views_fit_a_phone(browser, node, route, ready):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        open_view(page, node.url, route, ready)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a phone (tables scroll in their own box)"
    finally:
        context.close()


@pytest.mark.parametrize("route, ready, per_block", [("chain/ETH", "chain", 2), ("rollup", "rollup", 1),
                                                     ("instrument/ETH-ATM-C", "instrument", 1)])
def test_views_do_not_poll_the_node(page, node, route, ready, per_block):
    """A view asks the node again only when a new block arrives on the stream (at most
    ``per_block`` requests per block, throttled), never on a timer."""
    open_view(page, node.url, route, ready)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/" in r.url and "/api/ws" not in r.url else None)
    blocks_before = page.evaluate("window.__optrollup.stream.log.filter(f => f.channel === 'blocks').length")
    page.wait_for_timeout(4000)
    blocks = page.evaluate("window.__optrollup.stream.log.filter(f => f.channel === 'blocks').length") - blocks_before
    assert len(asked) <= per_block * blocks, f"{len(asked)} requests for {blocks} new blocks: {asked}"
