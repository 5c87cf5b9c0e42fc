# pragma version 0.4.3
"""
@title accounts
@notice Account reads and writes as the STF makes them: twin of `node/stf/accounts.py`
        (`load`, `store`, `positions_with`) with the socialised-loss arithmetic of
        `node/stf/haircut.py` (`apply`, `on_write`, `collect_fees`) they run.
@dev Amounts in collateral units e6 (balances signed, int256); the loss index is WAD
     scaled (1e18 at genesis, >= 1). Integer divisions are unsigned, of non-negative
     values, as Python's (`//` of non-negative ints). Every account write of the STF goes
     through `store`, every read through `load`.
"""

import fault.lib.state as state
import fault.lib.records as records

uses: state

LOSS_INDEX_ONE: constant(uint256) = 10**18  # haircut.LOSS_INDEX_ONE
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
    # haircut.py::on_write
    old_scaled: uint256 = 0
    cut: uint256 = 0
    if found and old.balance_e6 > 0:
        balance: uint256 = convert(old.balance_e6, uint256)
        old_scaled = balance * LOSS_INDEX_ONE // old.loss_index
        if old.loss_index != index:
            cut = balance - balance * index // old.loss_index
    new_scaled: uint256 = 0
    if account.balance_e6 > 0:
        new_scaled = convert(account.balance_e6, uint256) * LOSS_INDEX_ONE // index
    if cut != 0 or new_scaled != old_scaled:
        g.scaled_positive_e6 = g.scaled_positive_e6 + new_scaled - old_scaled
        if cut <= g.haircut_due_e6:
            g.haircut_due_e6 -= cut
        else:
            dust: uint256 = cut - g.haircut_due_e6
            g.haircut_due_e6 = 0
            g = self.collect_fees(g, dust)
        state.put_globals(g)
    written: records.Account = account
    written.loss_index = index
    state.put_account(owner, written)


@internal
@pure
def collect_fees(g: records.Globals, fees_e6: uint256) -> records.Globals:
    """
    @notice Twin of node/stf/haircut.py::collect_fees: fees repay unbacked loss first, the
            rest goes to the fee pool.
    """
    out: records.Globals = g
    repay: uint256 = min(fees_e6, g.unbacked_loss_e6)
    out.unbacked_loss_e6 = g.unbacked_loss_e6 - repay
    out.fee_pool_e6 = g.fee_pool_e6 + fees_e6 - repay
    return out


@internal
def add_fees(fees_e6: uint256):
    """
    @notice `state.put(keys.GLOBALS, collect_fees(state.get(keys.GLOBALS), fees_e6))`.
    """
    state.put_globals(self.collect_fees(self.get_globals(), fees_e6))


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
