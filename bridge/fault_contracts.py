"""The one-step verifier's contracts: which family serves which step, and their deployment.

``FAMILIES`` lists every family contract with the dispatch keys it serves (a phase, or
``body_key(kind)`` for the ``BODY`` step of a transaction kind) and how its constructor
arguments are made. ``deploy_verifier`` deploys those whose source exists (and their
helper contracts), then ``fault/verifier.vy`` with their keys. A part that lands a family
adds its entry to ``FAMILIES``.

A deployer is anything with ``deploy(initcode, args) -> 20-byte address``: the test EVMs
(``bridge.revm_call.RevmRunner``, ``bridge.evm_call.EvmRunner``) or an L1 through
``bridge.l1.Transactor`` (``TransactorDeployer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Final, Mapping

from eth_abi import encode

from bridge.vyper_build import CONTRACTS_DIR, compile_contract

BODY: Final = 10  # node/stf/steps.py Phase.BODY
BODY_KEY_BASE: Final = 1 << 16  # contracts/fault/verifier.vy BODY_KEY_BASE
VERIFIER_SOURCE: Final = "fault/verifier.vy"
ROLLBACK, RESTORE, HALTED = 2, 4, 102  # node/stf/steps.py Phase, derive_steps.BlockPhase


def body_key(kind: int) -> int:
    """The verifier's dispatch key of the ``BODY`` step of transaction kind ``kind``."""
    return BODY_KEY_BASE + kind


@dataclass
class DeployContext:
    """What constructor arguments may name: the L1 bridge contracts (``inbox``, ``portal``,
    ``forced``: 20-byte addresses) and every contract deployed so far, by source."""

    l1: Mapping[str, bytes]
    deployed: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Family:
    """A family contract: its source (relative to ``contracts/``), the keys it serves, its
    ABI-encoded constructor arguments, helper contracts deployed before it (by source), the
    L1 contracts it reads (names in ``DeployContext.l1``: without them it is not deployed),
    and how they are compiled (``compile_contract``'s ``venom`` / ``optimize``: code size)."""

    source: str
    keys: tuple[int, ...]
    args: Callable[[DeployContext], bytes] | None = None
    helpers: tuple[str, ...] = ()
    l1: tuple[str, ...] = ()
    venom: bool = False
    optimize: str = "gas"

    def build(self, source: str) -> Any:
        venom, optimize = BUILD_SETTINGS.get(source, (self.venom, self.optimize))
        return compile_contract(source, venom=venom, optimize=optimize)

    def exists(self) -> bool:
        return all((CONTRACTS_DIR / s).is_file() for s in (self.source, *self.helpers))


FAMILIES: list[Family] = [
    Family("fault/steps_control.vy", (ROLLBACK, RESTORE, HALTED)),
]

TRIE_STORE: Final = "fault/trie_store.vy"
"""The state trie with writes over a transient node pool, deployed once: every family that
reads state loads its witness there and reads / writes through it (``state.vy``)."""

# How a contract is compiled when it is not the family's default: Venom with
# optimize=codesize where it compiles (DECISIONS: about 30 % less code), legacy where Venom
# fails on it ("Cannot peek non-in-stack depth" on the entries) or where the legacy build
# fits and is the one tested (the trie store), for EIP-170's 24,576 bytes.
BUILD_SETTINGS: Final[dict[str, tuple[bool, str]]] = {
    TRIE_STORE: (False, "gas"),
    "fault/steps_place.vy": (False, "codesize"),
    "fault/place_match.vy": (True, "codesize"),
    "fault/place_checks.vy": (True, "codesize"),
    "fault/place_ops.vy": (True, "codesize"),
    "fault/place_rest.vy": (True, "codesize"),
    "fault/place_taker.vy": (True, "codesize"),
    "fault/steps_account.vy": (False, "codesize"),
    "fault/account_ops.vy": (True, "codesize"),
    "fault/account_list.vy": (True, "codesize"),
    "fault/oracle_marks.vy": (False, "codesize"),  # Venom: "Unsupported dup depth 17"
    "fault/steps_tx.vy": (False, "codesize"),  # Venom: "Cannot peek non-in-stack depth"
    "fault/tx_start.vy": (True, "codesize"),
    "fault/tx_deposit.vy": (True, "codesize"),
    "fault/steps_liquidate.vy": (False, "codesize"),  # Venom: "Cannot peek non-in-stack depth"
    "fault/liquidate_open.vy": (True, "codesize"),
    "fault/liquidate_transfer.vy": (True, "codesize"),
    "fault/liquidate_finish.vy": (True, "codesize"),
    "fault/steps_block.vy": (False, "codesize"),
    "fault/block_globals.vy": (True, "codesize"),
    "fault/block_rules.vy": (True, "codesize"),
    "fault/steps_margin.vy": (False, "codesize"),  # legacy: reads the cursor in calldata (Venom copies its arguments)
    "fault/margin_reads.vy": (True, "codesize"),
    "fault/margin_machine.vy": (False, "codesize"),  # Venom: "Cannot peek non-in-stack depth" (cursor.decode_cursor)
    "fault/margin_sums.vy": (False, "codesize"),
    "fault/steps_oracle.vy": (False, "codesize"),
    "fault/oracle_ops.vy": (True, "codesize"),
    "fault/oracle_cursor.vy": (False, "codesize"),  # Venom: "Cannot peek non-in-stack depth" (decode_cursor)
    "fault/steps_settle.vy": (False, "codesize"),
    "fault/settle_scan.vy": (True, "codesize"),
    "fault/settle_position.vy": (True, "codesize"),
}

PLACE_PHASES: Final = tuple(range(20, 30))  # matching.PlacePhase
TX_CANCEL_ORDER: Final = 0x02  # txtypes.TxType.CANCEL_ORDER
PLACE_PIECES: Final = (TRIE_STORE, "fault/place_match.vy", "fault/place_checks.vy", "fault/place_ops.vy",
                       "fault/place_rest.vy", "fault/place_taker.vy")
PLACE = Family(
    "fault/steps_place.vy", (*PLACE_PHASES, body_key(TX_CANCEL_ORDER)),
    args=lambda ctx: encode(["address"] * len(PLACE_PIECES), ["0x" + ctx.deployed[p].hex() for p in PLACE_PIECES]),
    helpers=PLACE_PIECES,
)
"""The place family (place-order steps, the BODY of a CancelOrder)."""

CANCEL_ALL, WITHDRAW, WITHDRAW_CHECKED, WITHDRAW_RECOVERY = 80, 90, 91, 92  # orders.CancelPhase, transfers.WithdrawPhase
TX_LIST_INSTRUMENT: Final = 0x06  # txtypes.TxType.LIST_INSTRUMENT
ACCOUNT_PIECES: Final = (TRIE_STORE, "fault/account_ops.vy", "fault/account_list.vy", "fault/place_ops.vy",
                         "fault/oracle_marks.vy")
ACCOUNT = Family(
    "fault/steps_account.vy",
    (CANCEL_ALL, WITHDRAW, WITHDRAW_CHECKED, WITHDRAW_RECOVERY, body_key(TX_LIST_INSTRUMENT)),
    args=lambda ctx: encode(["address"] * 5, ["0x" + ctx.deployed[p].hex() for p in ACCOUNT_PIECES]),
    helpers=ACCOUNT_PIECES,
)
"""The account family (cancel-all, withdraw, listing)."""

FAMILIES.extend((PLACE, ACCOUNT))  # every contract of both under EIP-170 (tests/fault/test_code_size.py)

TX_START, DEPOSIT, DEPOSIT_RECOVERY = 1, 93, 94  # steps.Phase.TX_START, transfers.DepositPhase
TX_PIECES: Final = (TRIE_STORE, "fault/tx_start.vy", "fault/tx_deposit.vy")
TX = Family(
    "fault/steps_tx.vy", (TX_START, DEPOSIT, DEPOSIT_RECOVERY),
    args=lambda ctx: encode(["address"] * 3, ["0x" + ctx.deployed[p].hex() for p in TX_PIECES]),
    helpers=TX_PIECES,
)
"""The tx family (every transaction's TX_START, the deposit's steps)."""
FAMILIES.append(TX)

LIQUIDATE_PHASES: Final = tuple(range(50, 60))  # liquidation.LiquidatePhase
LIQUIDATE_PIECES: Final = (TRIE_STORE, "fault/liquidate_open.vy", "fault/liquidate_transfer.vy",
                           "fault/liquidate_finish.vy")
LIQUIDATE = Family(
    "fault/steps_liquidate.vy", LIQUIDATE_PHASES,
    args=lambda ctx: encode(["address"] * 4, ["0x" + ctx.deployed[p].hex() for p in LIQUIDATE_PIECES]),
    helpers=LIQUIDATE_PIECES,
)
"""The liquidation family (LiquidatePhase 50-59)."""
FAMILIES.append(LIQUIDATE)
MARGIN_PHASES: Final = (40, 41)  # margin_steps.MarginPhase
MARGIN_PIECES: Final = (TRIE_STORE, "fault/margin_reads.vy", "fault/margin_machine.vy", "fault/margin_sums.vy")
MARGIN = Family(
    "fault/steps_margin.vy", MARGIN_PHASES,
    args=lambda ctx: encode(["address"] * len(MARGIN_PIECES), ["0x" + ctx.deployed[p].hex() for p in MARGIN_PIECES]),
    helpers=MARGIN_PIECES,
)
"""The margin family (the margin sub-machine: MARGIN, MARGIN_FOLD)."""
FAMILIES.append(MARGIN)

NEXT_TX, BLOCK_OPEN, BLOCK_CLOSE = 3, 100, 101  # steps.Phase, derive_steps.BlockPhase
BLOCK_PIECES: Final = (TRIE_STORE, "fault/block_globals.vy", "fault/block_rules.vy")
BLOCK_L1: Final = ("inbox", "portal", "forced")
BLOCK = Family(
    "fault/steps_block.vy", (NEXT_TX, BLOCK_OPEN, BLOCK_CLOSE),
    args=lambda ctx: encode(["address"] * 6, ["0x" + a.hex() for a in
                                             [*(ctx.deployed[p] for p in BLOCK_PIECES), *(ctx.l1[n] for n in BLOCK_L1)]]),
    helpers=BLOCK_PIECES, l1=BLOCK_L1,
)
"""The block family (derivation: NEXT_TX, BLOCK_OPEN, BLOCK_CLOSE); it reads the inbox's
batch records and the portal's and forced queue's entry hashes, so it is deployed only
with those L1 addresses."""
FAMILIES.append(BLOCK)

ORACLE_CHECK, ORACLE_MARK = 70, 71  # oracle.OraclePhase
ORACLE_PIECES: Final = (TRIE_STORE, "fault/oracle_ops.vy", "fault/oracle_marks.vy", "fault/oracle_cursor.vy")
ORACLE = Family(
    "fault/steps_oracle.vy", (ORACLE_CHECK, ORACLE_MARK),
    args=lambda ctx: encode(["address"] * 4, ["0x" + ctx.deployed[p].hex() for p in ORACLE_PIECES]),
    helpers=ORACLE_PIECES,
)
"""The oracle family (an OracleUpdate's check and mark steps)."""
FAMILIES.append(ORACLE)

SETTLE_PHASES: Final = (60, 61, 62, 63)  # settlement.SettlePhase
SETTLE_PIECES: Final = (TRIE_STORE, "fault/settle_scan.vy", "fault/settle_position.vy")
SETTLE = Family(
    "fault/steps_settle.vy", SETTLE_PHASES,
    args=lambda ctx: encode(["address"] * 3, ["0x" + ctx.deployed[p].hex() for p in SETTLE_PIECES]),
    helpers=SETTLE_PIECES,
)
"""The settle family (a Settle's checks, order scan, position and auction recovery)."""
FAMILIES.append(SETTLE)


def compile_all() -> None:
    """Compile every contract ``deploy_verifier`` deploys (of the families that exist)."""
    for family in FAMILIES:
        if family.exists():
            for source in (*family.helpers, family.source):
                family.build(source)
    compile_contract(VERIFIER_SOURCE)


@dataclass(frozen=True)
class FaultDeployment:
    verifier: bytes
    families: dict[str, bytes]  # source -> address (helpers included)
    implemented: frozenset[int]  # dispatch keys with a family


def deploy_verifier(deployer: Any, l1: Mapping[str, bytes] | None = None,
                    families: list[Family] | None = None) -> FaultDeployment:
    """Deploy every existing family (and its helpers), then the verifier dispatching to them."""
    ctx = DeployContext(l1 or {})
    keys: list[int] = []
    addresses: list[bytes] = []
    for family in FAMILIES if families is None else families:
        if not family.exists() or not all(name in ctx.l1 for name in family.l1):
            continue
        for helper in family.helpers:
            if helper not in ctx.deployed:
                ctx.deployed[helper] = deployer.deploy(family.build(helper).initcode, b"")
        args = family.args(ctx) if family.args is not None else b""
        address = deployer.deploy(family.build(family.source).initcode, args)
        ctx.deployed[family.source] = address
        for key in family.keys:
            keys.append(int(key))
            addresses.append(address)
    verifier = deployer.deploy(compile_contract(VERIFIER_SOURCE).initcode,
                               encode(["uint256[]", "address[]"], [keys, addresses]))
    return FaultDeployment(verifier, dict(ctx.deployed), frozenset(keys))


class TransactorDeployer:
    """``deploy`` through an L1 account (``bridge.l1.Transactor``)."""

    def __init__(self, sender: Any) -> None:
        self.sender = sender

    def deploy(self, initcode: bytes, args: bytes = b"") -> bytes:
        return bytes.fromhex(self.sender.deploy(initcode, args)[2:])
