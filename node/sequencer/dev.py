"""A development chain: genesis, keys and the set-up transactions of ``optrollup node --dev``.

Everything here goes through the real path: the genesis is a ``Genesis``; series are listed
by ``ListInstrument`` transactions signed by the dev admin key, priced by an ``OracleUpdate``
signed by the dev oracle key, and the dev accounts are funded by ``Deposit`` system
transactions, as the L1 watcher will submit them. The keys are derived from public strings:
never use them outside a development chain.

The chain's EIP-712 domain is a ``Domain``: a chain deployed with an L1 (``optrollup l1``)
takes the chain id chosen at deployment and the portal's address; a dev chain with no L1
uses ``DEV_DOMAIN`` (``DEV_CHAIN_ID`` and the zero address: there is no portal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from node.stf.eip712 import Domain
from node.stf.genesis import Genesis
from node.stf.hashing import keccak256
from node.stf.params import EXPIRY_TIME_OF_DAY, SECONDS_PER_DAY
from node.stf.tx_codec import encode_tx
from node.stf.txtypes import Deposit, ListInstrument, OracleUpdate, VolPoint
from node.wallet import address_of, sign_tx

DEV_CHAIN_ID: Final = 901
DEV_DOMAIN: Final = Domain(DEV_CHAIN_ID, bytes(20))  # a dev chain without an L1 has no portal
E6: Final = 10**6
DEV_ACCOUNTS: Final = ("alice", "bob", "carol", "maker")
DEV_FUNDS_E6: Final = 1_000_000 * E6  # one million collateral units each
# underlying id, name, index (collateral units), ATM vol e6, strikes, tick e6, min size e6
DEV_UNDERLYINGS: Final = (
    (1, "ETH", 3_000, 650_000, (2_600, 2_800, 3_000, 3_200, 3_400), 100_000, 100_000),
    (2, "BTC", 100_000, 550_000, (90_000, 95_000, 100_000, 105_000, 110_000), 5 * E6, 10_000),
)
DEV_EXPIRIES: Final = 3  # weekly expiries (Fridays, 08:00 UTC)


def dev_key(name: str) -> bytes:
    """The dev private key named ``name`` (keccak of a public string: development only)."""
    return keccak256(b"optrollup-dev-" + name.encode())


ADMIN_KEY: Final = dev_key("admin")
ORACLE_KEY: Final = dev_key("oracle")


def fridays_after(now: int, count: int) -> list[int]:
    """The next ``count`` Fridays at 08:00 UTC at least one day after ``now`` (unix seconds)."""
    day = (now + SECONDS_PER_DAY) // SECONDS_PER_DAY + 1
    out = []
    while len(out) < count:
        if (day + 3) % 7 == 4:  # 1970-01-01 was a Thursday: (day + 3) % 7 == 0 on Mondays
            out.append(day * SECONDS_PER_DAY + EXPIRY_TIME_OF_DAY)
        day += 1
    return out


@dataclass(frozen=True)
class DevChain:
    """The genesis, the set-up transactions (in order) and the funded dev keys (name -> key)."""

    genesis: Genesis
    setup_txs: tuple[bytes, ...]
    accounts: dict[str, bytes]
    expiries: tuple[int, ...]
    series_count: int


def dev_genesis(now: int, domain: Domain = DEV_DOMAIN) -> Genesis:
    """The genesis of a development chain starting at ``now`` (unix seconds) for ``domain``."""
    return Genesis(domain.chain_id, domain.verifying_contract, address_of(ADMIN_KEY), (address_of(ORACLE_KEY),),
                   underlyings=tuple((uid, name.encode()) for uid, name, *_ in DEV_UNDERLYINGS),
                   genesis_time=now)


def dev_chain(now: int, domain: Domain = DEV_DOMAIN, *, oracle_time: int | None = None) -> DevChain:
    """A development chain starting at ``now`` (unix seconds) for ``domain``.

    Its opening oracle updates are observed at ``oracle_time`` (default ``now``): they must
    be fresh when sequenced (``oracle.MAX_ORACLE_AGE_S``), so a node bootstrapping a chain
    whose genesis is older passes its own clock.
    """
    genesis = dev_genesis(now, domain)
    observed = now if oracle_time is None else oracle_time
    expiries = fridays_after(now, DEV_EXPIRIES)
    txs: list[bytes] = []
    nonce = 0
    for uid, _, _, _, strikes, tick, min_size in DEV_UNDERLYINGS:
        for expiry in expiries:
            for strike in strikes:
                for is_call in (True, False):
                    body = ListInstrument(nonce, uid, expiry, strike * E6, is_call, tick, min_size)
                    txs.append(sign_tx(ADMIN_KEY, body, domain))
                    nonce += 1
    series_count = nonce
    for oracle_nonce, (uid, _, index, vol_e6, *_rest) in enumerate(DEV_UNDERLYINGS):
        surface = tuple(VolPoint(e, vol_e6, 0, 0) for e in expiries)
        update = OracleUpdate(oracle_nonce, uid, 1, observed, index * E6, surface)  # each underlying's sequence 1
        txs.append(sign_tx(ORACLE_KEY, update, domain))
    accounts = {name: dev_key(name) for name in DEV_ACCOUNTS}
    for index, key in enumerate(accounts.values()):
        txs.append(encode_tx(Deposit(index, address_of(key), DEV_FUNDS_E6), None))
    return DevChain(genesis, tuple(txs), accounts, tuple(expiries), series_count)


async def bootstrap(sequencer, chain: DevChain) -> int:
    """Submit ``chain.setup_txs`` as system transactions and wait for their blocks.

    Returns the block number of the last one; raises ``RuntimeError`` if any failed.
    """
    futures = [sequencer.submit_system(raw) for raw in chain.setup_txs]
    last = 0
    for future in futures:
        number, receipt = await future
        if not receipt.ok:
            raise RuntimeError(f"dev chain set-up failed: {receipt.code.name} {receipt.detail}")
        last = max(last, number)
    return last
