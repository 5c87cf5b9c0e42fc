"""Names of step kinds: the phase enums of the machine, the block steps and the rules."""

from __future__ import annotations

from enum import IntEnum

from node.stf.derive_steps import BlockPhase
from node.stf.machine import Phase
from node.stf.liquidation import LiquidatePhase
from node.stf.margin_steps import MarginPhase
from node.stf.oracle import OraclePhase
from node.stf.matching import PlacePhase
from node.stf.orders import CancelPhase
from node.stf.settlement import SettlePhase
from node.stf.transfers import DepositPhase, WithdrawPhase

PHASE_ENUMS: list[type[IntEnum]] = [
    Phase, BlockPhase, CancelPhase, DepositPhase, LiquidatePhase, MarginPhase, OraclePhase, PlacePhase, SettlePhase,
    WithdrawPhase,
]
"""Every enum of phases; rules with steps of their own are added here."""


def phase_name(phase: int) -> str:
    """The step kind a phase names (``"UNKNOWN_<n>"`` for none)."""
    for enum in PHASE_ENUMS:
        try:
            return enum(phase).name
        except ValueError:
            continue
    return f"UNKNOWN_{phase}"
