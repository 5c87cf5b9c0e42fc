# pragma version 0.4.3
"""
@title accounts
@notice Account reads and writes as the STF makes them: twin of `node/stf/accounts.py`
        (`load`, `store`, `positions_with`) with the socialised-loss arithmetic they run:
        `apply` inline in `load`, `on_write` and `collect_fees` from `lib/haircut.vy`.
@dev Amounts in collateral units e6 (balances signed, int256); the loss index is WAD
     scaled (1e18 at genesis, >= 1). Integer divisions are unsigned, of non-negative
     values, as Python's (`//` of non-negative ints). Every account write of the STF goes
     through `store`, every read through `load`.
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.haircut as haircut

uses: state

MAX_POSITIONS: constant(uint256) = 64  # params.MAX_POSITIONS


@internal
def get_globals() -> records.Globals:
    """
    @notice `State.get(keys.GLOBALS)`: present in every state after genesis.
    """
    found: bool = False
    g: records.Globals = empty(records.Globals)
    found, g = state.get_globals()
    assert found, "accounts: Globals missing"
    return g


@internal
def get_config() -> records.Config:
    """
    @notice `State.get(keys.CONFIG)`: present in every state after genesis.
    """
    found: bool = False
    config: records.Config = empty(records.Config)
    found, config = state.get_config()
    assert found, "accounts: Config missing"
    return config


@internal
def load(owner: address) -> records.Account:
    """
    @notice Twin of node/stf/accounts.py::load: the account at `owner` (all zero when it never
            existed), a positive balance cut by the socialised loss since it was written
            (haircut.py::apply: `floor(b x R / r)`, the account then at index R).
    """
    found: bool = False
    account: records.Account = empty(records.Account)
    found, account = state.get_account(owner)
    if not found:
        return empty(records.Account)
    if account.balance_e6 > 0:
        index: uint256 = self.get_globals().loss_index
        if account.loss_index != index:
            balance: uint256 = convert(account.balance_e6, uint256)
            account.balance_e6 = convert(balance * index // account.loss_index, int256)
            account.loss_index = index
    return account


@internal
def store(owner: address, account: records.Account):
    """
    @notice Twin of node/stf/accounts.py::store: write `account` (derived from `load` at the
            current index), realising the cut its stored balance owed and keeping the loss
            index's totals exact (haircut.py::on_write); the account records the index.
    """
    found: bool = False
    old: records.Account = empty(records.Account)
    found, old = state.get_account(owner)
    g: records.Globals = self.get_globals()
    index: uint256 = g.loss_index
    if found and old.loss_index == index and old.balance_e6 == account.balance_e6 and account.loss_index == index:
        state.put_account(owner, account)  # the balance did not move: nothing to account for
        return
    changed: bool = False
    changed, g = haircut.on_write(g, found, old.balance_e6, old.loss_index, account.balance_e6)
    if changed:
        state.put_globals(g)
    written: records.Account = account
    written.loss_index = index
    state.put_account(owner, written)


@internal
def add_fees(fees_e6: uint256):
    """
    @notice `state.put(keys.GLOBALS, collect_fees(state.get(keys.GLOBALS), fees_e6))`.
    """
    state.put_globals(haircut.collect_fees(self.get_globals(), fees_e6))


@internal
def take_order_id(order_id: uint256):
    """
    @notice The write of node/stf/matching.py::_finish: a placed order takes `order_id`
            (`Globals.next_order_id` becomes `order_id + 1`).
    """
    g: records.Globals = self.get_globals()
    g.next_order_id = order_id + 1
    state.put_globals(g)


@internal
@pure
def position(account: records.Account, instrument_id: uint256) -> int256:
    """
    @notice Twin of node/stf/records.py::Account.position (0 when none).
    """
    for p: records.Position in account.positions:
        if p.instrument_id == instrument_id:
            return p.size_e6
    return 0


@internal
@pure
def positions_with(positions: DynArray[records.Position, MAX_POSITIONS], instrument_id: uint256,
                   delta_e6: int256) -> (bool, DynArray[records.Position, MAX_POSITIONS]):
    """
    @notice Twin of node/stf/accounts.py::positions_with: `delta_e6` added on `instrument_id`
            (a zero position removed, the list sorted by instrument id); `(False, [])` where
            Python returns None (one position more than MAX_POSITIONS).
    """
    out: DynArray[records.Position, MAX_POSITIONS] = []
    done: bool = False
    for p: records.Position in positions:
        if not done and p.instrument_id >= instrument_id:
            done = True
            if p.instrument_id == instrument_id:
                size: int256 = p.size_e6 + delta_e6
                if size != 0:
                    out.append(records.Position(instrument_id=instrument_id, size_e6=size))
                continue
            if len(positions) >= MAX_POSITIONS:
                return False, []
            out.append(records.Position(instrument_id=instrument_id, size_e6=delta_e6))
        out.append(p)
    if not done:
        if len(positions) >= MAX_POSITIONS:
            return False, []
        out.append(records.Position(instrument_id=instrument_id, size_e6=delta_e6))
    return True, out
