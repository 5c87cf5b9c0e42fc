# pragma version 0.4.3
"""
@title steps_settle
@notice The steps of a Settle (`SettlePhase` 60-63) on L1: twin of
        `node/stf/settlement.py::settle_step`, `settle_scan_step`, `settle_position_step`
        and `settle_recovery_step`.
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface; `inputs` is empty.
     The Settle is decoded again from `cursor.tx` at every step (`steps.tx_of`).
     Registers: SETTLE_SCAN and SETTLE_POSITION (index, cancelled, price_e6); the margin
     call of SETTLE_POSITION keeps (size, price, intrinsic, amount, cancelled, bad debt)
     and SETTLE_RECOVERY gets them back followed by the account's summary (cash, value,
     maintenance, initial, complete). A `TxFailure` of Python's step is `machine.fail`
     on the pre-state (the step's writes undone: `steps.body_step`).
     Reverts "steps_settle: ..." only on an invalid proof.
"""

import fault.lib.trie as trie
import fault.lib.state as state
import fault.lib.records as records
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.tx_codec as tx_codec
import fault.lib.tx_types as tx_types
import fault.lib.book as book
import fault.lib.accounts as accounts
import fault.lib.orders as orders
import fault.lib.haircut as haircut
import fault.lib.oracle_math as oracle_math
import fault.lib.settle_math as settle_math

initializes: trie
initializes: state[trie := trie]
initializes: book[state := state]
initializes: accounts[state := state]
initializes: orders[state := state, book := book, accounts := accounts]

MAX_NODE: constant(uint256) = trie.MAX_NODE
MAX_NODES: constant(uint256) = 64  # as steps_control.vy (the witness nodes of one step)
MAX_INPUTS: constant(uint256) = 32

SETTLE: constant(uint256) = 60  # settlement.SettlePhase
SETTLE_SCAN: constant(uint256) = 61
SETTLE_POSITION: constant(uint256) = 62
SETTLE_RECOVERY: constant(uint256) = 63
MARGIN: constant(uint256) = 40  # margin_steps.MarginPhase.MARGIN
QUERY_SUMMARY: constant(int256) = 2  # margin_steps.Query.SUMMARY
SCAN_CHUNK: constant(uint256) = 8  # settlement.SCAN_CHUNK
MAX_OPEN_ORDERS: constant(uint256) = 128  # params.MAX_OPEN_ORDERS

# errors.FailureCode
INSUFFICIENT_BALANCE: constant(uint256) = 301
UNKNOWN_INSTRUMENT: constant(uint256) = 200
SETTLEMENT_NOT_READY: constant(uint256) = 605
NOTHING_TO_SETTLE: constant(uint256) = 606


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_NODE], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One step of phases 60-63: `(post_root, post_cursor)`.
    """
    assert len(inputs) == 0, "steps_settle: no inputs"
    for node: Bytes[MAX_NODE] in nodes:
        trie.add_node(node)
    state.begin(pre_root)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    body: tx_types.Settle = tx_codec.settle(tx_codec.body(c.tx, tx_types.SETTLE))
    after: cursor.Cursor = empty(cursor.Cursor)
    if c.phase == SETTLE:
        after = self._settle(c, body, pre_root)
    elif c.phase == SETTLE_SCAN:
        after = self._scan(c, body)
    elif c.phase == SETTLE_POSITION:
        after = self._position(c, body, pre_root)
    else:
        assert c.phase == SETTLE_RECOVERY, "steps_settle: not a settle phase"
        after = self._recovery(c, body)
    return state.root(), cursor.encode_cursor(after)


@internal
def _settle(c: cursor.Cursor, body: tx_types.Settle, pre_root: bytes32) -> cursor.Cursor:
    """
    @dev Twin of node/stf/settlement.py::settle_step. The account is a decoded `address`,
         20 bytes by construction: BAD_RECIPIENT cannot arise after TX_START.
    """
    found: bool = False
    inst: records.Instrument = empty(records.Instrument)
    found, inst = state.get_instrument(body.instrument_id)
    if not found:
        return machine.fail(c, UNKNOWN_INSTRUMENT)
    if c.time < inst.expiry:
        return machine.fail(c, SETTLEMENT_NOT_READY)
    record: records.SettlementPrice = empty(records.SettlementPrice)
    found, record = state.get_settlement(inst.underlying_id, inst.expiry)
    if record.price_e6 == 0:  # absent or not fixed yet (settlement.final_price_e6)
        return machine.fail(c, SETTLEMENT_NOT_READY)
    return machine.goto(machine.begin_body(c, pre_root), SETTLE_SCAN, [0, 0, convert(record.price_e6, int256)])


@internal
def _scan(c: cursor.Cursor, body: tx_types.Settle) -> cursor.Cursor:
    """
    @dev Twin of node/stf/settlement.py::settle_scan_step: up to SCAN_CHUNK orders from
         `index`; the first on the series is removed (INSTRUMENT_EXPIRED) and the step
         ends there with the same index.
    """
    index: uint256 = convert(c.regs[0], uint256)
    count: int256 = c.regs[1]
    price: int256 = c.regs[2]
    open_orders: DynArray[uint256, MAX_OPEN_ORDERS] = accounts.load(body.account).open_orders
    end: uint256 = min(index + SCAN_CHUNK, len(open_orders))
    for k: uint256 in range(SCAN_CHUNK):
        if index >= end:
            break
        order_id: uint256 = open_orders[index]
        found: bool = False
        order: records.Order = empty(records.Order)
        found, order = state.get_order(order_id)
        assert found, "steps_settle: an open order is missing"
        if order.instrument_id == body.instrument_id:
            orders.remove_order(order_id, order)
            return machine.goto(c, SETTLE_SCAN, [convert(index, int256), count + 1, price])
        index += 1
    phase: uint256 = SETTLE_POSITION
    if index < len(open_orders):
        phase = SETTLE_SCAN
    return machine.goto(c, phase, [convert(index, int256), count, price])


@internal
def _position(c: cursor.Cursor, body: tx_types.Settle, pre_root: bytes32) -> cursor.Cursor:
    """
    @dev Twin of node/stf/settlement.py::settle_position_step.
    """
    count: int256 = c.regs[1]
    price_e6: uint256 = convert(c.regs[2], uint256)
    owner: address = body.account
    account: records.Account = accounts.load(owner)
    size_e6: int256 = accounts.position(account, body.instrument_id)
    if size_e6 == 0 and count == 0:
        return machine.fail(c, NOTHING_TO_SETTLE)
    found: bool = False
    inst: records.Instrument = empty(records.Instrument)
    found, inst = state.get_instrument(body.instrument_id)
    assert found, "steps_settle: no instrument"
    intrinsic: uint256 = oracle_math.intrinsic_e6(price_e6, inst.strike_e6, inst.is_call)
    amount_e6: int256 = 0
    bad_debt_e6: uint256 = 0
    if size_e6 != 0:
        g: records.Globals = state.get_globals()
        paid_in: uint256 = 0
        paid_out: uint256 = 0
        amount_e6, paid_in, paid_out = settle_math.settle_cash(size_e6, intrinsic)
        g.settlement_paid_in_e6 += paid_in
        g.settlement_paid_out_e6 += paid_out
        state.put_globals(g)
        ok: bool = False
        ok, account.positions = accounts.positions_with(account.positions, body.instrument_id, -size_e6)
        account.balance_e6 += amount_e6
        accounts.store(owner, account)
        if len(account.positions) == 0:  # nothing left: cover a deficit, end any auction
            bad_debt_e6 = self._close_out(owner)
        elif account.balance_e6 < 0:  # a short that cannot pay while it holds other positions
            auction: records.Auction = empty(records.Auction)
            found, auction = state.get_auction(owner)
            if not found:  # (allowed only under liquidation)
                state.begin(pre_root)  # steps.body_step: the step's writes undone
                return machine.fail(c, INSUFFICIENT_BALANCE)
    done: DynArray[int256, cursor.MAX_KEEP] = [
        size_e6, convert(price_e6, int256), convert(intrinsic, int256), amount_e6, count,
        convert(bad_debt_e6, int256),
    ]
    if self._recovery_needs_sum(owner, accounts.load(owner)):
        who: int256 = convert(convert(owner, uint256), int256)
        return machine.call(c, MARGIN, [who, QUERY_SUMMARY], SETTLE_RECOVERY, done)
    return machine.end_tx(c)


@internal
def _recovery(c: cursor.Cursor, body: tx_types.Settle) -> cursor.Cursor:
    """
    @dev Twin of node/stf/settlement.py::settle_recovery_step with
         auction.end_if_summary_recovered: registers 6 to 10 are the summary (cash, value,
         maintenance, initial, complete).
    """
    cash_e6: int256 = c.regs[6]
    value_e6: int256 = c.regs[7]
    maintenance_e6: int256 = c.regs[8]
    complete: int256 = c.regs[10]
    if complete == 0 or cash_e6 + value_e6 >= maintenance_e6:
        state.delete_auction(body.account)
    return machine.end_tx(c)


@internal
def _recovery_needs_sum(owner: address, account: records.Account) -> bool:
    """
    @dev Twin of node/stf/auction.py::recovery_needs_sum: ends the auction here when no
         margin sum is needed (no position, cash >= 0); True when only a summary decides.
    """
    if account.balance_e6 < 0:
        return False
    found: bool = False
    auction: records.Auction = empty(records.Auction)
    found, auction = state.get_auction(owner)
    if not found:
        return False
    if len(account.positions) == 0:
        state.delete_auction(owner)
        return False
    return True


@internal
def _close_out(owner: address) -> uint256:
    """
    @dev Twin of node/stf/solvency.py::close_out: end the auction if one is open, then
         cover a negative balance (solvency.cover_deficit: insurance fund, fee pool, then
         socialised). Returns the bad debt (e6).
    """
    found: bool = False
    auction: records.Auction = empty(records.Auction)
    found, auction = state.get_auction(owner)
    if found:
        state.delete_auction(owner)
    account: records.Account = accounts.load(owner)
    if account.balance_e6 >= 0:
        return 0
    deficit: uint256 = convert(-account.balance_e6, uint256)
    account.balance_e6 = 0
    accounts.store(owner, account)
    state.put_globals(haircut.cover(state.get_globals(), deficit))
    return deficit
