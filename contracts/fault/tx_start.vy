# pragma version 0.4.3
"""
@title tx_start
@notice A piece of the tx family (`steps_tx.vy`, which DELEGATECALLs it): the state side of
        TX_START, twin of `node/stf/machine.py::_tx_start` up to the cursor: the envelope
        decoded and its sender recovered under the Config's EIP-712 domain
        (`tx_codec.py::decode_tx`), then, for a signed kind, the sender's nonce used
        (`nonces.py::use_nonce`).
@dev Runs in the entry's context: the entry put the witness in the trie store's pool and
     began the state (`state.begin`); `state` is this contract's only stateful module, all
     transient, so its slots are the entry's. The one write (the sender's account with its
     nonce window) is applied by `state.commit()`; a refused envelope or nonce writes
     nothing (Python rolls the nonce back), so the root stays `pre_root`.
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.errors as errors
import fault.lib.eip712 as eip712
import fault.lib.nonces as nonces
import fault.lib.tx_codec as tx_codec
import fault.lib.tx_types as tx_types

initializes: state


@external
def start(pre_root: bytes32, raw_tx: Bytes[tx_codec.MAX_TX_BYTES]) -> (bytes32, uint256, uint256, address):
    """
    @notice TX_START's effect on the state: `(post_root, code, kind, sender)`. `code` is
            errors.OK or the failure the transaction ends with (a decoding failure, or a
            nonce refused); `kind` the envelope's type byte; `sender` empty for a deposit.
    @dev Python reads the Config whatever the envelope (`state.get(keys.CONFIG).domain`):
         so does this (a state without one is refused there, AttributeError, and here).
    """
    found: bool = False
    config: records.Config = empty(records.Config)
    found, config = state.get_config()
    assert found, "steps_tx: Config missing"
    d: tx_codec.Decoded = empty(tx_codec.Decoded)
    sender: address = empty(address)
    d, sender = tx_codec.decode_tx(raw_tx, eip712.domain_separator(config.chain_id, config.verifying_contract))
    if d.code != errors.OK or d.kind == tx_types.DEPOSIT:
        return pre_root, d.code, d.kind, empty(address)
    # nonces.py::use_nonce: the raw record (no haircut), an absent one as Account()
    account: records.Account = empty(records.Account)
    found, account = state.get_account(sender)
    code: uint256 = 0
    nonce_floor: uint256 = 0
    nonce_bitmap: uint256 = 0
    code, nonce_floor, nonce_bitmap = nonces.use_nonce(account.nonce_floor, account.nonce_bitmap, d.fields[0])
    if code != errors.OK:
        return pre_root, code, d.kind, sender
    account.nonce_floor = nonce_floor
    account.nonce_bitmap = nonce_bitmap
    state.put_account(sender, account)
    return state.commit(), errors.OK, d.kind, sender
