"""Deeper-than-N L1 reorganisations stop the follower and the watcher instead of going unnoticed.

(A real reorganisation cannot be made on the devnet; these drive the two components with a
scripted L1 whose block hashes change.)"""

from __future__ import annotations

import pytest

from node.derivation.follower import Follower, L1Reorged
from node.derivation.rules import ChainTip, L1Deposit
from node.l1.watcher import L1Inconsistent, L1Watcher


class ScriptedL1:
    first_block = 1

    def __init__(self) -> None:
        self.height = 10
        self.hashes = {n: bytes([n]) * 32 for n in range(100)}
        self.deposit_log: list[L1Deposit] = []

    def head(self) -> int:
        return self.height

    def block_hash(self, number: int) -> bytes:
        return self.hashes[number]

    def deposits(self, first: int, last: int):
        return [d for d in self.deposit_log if first <= d.l1_block <= last]

    def forced(self, first, last):
        return []

    def batches(self, first, last):
        return []

    def proposals(self, first, last):
        return []

    def genesis_root(self) -> bytes:
        return NoChain.GENESIS_ROOT


class NoChain:
    GENESIS_ROOT = b"\x07" * 32

    def tip(self):
        return ChainTip(0, 0, 0, 0)

    def state_root_at(self, number: int) -> bytes | None:
        return self.GENESIS_ROOT if number == 0 else None


def test_follower_stops_when_a_used_block_changes():
    l1 = ScriptedL1()
    follower = Follower(l1, NoChain(), confirmations=2)
    follower.step()
    assert follower.status.l1_block == 8
    l1.height = 12
    follower.step()  # nothing changed: fine
    l1.hashes[10] = b"\xee" * 32  # block 10 (used, 2 confirmations) replaced
    l1.height = 14
    with pytest.raises(L1Reorged):
        follower.step()


def test_watcher_refuses_a_gap_in_the_deposit_queue():
    l1 = ScriptedL1()
    watcher = L1Watcher(l1, confirmations=2)
    l1.deposit_log = [L1Deposit(0, b"\x01" * 20, 5, 3)]
    assert watcher.poll() and len(watcher.deposits) == 1
    l1.deposit_log.append(L1Deposit(2, b"\x01" * 20, 5, 9))  # index 1 never seen
    l1.height = 12
    with pytest.raises(L1Inconsistent):
        watcher.poll()


def test_follower_refuses_a_gap_in_the_deposit_queue_like_the_watcher():
    l1 = ScriptedL1()
    l1.deposit_log = [L1Deposit(0, b"\x01" * 20, 5, 3), L1Deposit(2, b"\x01" * 20, 5, 4)]
    with pytest.raises(L1Inconsistent):
        Follower(l1, NoChain(), confirmations=2).step()
