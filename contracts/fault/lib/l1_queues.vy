# pragma version ~=0.4.3
"""
@title l1_queues
@notice The deposit and forced-inclusion entries a derivation step reads, carried in the
        step's `inputs` after the batch pieces and each checked against the hash its L1
        queue stores (node/l1/queue_hashes.py): `Portal.deposit_hash(i)` and
        `ForcedInclusion.forced_hash(i)`; and the deposit's L2 system transaction
        (node/stf/l1_inputs.py::deposit_tx).
@dev Layout (prover/l1/inputs_codec.py), after the pieces:
         n_deposits:u8, per deposit abi_encode(index, recipient, amount_e6, deadline)
         (128 bytes, the preimage of the portal's hash); n_forced:u8, per entry
         index:u256 deadline:u256 size:u16 raw_tx.
     As prover/host/l1_check.py::check_inputs, every entry carried is checked (read or
     not), and as prover/client/inputs.py::ProofInputs only entries the batch can see
     (index below the record's deposits_seen / forced_seen) are taken.
     Reverts are prefixed "l1_queues:" and mean an invalid proof.
"""

import fault.lib.batch_data as batch_data
import lib.rlp as rlp

MAX_ENTRIES: constant(uint256) = 4      # a step reads at most one entry of each queue
MAX_TX_BYTES: constant(uint256) = 2_048  # ForcedInclusion.MAX_TX_BYTES = tx_codec.MAX_TX_BYTES
DEPOSIT_BYTES: constant(uint256) = 128
FORCED_HEAD: constant(uint256) = 66     # index, deadline, size
UINT64_LIMIT: constant(uint256) = 2**64  # tx_codec's wire type of deposit_index and amount_e6
# Bounds of the deposit envelope's parts as rlp.vy types them (the envelope itself is at
# most 41 bytes: type byte, list header, two uint64 and an address).
DEPOSIT_PAYLOAD: constant(uint256) = 2 * rlp.MAX_UINT_RLP + rlp.ADDRESS_RLP
MAX_DEPOSIT_TX: constant(uint256) = 1 + rlp.MAX_HEADER + DEPOSIT_PAYLOAD


interface Portal:
    def deposit_hash(index: uint256) -> bytes32: view


interface ForcedQueue:
    def forced_hash(index: uint256) -> bytes32: view


struct Deposit:  # node/stf/l1_inputs.py::L1Deposit (without l1_block: no step reads it)
    index: uint256
    recipient: address
    amount_e6: uint256
    deadline: uint256


struct Forced:  # node/stf/l1_inputs.py::L1Forced; raw_tx is inputs[at : at + size]
    index: uint256
    deadline: uint256
    at: uint256
    size: uint256


@internal
@view
def open_deposits(
    inputs: Bytes[batch_data.MAX_INPUTS], pos: uint256, portal: address, seen: uint256
) -> (DynArray[Deposit, MAX_ENTRIES], uint256):
    """
    @notice The deposits at `inputs[pos:]`, each equal to what the portal queued, and the
            position after them.
    """
    out: DynArray[Deposit, MAX_ENTRIES] = []
    at: uint256 = pos + 1
    for _: uint256 in range(batch_data.u8(inputs, pos), bound=MAX_ENTRIES):
        preimage: Bytes[DEPOSIT_BYTES] = slice(inputs, at, DEPOSIT_BYTES)
        d: Deposit = abi_decode(preimage, Deposit)
        assert d.index < seen, "l1_queues: a deposit the batch does not see"
        assert keccak256(preimage) == staticcall Portal(portal).deposit_hash(d.index), \
            "l1_queues: not the deposit the portal queued"
        out.append(d)
        at += DEPOSIT_BYTES
    return out, at


@internal
@view
def open_forced(
    inputs: Bytes[batch_data.MAX_INPUTS], pos: uint256, queue: address, seen: uint256
) -> (DynArray[Forced, MAX_ENTRIES], uint256):
    """
    @notice The forced transactions at `inputs[pos:]`, each equal to what the queue holds,
            and the position after them.
    """
    out: DynArray[Forced, MAX_ENTRIES] = []
    at: uint256 = pos + 1
    for _: uint256 in range(batch_data.u8(inputs, pos), bound=MAX_ENTRIES):
        f: Forced = Forced(
            index=extract32(inputs, at, output_type=uint256),
            deadline=extract32(inputs, at + 32, output_type=uint256),
            at=at + FORCED_HEAD,
            size=batch_data.u16(inputs, at + 64),
        )
        assert f.index < seen, "l1_queues: a forced transaction the batch does not see"
        assert f.size <= MAX_TX_BYTES, "l1_queues: forced transaction too long"
        tx_hash: bytes32 = keccak256(slice(inputs, f.at, f.size))
        assert keccak256(abi_encode(f.index, tx_hash, f.deadline)) == staticcall ForcedQueue(queue).forced_hash(f.index), \
            "l1_queues: not the transaction the queue holds"
        out.append(f)
        at = f.at + f.size
    return out, at


@internal
@pure
def deposit_at(deposits: DynArray[Deposit, MAX_ENTRIES], index: uint256) -> Deposit:
    """
    @notice Deposit `index` of the proof (prover/client/inputs.py::ProofInputs.deposit);
            reverts if the proof does not carry it.
    """
    for d: Deposit in deposits:
        if d.index == index:
            return d
    raise "l1_queues: the proof does not carry this deposit"


@internal
@pure
def forced_at(forced: DynArray[Forced, MAX_ENTRIES], index: uint256) -> Forced:
    """
    @notice Forced entry `index` of the proof (prover/client/inputs.py::ProofInputs.forced);
            reverts if the proof does not carry it.
    """
    for f: Forced in forced:
        if f.index == index:
            return f
    raise "l1_queues: the proof does not carry this forced transaction"


@internal
@pure
def deposit_tx(d: Deposit) -> Bytes[MAX_DEPOSIT_TX]:
    """
    @notice Twin of node/stf/l1_inputs.py::deposit_tx: 0x7e (TxType.DEPOSIT) ++ rlp([deposit_index,
            recipient, amount_e6]). Python refuses a field past uint64 (the portal
            queues neither: amounts are capped at 2**63 - 1), so this reverts there.
    """
    assert d.index < UINT64_LIMIT and d.amount_e6 < UINT64_LIMIT, "l1_queues: deposit field past uint64"
    payload: Bytes[DEPOSIT_PAYLOAD] = concat(rlp.encode_uint(d.index), rlp.encode_address(d.recipient), rlp.encode_uint(d.amount_e6))
    return concat(b"\x7e", rlp.list_header(len(payload)), payload)
