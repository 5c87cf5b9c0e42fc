"""contracts/lib/option_math.vy is bit-identical to node/stf/optionmath.py.

The harness (contracts/test/option_math_harness.vy) is deployed once on an in-memory
py-evm state; batches of up to 256 inputs go through one message each, so 10,000
Black-Scholes prices take some 30 seconds. Inputs mix realistic markets, wide strikes,
the whole domain and its corners (which is where an ``unsafe_*`` wraparound would show).
"""

from __future__ import annotations

import math
import random
import re

import pytest
from eth_abi import decode, encode

from bridge.evm_call import EvmRunner
from bridge.vyper_build import compile_contract
from node.stf import optionmath as om
from node.stf.fixedpoint import WAD

BATCH = 256
BS_TYPES = ["uint256", "uint256", "uint256", "uint256", "int256", "bool"]
BS_TUPLE = "(uint256,uint256,uint256,uint256,int256,bool)"
RESULT_TUPLE = "(uint256,int256,uint256,uint256,int256)"
PRIMITIVES = {0: om.exp_wad, 1: om.ln_wad, 2: om.norm_cdf_wad, 3: om.norm_pdf_wad, 4: om.sqrt_wad}
GAS_TARGET = 10_000


@pytest.fixture(scope="module")
def harness():
    build = compile_contract("test/option_math_harness.vy")
    runner = EvmRunner()
    address = runner.deploy(build.initcode)
    return runner, build, address


def _call(harness, signature, types, args, out_types):
    runner, build, address = harness
    return runner.call_abi(address, build.selector(signature), types, args, out_types)


def _bs_batch(harness, cases):
    out = []
    for i in range(0, len(cases), BATCH):
        (prices,), _gas = _call(harness, f"bs_price_batch({BS_TUPLE}[])", [f"{BS_TUPLE}[]"],
                                [cases[i:i + BATCH]], ["uint256[]"])
        out.extend(prices)
    return out


# ---------------------------------------------------------------------------------------
# Inputs


def _realistic(rng: random.Random):
    s = 10 ** rng.uniform(0, 6)
    k = s * math.exp(rng.uniform(math.log(0.5), math.log(2)))
    return (int(s * WAD), int(k * WAD), int(rng.uniform(1 / 365, 2) * WAD),
            int(rng.uniform(0.05, 3) * WAD), int(rng.uniform(0, 0.1) * WAD), rng.random() < 0.5)


def _wide(rng: random.Random):
    s = 10 ** rng.uniform(-6, 12)
    k = s * math.exp(rng.uniform(math.log(0.01), math.log(100)))
    t = rng.choice([rng.randint(0, 10**14), rng.randint(0, om.MAX_T_WAD)])
    vol = rng.choice([0, rng.randint(0, 10**12), rng.randint(0, om.MAX_VOL_WAD)])
    rate = rng.randint(-om.MAX_RATE_WAD, om.MAX_RATE_WAD)
    return (max(1, min(int(s * WAD), om.MAX_PRICE_WAD)), max(1, min(int(k * WAD), om.MAX_PRICE_WAD)),
            t, vol, rate, rng.random() < 0.5)


def _domain(rng: random.Random):
    def price():
        return rng.choice([rng.randint(1, om.MAX_PRICE_WAD), 10 ** rng.randint(0, 36),
                           1, om.MAX_PRICE_WAD])

    return (price(), price(), rng.choice([rng.randint(0, om.MAX_T_WAD), 0, 1, om.MAX_T_WAD]),
            rng.choice([rng.randint(0, om.MAX_VOL_WAD), 0, 1, om.MAX_VOL_WAD]),
            rng.choice([rng.randint(-om.MAX_RATE_WAD, om.MAX_RATE_WAD), -om.MAX_RATE_WAD,
                        om.MAX_RATE_WAD, 0]),
            rng.random() < 0.5)


def bs_inputs(seed: int, count: int):
    rng = random.Random(seed)
    makers = [_realistic] * 6 + [_wide] * 2 + [_domain] * 2
    return [rng.choice(makers)(rng) for _ in range(count)]


# ---------------------------------------------------------------------------------------
# Bit identity


def test_bs_price_bit_identical_10k(harness):
    cases = bs_inputs(seed=20, count=10_000)
    got = _bs_batch(harness, cases)
    expected = [om.bs_price(*c) for c in cases]
    mismatches = [(c, g, e) for c, g, e in zip(cases, got, expected) if g != e]
    assert not mismatches, mismatches[:5]


def test_bs_greeks_bit_identical(harness):
    cases = bs_inputs(seed=21, count=1024)
    got = []
    for i in range(0, len(cases), BATCH):
        (results,), _gas = _call(harness, f"bs_greeks_batch({BS_TUPLE}[])", [f"{BS_TUPLE}[]"],
                                 [cases[i:i + BATCH]], [f"{RESULT_TUPLE}[]"])
        got.extend(results)
    for case, result in zip(cases, got):
        r = om.bs_price_and_greeks(*case)
        assert tuple(result) == (r.price, r.delta, r.gamma, r.vega, r.theta), case


def test_single_calls_match_batches(harness):
    for case in bs_inputs(seed=22, count=20):
        (price,), _ = _call(harness, "bs_price(uint256,uint256,uint256,uint256,int256,bool)",
                            BS_TYPES, case, ["uint256"])
        assert price == om.bs_price(*case)
        (result,), _ = _call(harness,
                             "bs_price_and_greeks(uint256,uint256,uint256,uint256,int256,bool)",
                             BS_TYPES, case, [RESULT_TUPLE])
        r = om.bs_price_and_greeks(*case)
        assert tuple(result) == (r.price, r.delta, r.gamma, r.vega, r.theta)


def _primitive_inputs(fn: int, rng: random.Random, count: int):
    if fn == 0:
        xs = [rng.randint(-45 * WAD, 135 * WAD) for _ in range(count)]
        return xs + [rng.randint(-5 * WAD, 5 * WAD) for _ in range(count)] + [
            135 * WAD, -42 * WAD, -42 * WAD - 1, 0, -(2**255)]
    if fn == 1:
        xs = [rng.randint(1, 2**255 - 1) >> rng.randint(0, 254) for _ in range(count)]
        return [x or 1 for x in xs] + [rng.randint(WAD // 100, 100 * WAD) for _ in range(count)] + [
            1, WAD, 2**255 - 1]
    if fn in (2, 3):
        xs = [rng.randint(-11 * WAD, 11 * WAD) for _ in range(count)]
        return xs + [rng.randint(-3 * WAD, 3 * WAD) for _ in range(count)] + [
            0, 2 * WAD, -2 * WAD, 9 * WAD, -9 * WAD, 10 * WAD, 2**255 - 1, -(2**255)]
    xs = [rng.randint(0, om.SQRT_WAD_MAX) >> rng.randint(0, 190) for _ in range(count)]
    return xs + [0, 1, om.SQRT_WAD_MAX]


@pytest.mark.parametrize("fn", sorted(PRIMITIVES), ids=lambda f: PRIMITIVES[f].__name__)
def test_primitives_bit_identical(harness, fn):
    xs = _primitive_inputs(fn, random.Random(30 + fn), 500)
    got = []
    for i in range(0, len(xs), BATCH):
        (out,), _ = _call(harness, "int_batch(uint256,int256[])", ["uint256", "int256[]"],
                          [fn, xs[i:i + BATCH]], ["int256[]"])
        got.extend(out)
    for x, g in zip(xs, got):
        assert g == PRIMITIVES[fn](x), x


def test_years_from_seconds_identical(harness):
    rng = random.Random(40)
    for s in [0, 1, 86_400, om.SECONDS_PER_YEAR, om.MAX_SECONDS] + [rng.randint(0, 10**10) for _ in range(20)]:
        (y,), _ = _call(harness, "years_from_seconds_wad(uint256)", ["uint256"], [s], ["uint256"])
        assert y == om.years_from_seconds_wad(s)


# ---------------------------------------------------------------------------------------
# Out of domain: Python raises exactly where Vyper reverts


BAD_BS = [
    (0, WAD, WAD, WAD, 0, True),
    (WAD, 0, WAD, WAD, 0, False),
    (om.MAX_PRICE_WAD + 1, WAD, WAD, WAD, 0, True),
    (WAD, om.MAX_PRICE_WAD + 1, WAD, WAD, 0, True),
    (WAD, WAD, om.MAX_T_WAD + 1, WAD, 0, True),
    (WAD, WAD, WAD, om.MAX_VOL_WAD + 1, 0, False),
    (WAD, WAD, WAD, WAD, om.MAX_RATE_WAD + 1, True),
    (WAD, WAD, WAD, WAD, -om.MAX_RATE_WAD - 1, False),
]


def _reverts(harness, signature, types, args) -> bytes:
    runner, build, address = harness
    result = runner.call(address, build.selector(signature) + encode(types, list(args)))
    assert not result.success, args
    return result.output


@pytest.mark.parametrize("case", BAD_BS)
def test_bs_reverts_where_python_raises(harness, case):
    with pytest.raises(om.MathDomainError):
        om.bs_price(*case)
    for name in ("bs_price", "bs_price_and_greeks"):
        out = _reverts(harness, f"{name}(uint256,uint256,uint256,uint256,int256,bool)", BS_TYPES, case)
        assert decode(["string"], out[4:])[0].startswith("option_math:")


@pytest.mark.parametrize("signature,arg,python", [
    ("exp_wad(int256)", 135 * WAD + 1, om.exp_wad),
    ("ln_wad(int256)", 0, om.ln_wad),
    ("ln_wad(int256)", -WAD, om.ln_wad),
    ("sqrt_wad(uint256)", om.SQRT_WAD_MAX + 1, om.sqrt_wad),
    ("years_from_seconds_wad(uint256)", om.MAX_SECONDS + 1, om.years_from_seconds_wad),
])
def test_primitive_reverts_where_python_raises(harness, signature, arg, python):
    with pytest.raises(om.MathDomainError):
        python(arg)
    out = _reverts(harness, signature, [signature.split("(")[1][:-1]], [arg])
    assert decode(["string"], out[4:])[0].startswith("option_math:")


# ---------------------------------------------------------------------------------------
# Source and gas


def test_vyper_constants_match_python():
    source = (compile_contract("test/option_math_harness.vy").path.parent.parent
              / "lib" / "option_math.vy").read_text()
    consts = {}
    for name, expr in re.findall(r"^([A-Z0-9_]+): constant\([a-z0-9]+\) = (.+)$", source, re.M):
        consts[name] = eval(expr.replace("max_value(uint256)", str(2**256 - 1)))
    for name in ("LN2_Q128", "INV_LN2_Q64", "SQRT2_Q64", "LN_WAD_Q64", "INV_SQRT_2PI_Q64",
                 "WAD_TO_Q64_MUL", "RT_MUL", "EXP_Q64_MIN", "TAIL_T_NUM", "TAIL_T_BASE",
                 "TAIL_T_CENTRE_Q64", "W_MIN_Q64", "MAX_PRICE_WAD", "MAX_T_WAD", "MAX_VOL_WAD",
                 "MAX_RATE_WAD", "MAX_SECONDS", "EXP_WAD_MAX", "EXP_WAD_MIN", "SQRT_WAD_MAX",
                 "CDF_WAD_LIMIT", "PDF_WAD_LIMIT", "CDF_CENTRAL_LIMIT_Q64", "CDF_LIMIT_Q64",
                 "PDF_LIMIT_Q64", "SECONDS_PER_YEAR"):
        assert consts[name] == getattr(om, name), name
    assert tuple(consts[f"LN{i}"] for i in range(7, -1, -1)) == om.LN_POLY_Q64
    assert tuple(consts[f"CDF_C{i}"] for i in range(13, -1, -1)) == om.CDF_CENTRAL_Q64
    assert tuple(consts[f"CDF_T{i}"] for i in range(12, -1, -1)) == om.CDF_TAIL_Q64


def test_bs_price_gas_within_target(harness):
    worst = 0
    for case in bs_inputs(seed=23, count=60):
        _, gas = _call(harness, "bs_price(uint256,uint256,uint256,uint256,int256,bool)",
                       BS_TYPES, case, ["uint256"])
        worst = max(worst, gas)
    assert worst <= GAS_TARGET, worst
