"""How the node uses its L1: one frozen record of every knob (no I/O, cheap to import).

``L1Settings`` is read by ``bridge.l1.Transactor`` (receipts, fee bumps) and
``node.l1.reader.L1Reader`` (head tag, log range); the CLI's ``--l1-*`` flags build it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MIN_BUMP_PERCENT: Final = 10      # what geth, Hardhat and Anvil pools require of a replacement
HEAD_TAGS: Final = ("latest", "safe", "finalized")


@dataclass(frozen=True)
class L1Settings:
    """How the node uses its L1 (every field a CLI flag and a config key).

    ``confirmations``: blocks on top of a transaction's block before its receipt counts
    (0: the receipt itself). ``head_tag``: the block the readers treat as the head
    (``latest``, or ``safe`` / ``finalized`` on a proof-of-stake L1, where
    ``confirmations`` of the readers can then be 0). ``log_range``: blocks per
    ``eth_getLogs`` (providers cap it). ``receipt_timeout_s``: how long one ``wait`` waits.
    ``bump_after_s``: how long a transaction waits unmined before it is re-signed on its
    nonce with fees ``fee_bump_percent`` higher. ``max_fee_wei``: the cap on the fee per gas
    (a replacement that would exceed it waits instead). ``priority_fee_wei``: the tip of a
    first send. ``poll_s``: receipt polling interval."""

    confirmations: int = 0
    head_tag: str = "latest"
    log_range: int = 5_000
    receipt_timeout_s: float = 60.0
    bump_after_s: float = 20.0
    fee_bump_percent: int = 25
    max_fee_wei: int = 500 * 10**9
    priority_fee_wei: int = 10**9
    poll_s: float = 0.05

    def __post_init__(self) -> None:
        if self.head_tag not in HEAD_TAGS:
            raise ValueError(f"head_tag must be one of {', '.join(HEAD_TAGS)}, not {self.head_tag!r}")
        if self.fee_bump_percent < MIN_BUMP_PERCENT:
            raise ValueError(f"fee_bump_percent must be at least {MIN_BUMP_PERCENT} (pools refuse smaller bumps)")
        if self.confirmations < 0 or self.log_range < 1 or self.max_fee_wei < 1 or self.priority_fee_wei < 0:
            raise ValueError("confirmations >= 0, log_range >= 1, max_fee_wei >= 1, priority_fee_wei >= 0")
        if min(self.receipt_timeout_s, self.bump_after_s, self.poll_s) <= 0:
            raise ValueError("receipt_timeout_s, bump_after_s and poll_s must be positive")


DEFAULT_SETTINGS: Final = L1Settings()
