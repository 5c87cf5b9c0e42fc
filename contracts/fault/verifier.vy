# pragma version 0.4.3
"""
@title verifier
@notice The one-step verifier: `step(pre_claim, proof) -> post_claim` computes what the Python
        STF's step computes (`STEPS[cursor.phase](state, cursor, io)` then `commit_block()`,
        `prover/client/proof.py::StepProof.verify`), by forwarding the proof to the family
        contract of the cursor's phase.
@dev `proof` is the ABI encoding of a family's `run(pre_root, cursor, nodes, inputs)` arguments
     in the canonical layout (`prover/l1/calldata.py`): head words pre_root, 0x80, then the
     cursor's bytes from offset 0x80. The verifier checks `pre_claim == keccak256(pre_root ||
     keccak256(cursor))`, reads the phase (the cursor's first item) and, for `BODY`, the
     transaction kind (the first byte of `cursor.tx`), calls `run` on the family registered
     for it at deployment, and returns `keccak256(post_root || keccak256(post_cursor))`. The
     family decodes the cursor strictly; the verifier only reads the two dispatch keys.
     Registry keys: the phase, or `BODY_KEY_BASE + kind` for `BODY`.
"""

import lib.rlp as rlp
import fault.lib.cursor as cursor

# The proof's ABI bytes (cursor, witness nodes, inputs): memory gas grows with it. 256 KiB: the
# widest cursor (cursor.MAX_WIDE_CURSOR, a margin fold's, 115,526 bytes) and a witness of
# ~146 KB (the widest margin step's 18 keys, ~10 nodes deep, measured ~20 KB on test chains).
MAX_PROOF: constant(uint256) = 262144
MAX_FAMILIES: constant(uint256) = 64
BODY: constant(uint256) = 10  # node/stf/steps.py Phase.BODY
MARGIN: constant(uint256) = 40  # node/stf/margin_steps.py MarginPhase: the wide cursors' steps
MARGIN_FOLD: constant(uint256) = 41
BODY_KEY_BASE: constant(uint256) = 1 << 16  # key of BODY for transaction kind k: BODY_KEY_BASE + k
CURSOR_AT: constant(uint256) = 160  # the cursor's bytes in the canonical layout: 4 head words + its length

family_of: public(HashMap[uint256, address])


@deploy
def __init__(keys: DynArray[uint256, MAX_FAMILIES], families: DynArray[address, MAX_FAMILIES]):
    """
    @param keys Dispatch keys (phases, or BODY_KEY_BASE + transaction kind).
    @param families The family contract of each key.
    """
    assert len(keys) == len(families), "verifier: keys and families differ in length"
    for i: uint256 in range(MAX_FAMILIES):
        if i >= len(keys):
            break
        assert self.family_of[keys[i]] == empty(address), "verifier: key registered twice"
        self.family_of[keys[i]] = families[i]


@external
def step(pre_claim: bytes32, proof: Bytes[MAX_PROOF]) -> bytes32:
    """
    @notice The post-claim of the step `proof` proves from `pre_claim`; reverts if the proof
            does not fit `pre_claim` or the family refuses it.
    """
    assert len(proof) >= 6 * 32, "verifier: proof too short"
    pre_root: bytes32 = empty(bytes32)
    assert convert(extract32(proof, 32), uint256) == 128, "verifier: not the canonical layout"
    n: uint256 = convert(extract32(proof, 128), uint256)
    assert n > 0 and n <= cursor.MAX_WIDE_CURSOR, "verifier: cursor length"
    # the canonical layout has the nodes' and the inputs' tails (>= 64 bytes) after the cursor,
    # so reading 32-byte words of the cursor stays inside `proof`
    assert convert(extract32(proof, 64), uint256) == CURSOR_AT + (n + 31) // 32 * 32, "verifier: not the canonical layout"
    assert convert(extract32(proof, 96), uint256) > convert(extract32(proof, 64), uint256), "verifier: not the canonical layout"
    pre_root = extract32(proof, 0)
    # the dispatch key (reads `proof` in calldata: an internal call would copy it)
    top: rlp.Item = rlp.header(extract32(proof, CURSOR_AT), 0, n)
    assert top.is_list and top.end == n, "verifier: the cursor is not one RLP list"
    phase: uint256 = 0
    pos: uint256 = 0
    phase, pos = cursor._int_item(extract32(proof, CURSOR_AT + top.offset),
                                  extract32(proof, CURSOR_AT + top.offset + 1), top.offset, n)
    key: uint256 = phase
    if phase == BODY:
        for i: uint256 in range(4):  # block, time, tx_index, outer
            pos = rlp.header(extract32(proof, CURSOR_AT + pos), pos, n).end
        item: rlp.Item = rlp.header(extract32(proof, CURSOR_AT + pos), pos, n)
        assert not item.is_list and item.length > 0, "verifier: BODY without a transaction"
        key = BODY_KEY_BASE + (convert(extract32(proof, CURSOR_AT + item.offset), uint256) >> 248)
    family: address = self.family_of[key]
    assert family != empty(address), concat("verifier: no step for phase ", uint2str(phase))
    # The claim on the cursor: its words read from calldata (an `abi_decode` of `proof` would
    # refuse the proof's tail past the decoded type, and a `slice` of `proof` would reserve a
    # MAX_PROOF-sized buffer). Only the margin steps' cursors (pre and post) may be longer
    # than cursor.MAX_CURSOR: the other steps run with buffers of that size, allocated first
    # (memory gas grows with the highest address touched).
    if phase != MARGIN and phase != MARGIN_FOLD:
        assert n <= cursor.MAX_CURSOR, "verifier: cursor length"
        words: DynArray[bytes32, cursor.MAX_CURSOR // 32] = []
        for k: uint256 in range(cursor.MAX_CURSOR // 32):
            if 32 * k >= n:
                break
            words.append(extract32(proof, CURSOR_AT + 32 * k))
        assert keccak256(concat(pre_root, keccak256(slice(abi_encode(words), 64, n)))) == pre_claim, \
            "verifier: pre_claim is not keccak(pre_root || keccak(cursor))"
        out: Bytes[cursor.MAX_CURSOR + 128] = raw_call(
            family, concat(method_id("run(bytes32,bytes,bytes[],bytes)"), proof),
            max_outsize=cursor.MAX_CURSOR + 128)
        post_root: bytes32 = empty(bytes32)
        post_cursor: Bytes[cursor.MAX_CURSOR] = b""
        post_root, post_cursor = abi_decode(out, (bytes32, Bytes[cursor.MAX_CURSOR]))
        return keccak256(concat(post_root, keccak256(post_cursor)))
    # The margin steps: buffers of cursor.MAX_WIDE_CURSOR, few (memory gas): the forwarded proof,
    # the answer decoded in place, and the pre-cursor's bytes taken from the forwarded proof
    # last (only its length is touched).
    fwd: Bytes[MAX_PROOF + 4] = concat(method_id("run(bytes32,bytes,bytes[],bytes)"), proof)
    wide_root: bytes32 = empty(bytes32)
    wide_cursor: Bytes[cursor.MAX_WIDE_CURSOR] = b""
    wide_root, wide_cursor = abi_decode(raw_call(family, fwd, max_outsize=cursor.MAX_WIDE_CURSOR + 128),
                                        (bytes32, Bytes[cursor.MAX_WIDE_CURSOR]))
    assert keccak256(concat(pre_root, keccak256(slice(fwd, 4 + CURSOR_AT, n)))) == pre_claim, \
        "verifier: pre_claim is not keccak(pre_root || keccak(cursor))"
    return keccak256(concat(wide_root, keccak256(wide_cursor)))
