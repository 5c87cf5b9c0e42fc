"""Batches for trace tests: property workloads posted as batches with L1 queues, and the
node's fast-path derivation of them (``rules.derive_batch`` + ``apply_block``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import rlp

from node.derivation.rules import ChainTip, L1View, derive_batch
from node.l1.batch_codec import decode_batch
from node.stf import keys
from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.l1_inputs import BatchRecord, L1Deposit, L1Forced, deposit_tx
from node.stf.state import State
from node.wallet import address_of
from prover.client.inputs import MemoryInputs
from tests.node.stf.harness import EXPIRY_25DEC26, EXPIRY_29JAN27, Chain
from tests.node.stf.test_block_properties import TRADERS, block_txs, random_workload


def clone(backend: MemoryBackend) -> MemoryBackend:
    copy = MemoryBackend()
    copy.apply(dict(backend.values))
    return copy


def encode_blocks(blocks: list[tuple[int, int, int, list[bytes]]]) -> bytes:
    """Batch data: block items ``[timestamp, deposits_through, forced_through, [tx, ...]]``."""
    return b"".join(rlp.encode([ts, dt, ft, list(txs)]) for ts, dt, ft, txs in blocks)


@dataclass
class Batch:
    index: int
    blocks: list[tuple[int, int, int, list[bytes]]]
    time: int
    data: bytes = b""
    deposits_seen: int = 0
    forced_seen: int = 0

    last_l2_block: int = 2**63

    def record(self) -> BatchRecord:
        return BatchRecord(self.index, len(self.data), self.time, self.deposits_seen, self.forced_seen,
                           self.last_l2_block)


@dataclass
class Scenario:
    """A funded market (``chain``'s committed state as the genesis of the scenario), its
    L1 queues and batches."""

    chain: Chain
    ids: list[int]
    keys: dict[str, bytes]
    deposits: list[L1Deposit] = field(default_factory=list)
    forced: list[L1Forced] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)

    @classmethod
    def market(cls) -> Scenario:
        chain = Chain()
        ids = chain.market(series=(
            (EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 2800, False), (EXPIRY_29JAN27, 3200, True),
        ))
        keys_ = {name: chain.trader(name, 50_000) for name in TRADERS}
        credited = [L1Deposit(i, bytes(20), 1, 0, 0) for i in range(chain.deposits)]  # set-up deposits, applied
        return cls(chain, ids, keys_, deposits=credited)

    def inputs(self, batch: Batch) -> MemoryInputs:
        return MemoryInputs(batch.record(), batch.data, self.deposits, self.forced)

    def build(self, seed: int, n_batches: int, blocks_per_batch: int, per_block: int) -> None:
        """Random batches: trading blocks, deposits declared or only due, forced
        transactions (signed, garbage and unsigned envelopes), and now and then a batch
        cut short by a malformed item, or an empty one whose due entries need blocks of
        their own."""
        rng = random.Random(seed)
        chain = self.chain
        workload = random_workload(seed, n_batches * blocks_per_batch, per_block)
        declared_deposits = len(self.deposits)
        declared_forced = 0
        for b in range(n_batches):
            blocks = []
            for k in range(blocks_per_batch):
                chain.time += 60
                txs = block_txs(chain, self.ids, self.keys, workload[b * blocks_per_batch + k])
                if rng.random() < 0.5:  # an L1 deposit, declared by the block
                    who = address_of(self.keys[rng.choice(TRADERS)])
                    self.deposits.append(L1Deposit(len(self.deposits), who,
                                                   rng.randint(1, 5_000) * 10**6, chain.time + 600, 0))
                    declared_deposits = len(self.deposits)
                if rng.random() < 0.3:  # a forced transaction, declared by the block
                    who = self.keys[rng.choice(TRADERS)]
                    raw = rng.choice([chain.withdraw(who, rng.randint(1, 500)), rng.randbytes(12),
                                      deposit_tx(L1Deposit(0, address_of(who), 10**12, 0, 0))])
                    self.forced.append(L1Forced(len(self.forced), raw, chain.time + 600, 0))
                    declared_forced = len(self.forced)
                blocks.append((chain.time, declared_deposits, declared_forced, txs))
            l1_time = chain.time + 5
            if rng.random() < 0.3:  # deposits and forced entries queued long ago: due, undeclared
                who = address_of(self.keys[rng.choice(TRADERS)])
                self.deposits.append(L1Deposit(len(self.deposits), who, 7 * 10**6, l1_time - 1, 0))
                self.forced.append(L1Forced(len(self.forced), chain.withdraw(self.keys["alice"], 1), l1_time - 1, 0))
            data = encode_blocks(blocks)
            roll = rng.random()
            if roll < 0.1:
                data = data[: rng.randrange(len(data))]  # cut: the batch ends at the break
            elif roll < 0.15:
                data = b""
            batch = Batch(len(self.batches), blocks, l1_time, data,
                          len(self.deposits), len(self.forced))
            self.batches.append(batch)


def fast_path(scenario: Scenario, backend: MemoryBackend, batch: Batch, results: list | None = None) -> bytes:
    """The node's derivation of ``batch`` on ``backend`` (``batch_codec.decode_batch``,
    ``rules.derive_batch``, ``apply_block``, as the follower does); the state root after it.
    Each block's ``BlockResult`` is appended to ``results`` when given."""
    state = State(backend)
    globals_ = state.get(keys.GLOBALS)
    tip = ChainTip(globals_.last_block_number, globals_.last_block_time, globals_.next_deposit_index,
                   globals_.next_forced_index)
    decoded = decode_batch(batch.data)
    view = L1View(batch.time, scenario.deposits, scenario.forced, batch.deposits_seen, batch.forced_seen)
    for derived in derive_batch(tip, decoded.blocks, batch.last_l2_block, view, decoded.reason).blocks:
        result = apply_block(state, BlockEnv(derived.number, derived.timestamp, derived.forced_through,
                                             derived.deposits_through), derived.txs)
        if results is not None:
            results.append(result)
    return backend.root()
