"""The book advice of a place-order step's proof: the ``inputs`` of the place family.

Python's ``book.find_better_neighbour`` finds the level immediately better than a new one
from the state's level-key cache, which is not in the state root. On L1 the proof carries
that level's price instead (``contracts/fault/lib/book.vy`` checks it against the linked
list, so only the one Python finds is accepted):

    inputs = price.to_bytes(32, "big")   # the better neighbour's price, 0 for none

The price is read off the step's witness: the step reads the better neighbour's level
(``find_better_neighbour``) and no other existing level of that side between it and the
new price, so it is the existing level of the witness, on the order's side and strictly
better than its price, nearest to that price. Steps that create no level ignore the
advice; it is sent for the phases that can rest an order (``PLACE``, ``MATCH``).
"""

from __future__ import annotations

from typing import Final

from node.stf import book, keys
from node.stf.backends import Witness, WitnessBackend
from node.stf.cursor import decode_cursor
from node.stf.matching import PlacePhase
from node.stf.steps import tx_of
from node.stf.txtypes import PlaceOrder
from prover.client.proof import StepProof

RESTING_PHASES: Final = (PlacePhase.PLACE, PlacePhase.MATCH)
_LEVEL_KEY_LEN: Final = 14  # keys.level: prefix, instrument (4), side (1), rank (8)


def better_neighbour(proof: StepProof) -> int:
    """The price of the level immediately better than the step's order price on its side,
    read off the witness (module docstring); 0 for none."""
    order: PlaceOrder = tx_of(decode_cursor(proof.cursor)).body
    side, price = order.side, order.price_e6
    group = keys.level_prefix(order.instrument_id, side)
    backend = WitnessBackend(Witness(proof.pre_root, frozenset(proof.nodes), frozenset(proof.keys)))
    nearest = 0
    for key in proof.keys:
        if len(key) != _LEVEL_KEY_LEN or not key.startswith(group):
            continue
        level_price = keys.price_of_level_key(key)
        if not book.is_better(side, level_price, price) or backend.get(key) is None:
            continue
        if nearest == 0 or book.is_better(side, nearest, level_price):
            nearest = level_price
    return nearest


def place_advice(proof: StepProof) -> bytes:
    """The place family's ``inputs`` for ``proof``: 32 bytes for a step that may rest an
    order, ``b""`` otherwise."""
    if decode_cursor(proof.cursor).phase not in RESTING_PHASES:
        return b""
    return better_neighbour(proof).to_bytes(32, "big")
