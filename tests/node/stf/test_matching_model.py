"""Model-based (differential) tests of the order book.

A small reference matching engine, written for obviousness rather than speed, runs next to
the real STF: one plain Python list per instrument and side holding the resting orders in
arrival order. The best maker is simply the order with the best price and, among equal
prices, the earliest arrival; a taker walks them one at a time. Every rule comes from the
README ("The order book in state", "Orders and matching", "Fees"):

- price-time priority, the trade price is the maker's price, partial fills;
- GTC rests its remainder, IOC cancels it (``NO_LIQUIDITY``), FOK fails the whole
  transaction unless completely filled, post-only is rejected if it would cross;
- self-trade prevention cancels the taker's own resting order (``SELF_TRADE``) and goes on;
  a resting order whose own expiry has passed is removed when met (``MAKER_CANCELLED_EXPIRED``);
- at most ``MAX_MATCH_STEPS`` fills and, apart, ``MAX_MATCH_REMOVALS`` removed resting orders;
  a GTC remainder that would still cross afterwards is cancelled (``MATCH_LIMIT_REACHED`` or
  ``REMOVAL_LIMIT_REACHED``), otherwise it rests;
- cancel by order id / client order id, cancel-all per instrument or everything;
- order ids are handed out sequentially to every successfully placed order;
- fees per fill and side ``floor(size*min(index*fee_ppm, price*cap_ppm)/1e12)``
  with the genesis defaults (taker 300, maker 100, cap 125000 ppm), premium
  ``price*size/1e6`` from buyer to seller, rounded in the maker's favour (up when it sells).

Margin is kept out of the picture: every trader holds 10**9 collateral units and no order is
reduce-only, so no margin or balance check can bind (resting orders are backed many times over).

The transactions go through the real STF in blocks (``Chain``); after every transaction the
receipt is compared with the model's, after every block the whole book (levels best-first,
FIFO per level), every trader's balance, positions, open orders and client-order-id index,
the order-id counter and the fee pool.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf import book, keys
from node.stf.errors import FailureCode as FC
from node.stf.params import MAX_MATCH_REMOVALS, MAX_MATCH_STEPS, MAX_OPEN_ORDERS, MAX_PRICE_E6, MAX_SIZE_E6
from node.stf.txtypes import CancelAll, CancelOrder, PlaceOrder
from node.wallet import address_of
from tests.node.stf.harness import E6, EXPIRY_25DEC26, Chain, private_key

BUY, SELL = 0, 1
GTC, IOC, FOK, POST_ONLY = 0, 1, 2, 3
N_TRADERS = 4
FUNDS = 10**9  # collateral units per trader: margin never binds
INDEX_E6 = 3_123_456_789  # an index with digits, so fees round
TAKER_FEE_PPM, MAKER_FEE_PPM, FEE_CAP_PPM = 300, 100, 125_000  # genesis defaults (README, "Fees")
MAX_CLIENT_ID = 4


@dataclass(frozen=True)
class Spec:
    """One listed series as the tests use it: tick and minimum size (e6) and price bands in ticks."""

    strike: int
    is_call: bool
    tick_e6: int
    min_e6: int
    nears: tuple[tuple[int, int], ...]  # narrow bands of ticks where most orders cross (one per regime)
    wide: tuple[int, int]  # anywhere in the allowed range
    lots: int  # largest ordinary size, in minimum sizes
    big: tuple[int, int]  # size range of sweeping orders, in minimum sizes


SPECS = (
    # The call: tick 0.1, minimum 0.1, prices 50..250 (mostly 149..151). Fee by index.
    Spec(3000, True, 100_000, 100_000, ((1490, 1510), (1490, 1510)), (500, 2500), 30, (60, 400)),
    # The put: tick 0.0003, minimum 0.007, prices 1..12, so the premium and fees round, and the
    # 12.5% cap binds for takers (price < ~7.5: regime 0 trades near 6) and for makers too
    # (price < ~2.5: regime 1 trades near 2).
    Spec(2800, False, 300, 7_000, ((19_990, 20_010), (6_660, 6_680)), (3_334, 40_000), 40, (80, 600)),
)


# -- actions -------------------------------------------------------------------------------


class Place(NamedTuple):
    trader: int
    inst: int  # index into SPECS
    side: int
    ticks: int
    lots: int
    tif: int
    client_id: int
    expiry: int | None  # seconds after the block time (None: no expiry)
    mangle: str = ""  # "", "tick" (off tick), "step" (off step), "min" (below minimum)


class Ladder(NamedTuple):
    """Shorthand for ``count`` small GTC orders on one side, by the traders in turn, over 5 ticks."""

    trader: int
    inst: int
    side: int
    ticks: int  # the best price of the ladder, in ticks
    count: int

    def expand(self) -> list[Place]:
        away = 1 if self.side == SELL else -1
        return [Place((self.trader + n) % N_TRADERS, self.inst, self.side, self.ticks + away * (n % 5), 1 + n % 2,
                      GTC, 0, None) for n in range(self.count)]


class CancelId(NamedTuple):
    trader: int
    pick: int  # mapped onto an open order (anyone's) or an id that is not open


class CancelClient(NamedTuple):
    trader: int
    client_id: int


class CancelEvery(NamedTuple):
    trader: int
    which: int  # 0, 1: that instrument; 2: everything


# -- the reference model ---------------------------------------------------------------------


@dataclass
class MOrder:
    oid: int
    owner: int
    inst: int
    side: int
    price: int
    remaining: int
    client_id: int
    expiry: int


class Expected(NamedTuple):
    code: int
    order_id: int = 0
    filled: int = 0
    rested: int = 0
    remainder: int = 0
    fills: tuple = ()
    cancelled: tuple = ()
    count: int | None = None  # cancel-all: how many orders


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def fee(size: int, price: int, fee_ppm: int) -> int:
    return min(size * INDEX_E6 * fee_ppm, size * price * FEE_CAP_PPM) // 10**12


def better_key(side: int, price: int) -> int:
    """Smaller is better: bids rank high prices first, asks low prices first."""
    return -price if side == BUY else price


def crosses(taker_side: int, taker_price: int, maker_price: int) -> bool:
    return maker_price <= taker_price if taker_side == BUY else maker_price >= taker_price


class Model:
    def __init__(self, inst_ids: list[int], addresses: list[bytes], next_order_id: int, funds_e6: int) -> None:
        self.inst_ids = inst_ids
        self.addresses = addresses
        self.books: dict[tuple[int, int], list[MOrder]] = {(i, s): [] for i in inst_ids for s in (BUY, SELL)}
        self.balances = [funds_e6] * len(addresses)
        self.positions: list[dict[int, int]] = [{} for _ in addresses]
        self.next_order_id = next_order_id
        self.fee_pool = 0

    # queries
    def open_orders(self, trader: int) -> list[MOrder]:
        return sorted((o for orders in self.books.values() for o in orders if o.owner == trader), key=lambda o: o.oid)

    def all_open(self) -> list[MOrder]:
        return sorted((o for orders in self.books.values() for o in orders), key=lambda o: o.oid)

    def best(self, inst: int, side: int) -> MOrder | None:
        orders = self.books[(inst, side)]
        if not orders:
            return None
        position = min(range(len(orders)), key=lambda n: (better_key(side, orders[n].price), n))
        return orders[position]

    def levels(self, inst: int, side: int) -> list[tuple[int, list[tuple]]]:
        orders = self.books[(inst, side)]
        prices = sorted({o.price for o in orders}, key=lambda p: better_key(side, p))
        return [
            (p, [(o.oid, self.addresses[o.owner], o.remaining, o.client_id, o.expiry) for o in orders if o.price == p])
            for p in prices
        ]

    def remove(self, order: MOrder) -> None:
        self.books[(order.inst, order.side)].remove(order)

    # transactions
    def place(self, trader: int, inst: int, side: int, price: int, size: int, tif: int, client_id: int,
              expiry: int, now: int, spec: Spec) -> Expected:
        if expiry and expiry < now:
            return Expected(FC.ORDER_EXPIRED)
        if not 0 < price <= MAX_PRICE_E6:
            return Expected(FC.PRICE_OUT_OF_RANGE)
        if price % spec.tick_e6:
            return Expected(FC.PRICE_OFF_TICK)
        if size < spec.min_e6:
            return Expected(FC.SIZE_BELOW_MINIMUM)
        if size > MAX_SIZE_E6:
            return Expected(FC.FIELD_OUT_OF_RANGE)
        if size % spec.min_e6:
            return Expected(FC.SIZE_OFF_STEP)
        mine = self.open_orders(trader)
        if client_id and any(o.client_id == client_id for o in mine):
            return Expected(FC.DUPLICATE_CLIENT_ORDER_ID)
        if tif in (GTC, POST_ONLY) and len(mine) >= MAX_OPEN_ORDERS:
            return Expected(FC.TOO_MANY_OPEN_ORDERS)
        opposite = 1 - side
        if tif == POST_ONLY:
            best = self.best(inst, opposite)
            if best is not None and crosses(side, price, best.price):
                return Expected(FC.POST_ONLY_WOULD_CROSS)

        saved = copy.deepcopy((self.books, self.balances, self.positions, self.next_order_id, self.fee_pool))
        oid = self.next_order_id
        self.next_order_id += 1
        remaining = size
        fills: list[tuple] = []
        cancelled: list[tuple[int, int]] = []
        while remaining and len(fills) < MAX_MATCH_STEPS and len(cancelled) < MAX_MATCH_REMOVALS:
            maker = self.best(inst, opposite)
            if maker is None or not crosses(side, price, maker.price):
                break
            if maker.expiry and maker.expiry < now:
                self.remove(maker)
                cancelled.append((maker.oid, FC.MAKER_CANCELLED_EXPIRED))
                continue
            if maker.owner == trader:
                self.remove(maker)
                cancelled.append((maker.oid, FC.SELF_TRADE))
                continue
            q = min(remaining, maker.remaining)
            premium = ceil_div(maker.price * q, E6) if side == BUY else maker.price * q // E6
            taker_fee = fee(q, maker.price, TAKER_FEE_PPM)
            maker_fee = fee(q, maker.price, MAKER_FEE_PPM)
            buyer, seller = (trader, maker.owner) if side == BUY else (maker.owner, trader)
            self.balances[buyer] -= premium
            self.balances[seller] += premium
            self.balances[trader] -= taker_fee
            self.balances[maker.owner] -= maker_fee
            self.fee_pool += taker_fee + maker_fee
            self.positions[buyer][inst] = self.positions[buyer].get(inst, 0) + q
            self.positions[seller][inst] = self.positions[seller].get(inst, 0) - q
            fills.append((maker.oid, self.addresses[maker.owner], self.addresses[trader], inst, side,
                          maker.price, q, maker_fee, taker_fee))
            maker.remaining -= q
            remaining -= q
            if maker.remaining == 0:
                self.remove(maker)

        rested = 0
        remainder = FC.OK
        if remaining:
            best = self.best(inst, opposite)
            still_crossing = best is not None and crosses(side, price, best.price)
            if tif == FOK:
                self.books, self.balances, self.positions, self.next_order_id, self.fee_pool = saved
                return Expected(FC.FOK_NOT_FILLABLE)
            if tif == IOC:
                remainder = FC.NO_LIQUIDITY
            elif still_crossing:
                remainder = FC.MATCH_LIMIT_REACHED if len(fills) == MAX_MATCH_STEPS else FC.REMOVAL_LIMIT_REACHED
            else:
                self.books[(inst, side)].append(MOrder(oid, trader, inst, side, price, remaining, client_id, expiry))
                rested = remaining
        return Expected(FC.OK, oid, size - remaining, rested, remainder, tuple(fills), tuple(cancelled))

    def cancel(self, trader: int, order_id: int, client_id: int) -> Expected:
        if order_id == 0:
            found = [o for o in self.open_orders(trader) if client_id and o.client_id == client_id]
            if not found:
                return Expected(FC.UNKNOWN_ORDER)
            order_id = found[0].oid
        found = [o for o in self.all_open() if o.oid == order_id]
        if not found:
            return Expected(FC.UNKNOWN_ORDER)
        if found[0].owner != trader:
            return Expected(FC.NOT_ORDER_OWNER)
        self.remove(found[0])
        return Expected(FC.OK, order_id)

    def cancel_all(self, trader: int, inst: int) -> Expected:
        mine = [o for o in self.open_orders(trader) if inst == 0 or o.inst == inst]
        for order in mine:
            self.remove(order)
        return Expected(FC.OK, count=len(mine))


# -- driving the STF and the model side by side ---------------------------------------------


def observed(receipt) -> Expected:
    count = None
    if receipt.ok and receipt.detail.endswith("orders cancelled"):
        count = int(receipt.detail.split()[0])
    return Expected(
        int(receipt.code),
        receipt.order_id,
        receipt.filled_e6,
        receipt.rested_e6,
        int(receipt.remainder_code),
        tuple((f.maker_order_id, f.maker, f.taker, f.instrument_id, f.taker_side, f.price_e6, f.size_e6,
               f.maker_fee_e6, f.taker_fee_e6) for f in receipt.fills),
        tuple((o, int(c)) for o, c in receipt.cancelled),
        count,
    )


def normalise(expected: Expected) -> Expected:
    """Enums to plain ints, so a mismatch prints readably."""
    return expected._replace(
        code=int(expected.code), remainder=int(expected.remainder),
        cancelled=tuple((o, int(c)) for o, c in expected.cancelled),
    )


class Harness:
    """A fresh chain with two series and four funded traders, plus the model of its book."""

    def __init__(self) -> None:
        chain = Chain()
        listings = [chain.listing(1, EXPIRY_25DEC26, s.strike, s.is_call, tick=s.tick_e6 / E6, min_size=s.min_e6 / E6)
                    for s in SPECS]
        receipts = chain.run(*listings)
        assert all(r.ok for r in receipts), receipts
        self.inst_ids = [int(r.detail.split()[-1]) for r in receipts]
        chain.instruments.extend(self.inst_ids)
        assert chain.run(chain.oracle(1, INDEX_E6 / E6, 0.65))[0].ok
        for inst_id, spec in zip(self.inst_ids, SPECS):
            inst = chain.state.get(keys.instrument(inst_id))
            assert (inst.tick_size_e6, inst.min_size_e6) == (spec.tick_e6, spec.min_e6)
            assert chain.state.get(keys.mark(inst_id)).index_e6 == INDEX_E6
        self.keys = [private_key(f"model-trader-{n}") for n in range(N_TRADERS)]
        self.addresses = [address_of(k) for k in self.keys]
        chain.addresses.update(self.addresses)
        assert all(r.ok for r in chain.run(*[chain.deposit(a, FUNDS) for a in self.addresses]))
        self.chain = chain
        next_order_id = chain.state.get(keys.GLOBALS).next_order_id
        self.model = Model(self.inst_ids, self.addresses, next_order_id, FUNDS * E6)
        self.fee_pool_at_start = chain.state.get(keys.GLOBALS).fee_pool_e6
        self.stats: Counter = Counter()
        self.check_state()

    def tx(self, action, now: int) -> tuple[bytes, Expected]:
        """The signed transaction for ``action`` and what the model expects of it (applied to the model)."""
        chain, model = self.chain, self.model
        key = self.keys[action.trader]
        if isinstance(action, Place):
            spec = SPECS[action.inst]
            price = action.ticks * spec.tick_e6
            size = action.lots * spec.min_e6
            if action.mangle == "tick":
                price += spec.tick_e6 // 2
            elif action.mangle == "step":
                size += spec.min_e6 // 2
            elif action.mangle == "min":
                size = spec.min_e6 // 2
            expiry = 0 if action.expiry is None else now + action.expiry
            inst_id = self.inst_ids[action.inst]
            raw = chain.signed(key, PlaceOrder, instrument_id=inst_id, side=action.side, price_e6=price,
                               size_e6=size, time_in_force=action.tif, reduce_only=False,
                               client_order_id=action.client_id, expiry=expiry)
            return raw, model.place(action.trader, inst_id, action.side, price, size, action.tif,
                                    action.client_id, expiry, now, spec)
        if isinstance(action, CancelId):
            open_ids = [o.oid for o in model.all_open()]
            if open_ids and action.pick % 4 != 3:
                order_id = open_ids[action.pick % len(open_ids)]
            else:
                order_id = action.pick % (model.next_order_id + 2)  # filled, cancelled, future or 0
            raw = chain.signed(key, CancelOrder, order_id=order_id, client_order_id=0)
            return raw, model.cancel(action.trader, order_id, 0)
        if isinstance(action, CancelClient):
            raw = chain.signed(key, CancelOrder, order_id=0, client_order_id=action.client_id)
            return raw, model.cancel(action.trader, 0, action.client_id)
        assert isinstance(action, CancelEvery)
        inst_id = 0 if action.which == 2 else self.inst_ids[action.which]
        raw = chain.signed(key, CancelAll, instrument_id=inst_id)
        return raw, model.cancel_all(action.trader, inst_id)

    def block(self, actions: list, dt: int = 1) -> None:
        actions = [a for action in actions for a in (action.expand() if isinstance(action, Ladder) else [action])]
        now = self.chain.time + dt
        txs, expected = [], []
        for action in actions:
            raw, exp = self.tx(action, now)
            txs.append(raw)
            expected.append(normalise(exp))
        result = self.chain.block(txs, dt=dt)  # also checks the STF's own invariants
        assert self.chain.time == now
        for n, (action, exp, receipt) in enumerate(zip(actions, expected, result.receipts)):
            got = observed(receipt)
            assert got == exp, (
                f"block {self.chain.number} tx {n}: {action}\n"
                f"  STF:   {got}\n  model: {exp}\n  detail: {receipt.detail}"
            )
            self.count(action, got)
        self.check_state()

    def count(self, action, got: Expected) -> None:
        stats = self.stats
        stats["txs"] += 1
        stats[f"code:{FC(got.code).name}"] += 1
        stats["fills"] += len(got.fills)
        for _, code in got.cancelled:
            stats[f"removed:{FC(code).name}"] += 1
        if got.remainder:
            stats[f"remainder:{FC(got.remainder).name}"] += 1
        if len(got.fills) == MAX_MATCH_STEPS:
            stats["bound:touched"] += 1
            if got.rested:
                stats["bound:rested"] += 1
        if len(got.cancelled) == MAX_MATCH_REMOVALS:
            stats["bound:removals"] += 1
        if got.fills and got.rested:
            stats["partial:rested"] += 1
        for f in got.fills:
            price, size, maker_fee, taker_fee = f[5], f[6], f[7], f[8]
            by_price = size * price * FEE_CAP_PPM
            if by_price < size * INDEX_E6 * MAKER_FEE_PPM:
                stats["fee:maker-capped"] += 1
            if by_price < size * INDEX_E6 * TAKER_FEE_PPM:
                stats["fee:taker-capped"] += 1
        if any(f[5] * f[6] % E6 for f in got.fills):
            stats["premium:rounded"] += 1

    def check_state(self) -> None:
        state, model = self.chain.state, self.model
        for inst_id in self.inst_ids:
            for side in (BUY, SELL):
                stf_levels = []
                for price, level in book.side_levels(state, inst_id, side):
                    orders = [(oid, o.owner, o.remaining_e6, o.client_order_id, o.expiry)
                              for oid, o in book.level_orders(state, inst_id, side, price)]
                    assert level.total_size_e6 == sum(o[2] for o in orders)
                    assert all(o.instrument_id == inst_id and o.side == side and o.price_e6 == price
                               for _, o in book.level_orders(state, inst_id, side, price))
                    stf_levels.append((price, orders))
                assert stf_levels == model.levels(inst_id, side), (
                    f"book of instrument {inst_id} side {side} after block {self.chain.number}:\n"
                    f"  STF:   {stf_levels}\n  model: {model.levels(inst_id, side)}"
                )
        for n, address in enumerate(self.addresses):
            account = state.get(keys.account(address))
            positions = tuple(sorted((i, s) for i, s in model.positions[n].items() if s))
            mine = model.open_orders(n)
            assert account.balance_e6 == model.balances[n], f"trader {n} balance after block {self.chain.number}"
            assert account.positions == positions, f"trader {n} positions after block {self.chain.number}"
            assert account.open_orders == tuple(o.oid for o in mine), f"trader {n} open orders"
            for client_id in range(1, MAX_CLIENT_ID + 1):
                index = state.get(keys.client_order(address, client_id))
                owners = [o.oid for o in mine if o.client_id == client_id]
                assert (index.order_id if index else None) == (owners[0] if owners else None), (
                    f"trader {n} client order id {client_id}"
                )
        globals_ = state.get(keys.GLOBALS)
        assert globals_.next_order_id == model.next_order_id
        assert globals_.fee_pool_e6 - self.fee_pool_at_start == model.fee_pool


# -- strategies -------------------------------------------------------------------------------------

traders = st.integers(0, N_TRADERS - 1)


@st.composite
def place_actions(draw, regime: int) -> Place:
    inst = draw(st.integers(0, 1))
    spec = SPECS[inst]
    near = spec.nears[regime]
    side = draw(st.integers(0, 1))
    if draw(st.integers(0, 9)) == 0:  # a sweep: big and aggressive
        lots = draw(st.integers(*spec.big))
        ticks = spec.wide[1] if side == BUY else spec.wide[0]
        ticks = draw(st.sampled_from((ticks, near[1] if side == BUY else near[0])))
    else:
        lots = draw(st.one_of(st.integers(1, 5), st.integers(1, spec.lots)))
        ticks = draw(st.integers(*(near if draw(st.integers(0, 5)) else spec.wide)))
    return Place(
        trader=draw(traders),
        inst=inst,
        side=side,
        ticks=ticks,
        lots=lots,
        tif=draw(st.sampled_from((GTC, GTC, GTC, GTC, IOC, FOK, POST_ONLY))),
        client_id=draw(st.sampled_from((0, 0, 0, 1, 2, 3, 4))),
        expiry=draw(st.sampled_from((None,) * 8 + (-1, 0, 1, 3))),
        mangle=draw(st.sampled_from(("",) * 24 + ("tick", "step", "min"))),
    )


@st.composite
def actions(draw, regime: int):
    kind = draw(st.integers(0, 10))  # mostly orders
    if kind < 7:
        return draw(place_actions(regime))
    if kind == 10:  # many makers, for a sweep to hit the match-step bound
        inst = draw(st.integers(0, 1))
        side = draw(st.integers(0, 1))
        near = SPECS[inst].nears[regime]
        ticks = draw(st.integers(*near))
        return Ladder(draw(traders), inst, side, ticks, draw(st.integers(10, 45)))
    if kind == 7:
        return CancelId(draw(traders), draw(st.integers(0, 200)))
    if kind == 8:
        return CancelClient(draw(traders), draw(st.integers(0, MAX_CLIENT_ID)))
    return CancelEvery(draw(traders), draw(st.integers(0, 2)))


def blocks(regime: int):
    block = st.tuples(st.integers(1, 3), st.lists(actions(regime), min_size=4, max_size=30))
    return st.lists(block, min_size=2, max_size=6)


workloads = st.integers(0, 1).flatmap(lambda regime: st.tuples(st.just(regime), blocks(regime)))


def test_random_sequences_match_the_reference_model() -> None:
    totals: Counter = Counter()

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(workload=workloads)
    def run(workload) -> None:
        harness = Harness()
        _regime, blocks_ = workload
        for dt, block_actions in blocks_:
            harness.block(block_actions, dt=dt)
        totals.update(harness.stats)

    run()
    # across the examples the book really traded, hit every time-in-force path and removed orders
    assert totals["fills"] >= 500, totals
    for key in ("code:FOK_NOT_FILLABLE", "code:POST_ONLY_WOULD_CROSS", "remainder:NO_LIQUIDITY",
                "removed:SELF_TRADE", "removed:MAKER_CANCELLED_EXPIRED", "partial:rested", "fee:taker-capped",
                "fee:maker-capped", "premium:rounded"):
        assert totals[key] > 0, (key, totals)
    # the match-step bound is reached only in some draws: the seeded tests below cover it for sure


# -- a long deterministic sequence that hits the match-step bound ---------------------------------------


def seeded_workload(seed: int, n_blocks: int, per_block: int) -> list[tuple[int, list]]:
    rng = random.Random(seed)
    workload = []
    for _ in range(n_blocks):
        regime = rng.randrange(2)
        block_actions: list = []
        while len(block_actions) < per_block:
            roll = rng.random()
            who = rng.randrange(N_TRADERS)
            inst = rng.choice((0, 0, 1))
            spec = SPECS[inst]
            if roll < 0.12:
                # a ladder: the traders lay many small orders over a few ticks of one side...
                side = rng.randrange(2)
                lo, hi = spec.nears[regime]
                mid = (lo + hi) // 2
                for _ in range(rng.randint(15, 40)):
                    ticks = mid + rng.randint(1, 6) if side == SELL else mid - rng.randint(1, 6)
                    block_actions.append(Place(who, inst, side, ticks, rng.randint(1, 2), GTC, 0,
                                               rng.choice((None,) * 9 + (0,))))
                    who = rng.randrange(N_TRADERS)
                # ...and another sweeps it, maybe only up to a price inside the ladder
                taker_side = 1 - side
                limit = mid + rng.randint(-6, 6) if rng.random() < 0.3 else (hi if taker_side == BUY else lo)
                block_actions.append(Place(rng.randrange(N_TRADERS), inst, taker_side, limit,
                                           rng.randint(*spec.big) // 4, rng.choice((GTC, GTC, IOC, FOK)), 0, None))
            elif roll < 0.80:
                side = rng.randrange(2)
                ticks = rng.randint(*(spec.nears[regime] if rng.random() < 0.85 else spec.wide))
                block_actions.append(Place(
                    who, inst, side, ticks, rng.randint(1, spec.lots // 3),
                    rng.choice((GTC, GTC, GTC, GTC, IOC, FOK, POST_ONLY)),
                    rng.choice((0, 0, 0, 0, 1, 2, 3, 4)),
                    rng.choice((None,) * 10 + (-1, 0, 1, 2)),
                    rng.choice(("",) * 40 + ("tick", "step", "min")),
                ))
            elif roll < 0.90:
                block_actions.append(CancelId(who, rng.randrange(1000)))
            elif roll < 0.96:
                block_actions.append(CancelClient(who, rng.randrange(MAX_CLIENT_ID + 1)))
            else:
                block_actions.append(CancelEvery(who, rng.choice((0, 1, 2, 2))))
        workload.append((rng.randint(1, 2), block_actions))
    return workload


def test_long_seeded_sequence_matches_the_model_and_hits_the_step_bound() -> None:
    harness = Harness()
    for dt, block_actions in seeded_workload(seed=2024, n_blocks=20, per_block=50):
        harness.block(block_actions, dt=dt)
    stats = harness.stats
    assert stats["txs"] >= 800, stats
    assert stats["fills"] >= 400, stats
    assert stats["bound:touched"] >= 3, stats
    assert stats["remainder:MATCH_LIMIT_REACHED"] >= 1, stats
    for key in ("code:FOK_NOT_FILLABLE", "code:POST_ONLY_WOULD_CROSS", "code:DUPLICATE_CLIENT_ORDER_ID",
                "code:UNKNOWN_ORDER", "code:NOT_ORDER_OWNER", "code:ORDER_EXPIRED", "code:PRICE_OFF_TICK",
                "code:SIZE_OFF_STEP", "code:SIZE_BELOW_MINIMUM", "remainder:NO_LIQUIDITY",
                "removed:SELF_TRADE", "removed:MAKER_CANCELLED_EXPIRED", "partial:rested",
                "fee:taker-capped", "fee:maker-capped", "premium:rounded"):
        assert stats[key] > 0, (key, stats)


# -- the bound's edges, scripted -----------------------------------------------------------------------


def _ladder(count: int, trader_of, price_ticks: int = 1500) -> list[Place]:
    return [Place(trader_of(n), 0, SELL, price_ticks, 1, GTC, 0, None) for n in range(count)]


def test_step_bound_edges_match_the_model() -> None:
    h = Harness()
    clear = [CancelEvery(t, 2) for t in range(N_TRADERS)]

    def others(n: int) -> int:  # traders 1..3 make, trader 0 takes
        return 1 + n % 3

    # exactly MAX_MATCH_STEPS crossing makers and a bigger GTC taker: the book no longer
    # crosses after the bound, so the remainder rests
    h.block(_ladder(MAX_MATCH_STEPS, others) + [Place(2, 0, SELL, 1510, 1, GTC, 0, None)])
    h.block([Place(0, 0, BUY, 1500, 40, GTC, 0, None)])
    assert h.stats["bound:rested"] == 1, h.stats
    h.block(clear)

    # one more crossing maker than the bound: the remainder is cancelled
    h.block(_ladder(MAX_MATCH_STEPS + 1, others))
    h.block([Place(0, 0, BUY, 1500, 40, GTC, 0, None)])
    assert h.stats["remainder:MATCH_LIMIT_REACHED"] == 1, h.stats
    h.block(clear)

    # the taker's own resting orders and expired makers are removed on their own budget: the
    # taker still gets all its fills behind them
    h.block([Place(0, 0, SELL, 1500, 1, GTC, 0, None) for _ in range(10)]
            + [Place(1, 0, SELL, 1500, 1, GTC, 0, 0) for _ in range(10)]
            + _ladder(MAX_MATCH_STEPS + 1, others))
    h.block([Place(0, 0, BUY, 1500, 40, GTC, 0, None)], dt=2)  # the expiring ones have expired
    assert h.stats["removed:SELF_TRADE"] == 10 and h.stats["removed:MAKER_CANCELLED_EXPIRED"] == 10, h.stats
    assert h.stats["remainder:MATCH_LIMIT_REACHED"] == 2 and h.stats["bound:touched"] == 3, h.stats
    h.block(clear)

    # as many removals as the budget: matching stops there, the remainder is cancelled
    h.block([Place(1, 0, SELL, 1500, 1, GTC, 0, 0) for _ in range(MAX_MATCH_REMOVALS)] + _ladder(2, others))
    h.block([Place(0, 0, BUY, 1500, 40, GTC, 0, None)], dt=2)
    assert h.stats["bound:removals"] == 1 and h.stats["remainder:REMOVAL_LIMIT_REACHED"] == 1, h.stats
    h.block(clear)

    # IOC and FOK at the bound
    h.block(_ladder(MAX_MATCH_STEPS + 2, others))
    h.block([Place(0, 0, BUY, 1500, 40, FOK, 0, None), Place(0, 0, BUY, 1500, 40, IOC, 0, None)])
    assert h.stats["code:FOK_NOT_FILLABLE"] == 1 and h.stats["remainder:NO_LIQUIDITY"] == 1, h.stats
    # a FOK that fits exactly within the bound fills
    h.block([Place(0, 0, BUY, 1500, 2, FOK, 0, None)])
    assert h.stats["bound:touched"] >= 4, h.stats


def test_open_order_limit_matches_the_model() -> None:
    h = Harness()
    # trader 3 fills its open-order slots with bids that nobody crosses (50.0 .. 62.7)
    h.block([Place(3, 0, BUY, 500 + n, 1, GTC, 1 + n % 2 if n < 2 else 0, None) for n in range(MAX_OPEN_ORDERS)])
    assert len(h.model.open_orders(3)) == MAX_OPEN_ORDERS
    h.block([
        Place(3, 0, BUY, 600, 1, GTC, 0, None),  # no free slot
        Place(3, 0, BUY, 400, 1, POST_ONLY, 0, None),  # no free slot either
        Place(3, 0, SELL, 620, 1, GTC, 0, None),  # would only meet its own bids: still no slot
        Place(3, 1, SELL, 20_000, 1, IOC, 0, None),  # an IOC never rests: allowed
        Place(3, 0, SELL, 625, 3, IOC, 0, None),  # self-trade prevention removes its 3 best bids
        Place(3, 0, BUY, 600, 1, GTC, 0, None),  # now there is room
        Place(0, 0, SELL, 500, 200, IOC, 0, None),  # sweeps MAX_MATCH_STEPS of trader 3's bids
        CancelClient(3, 2),
        CancelClient(3, 1),
        CancelEvery(3, 1),  # nothing on the put
    ])
    assert h.stats["code:TOO_MANY_OPEN_ORDERS"] == 3, h.stats
    assert h.stats["removed:SELF_TRADE"] == 3 and h.stats["bound:touched"] == 1, h.stats
    h.block([CancelEvery(3, 0), CancelEvery(3, 2)])
    assert h.model.open_orders(3) == []
