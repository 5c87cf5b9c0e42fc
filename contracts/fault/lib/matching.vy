# pragma version 0.4.3
"""
@title matching
@notice The pure parts of placing an order: twins of `node/stf/matching.py`'s arithmetic
        (fees, premium), `node/stf/book.py`'s price order, the PlaceOrder / CancelOrder
        bodies read back from the cursor's envelope, and the register layout of the
        place-order steps (`PlacePhase` 20-29).
@dev Units: prices and sizes e6 (collateral units per contract, contracts x 1e6), fees in
     parts per million, amounts in collateral units e6. Nothing here reads state.
"""

import lib.rlp as rlp

E6: constant(uint256) = 10**6
PPM: constant(uint256) = 10**6  # fixedpoint.PPM_DENOMINATOR

BUY: constant(uint256) = 0
SELL: constant(uint256) = 1

# txtypes.TimeInForce
GTC: constant(uint256) = 0
IOC: constant(uint256) = 1
FOK: constant(uint256) = 2
POST_ONLY: constant(uint256) = 3

# txtypes.TxType
TX_PLACE_ORDER: constant(uint256) = 1
TX_CANCEL_ORDER: constant(uint256) = 2

# PlacePhase (node/stf/matching.py)
PLACE: constant(uint256) = 20
MATCH: constant(uint256) = 21
MAKER_CHECKED: constant(uint256) = 22
TAKER_CHECKED: constant(uint256) = 23
TAKER_AFTER: constant(uint256) = 24
TAKER_BEFORE: constant(uint256) = 25
AUCTIONS: constant(uint256) = 26
DROP_MAKER: constant(uint256) = 27
REST_CHECKED: constant(uint256) = 28
FINISH: constant(uint256) = 29

# Registers (matching.py `_B` / `_BP`): B = (order id, remaining, fills, removals, may
# hold, stop code); P, after B while a fill is pending = (maker order id, maker address as
# an integer, price, size, capped, taker fee, maker fee).
ORDER_ID: constant(uint256) = 0
REMAINING: constant(uint256) = 1
FILLS: constant(uint256) = 2
REMOVALS: constant(uint256) = 3
MAY_HOLD: constant(uint256) = 4
STOP: constant(uint256) = 5
B: constant(uint256) = 6
MAKER_ID: constant(uint256) = 6
MAKER: constant(uint256) = 7
PRICE: constant(uint256) = 8
SIZE: constant(uint256) = 9
CAPPED: constant(uint256) = 10
TAKER_FEE: constant(uint256) = 11
MAKER_FEE: constant(uint256) = 12
BP: constant(uint256) = 13

# The cursor's envelope bound (tx_codec.MAX_TX_BYTES).
MAX_BODY_TX: constant(uint256) = 2048


struct PlaceOrder:
    nonce: uint256
    instrument_id: uint256
    side: uint256
    price_e6: uint256
    size_e6: uint256
    time_in_force: uint256
    reduce_only: bool
    client_order_id: uint256
    expiry: uint256


struct CancelOrder:
    nonce: uint256
    order_id: uint256
    client_order_id: uint256


# What a place step does to the cursor (`Outcome.action`), as node/stf/steps.py's helpers.
GOTO: constant(uint256) = 0  # goto(cursor, phase, regs)
CALL: constant(uint256) = 1  # margin_steps.call_margin(cursor, who, query, phase, regs)
RESTORE: constant(uint256) = 2  # restore_then(cursor, 1, phase, regs)
CALL_RESTORED: constant(uint256) = 3  # restore_then(call_margin(...), 1, MARGIN, (who, query))
END_TX: constant(uint256) = 4  # end_tx(cursor)
FAIL: constant(uint256) = 5  # fail(the step's own cursor, code): the step's writes undone
MATCH_AGAIN: constant(uint256) = 6  # nothing written: the step goes on as MATCH with `regs` (in `place_match.vy`)

MAX_PLACE_REGS: constant(uint256) = 32  # the longest: TAKER_BEFORE's B + P + 1 + 6 + 6 = 26


struct Outcome:
    action: uint256
    phase: uint256  # GOTO: the next phase; CALL*: the return phase; RESTORE: the phase after
    regs: DynArray[int256, MAX_PLACE_REGS]  # GOTO / RESTORE: the registers; CALL*: kept ones
    code: uint256  # FAIL: the failure code
    who: address  # CALL*: whose margin
    query: int256  # CALL*: margin_steps.Query
    begin: bool  # steps.begin_body first: saved = (pre-root,)
    first_only: bool  # saved = saved[:1] (the fill stands)
    push: bool  # steps.checkpoint_push: saved += (pre-root,)


struct Step:
    # What a place step reads of its cursor and proof.
    phase: uint256
    time: uint256
    sender: address
    order: PlaceOrder
    hint: uint256  # the book advice (`book.find_better_neighbour`)
    ops: address  # the piece `place_ops.vy` (the writes, by DELEGATECALL)
    rest: address  # the piece `place_rest.vy` (the placed order's own writes, by DELEGATECALL)


@internal
@pure
def is_better(side: uint256, price_a: uint256, price_b: uint256) -> bool:
    """
    @notice Twin of node/stf/book.py::is_better: `price_a` ranks strictly ahead of `price_b`.
    """
    if side == BUY:
        return price_a > price_b
    return price_a < price_b


@internal
@pure
def crosses(taker_side: uint256, taker_price: uint256, maker_price: uint256) -> bool:
    """
    @notice Twin of node/stf/book.py::crosses: a taker at `taker_price` trades with a
            resting order at `maker_price`.
    """
    if taker_side == BUY:
        return maker_price <= taker_price
    return maker_price >= taker_price


@internal
@pure
def fill_fee(size_e6: uint256, price_e6: uint256, index_e6: uint256, fee_ppm: uint256, cap_ppm: uint256) -> uint256:
    """
    @notice Twin of node/stf/matching.py::fill_fee: `min(fee_ppm x index, cap_ppm x price)
            x size`, collateral units e6, rounded down.
    @dev Sizes and prices are <= 1e15 (params), an index a uint64: no product overflows
         for fee rates below 2**100 ppm (a genesis parameter).
    """
    return min(size_e6 * index_e6 * fee_ppm, size_e6 * price_e6 * cap_ppm) // (E6 * PPM)


@internal
@pure
def premium_e6(price_e6: uint256, size_e6: uint256, taker_side: uint256) -> uint256:
    """
    @notice Twin of node/stf/matching.py::premium_e6: `price x size / 1e6`, rounded up when
            the taker buys (the maker sells), down when it sells.
    """
    if taker_side == BUY:
        return (price_e6 * size_e6 + E6 - 1) // E6
    return price_e6 * size_e6 // E6


# ---------------------------------------------------------------------------------
# Bodies read back from `cursor.tx` (checked by TX_START before any body step runs)


@internal
@pure
def _fields(envelope: Bytes[MAX_BODY_TX], kind: uint256, count: uint256) -> DynArray[uint256, 12]:
    """
    @dev The first `count` scalar items of the envelope `envelope` of type `kind` (each at most
         32 bytes, canonical: `rlp.header`'s checks). Reverts on anything else: a body
         step's cursor carries an envelope `TX_START` decoded.
    """
    assert len(envelope) > 1 and convert(slice(envelope, 0, 1), uint256) == kind, "matching: not this transaction kind"
    buf: Bytes[MAX_BODY_TX + 32] = concat(envelope, empty(bytes32))
    top: rlp.Item = rlp.header(extract32(buf, 1), 1, len(envelope))
    assert top.is_list and top.end == len(envelope), "matching: envelope is not one list"
    out: DynArray[uint256, 12] = []
    pos: uint256 = top.offset
    for i: uint256 in range(12):
        if i == count:
            break
        item: rlp.Item = rlp.header(extract32(buf, pos), pos, top.end)
        assert not item.is_list and item.length <= 32, "matching: field is not a scalar"
        value: uint256 = 0
        if item.length > 0:
            value = convert(extract32(buf, item.offset), uint256) >> (256 - 8 * item.length)
        out.append(value)
        pos = item.end
    return out


@internal
@pure
def decode_place(envelope: Bytes[MAX_BODY_TX]) -> PlaceOrder:
    """
    @notice The PlaceOrder body of the envelope `envelope` (node/stf/steps.py::tx_of).
    """
    f: DynArray[uint256, 12] = self._fields(envelope, TX_PLACE_ORDER, 9)
    return PlaceOrder(
        nonce=f[0], instrument_id=f[1], side=f[2], price_e6=f[3], size_e6=f[4],
        time_in_force=f[5], reduce_only=f[6] == 1, client_order_id=f[7], expiry=f[8],
    )


@internal
@pure
def decode_cancel(envelope: Bytes[MAX_BODY_TX]) -> CancelOrder:
    """
    @notice The CancelOrder body of the envelope `envelope` (node/stf/steps.py::tx_of).
    """
    f: DynArray[uint256, 12] = self._fields(envelope, TX_CANCEL_ORDER, 3)
    return CancelOrder(nonce=f[0], order_id=f[1], client_order_id=f[2])
