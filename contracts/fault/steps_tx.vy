# pragma version 0.4.3
"""
@title steps_tx
@notice The family of transaction starts and deposits: TX_START (1), DEPOSIT (93) and
        DEPOSIT_RECOVERY (94). Twin of node/stf/machine.py::_tx_start and
        node/stf/transfers.py::deposit_step / deposit_recovery_step.
@dev `run(pre_root, cursor, nodes, inputs) -> (post_root, post_cursor)` (the family
     interface of the verifier): the witness `nodes` go to the trie's pool, the state starts
     at `pre_root`, the step runs on the one decoded cursor and the new root and the
     cursor's encoding come back. `inputs` is unused (empty). Reverts ("steps_tx: ...", or a
     library's reason) only on an invalid proof: a wrong phase, a cursor whose envelope is
     not the kind its phase says, a witness that lacks a node.

     TX_START (machine.py::_tx_start): the envelope `cursor.tx` is decoded and its sender
     recovered under the genesis domain (the config's chain id and portal), exactly as
     tx_codec.py::decode_tx; bytes it refuses end the transaction (NEXT_TX, state
     unchanged). Otherwise the cursor moves to the kind's first body phase with the sender
     and the hash, and a signed kind uses the sender's nonce (nonces.py::use_nonce); a
     refused nonce ends the transaction with no effect.

     DEPOSIT (transfers.py::deposit_step): checkpoint, then `_credit` (queue order, amount
     range, the credit through accounts.load/store, the globals' counters); the recipient's
     auction ends here when no margin sum is needed (auction.py::recovery_needs_sum), else
     the margin sub-machine's SUMMARY returns to DEPOSIT_RECOVERY
     (auction.py::end_if_summary_recovered on its registers).
"""

import fault.lib.trie as trie
import fault.lib.state as state
import fault.lib.records as records
import fault.lib.accounts as accounts
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.errors as errors
import fault.lib.eip712 as eip712
import fault.lib.nonces as nonces
import fault.lib.tx_codec as tx_codec
import fault.lib.tx_types as tx_types

initializes: trie
initializes: state[trie := trie]
initializes: accounts[state := state]

MAX_NODES: constant(uint256) = 64  # witness nodes: TX_START 2 keys, a deposit step 3
MAX_INPUTS: constant(uint256) = 32

TX_START: constant(uint256) = 1  # steps.py Phase.TX_START
MARGIN: constant(uint256) = 40  # margin_steps.MarginPhase.MARGIN
DEPOSIT: constant(uint256) = tx_types.DEPOSIT_PHASE
DEPOSIT_RECOVERY: constant(uint256) = 94  # transfers.DepositPhase.DEPOSIT_RECOVERY

SUMMARY: constant(uint256) = 2  # margin_steps.Query.SUMMARY
MAX_AMOUNT_E6: constant(uint256) = 2**63 - 1  # params.MAX_AMOUNT_E6


@external
def run(
    pre_root: bytes32,
    cursor_rlp: Bytes[cursor.MAX_CURSOR],
    nodes: DynArray[Bytes[trie.MAX_NODE], MAX_NODES],
    inputs: Bytes[MAX_INPUTS],
) -> (bytes32, Bytes[cursor.MAX_NARROW]):
    """
    @notice One step of TX_START, DEPOSIT or DEPOSIT_RECOVERY: `(post_root, post_cursor)`.
    """
    for node: Bytes[trie.MAX_NODE] in nodes:
        trie.add_node(node)
    state.begin(pre_root)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    if c.phase == TX_START:
        c = self._tx_start(c)
    elif c.phase == DEPOSIT:
        c = self._deposit(c, pre_root)
    elif c.phase == DEPOSIT_RECOVERY:
        c = self._deposit_recovery(c)
    else:
        raise "steps_tx: not a phase of this family"
    return state.root(), cursor.encode_cursor(c)


@internal
def _tx_start(c: cursor.Cursor) -> cursor.Cursor:
    """
    @dev machine.py::_tx_start. The config is read whatever the kind (Python decodes every
         envelope with the domain, deposits included).
    """
    config: records.Config = state.get_config()
    d: tx_codec.Decoded = empty(tx_codec.Decoded)
    sender: address = empty(address)
    d, sender = tx_codec.decode_tx(c.tx, eip712.domain_separator(config.chain_id, config.verifying_contract))
    if d.code != errors.OK:
        return machine.end_tx(c)  # a failure receipt; nothing written
    n: cursor.Cursor = c
    n.phase = tx_types.body_phase(d.kind)
    n.tx_hash = concat(b"", keccak256(c.tx))
    if d.kind == tx_types.DEPOSIT:
        n.sender = b""
        return n
    n.sender = concat(b"", convert(sender, bytes20))
    found: bool = False
    account: records.Account = empty(records.Account)
    found, account = state.get_account(sender)  # raw: use_nonce reads no haircut
    code: uint256 = 0
    floor_: uint256 = 0
    bitmap: uint256 = 0
    code, floor_, bitmap = nonces.use_nonce(account.nonce_floor, account.nonce_bitmap, d.fields[0])
    if code != errors.OK:
        return machine.end_tx(n)  # a used nonce: a failure receipt, no effect
    account.nonce_floor = floor_
    account.nonce_bitmap = bitmap
    state.put_account(sender, account)  # an absent account is created (Account() with the nonce)
    return n


@internal
def _deposit(c: cursor.Cursor, pre_root: bytes32) -> cursor.Cursor:
    """
    @dev transfers.py::deposit_step (checkpoint, `_credit`, then the auction). A failure
         happens before any write, so the root stays `pre_root`.
    """
    d: tx_types.Deposit = tx_codec.deposit(tx_codec.body(c.tx, tx_types.DEPOSIT))
    g: records.Globals = state.get_globals()
    if d.deposit_index != g.next_deposit_index:
        return machine.fail(c, errors.DEPOSIT_OUT_OF_ORDER)
    if d.amount_e6 == 0 or d.amount_e6 > MAX_AMOUNT_E6:
        return machine.fail(c, errors.ZERO_AMOUNT)
    account: records.Account = accounts.load(d.recipient)
    account.balance_e6 += convert(d.amount_e6, int256)
    accounts.store(d.recipient, account)
    g = state.get_globals()  # the write above moved the loss index's totals
    g.next_deposit_index += 1
    g.total_deposited_e6 += d.amount_e6
    state.put_globals(g)
    n: cursor.Cursor = machine.begin_body(c, pre_root)
    # auction.py::recovery_needs_sum
    in_auction: bool = False
    auction: records.Auction = empty(records.Auction)
    in_auction, auction = state.get_auction(d.recipient)
    if account.balance_e6 < 0 or not in_auction:
        return machine.end_tx(n)
    if len(account.positions) == 0:
        state.delete_auction(d.recipient)
        return machine.end_tx(n)
    regs: DynArray[int256, cursor.MAX_REGS] = [
        convert(convert(d.recipient, uint160), int256), convert(SUMMARY, int256)
    ]
    return machine.call(n, MARGIN, regs, DEPOSIT_RECOVERY, [])


@internal
def _deposit_recovery(c: cursor.Cursor) -> cursor.Cursor:
    """
    @dev transfers.py::deposit_recovery_step: auction.py::end_if_summary_recovered on the
         summary `(cash, value, maintenance, initial, complete)` in the registers.
    """
    d: tx_types.Deposit = tx_codec.deposit(tx_codec.body(c.tx, tx_types.DEPOSIT))
    assert len(c.regs) == 5, "steps_tx: a summary is 5 registers"
    if c.regs[4] == 0 or c.regs[0] + c.regs[1] >= c.regs[2]:
        state.delete_auction(d.recipient)
    return machine.end_tx(c)
