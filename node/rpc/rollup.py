"""``Query.GetRollup``: the rollup's L1 side as the node sees it, for explorers and the web page.

``RollupView(reader, deposits, forced)`` reads, with blocking JSON-RPC calls (the servicer runs
it in a thread), the latest batches (``BatchInbox.batches`` records; their transaction count
from the batch calldata, decoded once per batch and cached), the latest state roots
(``StateCommitments.commitments`` and the challenge window, final at the L1 head's time),
whether each of the latest withdrawals is claimed (``Portal.claimed``) and which root covers
it, and, from the node's own L1 watcher (``deposits`` / ``forced``: the queues read so far),
the deposits and forced transactions not yet in the chain (their queue index at or above the
state's ``next_deposit_index`` / ``next_forced_index``), and the newest dispute games (the
deployment's ``dispute_game``: parties, status, the bisection's range, whose turn, the clocks). Nothing here is a rule of the chain:
it reports what the contracts and the state hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Final, Sequence

from node.l1.batch_codec import decode_batch
from node.rpc.generated.optrollup.v1 import query_pb2
from node.stf import keys
from node.stf.hashing import keccak256
from node.stf.l1_inputs import L1Deposit, L1Forced
from node.stf.records import Globals, Withdrawal
from node.stf.state import State

if TYPE_CHECKING:  # web3 is heavy to import; the node imports it only with an L1
    from node.l1.reader import L1Reader

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100


def limit_of(request_limit: int) -> int:
    return min(request_limit or DEFAULT_LIMIT, MAX_LIMIT)


def withdrawals(view: State, limit: int) -> list[tuple[int, Withdrawal]]:
    """The latest ``limit`` withdrawals in the state, newest first."""
    globals_: Globals = view.get(keys.GLOBALS)
    out = []
    for index in range(globals_.next_withdrawal_index - 1, max(-1, globals_.next_withdrawal_index - 1 - limit), -1):
        record: Withdrawal | None = view.get(keys.withdrawal(index))
        if record is not None:
            out.append((index, record))
    return out


def withdrawal_pb(index: int, w: Withdrawal) -> query_pb2.RollupWithdrawal:
    return query_pb2.RollupWithdrawal(index=index, sender=w.sender, recipient=w.recipient, amount_e6=w.amount_e6,
                                      block_number=w.block_number)


class RollupView:
    """The L1 reads of ``GetRollup`` (module docstring); blocking."""

    def __init__(self, reader: "L1Reader", deposits: Callable[[], Sequence[L1Deposit]],
                 forced: Callable[[], Sequence[L1Forced]]) -> None:
        self.reader = reader
        self.deposits = deposits
        self.forced = forced
        self._txs: dict[tuple[int, bytes], int] = {}  # (batch index, data hash) -> sequenced transactions
        self._window: int | None = None

    def _batch_txs(self, index: int, l1_block: int, data_hash: bytes) -> int:
        key = (index, data_hash)
        if key not in self._txs:
            posted = next((b for b in self.reader.batches(l1_block, l1_block) if b.index == index), None)
            self._txs[key] = 0 if posted is None else sum(len(b.txs) for b in decode_batch(posted.data).blocks)
        return self._txs[key]

    def read(self, globals_: Globals, latest_withdrawals: list[tuple[int, Withdrawal]], limit: int,
             head_number: int) -> query_pb2.RollupResponse:
        reader = self.reader
        head = reader.block(reader.head())
        commitments = reader.contracts["commitments"].functions
        if self._window is None:
            self._window = commitments.CHALLENGE_WINDOW().call()
        window = self._window
        batch_count, root_count = reader.batch_count(), reader.commitment_count()
        batches = []
        lowest = max(0, batch_count - limit)
        # each record once: a batch's first L2 block is the one after its predecessor's last
        records = {i: reader.batch_record(i) for i in range(max(0, lowest - 1), batch_count)}
        for index in range(batch_count - 1, lowest - 1, -1):
            record = records[index]
            first = records[index - 1].last_l2_block + 1 if index else 1
            batches.append(query_pb2.RollupBatch(
                index=index, l1_block=record.l1_block, l1_time=record.l1_time, first_l2_block=first,
                last_l2_block=record.last_l2_block, bytes=record.data_length,
                txs=self._batch_txs(index, record.l1_block, record.data_hash)))
        roots = []
        for index in range(root_count - 1, max(-1, root_count - 1 - limit), -1):
            batch_index, last_l2_block, root, proposer, _, proposed_at, returned = commitments.commitments(index).call()
            roots.append(query_pb2.RollupRoot(
                index=index, batch_index=batch_index, last_l2_block=last_l2_block, state_root=bytes(root),
                proposed_at=proposed_at, final_at=proposed_at + window, final=proposed_at + window <= head.timestamp,
                proposer=bytes.fromhex(proposer[2:]), bond_returned=returned))
        portal = reader.contracts["portal"].functions
        out_withdrawals = []
        for index, w in latest_withdrawals:
            pb = withdrawal_pb(index, w)
            pb.claimed = portal.claimed(index).call()
            covering = next((r for r in reversed(roots) if r.last_l2_block >= w.block_number), None)
            if covering is not None and covering is roots[-1] and covering.index > 0:
                self._covering_root(pb, w.block_number, covering.index, window)  # an older root may be the first
            elif covering is not None:
                pb.rooted, pb.root_index, pb.final_at = True, covering.index, covering.final_at
            out_withdrawals.append(pb)
        deposits = [query_pb2.RollupQueued(index=d.index, l1_block=d.l1_block, deadline=d.deadline,
                                           recipient=d.recipient, amount_e6=d.amount_e6)
                    for d in list(self.deposits()) if d.index >= globals_.next_deposit_index][:limit]
        forced = [query_pb2.RollupQueued(index=f.index, l1_block=f.l1_block, deadline=f.deadline,
                                         tx_hash=keccak256(f.raw_tx))
                  for f in list(self.forced()) if f.index >= globals_.next_forced_index][:limit]
        disputes = self._disputes(limit)
        return query_pb2.RollupResponse(
            disputes=disputes, available=True, l1_block=head.number, l1_time=head.timestamp, challenge_window_s=window,
            batch_count=batch_count, root_count=root_count, batches=batches, roots=roots,
            withdrawals=out_withdrawals, deposits_in_flight=deposits, forced_queue=forced, block_number=head_number)

    def _disputes(self, limit: int) -> list[query_pb2.RollupDispute]:
        """The newest ``limit`` games of the deployment's dispute game (none without one)."""
        if not getattr(self.reader.deployment, "dispute_game", ""):
            return []
        from bridge.dispute_game import CHALLENGER, DEFENDER, GameView

        game = self.reader.contracts["dispute_game"].functions
        count = game.game_count().call()
        out = []
        for gid in range(count - 1, max(-1, count - 1 - limit), -1):
            view = GameView.from_tuple(gid, game.games(gid).call())
            in_progress = view.status == "in_progress"
            out.append(query_pb2.RollupDispute(
                game=gid, root_index=view.root_index, state_root=bytes(view.state_root),
                defender=bytes.fromhex(view.defender[2:]), challenger=bytes.fromhex(view.challenger[2:]),
                status=view.status, declared=view.declared, depth=view.depth if view.declared else 0,
                lo=view.lo if view.declared else 0, hi=view.hi if view.declared else 0,
                position=view.position if view.declared else 0,
                turn=("defender" if view.turn == DEFENDER else "challenger") if in_progress else "",
                defender_clock_left_s=game.clock_left(gid, DEFENDER).call(),
                challenger_clock_left_s=game.clock_left(gid, CHALLENGER).call(),
                bond_wei=str(view.bond_wei), moves=view.moves))
        return out

    def _covering_root(self, pb: query_pb2.RollupWithdrawal, block_number: int, below: int, window: int) -> None:
        """Set ``pb``'s root to the first one whose last block is at or after ``block_number``,
        knowing root ``below`` is one (binary search of the contract's roots)."""
        commitments = self.reader.contracts["commitments"].functions
        lo, hi = 0, below  # the root at ``below`` covers it
        while lo < hi:
            mid = (lo + hi) // 2
            if commitments.commitments(mid).call()[1] >= block_number:
                hi = mid
            else:
                lo = mid + 1
        proposed_at = commitments.commitments(lo).call()[5]
        pb.rooted, pb.root_index, pb.final_at = True, lo, proposed_at + window
