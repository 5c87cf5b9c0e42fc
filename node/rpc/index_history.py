"""``Query.GetIndexHistory``: each underlying's recent index path, from its oracle updates.

``IndexHistory`` observes the sequencer's committed blocks and records, for every successful
``OracleUpdate`` transaction (receipt code 0), the block's time and the new index price, in a
ring of the last ``points`` updates per underlying (memory only). At ``attach`` it is seeded by
walking the store back from the head (at most ``seed_blocks`` blocks, stopping once every ring
that appeared is full), so a restarted node (or a gateway opened later) still has a recent path.
A follower records the same updates as it imports blocks.
"""

from __future__ import annotations

from collections import deque
from typing import Final

from node.sequencer.sequencer import BlockObserver, L2Block, Sequencer
from node.stf.tx_codec import TxDecodeError, decode_unsigned
from node.stf.txtypes import OracleUpdate, SignedTx, TxType

DEFAULT_POINTS: Final = 1000
DEFAULT_SEED_BLOCKS: Final = 5000


class IndexHistory(BlockObserver):
    """``points(underlying_id)``: ``(time, index_e6)`` oldest first (module docstring)."""

    def __init__(self, sequencer: Sequencer, *, points: int = DEFAULT_POINTS,
                 seed_blocks: int = DEFAULT_SEED_BLOCKS) -> None:
        self.sequencer = sequencer
        self.capacity = points
        self.seed_blocks = seed_blocks
        self.rings: dict[int, deque[tuple[int, int]]] = {}

    def attach(self) -> "IndexHistory":
        self._seed()
        self.sequencer.add_observer(self)
        return self

    def detach(self) -> None:
        self.sequencer.remove_observer(self)

    def points(self, underlying_id: int) -> list[tuple[int, int]]:
        return list(self.rings.get(underlying_id, ()))

    def _record(self, time: int, body: OracleUpdate) -> None:
        ring = self.rings.get(body.underlying_id)
        if ring is None:
            ring = self.rings[body.underlying_id] = deque(maxlen=self.capacity)
        ring.append((time, body.index_price_e6))

    def on_block(self, block: L2Block, txs: tuple[SignedTx, ...]) -> None:
        for tx, receipt in zip(txs, block.receipts):
            if isinstance(tx.body, OracleUpdate) and receipt.code == 0:
                self._record(block.timestamp, tx.body)

    def _seed(self) -> None:
        """Newest blocks first until the rings are full, then recorded oldest first."""
        found: list[tuple[int, OracleUpdate]] = []
        counts: dict[int, int] = {}
        number = self.sequencer.head_number
        seen = 0
        while number >= 1 and seen < self.seed_blocks:
            if counts and all(count >= self.capacity for count in counts.values()):
                break
            block = self.sequencer.get_block(number)
            if block is None:
                break
            for raw, receipt in zip(reversed(block.txs), reversed(block.receipts)):
                if raw[:1] != bytes([TxType.ORACLE_UPDATE]) or receipt.code != 0:
                    continue
                try:
                    body, _ = decode_unsigned(raw)
                except TxDecodeError:  # cannot happen for an included transaction
                    continue
                found.append((block.timestamp, body))
                counts[body.underlying_id] = counts.get(body.underlying_id, 0) + 1
            number -= 1
            seen += 1
        for time, body in reversed(found):
            self._record(time, body)
