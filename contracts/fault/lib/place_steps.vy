# pragma version 0.4.3
"""
@title place_steps
@notice The rules of the place-order steps (`PlacePhase` 20-29): twin of the stepped
        `node/stf/matching.py`, function for function (each says which it twins).
@dev A step returns an `Outcome` (matching.vy): what Python's step returns, as a change of
     the cursor, which the family entry (`steps_place.vy`) makes with the machine's helpers.
     Python's `TxFailure` in a step (body_step: undo the step's writes, then `fail`) is
     the outcome FAIL, whose post-state the caller makes the pre-state. Registers are
     signed words; sizes, prices and fees e6; an address in a register is its integer.
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.matching as matching
import fault.lib.accounts as accounts
import fault.lib.orders as orders
import fault.lib.place_ops_call as ops

uses: (state, accounts)

QUERY_INITIAL: constant(int256) = 0  # margin_steps.Query
QUERY_BACKING: constant(int256) = 1
QUERY_SUMMARY: constant(int256) = 2

MAX_MATCH_STEPS: constant(int256) = 32  # params.MAX_MATCH_STEPS
MAX_MATCH_REMOVALS: constant(int256) = 32  # params.MAX_MATCH_REMOVALS
MAX_PRICE_E6: constant(uint256) = 10**15  # params.MAX_PRICE_E6
MAX_SIZE_E6: constant(uint256) = 10**15  # params.MAX_SIZE_E6
MAX_OPEN_ORDERS: constant(uint256) = 128  # params.MAX_OPEN_ORDERS

# errors.FailureCode (those that change the state or the cursor; the others are the
# receipt's only)
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
NO_ORACLE_PRICE: constant(uint256) = 302


# ---------------------------------------------------------------------------------
# Outcomes


@internal
@pure
def _goto(phase: uint256, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.GOTO
    out.phase = phase
    out.regs = regs
    return out


@internal
@pure
def _call(who: address, query: int256, return_phase: uint256, keep: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.CALL
    out.phase = return_phase
    out.regs = keep
    out.who = who
    out.query = query
    return out


@internal
@pure
def _fail(code: uint256) -> matching.Outcome:
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.FAIL
    out.code = code
    return out


@internal
@pure
def _head(regs: DynArray[int256, matching.MAX_PLACE_REGS], n: uint256) -> DynArray[int256, matching.MAX_PLACE_REGS]:
    """
    @dev `regs[:n]`.
    """
    out: DynArray[int256, matching.MAX_PLACE_REGS] = []
    for i: uint256 in range(matching.MAX_PLACE_REGS):
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
def step_match(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice The steps that match (PLACE, MATCH; node/stf/matching.py, "Steps"), `regs` the
            cursor's registers, the state read and written through `state`. MATCH is also
            the rest of a TAKER_BEFORE step that stops matching (outcome MATCH_AGAIN of
            `step_taker`).
    """
    if s.phase == matching.PLACE:
        return self._place(s)
    assert s.phase == matching.MATCH, "steps_place: not a matching phase"
    return self._match(s, regs)


@internal
def step_checks(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice The other place steps: those back from a margin check (but TAKER_BEFORE),
            DROP_MAKER and FINISH.
    """
    phase: uint256 = s.phase
    if phase == matching.MAKER_CHECKED:
        return self._maker_checked(s, regs)
    if phase == matching.TAKER_CHECKED:
        return self._taker_checked(s, regs)
    if phase == matching.TAKER_AFTER:  # taker_after_step: no state
        out: matching.Outcome = self._call(s.sender, QUERY_BACKING, matching.TAKER_BEFORE, regs)
        out.action = matching.CALL_RESTORED
        return out
    if phase == matching.AUCTIONS:
        return self._auctions(s, regs)
    if phase == matching.DROP_MAKER:  # drop_maker_step
        maker_id: uint256 = self._u(regs[matching.MAKER_ID])
        ops.charge_failed_maker(s.ops, maker_id, self._order(maker_id))
        return self._removed_after(regs)
    if phase == matching.REST_CHECKED:
        return self._rest_checked(regs)
    assert phase == matching.FINISH, "steps_place: not a place phase"
    return self._finish_here(self._head(regs, matching.B))  # finish_step


@internal
def step_taker(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice TAKER_BEFORE (`_taker_before`): outcome MATCH_AGAIN when it stops matching, the
            step then going on as MATCH in `step_match` (nothing written here).
    @dev Apart from `step_checks` for gas: its account reads would take ~80 KB more memory
         in every step of that piece.
    """
    assert s.phase == matching.TAKER_BEFORE, "steps_place: not TAKER_BEFORE"
    return self._taker_before(s, regs)


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
def _place(s: matching.Step) -> matching.Outcome:
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
        found, index = state.get_client_order_index(s.sender, po.client_order_id)
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
    order_id: uint256 = accounts.get_globals().next_order_id
    regs: DynArray[int256, matching.MAX_PLACE_REGS] = [self._i(order_id), self._i(po.size_e6), 0, 0, may_hold, 0]
    out: matching.Outcome = self._match(s, regs)
    out.begin = True
    return out


@internal
def _match(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
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
        return self._removed(s, regs, maker_id, maker)
    if maker.owner == s.sender:
        return self._removed(s, regs, maker_id, maker)
    size: uint256 = min(self._u(regs[matching.REMAINING]), maker.remaining_e6)
    capped: bool = False
    if maker.reduce_only:
        reducible: uint256 = self._reducible(maker)
        if reducible == 0:
            return self._removed(s, regs, maker_id, maker)
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
        stopped: DynArray[int256, matching.MAX_PLACE_REGS] = regs
        stopped[matching.STOP] = self._i(TOO_MANY_POSITIONS)
        return self._remainder(s, stopped, best)
    if not maker_ok:
        ops.charge_failed_maker(s.ops, maker_id, maker)
        return self._removed_after(regs)
    config: records.Config = accounts.get_config()
    index_e6: uint256 = self._index_e6(po.instrument_id)
    price: uint256 = maker.price_e6
    pending: DynArray[int256, matching.MAX_PLACE_REGS] = regs
    pending.append(self._i(maker_id))
    pending.append(convert(convert(maker.owner, uint256), int256))
    pending.append(self._i(price))
    pending.append(self._i(size))
    pending.append(1 if capped else 0)
    pending.append(self._i(matching.fill_fee(size, price, index_e6, config.taker_fee_ppm, config.fee_cap_ppm)))
    pending.append(self._i(matching.fill_fee(size, price, index_e6, config.maker_fee_ppm, config.fee_cap_ppm)))
    ops.write_fill(s.ops, s.sender, po.side, pending, maker, taker_positions, maker_positions)
    out: matching.Outcome = self._call(maker.owner, QUERY_INITIAL, matching.MAKER_CHECKED, pending)
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
def _removed(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS], maker_id: uint256,
             maker: records.Order) -> matching.Outcome:
    """
    @notice Twin of node/stf/matching.py::_removed: take the maker off the book; next MATCH.
    """
    ops.remove_order(s.ops, maker_id, maker)
    return self._removed_after(regs)


@internal
@pure
def _removed_after(regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/matching.py::_removed_after: count a removal; next MATCH.
    """
    base: DynArray[int256, matching.MAX_PLACE_REGS] = self._head(regs, matching.B)
    base[matching.REMOVALS] += 1
    return self._goto(matching.MATCH, base)


@internal
def _maker_checked(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/matching.py::maker_checked_step (registers B + P + (code,)).
    """
    pending: DynArray[int256, matching.MAX_PLACE_REGS] = self._head(regs, matching.BP)
    if regs[matching.BP] != 0:
        out: matching.Outcome = self._goto(matching.DROP_MAKER, pending)
        out.action = matching.RESTORE
        return out
    return self._call(s.sender, QUERY_INITIAL, matching.TAKER_CHECKED, pending)


@internal
def _taker_checked(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/matching.py::taker_checked_step (registers B + P + (code,)).
    """
    pending: DynArray[int256, matching.MAX_PLACE_REGS] = self._head(regs, matching.BP)
    if regs[matching.BP] == 0:
        pending.append(0)
        out: matching.Outcome = self._auctions(s, pending)
        out.first_only = True
        return out
    pending.append(regs[matching.BP])
    return self._call(s.sender, QUERY_BACKING, matching.TAKER_AFTER, pending)


@internal
def _taker_before(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/matching.py::taker_before_step (registers B + P + (code,) +
            backing after + backing before, each `(cash, free cash, equity, maintenance,
            initial, complete)`), with margin.risk_reduced.
    """
    pending: DynArray[int256, matching.MAX_PLACE_REGS] = self._head(regs, matching.BP)
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
        ops.write_fill(s.ops, s.sender, s.order.side, pending, maker, taker_positions, maker_positions)
        pending.append(0)
        return self._auctions(s, pending)
    base: DynArray[int256, matching.MAX_PLACE_REGS] = self._head(pending, matching.B)
    base[matching.STOP] = regs[matching.BP]
    out: matching.Outcome = self._goto(matching.MATCH, base)
    out.action = matching.MATCH_AGAIN  # `_match(s, base)`, in the piece that holds it
    return out


@internal
def _auctions(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/matching.py::_auctions (registers B + P + (party,), then the
            margin summary `(cash, value, maintenance, initial, complete)` of `party` when
            back from one): end recovered auctions, then record the fill; next MATCH.
    """
    pending: DynArray[int256, matching.MAX_PLACE_REGS] = self._head(regs, matching.BP)
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
                    keep: DynArray[int256, matching.MAX_PLACE_REGS] = pending
                    keep.append(self._i(party))
                    return self._call(who, QUERY_SUMMARY, matching.AUCTIONS, keep)
                state.delete_auction(who)
        party += 1
    base: DynArray[int256, matching.MAX_PLACE_REGS] = self._head(pending, matching.B)
    base[matching.REMAINING] = pending[matching.REMAINING] - pending[matching.SIZE]
    base[matching.FILLS] = pending[matching.FILLS] + 1
    return self._goto(matching.MATCH, base)


@internal
def _remainder(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS], best: uint256) -> matching.Outcome:
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
        return self._finish(s, regs)
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
            ops.rest_order(s.rest, self._u(regs[matching.ORDER_ID]), order, s.hint)
            out: matching.Outcome = self._call(s.sender, QUERY_INITIAL, matching.REST_CHECKED, regs)
            out.push = True
            return out
    # the remainder is cancelled (its code is the receipt's only)
    return self._finish(s, regs)


@internal
def _rest_checked(regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/matching.py::rest_checked_step (registers B + (code,)).
    """
    code: int256 = regs[matching.B]
    if code == 0:
        return self._finish_here(self._head(regs, matching.B))
    if regs[matching.FILLS] == 0:
        return self._fail(self._u(code))
    out: matching.Outcome = self._goto(matching.FINISH, regs)
    out.action = matching.RESTORE
    return out


@internal
def _finish(s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/matching.py::_finish in the matching piece: take the order id
            (`accounts.take_order_id`, run in the piece `s.rest`: the Globals encoder does
            not fit the matching piece) and end the transaction (the receipt is not part of
            the claim).
    """
    ops.take_order_id(s.rest, self._u(regs[matching.ORDER_ID]))
    return self._end_tx()


@internal
def _finish_here(regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/matching.py::_finish in the checks piece (FINISH, REST_CHECKED):
            `_finish` with the order id taken here, without a call.
    """
    accounts.take_order_id(self._u(regs[matching.ORDER_ID]))
    return self._end_tx()


@internal
@pure
def _end_tx() -> matching.Outcome:
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.END_TX
    return out


@internal
def cancel(ops_piece: address, sender: address, body: matching.CancelOrder) -> bool:
    """
    @notice Twin of node/stf/orders.py::cancel_order (the BODY of a CancelOrder): cancel one
            of `sender`'s orders by id, or by client order id when `order_id` is 0, the
            removal `orders.remove_order` in the ops piece at `ops_piece`. False (nothing
            written) where Python raises UNKNOWN_ORDER or NOT_ORDER_OWNER.
    """
    order_id: uint256 = body.order_id
    found: bool = False
    if order_id == 0:
        if body.client_order_id == 0:
            return False
        index: records.ClientOrderIndex = empty(records.ClientOrderIndex)
        found, index = state.get_client_order_index(sender, body.client_order_id)
        if not found:
            return False
        order_id = index.order_id
    order: records.Order = empty(records.Order)
    found, order = state.get_order(order_id)
    if not found or order.owner != sender:
        return False
    ops.remove_order(ops_piece, order_id, order)
    return True
