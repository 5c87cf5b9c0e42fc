"""The L1 reading of batch bytes agrees with Python, case by case.

``contracts/fault/lib/batch_data.vy`` (chunk pieces and reads), ``batch_stream.vy`` (RLP
items at offsets) and ``l1_inputs.vy`` / ``l1_queues.vy`` (arithmetic, the deposit
envelope) run through ``contracts/test/batch_data_harness.vy`` on revm, against
``node/l1/batch_chunks.py::verify_range``, ``prover/client/inputs.py::ProofInputs``,
``node/stf/rlp_stream.py`` and ``node/stf/l1_inputs.py``. Where Python raises a proof error
(``ChunkProofError``, ``MissingInput``) the contract must revert; where it raises
``RlpStreamError`` the contract must answer "not an item"; elsewhere the values must be
equal. Every read is also run with the proof the prover would build for it (the ranges
Python read, merged and proven as ``StepProof.build`` does): that proof must never be
refused.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
import rlp
from eth_abi import decode, encode

from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract
from node.l1.batch_chunks import CHUNK_BYTES, ChunkProof, ChunkProofError, chunks_root, prove_range, tree_depth, verify_range
from node.stf.derive_steps import _read_header
from node.stf.l1_inputs import BatchRecord, L1Deposit, block_time, clamp, deposit_tx, queue_limit
from node.stf.rlp_stream import RlpStreamError, read_item, read_uint
from prover.client.inputs import MissingInput, ProofInputs, RecordingInputs, MemoryInputs
from prover.client.proof import _merge
from prover.l1.inputs_codec import encode_inputs, encode_piece
from tests.fault.l1_fixture import RealL1

REVERT = "revert"
NOT_ITEM = "not an item"


class Harness:
    def __init__(self) -> None:
        self.build = compile_contract("test/batch_data_harness.vy")
        self.runner = RevmRunner()
        self.address = self.runner.deploy(self.build.initcode)
        self.gas: dict[str, int] = {}

    def call(self, name: str, types: list[str], args: list, out: list[str]):
        sig = f"{name}({','.join(types)})"
        result = self.runner.call(self.address, self.build.selector(sig) + encode(types, args))
        if not result.success:
            return REVERT
        self.gas[name] = max(self.gas.get(name, 0), result.gas_used)
        return decode(out, result.output)


@pytest.fixture(scope="module")
def vy() -> Harness:
    return Harness()


def _pieces(proofs: list[ChunkProof]) -> bytes:
    return bytes([len(proofs)]) + b"".join(encode_piece(p) for p in proofs)


def _record(data: bytes) -> BatchRecord:
    return BatchRecord(0, len(data), 0, 0, 0, 0)


def _python(fn):
    """Run ``fn`` and classify its outcome as the contract's is."""
    try:
        return fn()
    except (ChunkProofError, MissingInput):
        return REVERT
    except RlpStreamError:
        return NOT_ITEM


# -- chunk pieces ----------------------------------------------------------------------


def _random_data(rng: random.Random) -> bytes:
    length = rng.choice([1, 5, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES,
                         rng.randrange(1, 9 * CHUNK_BYTES), rng.randrange(1, 120_000)])
    return rng.randbytes(length)


def _random_range(rng: random.Random, length: int, span: int = 5 * CHUNK_BYTES) -> tuple[int, int]:
    start = rng.randrange(length + 1)
    return start, min(length, start + rng.randrange(min(span, length) + 1))


def _mutate_piece(rng: random.Random, proof: ChunkProof, length: int) -> ChunkProof:
    chunks, branches = list(proof.chunks), [list(b) for b in proof.branches]
    roll = rng.randrange(10)
    if roll == 0 and chunks:  # a chunk truncated
        j = rng.randrange(len(chunks))
        chunks[j] = chunks[j][:-1]
    elif roll == 1 and chunks:  # a wrong chunk byte
        j = rng.randrange(len(chunks))
        at = rng.randrange(len(chunks[j]))
        chunks[j] = chunks[j][:at] + bytes([chunks[j][at] ^ 1]) + chunks[j][at + 1:]
    elif roll == 2 and any(branches):  # a wrong branch node
        j = rng.choice([i for i, b in enumerate(branches) if b])
        k = rng.randrange(len(branches[j]))
        branches[j][k] = bytes([branches[j][k][0] ^ 0x80]) + branches[j][k][1:]
    elif roll == 3 and chunks:  # a branch too short or too long
        j = rng.randrange(len(chunks))
        branches[j] = branches[j][:-1] if branches[j] and rng.random() < 0.5 else branches[j] + [bytes(32)]
    elif roll == 4:  # the range past the length
        return replace(proof, end=length + rng.randrange(1, 3))
    elif roll == 5 and chunks:  # a chunk missing
        j = rng.randrange(len(chunks))
        del chunks[j], branches[j]
    elif roll == 6:  # an extra chunk
        chunks.append(bytes(CHUNK_BYTES))
        branches.append([bytes(32)] * tree_depth(length))
    elif roll == 7:  # another first chunk
        return replace(proof, first_chunk=max(0, proof.first_chunk + rng.choice([-1, 1])))
    elif roll == 8:  # start or end moved (may still be a valid proof of another range)
        start = max(0, proof.start + rng.randrange(-3, 4))
        return replace(proof, start=start, end=max(start, proof.end + rng.randrange(-3, 4)))
    else:  # a chunk swapped with the next one's
        if len(chunks) > 1:
            chunks[0], chunks[1] = chunks[1], chunks[0]
    return replace(proof, chunks=tuple(chunks), branches=tuple(tuple(b) for b in branches))


def test_tree_depth_matches(vy: Harness) -> None:
    for length in [0, 1, 1023, 1024, 1025, 2048, 2049, 4097, 65536, 65537, 119_999, 120_000]:
        assert vy.call("tree_depth", ["uint256"], [length], ["uint256"])[0] == tree_depth(length)


def test_random_ranges_open_as_in_python(vy: Harness) -> None:
    rng = random.Random(11)
    for case in range(300):
        data = _random_data(rng)
        root, length = chunks_root(data), len(data)
        start, end = _random_range(rng, length)
        proof = prove_range(data, start, end)
        expected = verify_range(root, length, proof)
        got = vy.call("open_piece", ["bytes", "bytes32", "uint256"], [encode_piece(proof), root, length], ["bytes"])
        assert got != REVERT and got[0] == expected, f"case {case}: [{start}, {end}) of {length} bytes"


def test_mutated_pieces_are_refused_where_python_refuses(vy: Harness) -> None:
    rng = random.Random(12)
    refused = 0
    for case in range(400):
        data = _random_data(rng)
        root, length = chunks_root(data), len(data)
        start, end = _random_range(rng, length)
        proof = _mutate_piece(rng, prove_range(data, start, end), length)
        if rng.random() < 0.05:  # a record of another length or root
            length += rng.choice([-1, 1, CHUNK_BYTES])
        if rng.random() < 0.05:
            root = bytes(32)
        expected = _python(lambda: verify_range(root, length, proof))
        got = vy.call("open_piece", ["bytes", "bytes32", "uint256"], [encode_piece(proof), root, length], ["bytes"])
        assert (got if got == REVERT else got[0]) == expected, f"case {case}: {proof.start, proof.end, length}"
        refused += expected == REVERT
    assert refused > 250  # most mutations break the proof


def test_reads_find_their_piece_as_proof_inputs_do(vy: Harness) -> None:
    rng = random.Random(13)
    for case in range(200):
        data = rng.randbytes(rng.randrange(1, 6 * CHUNK_BYTES))
        root, length = chunks_root(data), len(data)
        proofs = [prove_range(data, *_random_range(rng, length, 2 * CHUNK_BYTES)) for _ in range(rng.randrange(4))]
        inputs = ProofInputs(_record(data), {p.start: verify_range(root, length, p) for p in proofs}, {}, {})
        if proofs and rng.random() < 0.7:  # inside a piece
            p = rng.choice(proofs)
            start = rng.randrange(p.start, p.end + 1)
            end = rng.randrange(start, min(p.end, start + 2048) + 1)
        else:
            start, end = _random_range(rng, length, 2048)
        expected = _python(lambda: inputs.data(start, end))
        got = vy.call("read", ["bytes", "bytes32", "uint256", "uint256", "uint256"],
                      [_pieces(proofs), root, length, start, end], ["bytes"])
        assert (got if got == REVERT else got[0]) == expected, f"case {case}"


# -- RLP items at offsets --------------------------------------------------------------


def _random_item(rng: random.Random, depth: int = 0) -> bytes:
    """An RLP item, canonical or not: short and long strings and lists, single bytes,
    non-canonical single bytes, long forms for short payloads, leading zeros in lengths,
    integers with leading zeros, truncated lengths."""
    roll = rng.randrange(12)
    if roll == 0:
        return bytes([rng.randrange(0x80)])
    if roll == 1:
        return rlp.encode(rng.randbytes(rng.choice([0, 1, 2, 8, 9, 55, 56, 300])))
    if roll == 2:
        return rlp.encode(rng.randrange(2 ** rng.choice([8, 32, 64, 65, 72])))
    if roll == 3 and depth < 2:
        return _list([_random_item(rng, depth + 1) for _ in range(rng.randrange(5))])
    if roll == 4:  # a single byte below 0x80 as a one-byte string
        return bytes([0x81, rng.randrange(0x80)])
    if roll == 5:  # long form for a short payload
        n = rng.randrange(56)
        return bytes([0xB8, n]) + rng.randbytes(n)
    if roll == 6:  # a long length with a leading zero
        return bytes([0xB9, 0, 60]) + rng.randbytes(60)
    if roll == 7:  # an integer with a leading zero
        return bytes([0x82, 0, rng.randrange(256)])
    if roll == 8:  # a long list
        return _list([rlp.encode(rng.randbytes(30)) for _ in range(rng.randrange(2, 5))])
    if roll == 9:  # a length running far past
        return bytes([rng.choice([0xBF, 0xFF])]) + rng.randbytes(8)
    if roll == 10:  # a block item
        return rlp.encode([rng.randrange(2**40), rng.randrange(300), rng.randrange(40),
                           [rng.randbytes(rng.randrange(120)) for _ in range(rng.randrange(4))]])
    return rng.randbytes(rng.randrange(1, 4))


def _list(items: list[bytes]) -> bytes:
    payload = b"".join(items)
    if len(payload) < 56:
        return bytes([0xC0 + len(payload)]) + payload
    size = (len(payload).bit_length() + 7) // 8
    return bytes([0xF7 + size]) + len(payload).to_bytes(size, "big") + payload


def _stream(rng: random.Random) -> bytes:
    return b"".join(_random_item(rng) for _ in range(rng.randrange(1, 12)))


def _honest(data: bytes, read) -> list[ChunkProof]:
    """The pieces a prover would send for what ``read`` reads (as ``StepProof.build``)."""
    record = _record(data)
    recording = RecordingInputs(MemoryInputs(record, data, (), ()))
    try:
        read(recording.data, recording)
    except RlpStreamError:
        pass
    return [prove_range(data, s, e) for s, e in _merge(recording.ranges)]


def _check_read(vy: Harness, rng: random.Random, data: bytes, python_read, call) -> str:
    """Run a read with the honest proof (never refused), then with random pieces."""
    root, length = chunks_root(data), len(data)
    outcomes = []
    for honest in (True, False):
        if honest:
            proofs = _honest(data, python_read)
        else:
            proofs = [prove_range(data, *_random_range(rng, length, 64)) for _ in range(rng.randrange(3))]
        inputs = ProofInputs(_record(data), {p.start: verify_range(root, length, p) for p in proofs}, {}, {})
        expected = _python(lambda: python_read(inputs.data, inputs))
        got = call(_pieces(proofs), root, length)
        assert got == expected, f"honest={honest}: {got} != {expected}"
        if honest:
            assert got != REVERT
        outcomes.append(expected)
    return outcomes[0]


def test_read_item_matches_rlp_stream(vy: Harness) -> None:
    rng = random.Random(14)
    seen = set()
    for case in range(300):
        data = _stream(rng)
        offset = rng.randrange(len(data) + 1)
        end = rng.choice([len(data), rng.randrange(offset, len(data) + 1)])

        def python_read(read, _inputs):
            item = read_item(read, offset, end)
            return (item.is_list, item.start, item.end)

        def call(pieces, root, length):
            got = vy.call("read_item", ["bytes", "bytes32", "uint256", "uint256", "uint256"],
                          [pieces, root, length, offset, end], ["bool", "(bool,uint256,uint256)"])
            if got == REVERT:
                return got
            return tuple(got[1]) if got[0] else NOT_ITEM

        seen.add(_check_read(vy, rng, data, python_read, call) == NOT_ITEM)
    assert seen == {True, False}


def test_read_uint_matches_rlp_stream(vy: Harness) -> None:
    rng = random.Random(15)
    seen = set()
    for case in range(300):
        data = _stream(rng)
        offset = rng.randrange(len(data))
        max_bytes = rng.choice([8, 32])

        def python_read(read, _inputs):
            return read_uint(read, offset, len(data), max_bytes)

        def call(pieces, root, length):
            got = vy.call("read_uint", ["bytes", "bytes32", "uint256", "uint256", "uint256", "uint256"],
                          [pieces, root, length, offset, len(data), max_bytes], ["bool", "uint256", "uint256"])
            if got == REVERT:
                return got
            return (got[1], got[2]) if got[0] else NOT_ITEM

        seen.add(_check_read(vy, rng, data, python_read, call) == NOT_ITEM)
    assert seen == {True, False}


def test_block_headers_match(vy: Harness) -> None:
    rng = random.Random(16)
    kinds = set()
    for case in range(300):
        items = [_random_item(rng) for _ in range(rng.randrange(1, 6))]
        if rng.random() < 0.5:  # mostly block-like items, some broken
            header = [rng.randrange(2 ** rng.choice([8, 40, 64, 65])) for _ in range(3)]
            txs = [rng.randbytes(rng.randrange(100)) for _ in range(rng.randrange(3))]
            block = rlp.encode(header + [txs]) if rng.random() < 0.7 else rlp.encode(header + [txs, b"x"])
            items.insert(rng.randrange(len(items) + 1), block)
        data = b"".join(items)
        offset = rng.choice([0, rng.randrange(len(data))] + [len(b"".join(items[:i])) for i in range(len(items))])

        def python_read(read, inputs):
            return _read_header(inputs, offset)

        def call(pieces, root, length):
            got = vy.call("read_header", ["bytes", "bytes32", "uint256", "uint256"],
                          [pieces, root, length, offset], ["bool", "(uint256,uint256,uint256,uint256,uint256)"])
            if got == REVERT:
                return got
            return tuple(got[1]) if got[0] else NOT_ITEM

        kinds.add(_check_read(vy, rng, data, python_read, call) == NOT_ITEM)
    assert kinds == {True, False}


# -- arithmetic and the deposit envelope -----------------------------------------------


def test_block_time_and_queue_limit_match(vy: Harness) -> None:
    rng = random.Random(17)
    edges = [0, 1, 59, 60, 61, 3_599, 3_600, 3_601, 2**63, 2**64 - 1]
    for _ in range(300):
        t, prev, l1 = (rng.choice(edges + [rng.randrange(2**34)]) for _ in range(3))
        assert vy.call("block_time", ["uint256"] * 3, [t, prev, l1], ["uint256"])[0] == block_time(t, prev, l1)
        start, seen, cap = rng.randrange(1000), rng.randrange(1000), rng.choice([32, 256])
        assert vy.call("queue_limit", ["uint256"] * 3, [start, seen, cap], ["uint256"])[0] == queue_limit(start, seen, cap)
        x, low, high = (rng.randrange(100) for _ in range(3))
        assert vy.call("clamp", ["uint256"] * 3, [x, low, high], ["uint256"])[0] == clamp(x, low, high)


def test_deposit_envelope_matches(vy: Harness) -> None:
    rng = random.Random(18)
    for _ in range(100):
        index = rng.choice([0, 1, 127, 128, 2**63, 2**64 - 1, 2**64, rng.randrange(2**20)])
        amount = rng.choice([1, 2**63 - 1, 2**64, rng.randrange(2**40)])
        recipient = rng.choice([bytes(20), rng.randbytes(20)])
        try:
            expected = deposit_tx(L1Deposit(index, recipient, amount, 0, 0))
        except ValueError:
            expected = REVERT
        got = vy.call("deposit_tx", ["uint256", "address", "uint256"], [index, recipient, amount], ["bytes"])
        assert (got if got == REVERT else got[0]) == expected


# -- the inputs of a step against the real L1 contracts ----------------------------------

OPENED = ["(uint256,uint256,uint256,uint256,uint256,uint256)", "uint256", "(uint256,address,uint256,uint256)[]",
          "(uint256,uint256,uint256,uint256)[]"]


def test_inputs_open_against_the_real_l1_contracts(vy: Harness) -> None:
    """Entries queued by the real portal and forced queue, and a batch appended to the real
    inbox, open in the verifier; any entry or record that differs from L1 storage, an entry
    the batch cannot see, or a malformed encoding is refused."""
    l1 = RealL1(vy.runner)
    rng = random.Random(19)
    deposits = [l1.deposit(rng.randbytes(20), rng.randrange(1, 2**63)) for _ in range(3)]
    l1.at(l1.time + 12)
    forced = [l1.force(rng.randbytes(rng.randrange(1, 2049))) for _ in range(2)]
    l1.at(l1.time + 12)
    data = rng.randbytes(5000)
    record = l1.append(data, 77)
    late_deposit = l1.deposit(rng.randbytes(20), 5)  # queued after the batch: not visible to it
    late_forced = l1.force(b"\x01late")
    pieces = [prove_range(data, 1000, 3100)]

    def open_(inputs: bytes, batch: int = record.index):
        return vy.call("open", ["bytes", "uint256", "address", "address", "address"],
                       [inputs, batch, l1.inbox, l1.portal, l1.forced], OPENED)

    got = open_(encode_inputs(pieces, deposits[1:], forced))
    assert got != REVERT
    rec, n_pieces, opened_deposits, opened_forced = got
    assert rec == (record.index, record.length, record.time, record.deposits_seen, record.forced_seen, 77)
    assert n_pieces == 1
    assert [(i, bytes.fromhex(r[2:]), a, t) for i, r, a, t in opened_deposits] == \
        [(d.index, d.recipient, d.amount_e6, d.deadline) for d in deposits[1:]]
    assert [(i, t, size) for i, t, _at, size in opened_forced] == [(f.index, f.deadline, len(f.raw_tx)) for f in forced]
    assert open_(b"") != REVERT  # a step that reads nothing

    d, f = deposits[0], forced[0]
    refused = {
        "deposit amount": encode_inputs(pieces, [replace(d, amount_e6=d.amount_e6 + 1)], []),
        "deposit recipient": encode_inputs(pieces, [replace(d, recipient=bytes(20))], []),
        "deposit deadline": encode_inputs(pieces, [replace(d, deadline=d.deadline + 1)], []),
        "deposit index": encode_inputs(pieces, [replace(d, index=1)], []),
        "deposit not seen": encode_inputs(pieces, [late_deposit], []),
        "forced tx": encode_inputs(pieces, [], [replace(f, raw_tx=f.raw_tx[:-1])]),
        "forced deadline": encode_inputs(pieces, [], [replace(f, deadline=f.deadline - 1)]),
        "forced not seen": encode_inputs(pieces, [], [late_forced]),
        "another batch's bytes": encode_inputs([prove_range(rng.randbytes(5000), 0, 10)], [], []),
        "trailing byte": encode_inputs(pieces, [d], []) + b"\x00",
        "truncated": encode_inputs(pieces, [d], [f])[:-1],
    }
    for what, inputs in refused.items():
        assert open_(inputs) == REVERT, what
    assert open_(encode_inputs(pieces, [], []), batch=record.index + 1) == REVERT  # no such batch
