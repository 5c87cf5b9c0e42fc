"""Deterministic blocks for store tests, and a harness chain that stores each block in LMDB.

``make_blocks(n, per_block, seed)`` returns the raw transactions of blocks 1..n: a set-up
(deposits, listings, an oracle update) then random traffic — resting and crossing orders,
IOC, cancels by client order id, cancel-all, withdrawals, oracle updates, undecodable
bytes and replayed transactions (same hash twice). Signatures are deterministic
(RFC 6979), so every process generating the same blocks gets the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from node.stf.block import BlockEnv, BlockResult, apply_block
from node.stf.backends import MemoryBackend
from node.stf.state import State
from node.store import LmdbBackend
from node.wallet import address_of
from tests.node.stf.harness import EXPIRY_25DEC26, EXPIRY_29JAN27, T0, Chain, private_key

STRIKES = (2800, 3000, 3200)
SERIES = tuple((e, k, c) for e in (EXPIRY_25DEC26, EXPIRY_29JAN27) for k in STRIKES for c in (True, False))
N_TRADERS = 8


def env(number: int) -> BlockEnv:
    """Block ``number``'s header fields: one second apart from genesis."""
    return BlockEnv(number, T0 + number)


def make_blocks(n_blocks: int, per_block: int = 20, seed: int = 7) -> list[list[bytes]]:
    signer = Chain()  # only its signing helpers and counters are used
    rng = random.Random(seed)
    traders = [private_key(f"trader{i}") for i in range(N_TRADERS)]
    setup = [signer.deposit(address_of(k), 1_000_000) for k in traders]
    setup += [signer.listing(1, e, k, c) for e, k, c in SERIES]
    setup.append(signer.oracle(1, 3000, expiries=(EXPIRY_25DEC26, EXPIRY_29JAN27), observed=env(1).timestamp))
    blocks = [setup]
    instruments = list(range(1, len(SERIES) + 1))
    client_ids: dict[int, list[int]] = {i: [] for i in range(N_TRADERS)}
    next_client = 1
    previous: list[bytes] = []
    while len(blocks) < n_blocks:
        txs: list[bytes] = []
        for _ in range(per_block):
            roll = rng.random()
            who = rng.randrange(N_TRADERS)
            key = traders[who]
            if roll < 0.55:
                inst = rng.choice(instruments)
                side = rng.randrange(2)
                price = round(rng.uniform(50, 350), 1)
                tif = 1 if roll < 0.08 else 0
                cid = next_client
                next_client += 1
                client_ids[who].append(cid)
                txs.append(signer.order(key, inst, side, price, rng.randint(1, 20) / 10, tif=tif, client_order_id=cid))
            elif roll < 0.75 and client_ids[who]:
                cid = client_ids[who].pop(rng.randrange(len(client_ids[who])))
                txs.append(signer.cancel(key, client_order_id=cid))
            elif roll < 0.78:
                txs.append(signer.cancel_all(key, rng.choice([0] + instruments)))
                client_ids[who].clear()
            elif roll < 0.82:
                txs.append(signer.withdraw(key, rng.randint(1, 100)))
            elif roll < 0.85:
                txs.append(signer.oracle(1, rng.randint(2900, 3100), expiries=(EXPIRY_25DEC26, EXPIRY_29JAN27),
                                         observed=env(len(blocks) + 1).timestamp))
            elif roll < 0.88:
                txs.append(signer.deposit(address_of(key), rng.randint(1, 1000)))
            elif roll < 0.91:
                txs.append(rng.randbytes(rng.randint(0, 40)))  # undecodable: a failure receipt
            elif roll < 0.94 and previous:
                txs.append(rng.choice(previous))  # a replay: same tx hash, NONCE_ALREADY_USED
            else:
                txs.append(signer.order(key, rng.choice(instruments), rng.randrange(2),
                                        round(rng.uniform(150, 250), 1), 0.5, tif=1))
        previous = txs
        blocks.append(txs)
    return blocks


@dataclass
class Replay:
    """A ``MemoryBackend`` chain replaying blocks (the reference)."""

    state: State
    number: int = 0

    @classmethod
    def fresh(cls) -> Replay:
        chain = Chain()  # genesis as in the harness
        return cls(chain.state)

    def apply(self, txs: list[bytes]) -> BlockResult:
        self.number += 1
        return apply_block(self.state, env(self.number), txs)

    @property
    def backend(self) -> MemoryBackend:
        return self.state.backend  # type: ignore[return-value]


def open_chain(backend: LmdbBackend) -> State:
    """A ``State`` on ``backend``; an empty store gets the harness genesis as block 0."""
    if backend.head() is None:
        chain = Chain(backend=backend)
        backend.commit_block(0, chain.genesis_time, [], [])
        return chain.state
    return State(backend)


def apply_and_commit(state: State, backend: LmdbBackend, number: int, txs: list[bytes]) -> BlockResult:
    result = apply_block(state, env(number), txs)
    backend.commit_block(number, env(number).timestamp, txs, result.receipts)
    return result
