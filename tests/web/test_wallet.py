"""Signing with an injected wallet (EIP-1193 ``window.ethereum``): the page asks for an account
and for ``eth_signTypedData_v4`` of the gateway's typed data, and never sees a key. The wallet
here is a test one: its ``request`` hands the typed data JSON to eth_account (outside the page),
as MetaMask would sign it; a refusal in the wallet is shown, not swallowed."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from node.sequencer.dev import dev_key
from tests.web.pagetools import client, open_view, wait_until

WALLET = """
window.ethereum = {
  isTestWallet: true,
  request: async ({ method, params }) => {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [ADDRESS];
    if (method === "eth_signTypedData_v4") return await window.__walletSign(params[0], params[1]);
    throw Object.assign(new Error(`unsupported ${method}`), { code: 4200 });
  },
  on: () => {},
};
"""


@pytest.fixture
def wallet_page(browser, web_node):
    """A page whose browser has an injected wallet holding dev account carol's key."""
    key = dev_key("carol")
    address = Account.from_key(key).address  # checksummed, as wallets answer
    asked: list[dict] = []
    refuse = {"on": False}

    def sign(signer: str, typed_json: str) -> str:
        assert signer.lower() == address.lower()
        typed = json.loads(typed_json)
        asked.append(typed)
        if refuse["on"]:
            raise RuntimeError("User rejected the request.")
        return "0x" + Account.sign_typed_data(key, full_message=typed).signature.hex().removeprefix("0x")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.expose_function("__walletSign", sign)
    context.add_init_script(WALLET.replace("ADDRESS", json.dumps(address)))
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page, address.lower(), asked, refuse
    context.close()


def test_an_injected_wallet_signs_orders_and_cancels(wallet_page, web_node):
    page, address, asked, refuse = wallet_page
    with client(web_node) as c:
        put = c.instrument("ETH-ATM-P")
        chain_id = c.chain_info().chain_id
    open_view(page, web_node.url, f"instrument/{put.name}", "instrument")
    page.select_option("[data-testid=signer-select]", "wallet")
    assert page.get_attribute("[data-testid=signer-address]", "title") == address
    page.fill("[data-testid=order-price]", "0.5")  # far below the bid: rests
    page.fill("[data-testid=order-size]", "0.2")
    page.click("[data-testid=order-submit]")
    result = page.wait_for_selector("[data-testid=order-result]").inner_text()
    assert "filled 0, resting 0.2" in result, result
    order_id = int(result.split(":")[0].split()[1])
    typed = asked[-1]
    assert typed["primaryType"] == "PlaceOrder" and typed["domain"]["chainId"] == chain_id
    assert typed["message"]["instrumentId"] == put.instrument_id and typed["message"]["priceE6"] == 500_000
    with client(web_node) as c:
        assert order_id in [o.order_id for o in c.open_orders(address)]

    open_view(page, web_node.url, "account", "account")
    page.click(f"[data-testid=cancel-{order_id}]")
    assert "cancelled" in page.wait_for_selector("[data-testid=cancel-result]").inner_text()
    assert asked[-1]["primaryType"] == "CancelOrder"
    with client(web_node) as c:
        assert order_id not in [o.order_id for o in c.open_orders(address)]


def test_a_refusal_in_the_wallet_is_shown(wallet_page, web_node):
    page, address, asked, refuse = wallet_page
    open_view(page, web_node.url, "instrument/ETH-ATM-P", "instrument")
    page.select_option("[data-testid=signer-select]", "wallet")
    refuse["on"] = True
    page.fill("[data-testid=order-price]", "0.5")
    page.click("[data-testid=order-submit]")
    wait_until(lambda: "rejected" in page.inner_text("[data-testid=order-result]"), what="the refusal")
    assert "The order failed" in page.inner_text("[data-testid=order-result]")
    with client(web_node) as c:
        assert list(c.open_orders(address)) == []
