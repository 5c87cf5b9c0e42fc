"""The tx family on L1 (``contracts/fault/steps_tx.vy`` and its pieces ``tx_start.vy``,
``tx_deposit.vy``) against the stepped Python rules: TX_START (``node/stf/machine.py::_tx_start``:
decoding, EIP-712 recovery under the Config's domain, the nonce) and the deposit's steps
(``node/stf/transfers.py``, DepositPhase DEPOSIT 93 and DEPOSIT_RECOVERY 94).

Every step of the workloads runs in Python and on the verifier as deployed
(``deploy_verifier`` on a revm with EIP-170's limit on, ``tests/fault/l1.py``) through the
differential driver, encoded by ``prover/l1/calldata.py``: post-claims equal, no step of the
family skipped. The workloads: random trading batches (every signed kind the random workload
sends, garbage and replays, forced transactions); every kind signed (ListInstrument and
Settle included); every decoding failure (bad signatures: y_parity 2, r = 0, r = n, s = 0,
high s, s >= n, a 33-byte scalar, an r that is no curve point; truncated, extended,
non-canonical, out-of-range, unknown and empty envelopes; another domain's signature);
nonces replayed, below the window, sliding it, at its top edge and the largest; deposits
to new, existing and auctioned accounts (recovered or not), a zero and an over-range
amount. Then mutations: a changed witness byte, a changed cursor field (Python's answer
either way: a post-claim or a refusal, and the verifier's is the same), a cursor that does
not match the pre-claim. A few steps on py-evm. Worst-case gas per kind.
"""

from __future__ import annotations

import dataclasses
import random
import re
from typing import Final

import pytest
import rlp

from node.stf import keys as state_keys
from node.stf.cursor import Cursor, claim_of, decode_cursor, encode_cursor
from node.stf.eip712 import Domain
from node.stf.l1_inputs import L1Deposit, L1Forced, deposit_tx
from node.stf.params import MAX_OPEN_ORDERS
from node.stf.recover import SECP256K1_N
from node.stf.records import Auction
from node.stf.state import State
from node.stf.tx_codec import MAX_TX_BYTES, TxDecodeError, decode_unsigned, encode_tx
from node.stf.txtypes import (
    CancelOrder,
    Deposit,
    ListInstrument,
    OracleUpdate,
    PlaceOrder,
    Settle,
    Side,
    VolPoint,
    Withdraw,
)
from node.wallet import address_of, sign_tx
from prover.client.proof import ProofRefused
from prover.client.trace import TraceRun
from prover.l1.deploy import dispatch_key
from prover.l1.differential import Driver, Report
from prover.l1.verifier import StepRefused, run_step
from tests.fault.l1 import l1_post, verifier
from tests.node.stf.harness import ADMIN, EXPIRY_25DEC26, EXPIRY_29JAN27, ORACLE
from tests.node.stf.test_block_properties import TRADERS
from tests.node.stf.test_tx_codec import non_residue_x
from tests.prover.test_steps_place import _scenario
from tests.prover.test_steps_risk import post, risk_market
from tests.prover.workload import Scenario, clone, fast_path

TX_START, DEPOSIT, DEPOSIT_RECOVERY = 1, 93, 94
TX_KINDS: Final = ("TX_START", "DEPOSIT", "DEPOSIT_RECOVERY")
GAS_TARGET: Final = 3_000_000  # common.md: every step's whole transaction


def _run(scenario: Scenario) -> Report:
    """Every step of ``scenario`` through the driver on the deployed verifier: no divergence
    of any kind run on L1, no step of this family skipped."""
    runner, deployment = verifier()
    report = Driver(runner, deployment).run_batches(
        clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches])
    print(report.table())
    assert not report.divergences, [(d.kind, d.detail, d.batch, d.position) for d in report.divergences]
    for kind in TX_KINDS:
        stats = report.kinds.get(kind)
        if stats:
            assert stats.skipped == 0, kind
            assert stats.gas_max <= GAS_TARGET, (kind, stats.gas_max)
    return report


def _receipt_codes(scenario: Scenario) -> list[int]:
    """The failure codes of every receipt of the scenario's batches, on the node's path (to
    show which failures a workload exercised)."""
    backend = clone(scenario.chain.backend)
    results: list = []
    for batch in scenario.batches:
        fast_path(scenario, backend, batch, results)
    return [int(r.code) for block in results for r in block.receipts]


def _proofs(scenario: Scenario) -> list:
    """Every step proof of ``scenario``'s batches, traced from its genesis."""
    traced = clone(scenario.chain.backend)
    proofs: list = []
    for batch in scenario.batches:
        TraceRun(traced, batch.index, scenario.inputs(batch)).run(lambda _b: None, on_proof=proofs.append)
    return proofs


def _block(scenario: Scenario, txs: list[bytes]) -> None:
    """A batch of one block of ``txs`` (60 s later), declaring every queued entry."""
    scenario.chain.time += 60
    post(scenario, [(scenario.chain.time, txs)])


def _deposit(scenario: Scenario, recipient: bytes, amount_e6: int) -> None:
    """Queue an L1 deposit (due long ago: the next block takes it)."""
    scenario.deposits.append(L1Deposit(len(scenario.deposits), recipient, amount_e6, 0, 0))


# --- envelopes ------------------------------------------------------------------------


def _items(raw: bytes) -> list:
    return rlp.decode(raw[1:])


def _envelope(kind: int, items: list) -> bytes:
    return bytes([kind]) + rlp.encode(items)


def _with(raw: bytes, index: int, value) -> bytes:
    """``raw`` with RLP item ``index`` replaced by ``value`` (an int, bytes or a list)."""
    items = _items(raw)
    items[index] = value
    return _envelope(raw[0], items)


def bad_signatures(raw: bytes) -> list[bytes]:
    """``raw`` (a signed envelope) with every kind of refused signature."""
    body, (y_parity, r, s) = decode_unsigned(raw)
    n = len(_items(raw))
    y, ri, si = n - 3, n - 2, n - 1
    return [
        _with(raw, y, 2),  # y_parity not a bit
        _with(raw, ri, 0),  # r = 0
        _with(raw, ri, SECP256K1_N),  # r = n
        _with(raw, si, 0),  # s = 0
        encode_tx(body, (y_parity ^ 1, r, SECP256K1_N - s)),  # high s (the same signature, malleated)
        _with(raw, si, SECP256K1_N + 1),  # s >= n
        _with(raw, ri, b"\x01" * 33),  # a 33-byte scalar
        _with(_with(raw, ri, non_residue_x()), si, 1),  # r is no curve point's x: nothing recovers
        _with(raw, si, s ^ 1),  # another valid scalar: recovers another key (a new account)
    ]


def malformed(raw: bytes, rng: random.Random) -> list[bytes]:
    """``raw`` (a valid envelope) made every kind of undecodable."""
    items = _items(raw)
    nonce = items[0]
    return [
        raw[:-1],  # truncated
        raw + b"\x00",  # a byte after the list
        bytes([raw[0]]) + rlp.encode(items + [b"\x01"]),  # one item too many
        bytes([raw[0]]) + rlp.encode(items[:-1]),  # one too few
        _with(raw, 0, b"\x00" + nonce),  # an integer with a leading zero
        _with(raw, 0, [nonce]),  # a list for an integer
        _with(raw, 0, (2**64).to_bytes(9, "big")),  # a uint64 out of range
        b"\x09" + raw[1:],  # an unknown type
        b"\x00" + raw[1:],
        b"",  # empty
        bytes([raw[0]]),  # only the type
        bytes([raw[0]]) + b"\xf9\x00\x10" + raw[4:],  # a long header with a leading zero
        bytes([raw[0]]) + rng.randbytes(MAX_TX_BYTES - 1),  # the largest envelope: garbage
    ]


def largest_oracle_update(chain, key: bytes = ORACLE) -> bytes:
    """The longest valid envelope: an OracleUpdate of 16 surface points of the longest
    fields (a negative skew is 32 bytes), signed by ``key``."""
    surface = tuple(VolPoint(2**64 - 1 - i, 2**64 - 1, -(2**63), 2**64 - 1) for i in range(16))
    return chain.signed(key, OracleUpdate, underlying_id=2**32 - 1, sequence=2**64 - 1,
                        observation_time=2**64 - 1, index_price_e6=2**64 - 1, surface=surface)


def overlong_surface(raw: bytes) -> bytes:
    """``raw`` (an OracleUpdate) with as many copies of its surface's points as fit in
    MAX_TX_BYTES: every point is decoded to the end, then the count (> 16) is out of range."""
    items = _items(raw)
    points = list(items[5])
    while len(_with(raw, 5, points + points[:1])) <= MAX_TX_BYTES:
        points.append(points[len(points) % len(items[5])])
    return _with(raw, 5, points)


# --- workloads ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def random_scenario() -> Scenario:
    scenario = _scenario({name: 900 for name in TRADERS})
    scenario.build(seed=11, n_batches=3, blocks_per_batch=2, per_block=25)
    return scenario


def test_random_workload_tx_starts_and_deposits_equal_python(random_scenario) -> None:
    """Random trading batches (orders, cancels, cancel-alls, withdrawals, oracle updates,
    liquidations, garbage, replays), L1 deposits and forced transactions (signed, garbage;
    an unsigned one is skipped by derivation): every TX_START and DEPOSIT step equal."""
    report = _run(random_scenario)
    assert report.kinds["TX_START"].run > 100
    assert report.kinds["DEPOSIT"].run >= 2


def test_every_kind_and_every_decoding_failure_equal_python() -> None:
    """A signed envelope of every kind (the admin's listing, the oracle's update, a settle),
    each signed envelope with every refused signature, malformed envelopes of every kind,
    signatures for another chain id and another portal (they recover other senders: new
    accounts with a nonce), and forced garbage."""
    scenario = _scenario({"alice": 5_000, "bob": 5_000})
    chain, k, ids = scenario.chain, scenario.keys, scenario.ids
    rng = random.Random(3)
    bob = address_of(k["bob"])
    signed = [
        chain.order(k["alice"], ids[0], Side.BUY, 50, 0.5, client_order_id=7),
        chain.signed(k["alice"], CancelOrder, order_id=1, client_order_id=0),
        chain.cancel_all(k["bob"], ids[1]),
        chain.withdraw(k["bob"], 10),
        chain.oracle(1, 3010, expiries=(EXPIRY_25DEC26, EXPIRY_29JAN27)),
        chain.signed(ADMIN, ListInstrument, underlying_id=1, expiry=EXPIRY_29JAN27, strike_e6=3_300 * 10**6,
                     is_call=True, tick_size_e6=100_000, min_size_e6=100_000),
        chain.liquidate(k["alice"], bob, ids[0], 0.1),
        chain.signed(k["alice"], Settle, account=bob, instrument_id=ids[2]),
    ]
    _block(scenario, signed)
    bad = [b for raw in signed for b in bad_signatures(raw)]
    broken = [b for raw in signed + [deposit_tx(L1Deposit(0, bob, 1, 0, 0))] for b in malformed(raw, rng)]
    _block(scenario, bad)
    _block(scenario, broken)
    body = PlaceOrder(nonce=3, instrument_id=ids[0], side=0, price_e6=50 * 10**6, size_e6=100_000,
                      time_in_force=0, reduce_only=False, client_order_id=0, expiry=0)
    domain = chain.domain
    others = [sign_tx(k["alice"], body, Domain(domain.chain_id + 1, domain.verifying_contract)),
              sign_tx(k["alice"], body, Domain(domain.chain_id, b"\x01" * 20)),
              overlong_surface(chain.oracle(1, 3020))]  # FIELD_OUT_OF_RANGE (> 16 points)
    scenario.forced.append(L1Forced(0, rng.randbytes(40), 0, 0))
    scenario.forced.append(L1Forced(1, deposit_tx(L1Deposit(9, bob, 10**12, 0, 0)), 0, 0))  # skipped
    scenario.forced.append(L1Forced(2, chain.withdraw(k["alice"], 1), 0, 0))
    _block(scenario, others)
    report = _run(scenario)
    sent = [raw for raw in signed + bad + broken + others if raw[:1] != b"\x7e"]  # derivation skips unsigned ones
    assert report.kinds["TX_START"].run == len(sent) + 2  # and the two signed forced ones
    assert {0, 100, 101, 102, 108} <= set(_receipt_codes(scenario)), sorted(set(_receipt_codes(scenario)))


def test_nonce_window_edges_equal_python() -> None:
    """Nonces: in order, replayed, far ahead (the window slides), below the slid window
    (NONCE_OUT_OF_RANGE), the window's top edge, inside it out of order, the largest
    (2**64 - 1, then every smaller one is below the window), and an absent account's first."""
    scenario = _scenario({"alice": 5_000, "bob": 5_000})
    chain, k, ids = scenario.chain, scenario.keys, scenario.ids

    def order(key: bytes, nonce: int) -> bytes:
        return chain.order(key, ids[0], Side.BUY, 10, 0.1, nonce=nonce)

    first = order(k["alice"], 0)
    stranger = bytes.fromhex("11" * 32)
    _block(scenario, [first, first, order(k["alice"], 1), order(k["alice"], 1000), order(k["alice"], 744),
                      order(k["alice"], 745), order(k["alice"], 999), order(k["alice"], 1000),
                      order(k["alice"], 1000 + 255), order(k["alice"], 1001 + 255), order(k["alice"], 1001),
                      order(k["alice"], 1001)])
    _block(scenario, [order(k["bob"], 2**64 - 1), order(k["bob"], 2**64 - 256), order(k["bob"], 2**64 - 257),
                      order(k["bob"], 0), order(stranger, 5), order(stranger, 5)])
    report = _run(scenario)
    assert report.kinds["TX_START"].run == 18
    codes = _receipt_codes(scenario)
    assert codes.count(104) >= 3 and codes.count(105) >= 3, codes


@pytest.mark.parametrize("refused", [0, 2**63], ids=["zero", "over-range"])
def test_deposits_equal_python(refused: int) -> None:
    """Deposits: to an account that exists, to a new address, the largest amount, then one
    refused with ZERO_AMOUNT (ROLLBACK, no checkpoint); the queue position then stays, so
    the next one is DEPOSIT_OUT_OF_ORDER."""
    scenario = _scenario({"alice": 5_000})
    alice = address_of(scenario.keys["alice"])
    for recipient, amount in ((alice, 10**6), (b"\x42" * 20, 1), (alice, 2**63 - 1), (b"\x43" * 20, refused),
                              (alice, 5)):
        _deposit(scenario, recipient, amount)
    _block(scenario, [])
    report = _run(scenario)
    assert report.kinds["DEPOSIT"].run == 5
    assert report.kinds["ROLLBACK"].run == 2
    assert _receipt_codes(scenario) == [0, 0, 0, 501, 500]


def _auctions(scenario: Scenario, address: bytes) -> list[bool]:
    """After each batch of ``scenario`` (the node's path): is ``address`` under an auction."""
    backend = clone(scenario.chain.backend)
    out = []
    for batch in scenario.batches:
        fast_path(scenario, backend, batch)
        out.append(State(backend).get(state_keys.auction(address)) is not None)
    return out


def test_deposits_to_auctioned_accounts_equal_python() -> None:
    """Deposits to an account under a liquidation auction (``tests/prover/test_steps_risk``'s
    market): the auction opened, the index up so that a partial liquidation leaves the
    account under water (a deposit that leaves the balance negative reads no auction), one
    that makes it positive but not enough (the margin summary, DEPOSIT_RECOVERY, keeps the
    auction), one that ends it (DEPOSIT_RECOVERY deletes it)."""
    scenario, t, (call, _put) = risk_market()
    chain = scenario.chain
    seller, keeper = address_of(t["seller"]), t["keeper"]
    now = chain.time + 60
    post(scenario, [(now, [chain.oracle(1, 3300, observed=now), chain.liquidate(keeper, t["seller"], call, 0)])])
    post(scenario, [(now + 60, [chain.oracle(1, 6000, observed=now + 60), chain.liquidate(keeper, t["seller"], call, 0.5)])])
    for i, amount in enumerate((10**6, 800 * 10**6, 10**12)):
        _deposit(scenario, seller, amount)
        post(scenario, [(now + 120 + 60 * i, [])])
    report = _run(scenario)
    assert report.kinds["DEPOSIT"].run == 3
    assert report.kinds["DEPOSIT_RECOVERY"].run == 2
    assert _auctions(scenario, seller) == [True, True, True, True, False]


def test_deposit_to_an_auction_without_positions_equal_python() -> None:
    """``recovery_needs_sum``'s own end of an auction: an account with no position under an
    auction (written into the genesis here) is credited and its auction deleted in the
    DEPOSIT step; a deposit to an account without an auction reads it absent."""
    scenario = _scenario({"alice": 5_000, "bob": 5_000})
    alice, bob = (address_of(scenario.keys[name]) for name in ("alice", "bob"))
    state = State(scenario.chain.backend)
    state.put(state_keys.auction(alice), Auction(start_time=scenario.chain.time))
    state.commit_block()
    _deposit(scenario, alice, 10**6)
    _deposit(scenario, bob, 10**6)
    _block(scenario, [])
    report = _run(scenario)
    assert report.kinds["DEPOSIT"].run == 2 and "DEPOSIT_RECOVERY" not in report.kinds
    assert _auctions(scenario, alice) == [False]


# --- mutations ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ours(random_scenario) -> list:
    """Proofs of this family's steps, with a witness, from the random workload and the
    auctioned deposits."""
    scenario, t, (call, _put) = risk_market()
    chain = scenario.chain
    now = chain.time + 60
    post(scenario, [(now, [chain.oracle(1, 3300, observed=now), chain.liquidate(t["keeper"], t["seller"], call, 0)])])
    _deposit(scenario, address_of(t["seller"]), 5)  # not enough: the auction stays
    _deposit(scenario, address_of(t["seller"]), 10**12)  # ends it
    post(scenario, [(now + 60, [])])
    proofs = _proofs(random_scenario)[:400] + _proofs(scenario)
    return [p for p in proofs if dispatch_key(p.cursor) in (TX_START, DEPOSIT, DEPOSIT_RECOVERY) and p.nodes]


def _python_on_nodes(proof) -> bytes | None:
    """Python's post-claim on the state the proof's nodes show, or None if it refuses (or
    raises on a cursor no reachable state has: a summary of 4 registers, a deposit phase
    with another kind's envelope).

    L1 has no list of keys: it reads any key the nodes resolve (a changed sender's account
    proven absent by the nodes along its path, as the full state would answer). Python's
    re-execution also refuses a key outside the proof's list (``WitnessMissingKey``); such
    a key is added to the list and the step re-executed, so both sides read the same trie."""
    for _ in range(8):
        try:
            return proof.execute().post_claim
        except ProofRefused as exc:
            missing = re.search(r"WitnessMissingKey ([0-9a-f]+)", str(exc))
            if missing is None:
                return None
            proof = dataclasses.replace(proof, keys=proof.keys + (bytes.fromhex(missing.group(1)),))
        except (TxDecodeError, ValueError, LookupError, AttributeError, TypeError):
            return None
    raise AssertionError("a step that reads more than 8 keys outside its proof")


def _agree(proof) -> bytes | None:
    """Python's answer to ``proof`` (post-claim or None: refused) and the verifier's are equal."""
    expected = _python_on_nodes(proof)
    got, _gas = l1_post(proof)
    assert got == expected, (proof.kind, expected is None)
    return expected


def _recursor(proof, cursor: Cursor):
    """``proof`` with another pre-cursor (its pre-claim made for it), same witness."""
    return dataclasses.replace(proof, cursor=encode_cursor(cursor), pre_claim=claim_of(proof.pre_root, cursor))


def test_changed_witness_bytes_are_refused(ours) -> None:
    """A witness node with one byte changed, or dropped: Python refuses it, and so does L1."""
    rng = random.Random(5)
    refused = 0
    for proof in ours[::3]:
        for drop in (False, True):
            i = rng.randrange(len(proof.nodes))
            if drop:
                nodes = proof.nodes[:i] + proof.nodes[i + 1:]
            else:
                node = bytearray(proof.nodes[i])
                node[rng.randrange(1, len(node))] ^= 1 << rng.randrange(8)
                nodes = proof.nodes[:i] + (bytes(node),) + proof.nodes[i + 1:]
            if _agree(dataclasses.replace(proof, nodes=nodes)) is None:
                refused += 1
    assert refused >= 10, refused


def test_changed_cursor_fields_equal_python(ours) -> None:
    """Cursors changed field by field, each with its own pre-claim (the witness kept): the
    transaction's bytes (a flipped byte: another sender, whose account the witness lacks,
    or a decoding failure), the sender and hash (TX_START overwrites them), registers,
    stack and checkpoints (TX_START keeps them), a deposit's amount and index (another
    credit, DEPOSIT_OUT_OF_ORDER), a signed envelope or no envelope in a deposit phase, a
    summary of 4 or 6 registers. Python's answer and the verifier's are the same (a
    refusal on both counts)."""
    rng = random.Random(9)
    answered = refused = 0
    for proof in ours[::2]:
        c = decode_cursor(proof.cursor)
        variants = [c._replace(sender=b"\x05" * 20, tx_hash=b"\x06" * 32),
                    c._replace(regs=(1, -2)), c._replace(stack=((40, (3,)),)), c._replace(saved=(b"\x07" * 32,))]
        if c.tx:
            flipped = bytearray(c.tx)
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            variants.append(c._replace(tx=bytes(flipped)))
        if c.phase in (DEPOSIT, DEPOSIT_RECOVERY):
            d = decode_unsigned(c.tx)[0]
            variants += [c._replace(tx=encode_tx(Deposit(d.deposit_index, d.recipient, d.amount_e6 + 1), None)),
                         c._replace(tx=encode_tx(Deposit(d.deposit_index + 1, d.recipient, d.amount_e6), None)),
                         c._replace(tx=b""),
                         c._replace(tx=sign_tx(bytes.fromhex("22" * 32), Withdraw(0, 1, d.recipient),
                                               Domain(1, bytes(20))))]
        if c.phase == DEPOSIT_RECOVERY:
            variants += [c._replace(regs=c.regs[:4]), c._replace(regs=c.regs + (0,))]
        for variant in variants:
            if _agree(_recursor(proof, variant)) is None:
                refused += 1
            else:
                answered += 1
    assert answered >= 20 and refused >= 10, (answered, refused)


def test_a_cursor_that_is_not_the_pre_claims_is_refused(ours) -> None:
    """The pre-claim kept, the cursor changed (a sender set, a later index): refused."""
    runner, deployment = verifier()
    for proof in ours[:10]:
        c = decode_cursor(proof.cursor)
        for wrong in (c._replace(tx_index=c.tx_index + 1), c._replace(sender=b"\x01" * 20)):
            with pytest.raises(StepRefused, match="claim"):
                run_step(runner, deployment.verifier, dataclasses.replace(proof, cursor=encode_cursor(wrong)))


def test_py_evm_agrees_with_revm_on_tx_steps(ours) -> None:
    """The devnet's EVM (py-evm) gives the same post-claims on a few TX_START, DEPOSIT and
    DEPOSIT_RECOVERY steps."""
    from bridge.evm_call import EvmRunner
    from bridge.fault_contracts import deploy_verifier

    runner = EvmRunner()
    deployment = deploy_verifier(runner)
    picked: dict[int, list] = {}
    for proof in ours:
        picked.setdefault(decode_cursor(proof.cursor).phase, []).append(proof)
    assert set(picked) == {TX_START, DEPOSIT, DEPOSIT_RECOVERY}
    for phase, proofs in picked.items():
        for proof in proofs[:2]:
            assert run_step(runner, deployment.verifier, proof).post_claim == proof.post_claim, phase


# --- worst cases ----------------------------------------------------------------------


def test_worst_case_gas_per_kind(capsys) -> None:
    """The largest records and envelopes: a trader with MAX_OPEN_ORDERS resting orders (its
    account the widest a nonce write re-encodes) sends an order, a cancel and the longest
    valid envelope (an OracleUpdate of 16 points of the longest fields, its body then
    refused); the longest undecodable envelopes (2 KiB of surface points walked to the
    end, 2 KiB of garbage); a deposit to the widest account;
    and an auction recovery. Every step equal to Python; gas per kind printed and under the
    target."""
    scenario = _scenario({"alice": 10_000_000, "bob": 10_000})
    chain, k, ids = scenario.chain, scenario.keys, scenario.ids
    orders = [chain.order(k["alice"], ids[i % len(ids)], Side.BUY, 10 + i / 10, 0.1, client_order_id=i + 1)
              for i in range(MAX_OPEN_ORDERS)]
    _block(scenario, orders[:64])
    _block(scenario, orders[64:])
    alice = address_of(k["alice"])
    _deposit(scenario, alice, 10**6)
    garbage = b"\x05" + random.Random(1).randbytes(MAX_TX_BYTES - 1)
    _block(scenario, [chain.order(k["alice"], ids[0], Side.BUY, 1, 0.1), largest_oracle_update(chain),
                      largest_oracle_update(chain, k["alice"]),  # the longest envelope, the widest account
                      overlong_surface(largest_oracle_update(chain)), garbage, chain.cancel(k["alice"], order_id=1)])
    report = _run(scenario)
    risk, t, (call, _put) = risk_market()
    now = risk.chain.time + 60
    post(risk, [(now, [risk.chain.oracle(1, 3300, observed=now), risk.chain.liquidate(t["keeper"], t["seller"], call, 0)])])
    _deposit(risk, address_of(t["seller"]), 10**12)
    post(risk, [(now + 60, [])])
    recovery = _run(risk)
    with capsys.disabled():
        for name, rep in (("", report), ("auction ", recovery)):
            for kind in TX_KINDS:
                stats = rep.kinds.get(kind)
                if stats and stats.run:
                    print(f"tx worst case {name}{kind:<18} steps {stats.run:>4} gas max {stats.gas_max:>10,}")
