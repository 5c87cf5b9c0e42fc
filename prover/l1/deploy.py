"""Compile and deploy the one-step verifier and its families onto an EVM.

``FAMILIES`` lists every family contract with the dispatch keys it serves (a phase, or
``body_key(kind)`` for the ``BODY`` of a transaction kind) and how its constructor
arguments are made. ``deploy_verifier`` deploys those whose source exists, then the verifier
with their keys; ``FaultDeployment.implemented`` says which keys have a family, so the
differential driver can report the others as skipped.

A runner is anything with ``deploy(initcode, args) -> address`` and ``call``
(``bridge.revm_call.RevmRunner``, ``bridge.evm_call.EvmRunner``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Final, Mapping

from eth_abi import encode

from bridge.vyper_build import CONTRACTS_DIR, compile_contract
from node.stf.cursor import decode_cursor
from node.stf.steps import Phase

BODY_KEY_BASE: Final = 1 << 16  # contracts/fault/verifier.vy BODY_KEY_BASE
VERIFIER_SOURCE: Final = "fault/verifier.vy"


def body_key(kind: int) -> int:
    """The verifier's dispatch key of the ``BODY`` step of transaction kind ``kind``."""
    return BODY_KEY_BASE + kind


def dispatch_key(cursor_rlp: bytes) -> int:
    """The verifier's dispatch key of a step from its cursor: the phase, or for ``BODY`` the
    kind (the first byte of the transaction)."""
    cursor = decode_cursor(cursor_rlp)
    if cursor.phase == Phase.BODY and cursor.tx:
        return body_key(cursor.tx[0])
    return cursor.phase


Args = Callable[["DeployContext"], bytes]


@dataclass(frozen=True)
class Family:
    """A family contract: its source (relative to ``contracts/``), the keys it serves, and
    its ABI-encoded constructor arguments (from the addresses deployed so far)."""

    source: str
    keys: tuple[int, ...]
    args: Args | None = None
    helpers: tuple[str, ...] = ()  # contracts deployed before it, by source (e.g. a logic contract)

    def exists(self) -> bool:
        return (CONTRACTS_DIR / self.source).is_file() and all((CONTRACTS_DIR / h).is_file() for h in self.helpers)


@dataclass
class DeployContext:
    """What constructor arguments may name: the L1 bridge contracts (``inbox``, ``portal``,
    ``forced``) and every contract deployed so far, by source."""

    l1: Mapping[str, bytes]
    deployed: dict[str, bytes] = field(default_factory=dict)


FAMILIES: list[Family] = [
    Family("fault/steps_control.vy", (Phase.ROLLBACK, Phase.RESTORE, 102)),
]
"""Every family of the verifier. A part that lands a family adds its entry here."""


@dataclass(frozen=True)
class FaultDeployment:
    verifier: bytes
    families: dict[str, bytes]  # source -> address
    implemented: frozenset[int]  # dispatch keys with a family


def deploy_verifier(runner: Any, l1: Mapping[str, bytes] | None = None,
                    families: list[Family] | None = None) -> FaultDeployment:
    """Deploy every existing family (and its helpers), then the verifier dispatching to them."""
    ctx = DeployContext(l1 or {})
    keys: list[int] = []
    addresses: list[bytes] = []
    for family in families if families is not None else FAMILIES:
        if not family.exists():
            continue
        for helper in family.helpers:
            if helper not in ctx.deployed:
                ctx.deployed[helper] = runner.deploy(compile_contract(helper).initcode)
        args = family.args(ctx) if family.args is not None else b""
        address = runner.deploy(compile_contract(family.source).initcode, args)
        ctx.deployed[family.source] = address
        for key in family.keys:
            keys.append(int(key))
            addresses.append(address)
    verifier = runner.deploy(compile_contract(VERIFIER_SOURCE).initcode,
                             encode(["uint256[]", "address[]"], [keys, addresses]))
    return FaultDeployment(verifier, dict(ctx.deployed), frozenset(keys))
