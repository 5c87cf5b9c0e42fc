"""Fixtures shared by the STF tests."""

from __future__ import annotations

import pytest

from tests.node.stf.harness import E6, Chain

BUY, SELL = 0, 1


@pytest.fixture
def thin_short():
    """A trader with 520 who sold one ATM call at 200 (index 3,000, vol 65%: equity 519.85,
    maintenance 389.60) and rests a buy order; a buyer; a rich keeper.

    Returns ``(chain, instrument, seller, buyer, keeper)`` (keys). An index of 3,250 or more
    puts the seller below maintenance.
    """
    chain = Chain()
    (inst,) = chain.market(index=3000, vol=0.65)
    seller, buyer, keeper = chain.trader("seller", 520), chain.trader("buyer"), chain.trader("keeper", 1_000_000)
    receipts = chain.run(chain.order(buyer, inst, BUY, 200, 1), chain.order(seller, inst, SELL, 200, 1))
    assert receipts[1].ok and chain.position(seller, inst) == -E6
    chain.run(chain.order(seller, inst, BUY, 10, 1))  # a resting order the auction must cancel
    return chain, inst, seller, buyer, keeper
