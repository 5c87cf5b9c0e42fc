"""The operator's genesis file: what a deployment commits to, in one TOML (or JSON) file.

``load(path)`` reads it into a ``GenesisFile``; ``GenesisFile.l2_genesis(portal, now)``
gives the ``node.stf.genesis.Genesis`` (which validates the bounds the L1 verifier can
decode, ``ValueError`` otherwise) and ``bridge_settings()`` the ``BridgeSettings``;
``template(...)`` writes a documented file for ``optrollup genesis init``. Every error
names the field. The file, field by field (JSON: the same tables as objects):

``[chain]``
  ``chain_id``      L2 chain id: with the portal's address, the EIP-712 domain every
                    transaction is signed under (never an L1's chain id).
  ``genesis_time``  unix seconds of the L2 genesis; ``0``: the L1 head's time at deployment.
``[roles]`` (20-byte hex addresses; only addresses, never keys)
  ``admin``         lists instruments (``ListInstrument``) and holds the L2 admin powers.
  ``oracles``       1 to 16 distinct addresses that sign ``OracleUpdate``s.
  ``sequencer``     the only address that may post batches (``BatchInbox``).
  ``proposer``      the only address that may propose state roots, with a bond.
``[collateral]``
  ``token``         an existing ERC-20's address, or ``"test"`` to deploy the test token
                    (tUSD, anyone may mint: test networks only).
  ``decimals``      must equal the token's ``decimals()``; ``6`` is the only scale the L2
                    accounts in (``amount_e6``), so the deployment refuses any other.
``[fees]``
  ``taker_fee_ppm``, ``maker_fee_ppm``  fee rates in parts per million of the premium.
  ``fee_cap_ppm``   cap of a fee, ppm of the underlying's index value (per contract).
  ``rate_e6``       the risk-free rate used in pricing, 1e-6 units.
``[[underlyings]]`` (one table per underlying)
  ``id``            0 to 2**32 - 1, distinct; ``name``: 1 to 32 bytes (``"ETH"``).
``[l1]``
  ``bond_wei``      the bond per state root (a string or an integer, wei).
  ``challenge_window_s``  seconds before a root is final (7 days in production).
  ``force_window_s``      seconds within which L2 must take a deposit or a forced transaction.

Risk parameters (the scenario grid, margin levels, liquidation discount) and the bounds
per account are protocol constants (``node.stf.params``), the same for every chain: the
L1 verifier is compiled with them, so a genesis cannot change them.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bridge.deploy import BridgeSettings
from node.stf.genesis import Genesis

TEST_TOKEN: Final = "test"
COLLATERAL_DECIMALS: Final = 6


class GenesisFileError(ValueError):
    """The genesis file cannot be used; the message names the field."""


@dataclass(frozen=True)
class GenesisFile:
    """A parsed genesis file (see the module docstring); addresses are 20 raw bytes."""

    chain_id: int
    genesis_time: int
    admin: bytes
    oracles: tuple[bytes, ...]
    sequencer: bytes
    proposer: bytes
    token: bytes | None  # None: deploy the test token
    decimals: int
    underlyings: tuple[tuple[int, bytes], ...]
    taker_fee_ppm: int
    maker_fee_ppm: int
    fee_cap_ppm: int
    rate_e6: int
    bond_wei: int
    challenge_window_s: int
    force_window_s: int

    def l2_genesis(self, portal: bytes, l1_time: int) -> Genesis:
        """The L2 genesis for a portal at ``portal``; ``genesis_time`` 0 takes ``l1_time``."""
        try:
            return Genesis(self.chain_id, portal, self.admin, self.oracles, self.underlyings, self.taker_fee_ppm,
                           self.maker_fee_ppm, self.fee_cap_ppm, self.rate_e6, self.genesis_time or l1_time)
        except ValueError as exc:
            raise GenesisFileError(str(exc)) from None

    def bridge_settings(self) -> BridgeSettings:
        return BridgeSettings(self.bond_wei, self.challenge_window_s, self.force_window_s)


def load(path: str | Path) -> GenesisFile:
    """Read a genesis file (``.json``: JSON, anything else: TOML); ``GenesisFileError``."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise GenesisFileError(f"cannot read {path}: {exc}") from None
    try:
        raw = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise GenesisFileError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}") from None
    return parse(raw)


def parse(raw: dict) -> GenesisFile:
    """A genesis file's tables (dicts) into a ``GenesisFile``; ``GenesisFileError``."""
    chain, roles, collateral = _table(raw, "chain"), _table(raw, "roles"), _table(raw, "collateral")
    fees, l1 = _table(raw, "fees"), _table(raw, "l1")
    token = _field(collateral, "collateral", "token", str)
    underlyings = raw.get("underlyings")
    if not isinstance(underlyings, list) or not underlyings:
        raise GenesisFileError("underlyings: at least one [[underlyings]] table (id, name)")
    pairs = []
    for position, entry in enumerate(underlyings):
        if not isinstance(entry, dict):
            raise GenesisFileError(f"underlyings[{position}]: a table with id and name")
        name = _field(entry, f"underlyings[{position}]", "name", str).encode()
        pairs.append((_int(entry, f"underlyings[{position}]", "id"), name))
    oracles = roles.get("oracles")
    if not isinstance(oracles, list):
        raise GenesisFileError("roles.oracles: a list of addresses")
    out = GenesisFile(
        chain_id=_int(chain, "chain", "chain_id"), genesis_time=_int(chain, "chain", "genesis_time", 0),
        admin=_address(roles, "roles", "admin"),
        oracles=tuple(_address({"oracles": o}, "roles", "oracles") for o in oracles),
        sequencer=_address(roles, "roles", "sequencer"), proposer=_address(roles, "roles", "proposer"),
        token=None if token == TEST_TOKEN else _address(collateral, "collateral", "token"),
        decimals=_int(collateral, "collateral", "decimals"), underlyings=tuple(pairs),
        taker_fee_ppm=_int(fees, "fees", "taker_fee_ppm"), maker_fee_ppm=_int(fees, "fees", "maker_fee_ppm"),
        fee_cap_ppm=_int(fees, "fees", "fee_cap_ppm"), rate_e6=_int(fees, "fees", "rate_e6", 0),
        bond_wei=_int(l1, "l1", "bond_wei"), challenge_window_s=_int(l1, "l1", "challenge_window_s"),
        force_window_s=_int(l1, "l1", "force_window_s"))
    if out.decimals != COLLATERAL_DECIMALS:
        raise GenesisFileError(f"collateral.decimals: {out.decimals}; the L2 accounts in 6-decimal units only")
    if out.chain_id < 1 or out.bond_wei < 1 or out.challenge_window_s < 1 or out.force_window_s < 1:
        raise GenesisFileError("chain.chain_id, l1.bond_wei, l1.challenge_window_s and l1.force_window_s must be "
                               "positive")
    out.l2_genesis(b"\x00" * 20, 1)  # the L2 bounds (oracles, names, ids, fees), checked now
    return out


def _table(raw: Any, name: str) -> dict:
    table = raw.get(name) if isinstance(raw, dict) else None
    if not isinstance(table, dict):
        raise GenesisFileError(f"[{name}]: missing table")
    return table


def _field(table: dict, where: str, name: str, kind: type, default: Any = None) -> Any:
    value = table.get(name, default)
    if value is None:
        raise GenesisFileError(f"{where}.{name}: missing")
    if not isinstance(value, kind) or isinstance(value, bool):
        raise GenesisFileError(f"{where}.{name}: expected {kind.__name__}, not {value!r}")
    return value


def _int(table: dict, where: str, name: str, default: int | None = None) -> int:
    value = table.get(name, default)
    if isinstance(value, str) and value.strip().isdigit():  # big integers (wei) as strings, for JSON readers
        value = int(value)
    value = _field({name: value}, where, name, int)
    if value < 0:
        raise GenesisFileError(f"{where}.{name}: must not be negative")
    return value


def _address(table: dict, where: str, name: str) -> bytes:
    text = _field(table, where, name, str)
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 20:
        raise GenesisFileError(f"{where}.{name}: {text!r} is not a 20-byte hex address")
    return raw


def template(*, admin: str, oracle: str, sequencer: str, proposer: str, chain_id: int = 901,
             token: str = TEST_TOKEN) -> str:
    """A documented genesis file (TOML) with the default markets and production windows."""
    return f'''# optrollup genesis: what the L1 contracts commit to. Edit, then `optrollup deploy --genesis FILE`.
# Field by field: bridge/genesis_file.py (and the README, "Operating a node").

[chain]
chain_id = {chain_id}        # L2 chain id (EIP-712 domain with the portal's address); not the L1's
genesis_time = 0        # unix seconds; 0 = the L1 head's time when deploying

[roles]                 # addresses only: keys stay in keystores
admin = "{admin}"       # lists instruments
oracles = ["{oracle}"]  # 1 to 16 addresses that sign oracle updates
sequencer = "{sequencer}"   # posts batches to the inbox
proposer = "{proposer}"     # proposes state roots with a bond

[collateral]
token = "{token}"       # an ERC-20 address, or "test" to deploy the mintable test token (test networks only)
decimals = 6            # must be the token's decimals(); the L2 accounts in 6-decimal units

[fees]
taker_fee_ppm = 300     # parts per million of the premium
maker_fee_ppm = 100
fee_cap_ppm = 125000    # a fee is at most this share (ppm) of the underlying's index value
rate_e6 = 0             # risk-free rate in pricing, 1e-6 units

[[underlyings]]
id = 1
name = "ETH"

[[underlyings]]
id = 2
name = "BTC"

[l1]
bond_wei = "1000000000000000000"   # per state root (1 ETH)
challenge_window_s = 604800        # 7 days before a root is final
force_window_s = 86400             # 1 day for L2 to take a deposit or forced transaction
'''
