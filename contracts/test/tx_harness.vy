# pragma version 0.4.3
"""
@title transaction libraries test harness
@notice Exposes `fault/lib/tx_codec.vy`, `eip712.vy`, `nonces.vy` and `tx_types.vy`
        externally for the differential tests against node/stf (tests/fault/
        test_tx_vyper.py) and their gas figures. Not deployed outside tests.
"""

import fault.lib.eip712 as eip712
import fault.lib.nonces as nonces
import fault.lib.tx_codec as tx_codec
import fault.lib.tx_types as tx_types


@external
@pure
def layout(kind: uint256) -> (uint256, uint256):
    return tx_types.layout(kind)


@external
@pure
def body_phase(kind: uint256) -> uint256:
    return tx_types.body_phase(kind)


@external
@pure
def decode_unsigned(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_codec.Decoded:
    return tx_codec.decode_unsigned(raw)


@external
@view
def decode_tx(raw: Bytes[tx_codec.MAX_TX_BYTES], chain_id: uint256, verifying_contract: address) -> (
    tx_codec.Decoded, address
):
    return tx_codec.decode_tx(raw, eip712.domain_separator(chain_id, verifying_contract))


@external
@pure
def domain_separator(chain_id: uint256, verifying_contract: address) -> bytes32:
    return eip712.domain_separator(chain_id, verifying_contract)


@external
@pure
def type_hash(kind: uint256) -> bytes32:
    return eip712.type_hash(kind)


@external
@pure
def struct_hash(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> bytes32:
    d: tx_codec.Decoded = tx_codec.decode_unsigned(raw)
    return eip712.struct_hash(d.kind, d.fields, d.count, d.surface)


@external
@view
def recover(digest: bytes32, y_parity: uint256, r: uint256, s: uint256) -> address:
    return eip712.recover(digest, y_parity, r, s)


@external
@pure
def use_nonce(nonce_floor: uint256, nonce_bitmap: uint256, nonce: uint256) -> (uint256, uint256, uint256):
    return nonces.use_nonce(nonce_floor, nonce_bitmap, nonce)


@external
@pure
def place_order(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.PlaceOrder:
    return tx_codec.place_order(tx_codec.body(raw, tx_types.PLACE_ORDER))


@external
@pure
def cancel_order(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.CancelOrder:
    return tx_codec.cancel_order(tx_codec.body(raw, tx_types.CANCEL_ORDER))


@external
@pure
def cancel_all(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.CancelAll:
    return tx_codec.cancel_all(tx_codec.body(raw, tx_types.CANCEL_ALL))


@external
@pure
def withdraw(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.Withdraw:
    return tx_codec.withdraw(tx_codec.body(raw, tx_types.WITHDRAW))


@external
@pure
def oracle_update(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.OracleUpdate:
    return tx_codec.oracle_update(tx_codec.body(raw, tx_types.ORACLE_UPDATE))


@external
@pure
def list_instrument(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.ListInstrument:
    return tx_codec.list_instrument(tx_codec.body(raw, tx_types.LIST_INSTRUMENT))


@external
@pure
def liquidate(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.Liquidate:
    return tx_codec.liquidate(tx_codec.body(raw, tx_types.LIQUIDATE))


@external
@pure
def settle(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.Settle:
    return tx_codec.settle(tx_codec.body(raw, tx_types.SETTLE))


@external
@pure
def deposit(raw: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.Deposit:
    return tx_codec.deposit(tx_codec.body(raw, tx_types.DEPOSIT))
