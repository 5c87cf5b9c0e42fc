"""A small chain for STF tests: genesis, funded traders, signed transactions, blocks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

from eth_hash.auto import keccak

from node.stf import accounts, invariants, keys
from node.stf.backends import MemoryBackend, RecordingBackend, StateBackend, Witness
from node.stf.block import BlockEnv, BlockResult, apply_block
from node.stf.eip712 import Domain
from node.stf.genesis import Genesis, initialise
from node.stf.receipts import Receipt
from node.stf.state import State
from node.stf.tx_codec import encode_tx
from node.stf.txtypes import (
    CancelAll,
    CancelOrder,
    Deposit,
    ListInstrument,
    Liquidate,
    OracleUpdate,
    PlaceOrder,
    VolPoint,
    Withdraw,
)
from node.wallet import address_of, sign_tx

CHAIN_ID = 421_337
PORTAL = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")  # the test deployment's L1 portal
DOMAIN = Domain(CHAIN_ID, PORTAL)
T0 = 1_796_112_000  # 2026-12-01 08:00:00 UTC
EXPIRY_25DEC26 = 1_798_185_600  # 2026-12-25 08:00 UTC
EXPIRY_29JAN27 = 1_801_209_600  # 2027-01-29 08:00 UTC
E6 = 10**6


def private_key(name: str) -> bytes:
    return keccak(name.encode())


ADMIN = private_key("admin")
ORACLE = private_key("oracle")


@dataclass
class Chain:
    """Genesis plus helpers to sign and apply transactions. ``traders``: name -> private key.

    ``domain``: the deployment the chain belongs to (its genesis and every signature).
    ``underlyings``: the genesis' ``(underlying_id, name)`` pairs.
    """

    backend: StateBackend = field(default_factory=MemoryBackend)
    genesis_time: int = T0
    record_witnesses: bool = False
    domain: Domain = DOMAIN
    underlyings: tuple[tuple[int, bytes], ...] = Genesis.underlyings

    def __post_init__(self) -> None:
        self.state = State(self.backend)
        self.genesis = Genesis(
            self.domain.chain_id, self.domain.verifying_contract, address_of(ADMIN), (address_of(ORACLE),),
            underlyings=self.underlyings, genesis_time=self.genesis_time,
        )
        self.genesis_root = initialise(self.state, self.genesis)
        self.number = 0
        self.time = self.genesis_time
        self.nonces: dict[bytes, int] = defaultdict(int)
        self.oracle_sequences: dict[int, int] = defaultdict(int)
        self.deposits = 0
        self.addresses: set[bytes] = set()
        self.instruments: list[int] = []
        self.history: list[tuple[BlockEnv, list[bytes]]] = []
        self.roots: list[bytes] = []
        self.witnesses: list[tuple[BlockEnv, list[bytes], Witness, BlockResult]] = []

    # -- transactions ------------------------------------------------------------

    def signed(self, key: bytes, body_cls: type, **fields: Any) -> bytes:
        address = address_of(key)
        if "nonce" not in fields:
            fields["nonce"] = self.nonces[address]
            self.nonces[address] += 1
        return sign_tx(key, body_cls(**fields), self.domain)

    def order(self, key: bytes, instrument_id: int, side: int, price: float | int, size: float | int, *,
              tif: int = 0, reduce_only: bool = False, client_order_id: int = 0, expiry: int = 0,
              nonce: int | None = None) -> bytes:
        """A signed order; ``price`` in collateral units, ``size`` in contracts (converted to e6)."""
        extra = {} if nonce is None else {"nonce": nonce}
        return self.signed(
            key, PlaceOrder, instrument_id=instrument_id, side=int(side), price_e6=int(round(price * E6)),
            size_e6=int(round(size * E6)), time_in_force=int(tif), reduce_only=reduce_only,
            client_order_id=client_order_id, expiry=expiry, **extra,
        )

    def cancel(self, key: bytes, order_id: int = 0, client_order_id: int = 0) -> bytes:
        return self.signed(key, CancelOrder, order_id=order_id, client_order_id=client_order_id)

    def cancel_all(self, key: bytes, instrument_id: int = 0) -> bytes:
        return self.signed(key, CancelAll, instrument_id=instrument_id)

    def withdraw(self, key: bytes, amount: float | int, recipient: bytes | None = None) -> bytes:
        return self.signed(key, Withdraw, amount_e6=int(round(amount * E6)),
                           recipient=recipient or address_of(key))

    def liquidate(self, key: bytes, target: bytes, instrument_id: int, size: float | int) -> bytes:
        """A signed ``Liquidate`` of ``target`` (a key or an address); ``size`` in contracts."""
        address = target if len(target) == 20 else address_of(target)
        return self.signed(key, Liquidate, account=address, instrument_id=instrument_id,
                           size_e6=int(round(size * E6)))

    def deposit(self, address: bytes, amount: float | int) -> bytes:
        self.addresses.add(address)
        raw = encode_tx(Deposit(self.deposits, address, int(round(amount * E6))), None)
        self.deposits += 1
        return raw

    def oracle(self, underlying_id: int, index: float | int, vol: float = 0.65, *,
               skew: float = 0.0, curvature: float = 0.0, expiries: Sequence[int] = (EXPIRY_25DEC26,),
               observed: int | None = None) -> bytes:
        """A signed update with the underlying's next sequence, observed at ``observed``
        (default: the time of the next block with ``dt=1``)."""
        surface = tuple(
            VolPoint(e, int(round(vol * E6)), int(round(skew * E6)), int(round(curvature * E6))) for e in expiries
        )
        return self.oracle_e6(underlying_id, int(round(index * E6)), surface, observed=observed)

    def oracle_e6(self, underlying_id: int, index_e6: int, surface: tuple[VolPoint, ...], *,
                  observed: int | None = None, sequence: int | None = None) -> bytes:
        """``oracle`` with exact fields; ``sequence`` defaults to the underlying's next."""
        if sequence is None:
            self.oracle_sequences[underlying_id] += 1
            sequence = self.oracle_sequences[underlying_id]
        return self.signed(ORACLE, OracleUpdate, underlying_id=underlying_id, sequence=sequence,
                           observation_time=self.time + 1 if observed is None else observed,
                           index_price_e6=index_e6, surface=surface)

    def listing(self, underlying_id: int, expiry: int, strike: float | int, is_call: bool,
                tick: float = 0.1, min_size: float = 0.1) -> bytes:
        return self.signed(ADMIN, ListInstrument, underlying_id=underlying_id, expiry=expiry,
                           strike_e6=int(round(strike * E6)), is_call=is_call,
                           tick_size_e6=int(round(tick * E6)), min_size_e6=int(round(min_size * E6)))

    # -- blocks ------------------------------------------------------------------

    def block(self, txs: Sequence[bytes], dt: int = 1, check: bool = True) -> BlockResult:
        self.number += 1
        self.time += dt
        env = BlockEnv(self.number, self.time)
        self.history.append((env, list(txs)))
        if self.record_witnesses:
            recording = RecordingBackend(self.backend)
            self.state = State(recording)
            result = apply_block(self.state, env, txs)
            self.witnesses.append((env, list(txs), recording.witness(), result))
        else:
            result = apply_block(self.state, env, txs)
        self.roots.append(result.state_root)
        if check:
            self.check_invariants()
        return result

    def run(self, *txs: bytes, dt: int = 1) -> list[Receipt]:
        return list(self.block(list(txs), dt=dt).receipts)

    def all_addresses(self) -> list[bytes]:
        """Every account in the committed state (not just the ones this harness created)."""
        return [k[1:] for k in self.backend.keys_with_prefix(bytes([keys.P_ACCOUNT]))]

    def check_invariants(self) -> None:
        everyone = self.all_addresses()
        invariants.check_conservation(self.state, everyone)
        invariants.check_claims(self.state, everyone)
        invariants.check_accounts(self.state, everyone)
        for instrument_id in self.instruments:
            invariants.check_book(self.state, instrument_id)
        invariants.check_positions_net_zero(self.state, everyone, self.instruments)

    # -- set-up shortcuts --------------------------------------------------------------

    def trader(self, name: str, funds: float | int = 100_000) -> bytes:
        key = private_key(name)
        self.addresses.add(address_of(key))
        if funds:
            self.run(self.deposit(address_of(key), funds))
        return key

    def market(self, index: float = 3000, vol: float = 0.65,
               series: Sequence[tuple[int, float, bool]] = ((EXPIRY_25DEC26, 3000, True),)) -> list[int]:
        """List ETH series and post an oracle update; returns the new instrument ids."""
        receipts = self.run(*[self.listing(1, e, k, c) for e, k, c in series])
        ids = [int(r.detail.split()[-1]) for r in receipts]
        assert all(r.ok for r in receipts), receipts
        self.instruments.extend(ids)
        expiries = sorted({e for e, _, _ in series})
        assert self.run(self.oracle(1, index, vol, expiries=expiries))[0].ok
        return ids

    def account(self, key_or_address: bytes):
        address = key_or_address if len(key_or_address) == 20 else address_of(key_or_address)
        return self.state.get(keys.account(address))

    def balance(self, key: bytes) -> int:
        """Cash as the STF reads it (cut by any socialised loss since it was written)."""
        address = key if len(key) == 20 else address_of(key)
        return accounts.load(self.state, address).balance_e6

    def position(self, key: bytes, instrument_id: int) -> int:
        account = self.account(key)
        return 0 if account is None else account.position(instrument_id)
