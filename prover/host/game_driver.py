"""Playing dispute games on an L1 over JSON-RPC: the host half of a challenger or a defender.

``GameDriver(w3, deployment, sender)`` acts for ``sender``'s address (a ``bridge.l1.Transactor``):
``challenge()`` derives the chain from L1 (``prover.host.chain``), traces every root's batch
that is still inside its window, and opens a game against the earliest wrong root it has
no game against yet (a later root falls with it); ``play()`` sends the honest move
(``prover.client.player.next_move``) in every game where the address is a party, the step
proven from the derived chain. Both read everything from L1 on each call, so a driver
restarted mid-game carries on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from bridge.dispute_game import GameView
from node.store.codec import decode_genesis
from prover.client.bisection import TraceClaims
from prover.client.player import CHALLENGER, DEFENDER, Answer, Claim, Declare, Resolve, Step, next_move
from prover.client.proof import StepProof
from prover.client.trace import Boundary, TraceRun
from prover.host.chain import HostChain, L1Snapshot
from prover.l1.calldata import encode_proof


@dataclass
class DriverStatus:
    games_opened: list[int] = field(default_factory=list)
    moves_sent: int = 0


class GameDriver:
    """Opens games against wrong roots and plays the games of one address (module docstring)."""

    def __init__(self, w3: Web3, deployment: Any, sender: Any) -> None:
        from node.l1.reader import L1Reader

        if not deployment.dispute_game:
            raise ValueError("the deployment has no dispute game")
        self.w3, self.deployment, self.sender = w3, deployment, sender
        self.reader = L1Reader(w3, deployment)
        contracts = deployment.contracts(w3)
        self.game, self.commitments = contracts["dispute_game"], contracts["commitments"]
        self.genesis = decode_genesis(bytes.fromhex(deployment.l2_genesis))
        self.address = Web3.to_checksum_address(sender.address)
        self.status = DriverStatus()
        self._chain: HostChain | None = None
        self._traces: dict[int, TraceClaims] = {}

    # -- the chain from L1 -----------------------------------------------------------

    def refresh(self) -> None:
        """Read L1 again (new batches, entries and roots)."""
        self._chain = HostChain(self.genesis, L1Snapshot.read(self.reader))
        self._traces.clear()

    def claims(self, index: int) -> TraceClaims:
        """The trace of batch ``index`` derived from L1."""
        if index not in self._traces:
            assert self._chain is not None
            boundaries: list[Boundary] = []
            TraceRun(self._chain.prestate(index), index, self._chain.inputs(index)).run(boundaries.append)
            self._traces[index] = TraceClaims(tuple(boundaries))
        return self._traces[index]

    def proof(self, index: int, position: int) -> StepProof:
        assert self._chain is not None
        _, proof = TraceRun(self._chain.prestate(index), index, self._chain.inputs(index)).run(prove=position)
        assert proof is not None
        return proof

    # -- games -----------------------------------------------------------------------

    def games(self) -> list[GameView]:
        count = self.game.functions.game_count().call()
        return [GameView.from_tuple(gid, self.game.functions.games(gid).call()) for gid in range(count)]

    def challenge(self) -> int | None:
        """Open a game against the earliest wrong root inside its window that this address
        has no game against; returns the root's index (None: every root checks out)."""
        self.refresh()
        functions = self.commitments.functions
        now = self.w3.eth.get_block("latest")["timestamp"]
        window = functions.CHALLENGE_WINDOW().call()
        mine = {(g.root_index, g.proposal) for g in self.games() if g.challenger == self.address}
        for index in range(functions.commitment_count().call()):
            _batch, _last, root, _proposer, _bond, proposed_at, _returned = functions.commitments(index).call()
            if proposed_at + window <= now or bytes(root) == self.claims(index).halted_root():
                continue
            if (index, functions.proposal_id(index).call()) in mine:
                return None  # already disputed by us: later roots fall with it
            self.sender.transact(self.game, "open", index, value=self.game.functions.CHALLENGER_BOND().call())
            self.status.games_opened.append(index)
            return index
        return None

    def play(self) -> int:
        """Send this address's move in every game in progress; returns how many were sent."""
        if self._chain is None:
            self.refresh()
        now = self.w3.eth.get_block("latest")["timestamp"]
        clock = self.game.functions.CLOCK().call()
        sent = 0
        for view in self.games():
            if view.status != "in_progress":
                continue
            side = DEFENDER if view.defender == self.address else CHALLENGER if view.challenger == self.address else None
            if side is None:
                continue
            move = next_move(view, side, self.claims(view.root_index), now, clock)
            if move is None:
                continue
            self._send(view, move)
            sent += 1
        self.status.moves_sent += sent
        return sent

    def _send(self, view: GameView, move: Any) -> None:
        gid, g = view.id, self.game
        if isinstance(move, Declare):
            self.sender.transact(g, "declare", gid, move.depth, move.halted_cursor, move.first_claim)
        elif isinstance(move, Claim):
            self.sender.transact(g, "claim", gid, move.claim)
        elif isinstance(move, Answer):
            self.sender.transact(g, "answer", gid, move.agree)
        elif isinstance(move, Step):
            self.sender.transact(g, "step", gid, encode_proof(self.proof(view.root_index, move.position)))
        elif isinstance(move, Resolve):
            self.sender.transact(g, "resolve", gid)
