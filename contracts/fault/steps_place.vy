# pragma version 0.4.3
"""
@title steps_place
@notice The place-order steps (`PlacePhase` 20-29) and the BODY of CancelOrder on L1:
        twin of `node/stf/matching.py` (stepped form) and `node/stf/orders.py::cancel_order`
        through `node/stf/machine.py::run_body`.
@dev `run(pre_root, cursor, nodes, inputs)` (the family interface, common to every step
     family): `nodes` is the step's MPT witness, `inputs` the book advice: empty, or the
     32-byte big-endian price of the level immediately better than a new level the step
     creates (`book.find_better_neighbour`, checked there); 0 or empty when none is. A
     step computes an `Outcome` (what Python's step returns, as a change of the cursor)
     from the few cursor fields it reads; `_apply` makes the change with the machine's
     helpers, so the large cursor is held once. A `TxFailure` of Python's step (undo the
     step's writes, then `steps.fail`) is the outcome FAIL: the post-state is the
     pre-state. Reverts "steps_place: ..." only on an invalid proof.
"""

import lib.rlp as rlp
import fault.lib.trie as trie
import fault.lib.state as state
import fault.lib.records as records
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.matching as matching
import fault.lib.book as book
import fault.lib.accounts as accounts
import fault.lib.orders as orders

initializes: trie
initializes: state[trie := trie]
initializes: book[state := state]
initializes: accounts[state := state]
initializes: orders[state := state, book := book, accounts := accounts]

MAX_NODE: constant(uint256) = trie.MAX_NODE
MAX_NODES: constant(uint256) = trie.MAX_NODES
MAX_INPUTS: constant(uint256) = 32
MAX_PLACE_REGS: constant(uint256) = 32  # the longest: TAKER_BEFORE's B + P + 1 + 6 + 6 = 26

BODY: constant(uint256) = 10  # steps.Phase.BODY
MARGIN: constant(uint256) = 40  # margin_steps.MarginPhase.MARGIN
QUERY_INITIAL: constant(int256) = 0  # margin_steps.Query
QUERY_BACKING: constant(int256) = 1
QUERY_SUMMARY: constant(int256) = 2

MAX_MATCH_STEPS: constant(int256) = 32  # params.MAX_MATCH_STEPS
MAX_MATCH_REMOVALS: constant(int256) = 32  # params.MAX_MATCH_REMOVALS
MAX_PRICE_E6: constant(uint256) = 10**15  # params.MAX_PRICE_E6
MAX_SIZE_E6: constant(uint256) = 10**15  # params.MAX_SIZE_E6
MAX_OPEN_ORDERS: constant(uint256) = 128  # params.MAX_OPEN_ORDERS

# errors.FailureCode
OK: constant(uint256) = 0
FIELD_OUT_OF_RANGE: constant(uint256) = 108
UNKNOWN_INSTRUMENT: constant(uint256) = 200
INSTRUMENT_EXPIRED: constant(uint256) = 201
PRICE_OFF_TICK: constant(uint256) = 202
PRICE_OUT_OF_RANGE: constant(uint256) = 203
SIZE_BELOW_MINIMUM: constant(uint256) = 204
SIZE_OFF_STEP: constant(uint256) = 205
POST_ONLY_WOULD_CROSS: constant(uint256) = 206
FOK_NOT_FILLABLE: constant(uint256) = 207
REDUCE_ONLY_WOULD_INCREASE: constant(uint256) = 208
ORDER_EXPIRED: constant(uint256) = 209
TOO_MANY_OPEN_ORDERS: constant(uint256) = 210
DUPLICATE_CLIENT_ORDER_ID: constant(uint256) = 213
BAD_TIME_IN_FORCE: constant(uint256) = 214
BAD_SIDE: constant(uint256) = 215
TOO_MANY_POSITIONS: constant(uint256) = 216
NO_LIQUIDITY: constant(uint256) = 217
MATCH_LIMIT_REACHED: constant(uint256) = 218
SELF_TRADE: constant(uint256) = 219
MAKER_CANCELLED_EXPIRED: constant(uint256) = 220
REMOVAL_LIMIT_REACHED: constant(uint256) = 221
NO_ORACLE_PRICE: constant(uint256) = 302
MAKER_INSUFFICIENT_MARGIN: constant(uint256) = 304

# Outcome actions: what the step does to the cursor (node/stf/steps.py helpers).
GOTO: constant(uint256) = 0  # goto(cursor, phase, regs)
CALL: constant(uint256) = 1  # margin_steps.call_margin(cursor, who, query, phase, regs)
RESTORE: constant(uint256) = 2  # restore_then(cursor, 1, phase, regs)
CALL_RESTORED: constant(uint256) = 3  # restore_then(call_margin(...), 1, MARGIN, (who, query))
END_TX: constant(uint256) = 4  # end_tx(cursor)
FAIL: constant(uint256) = 5  # fail(the step's own cursor, code): the step's writes undone


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
    # What a place step reads of the cursor.
    time: uint256
    sender: address
    order: matching.PlaceOrder
    hint: uint256  # book advice (module docstring)


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_NODE], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One step of phases 20-29, or the BODY of a CancelOrder: `(post_root, post_cursor)`.
    """
    for node: Bytes[MAX_NODE] in nodes:
        trie.add_node(node)
    state.begin(pre_root)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    sender: address = empty(address)
    if len(c.sender) == 20:
        sender = convert(convert(c.sender, bytes20), address)
    hint: uint256 = 0
    if len(inputs) != 0:
        assert len(inputs) == 32, "steps_place: inputs are one 32-byte price"
        hint = convert(extract32(inputs, 0), uint256)
    out: Outcome = empty(Outcome)
    if c.phase == BODY:
        body: matching.CancelOrder = matching.decode_cancel(c.tx)
        code: uint256 = orders.cancel_order(sender, body.order_id, body.client_order_id)
        if code != OK:
            state.begin(pre_root)  # machine._in_one_call: the failed rule's writes undone
        out.action = END_TX
    else:
        assert c.phase >= matching.PLACE and c.phase <= matching.FINISH, "steps_place: not a place phase"
        regs: DynArray[int256, MAX_PLACE_REGS] = []
        for r: int256 in c.regs:
            regs.append(r)  # reverts past MAX_PLACE_REGS: no place phase has more
        s: Step = Step(time=c.time, sender=sender, order=matching.decode_place(c.tx), hint=hint)
        out = self._step(c.phase, s, regs)
        if out.action == FAIL:
            state.begin(pre_root)  # steps.body_step: the step's writes undone
    return state.root(), cursor.encode_cursor(self._apply(c, out, pre_root))


@internal
def _apply(c: cursor.Cursor, out: Outcome, pre_root: bytes32) -> cursor.Cursor:
    """
    @dev The cursor after the step (node/stf/steps.py: begin_body, checkpoint_push, goto,
         call, restore_then, end_tx, fail; margin_steps.call_margin).
    """
    if out.action == FAIL:
        return machine.fail(c, out.code)
    if out.action == END_TX:
        return machine.end_tx(c)
    n: cursor.Cursor = c
    if out.begin:
        n = machine.begin_body(n, pre_root)
    if out.first_only:
        n = machine.keep_saved(n, 1)
    if out.push:
        n = machine.checkpoint_push(n, pre_root)
    if out.action == GOTO:
        return machine.goto(n, out.phase, out.regs)
    if out.action == RESTORE:
        return machine.restore_then(n, 1, out.phase, out.regs)
    args: DynArray[int256, MAX_PLACE_REGS] = [convert(convert(out.who, uint256), int256), out.query]
    n = machine.call(n, MARGIN, args, out.phase, out.regs)
    if out.action == CALL_RESTORED:
        return machine.restore_then(n, 1, MARGIN, args)
    return n


# ---------------------------------------------------------------------------------
# Outcomes


@internal
@pure
def _goto(phase: uint256, regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    out: Outcome = empty(Outcome)
    out.action = GOTO
    out.phase = phase
    out.regs = regs
    return out


@internal
@pure
def _call(who: address, query: int256, return_phase: uint256, keep: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    out: Outcome = empty(Outcome)
    out.action = CALL
    out.phase = return_phase
    out.regs = keep
    out.who = who
    out.query = query
    return out


@internal
@pure
def _fail(code: uint256) -> Outcome:
    out: Outcome = empty(Outcome)
    out.action = FAIL
    out.code = code
    return out


@internal
@pure
def _head(regs: DynArray[int256, MAX_PLACE_REGS], n: uint256) -> DynArray[int256, MAX_PLACE_REGS]:
    """
    @dev `regs[:n]`.
    """
    out: DynArray[int256, MAX_PLACE_REGS] = []
    for i: uint256 in range(MAX_PLACE_REGS):
        if i == n:
            break
        out.append(regs[i])
    return out


@internal
@pure
def _u(x: int256) -> uint256:
    return convert(x, uint256)


@internal
@pure
def _i(x: uint256) -> int256:
    return convert(x, int256)


@internal
@pure
def _addr(x: int256) -> address:
    """
    @dev margin_steps.int_address: an address carried in a register.
    """
    return convert(convert(x, uint256), address)


# ---------------------------------------------------------------------------------
# The steps (node/stf/matching.py, "Steps")


@internal
def _step(phase: uint256, s: Step, regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    if phase == matching.PLACE:
        return self._place(s)
    if phase == matching.MATCH:
        return self._match(s, regs)
    if phase == matching.MAKER_CHECKED:
        return self._maker_checked(s, regs)
    if phase == matching.TAKER_CHECKED:
        return self._taker_checked(s, regs)
    if phase == matching.TAKER_AFTER:
        out: Outcome = self._call(s.sender, QUERY_BACKING, matching.TAKER_BEFORE, regs)
        out.action = CALL_RESTORED
        return out
    if phase == matching.TAKER_BEFORE:
        return self._taker_before(s, regs)
    if phase == matching.AUCTIONS:
        return self._auctions(s, regs)
    if phase == matching.DROP_MAKER:
        maker_id: uint256 = self._u(regs[matching.MAKER_ID])
        self._charge_failed_maker(maker_id, self._order(maker_id))
        return self._removed_after(regs)
    if phase == matching.REST_CHECKED:
        return self._rest_checked(regs)
    return self._finish(self._head(regs, matching.B))  # FINISH


@internal
def _order(order_id: uint256) -> records.Order:
    found: bool = False
    order: records.Order = empty(records.Order)
    found, order = state.get_order(order_id)
    assert found, "steps_place: order missing"
    return order


@internal
def _instrument(instrument_id: uint256) -> records.Instrument:
    found: bool = False
    inst: records.Instrument = empty(records.Instrument)
    found, inst = state.get_instrument(instrument_id)
    assert found, "steps_place: instrument missing"
    return inst


@internal
def _index_e6(instrument_id: uint256) -> uint256:
    found: bool = False
    mark: records.Mark = empty(records.Mark)
    found, mark = state.get_mark(instrument_id)
    assert found, "steps_place: mark missing"
    return mark.index_e6


@internal
def _place(s: Step) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::place_step (rule 1: validate_order), then `_match`.
    """
    po: matching.PlaceOrder = s.order
    if po.side > 1:
        return self._fail(BAD_SIDE)
    if po.time_in_force > matching.POST_ONLY:
        return self._fail(BAD_TIME_IN_FORCE)
    found: bool = False
    inst: records.Instrument = empty(records.Instrument)
    found, inst = state.get_instrument(po.instrument_id)
    if not found:
        return self._fail(UNKNOWN_INSTRUMENT)
    if s.time >= inst.expiry:
        return self._fail(INSTRUMENT_EXPIRED)
    if po.expiry != 0 and po.expiry < s.time:
        return self._fail(ORDER_EXPIRED)
    if po.price_e6 == 0 or po.price_e6 > MAX_PRICE_E6:
        return self._fail(PRICE_OUT_OF_RANGE)
    if po.price_e6 % inst.tick_size_e6 != 0:
        return self._fail(PRICE_OFF_TICK)
    if po.size_e6 < inst.min_size_e6:
        return self._fail(SIZE_BELOW_MINIMUM)
    if po.size_e6 > MAX_SIZE_E6:
        return self._fail(FIELD_OUT_OF_RANGE)
    if po.size_e6 % inst.min_size_e6 != 0:
        return self._fail(SIZE_OFF_STEP)
    mark: records.Mark = empty(records.Mark)
    found, mark = state.get_mark(po.instrument_id)
    if not found:
        return self._fail(NO_ORACLE_PRICE)
    account: records.Account = accounts.load(s.sender)
    if po.reduce_only:
        position: int256 = accounts.position(account, po.instrument_id)
        reducible: int256 = position
        if po.side == matching.BUY:
            reducible = -position
        if self._i(po.size_e6) > reducible:
            return self._fail(REDUCE_ONLY_WOULD_INCREASE)
    if po.client_order_id != 0:
        index: records.ClientOrderIndex = empty(records.ClientOrderIndex)
        found, index = state.get_client_order(s.sender, po.client_order_id)
        if found:
            return self._fail(DUPLICATE_CLIENT_ORDER_ID)
    if (po.time_in_force == matching.GTC or po.time_in_force == matching.POST_ONLY) \
            and len(account.open_orders) >= MAX_OPEN_ORDERS:
        return self._fail(TOO_MANY_OPEN_ORDERS)
    if po.time_in_force == matching.POST_ONLY:
        best: uint256 = inst.best_ask_e6
        if po.side != matching.BUY:
            best = inst.best_bid_e6
        if best != 0 and matching.crosses(po.side, po.price_e6, best):
            return self._fail(POST_ONLY_WOULD_CROSS)
    may_hold: int256 = 0
    if orders.may_hold(account, po.instrument_id):
        may_hold = 1
    order_id: uint256 = state.get_globals().next_order_id
    regs: DynArray[int256, MAX_PLACE_REGS] = [self._i(order_id), self._i(po.size_e6), 0, 0, may_hold, 0]
    out: Outcome = self._match(s, regs)
    out.begin = True
    return out


@internal
def _match(s: Step, regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::_match: the head of the best crossing level
            (a removal, or a fill and the maker's check), or rule 6 (`_remainder`).
            `regs` is B.
    """
    po: matching.PlaceOrder = s.order
    inst: records.Instrument = self._instrument(po.instrument_id)
    opposite: uint256 = 1 - po.side
    best: uint256 = inst.best_bid_e6
    if opposite != matching.BUY:
        best = inst.best_ask_e6
    if (regs[matching.STOP] != 0 or regs[matching.REMAINING] == 0 or regs[matching.FILLS] >= MAX_MATCH_STEPS
            or regs[matching.REMOVALS] >= MAX_MATCH_REMOVALS or best == 0
            or not matching.crosses(po.side, po.price_e6, best)):
        return self._remainder(s, regs, best)
    found: bool = False
    level: records.Level = empty(records.Level)
    found, level = state.get_level(po.instrument_id, opposite, best)
    assert found, "steps_place: best level missing"
    maker_id: uint256 = level.head_order_id
    maker: records.Order = self._order(maker_id)
    if maker.expiry != 0 and maker.expiry < s.time:
        return self._removed(regs, maker_id, maker)
    if maker.owner == s.sender:
        return self._removed(regs, maker_id, maker)
    size: uint256 = min(self._u(regs[matching.REMAINING]), maker.remaining_e6)
    capped: bool = False
    if maker.reduce_only:
        reducible: uint256 = self._reducible(maker)
        if reducible == 0:
            return self._removed(regs, maker_id, maker)
        if reducible < size:
            size = reducible
            capped = True
    signed: int256 = self._i(size)
    if po.side != matching.BUY:
        signed = -signed
    # _positions_after, then the position limits before any write (rules 3 and 5)
    taker_ok: bool = False
    maker_ok: bool = False
    taker_positions: DynArray[records.Position, records.MAX_POSITIONS] = []
    maker_positions: DynArray[records.Position, records.MAX_POSITIONS] = []
    taker_ok, taker_positions = accounts.positions_with(accounts.load(s.sender).positions, po.instrument_id, signed)
    maker_ok, maker_positions = accounts.positions_with(accounts.load(maker.owner).positions, po.instrument_id, -signed)
    if not taker_ok or regs[matching.MAY_HOLD] == 0:
        stopped: DynArray[int256, MAX_PLACE_REGS] = regs
        stopped[matching.STOP] = self._i(TOO_MANY_POSITIONS)
        return self._remainder(s, stopped, best)
    if not maker_ok:
        self._charge_failed_maker(maker_id, maker)
        return self._removed_after(regs)
    config: records.Config = state.get_config()
    index_e6: uint256 = self._index_e6(po.instrument_id)
    price: uint256 = maker.price_e6
    pending: DynArray[int256, MAX_PLACE_REGS] = regs
    pending.append(self._i(maker_id))
    pending.append(convert(convert(maker.owner, uint256), int256))
    pending.append(self._i(price))
    pending.append(self._i(size))
    pending.append(1 if capped else 0)
    pending.append(self._i(matching.fill_fee(size, price, index_e6, config.taker_fee_ppm, config.fee_cap_ppm)))
    pending.append(self._i(matching.fill_fee(size, price, index_e6, config.maker_fee_ppm, config.fee_cap_ppm)))
    self._write_fill(s.sender, po.side, pending, maker, taker_positions, maker_positions)
    out: Outcome = self._call(maker.owner, QUERY_INITIAL, matching.MAKER_CHECKED, pending)
    out.push = True
    return out


@internal
def _reducible(order: records.Order) -> uint256:
    """
    @notice Twin of node/stf/matching.py::_reducible: how much of a reduce-only order's side
            would still reduce its owner's position (>= 0).
    """
    position: int256 = accounts.position(accounts.load(order.owner), order.instrument_id)
    if order.side == matching.BUY:
        position = -position
    if position < 0:
        return 0
    return self._u(position)


@internal
def _write_fill(taker: address, taker_side: uint256, pending: DynArray[int256, MAX_PLACE_REGS],
                maker: records.Order, taker_positions: DynArray[records.Position, records.MAX_POSITIONS],
                maker_positions: DynArray[records.Position, records.MAX_POSITIONS]):
    """
    @notice Twin of node/stf/matching.py::_write_fill: rule 4's writes for the fill `pending`
            (registers B + P) against `maker` as it rests.
    """
    maker_id: uint256 = self._u(pending[matching.MAKER_ID])
    size: uint256 = self._u(pending[matching.SIZE])
    if pending[matching.CAPPED] != 0 or size == maker.remaining_e6:
        orders.remove_order(maker_id, maker)
    else:
        orders.reduce_order(maker_id, maker, size)
    premium: int256 = self._i(matching.premium_e6(self._u(pending[matching.PRICE]), size, taker_side))
    taker_cash: int256 = premium
    if taker_side == matching.BUY:
        taker_cash = -premium
    taker_fee: int256 = pending[matching.TAKER_FEE]
    maker_fee: int256 = pending[matching.MAKER_FEE]
    taker_before: records.Account = accounts.load(taker)
    maker_before: records.Account = accounts.load(maker.owner)
    taker_before.positions = taker_positions
    taker_before.balance_e6 += taker_cash - taker_fee
    maker_before.positions = maker_positions
    maker_before.balance_e6 += -taker_cash - maker_fee
    accounts.store(taker, taker_before)
    accounts.store(maker.owner, maker_before)
    accounts.add_fees(self._u(taker_fee + maker_fee))


@internal
def _removed(regs: DynArray[int256, MAX_PLACE_REGS], maker_id: uint256, maker: records.Order) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::_removed: take the maker off the book; next MATCH.
    """
    orders.remove_order(maker_id, maker)
    return self._removed_after(regs)


@internal
@pure
def _removed_after(regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::_removed_after: count a removal; next MATCH.
    """
    base: DynArray[int256, MAX_PLACE_REGS] = self._head(regs, matching.B)
    base[matching.REMOVALS] += 1
    return self._goto(matching.MATCH, base)


@internal
def _charge_failed_maker(maker_id: uint256, maker: records.Order):
    """
    @notice Twin of node/stf/matching.py::_charge_failed_maker: remove the maker and charge
            it the taker fee on its remaining size, at most its cash, into the fee pool.
    """
    orders.remove_order(maker_id, maker)
    config: records.Config = state.get_config()
    index_e6: uint256 = self._index_e6(maker.instrument_id)
    fee: uint256 = matching.fill_fee(maker.remaining_e6, maker.price_e6, index_e6, config.taker_fee_ppm,
                                     config.fee_cap_ppm)
    owner: records.Account = accounts.load(maker.owner)
    cash: uint256 = 0
    if owner.balance_e6 > 0:
        cash = self._u(owner.balance_e6)
    charge: uint256 = min(fee, cash)
    if charge != 0:
        owner.balance_e6 -= self._i(charge)
        accounts.store(maker.owner, owner)
        accounts.add_fees(charge)


@internal
def _maker_checked(s: Step, regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::maker_checked_step (registers B + P + (code,)).
    """
    pending: DynArray[int256, MAX_PLACE_REGS] = self._head(regs, matching.BP)
    if regs[matching.BP] != 0:
        out: Outcome = self._goto(matching.DROP_MAKER, pending)
        out.action = RESTORE
        return out
    return self._call(s.sender, QUERY_INITIAL, matching.TAKER_CHECKED, pending)


@internal
def _taker_checked(s: Step, regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::taker_checked_step (registers B + P + (code,)).
    """
    pending: DynArray[int256, MAX_PLACE_REGS] = self._head(regs, matching.BP)
    if regs[matching.BP] == 0:
        pending.append(0)
        out: Outcome = self._auctions(s, pending)
        out.first_only = True
        return out
    pending.append(regs[matching.BP])
    return self._call(s.sender, QUERY_BACKING, matching.TAKER_AFTER, pending)


@internal
def _taker_before(s: Step, regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::taker_before_step (registers B + P + (code,) +
            backing after + backing before, each `(cash, free cash, equity, maintenance,
            initial, complete)`), with margin.risk_reduced.
    """
    pending: DynArray[int256, MAX_PLACE_REGS] = self._head(regs, matching.BP)
    a: uint256 = matching.BP + 1  # backing after the fill
    b: uint256 = matching.BP + 7  # backing before it
    reduced: bool = (
        regs[a] >= 0 and regs[a + 5] != 0 and regs[a + 1] >= 0 and regs[a + 3] < regs[b + 3]
        and regs[a + 2] - regs[a + 4] >= regs[b + 2] - regs[b + 4]
    )
    if reduced:
        maker: records.Order = self._order(self._u(pending[matching.MAKER_ID]))
        signed: int256 = pending[matching.SIZE]
        if s.order.side != matching.BUY:
            signed = -signed
        taker_ok: bool = False
        maker_ok: bool = False
        taker_positions: DynArray[records.Position, records.MAX_POSITIONS] = []
        maker_positions: DynArray[records.Position, records.MAX_POSITIONS] = []
        taker_ok, taker_positions = accounts.positions_with(
            accounts.load(s.sender).positions, maker.instrument_id, signed)
        maker_ok, maker_positions = accounts.positions_with(
            accounts.load(maker.owner).positions, maker.instrument_id, -signed)
        assert taker_ok and maker_ok, "steps_place: positions as when first written"
        self._write_fill(s.sender, s.order.side, pending, maker, taker_positions, maker_positions)
        pending.append(0)
        return self._auctions(s, pending)
    base: DynArray[int256, MAX_PLACE_REGS] = self._head(pending, matching.B)
    base[matching.STOP] = regs[matching.BP]
    return self._match(s, base)


@internal
def _auctions(s: Step, regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::_auctions (registers B + P + (party,), then the
            margin summary `(cash, value, maintenance, initial, complete)` of `party` when
            back from one): end recovered auctions, then record the fill; next MATCH.
    """
    pending: DynArray[int256, MAX_PLACE_REGS] = self._head(regs, matching.BP)
    party: uint256 = self._u(regs[matching.BP])
    parties: address[2] = [s.sender, self._addr(pending[matching.MAKER])]
    if len(regs) > matching.BP + 1:
        sm: uint256 = matching.BP + 1
        # MarginSummary.below_maintenance: complete and cash + value < maintenance
        if not (regs[sm + 4] != 0 and regs[sm] + regs[sm + 1] < regs[sm + 2]):
            state.delete_auction(parties[party])  # recovered (auction.recovered)
        party += 1
    for _: uint256 in range(2):
        if party >= 2:
            break
        who: address = parties[party]
        found: bool = False
        auction: records.Auction = empty(records.Auction)
        found, auction = state.get_auction(who)
        if found:
            account: records.Account = accounts.load(who)
            if account.balance_e6 >= 0:
                if len(account.positions) != 0:
                    keep: DynArray[int256, MAX_PLACE_REGS] = pending
                    keep.append(self._i(party))
                    return self._call(who, QUERY_SUMMARY, matching.AUCTIONS, keep)
                state.delete_auction(who)
        party += 1
    base: DynArray[int256, MAX_PLACE_REGS] = self._head(pending, matching.B)
    base[matching.REMAINING] = pending[matching.REMAINING] - pending[matching.SIZE]
    base[matching.FILLS] = pending[matching.FILLS] + 1
    return self._goto(matching.MATCH, base)


@internal
def _remainder(s: Step, regs: DynArray[int256, MAX_PLACE_REGS], best: uint256) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::_remainder (rule 6; `regs` is B, `best` the best
            opposite price now): fail, finish with the remainder cancelled, or rest it
            (after checkpoint_push) and check the sender's initial margin.
    """
    po: matching.PlaceOrder = s.order
    remaining: int256 = regs[matching.REMAINING]
    fills: int256 = regs[matching.FILLS]
    stop: uint256 = self._u(regs[matching.STOP])
    if remaining == 0:
        return self._finish(regs)
    if po.time_in_force == matching.FOK:
        return self._fail(FOK_NOT_FILLABLE)
    if stop != 0 and fills == 0:
        return self._fail(stop)
    if stop == 0 and po.time_in_force != matching.IOC and not (best != 0 and matching.crosses(po.side, po.price_e6, best)):
        if not orders.may_hold(accounts.load(s.sender), po.instrument_id):
            if fills == 0:
                return self._fail(TOO_MANY_POSITIONS)
        else:
            order: records.Order = records.Order(
                owner=s.sender, instrument_id=po.instrument_id, side=po.side, price_e6=po.price_e6,
                remaining_e6=self._u(remaining), reduce_only=po.reduce_only, client_order_id=po.client_order_id,
                expiry=po.expiry, prev_id=0, next_id=0,
            )
            orders.rest_order(self._u(regs[matching.ORDER_ID]), order, s.hint)
            out: Outcome = self._call(s.sender, QUERY_INITIAL, matching.REST_CHECKED, regs)
            out.push = True
            return out
    # the remainder is cancelled (its code is the receipt's only)
    return self._finish(regs)


@internal
def _rest_checked(regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::rest_checked_step (registers B + (code,)).
    """
    code: int256 = regs[matching.B]
    if code == 0:
        return self._finish(self._head(regs, matching.B))
    if regs[matching.FILLS] == 0:
        return self._fail(self._u(code))
    out: Outcome = self._goto(matching.FINISH, regs)
    out.action = RESTORE
    return out


@internal
def _finish(regs: DynArray[int256, MAX_PLACE_REGS]) -> Outcome:
    """
    @notice Twin of node/stf/matching.py::_finish: take the order id (Globals.next_order_id)
            and end the transaction (the receipt is not part of the claim).
    """
    g: records.Globals = state.get_globals()
    g.next_order_id = self._u(regs[matching.ORDER_ID]) + 1
    state.put_globals(g)
    out: Outcome = empty(Outcome)
    out.action = END_TX
    return out
