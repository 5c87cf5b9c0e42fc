"""Option math: gas of one Black-Scholes price in Vyper, and Python time per price.

Figures:
- ``math.bs_price_gas``: execution gas of one ``bs_price`` call on the harness (ABI decode,
  range checks, pricing, return), for an at-the-money-ish 30-day call; ``tx_gas`` adds
  the 21,000 base and the calldata, as a transaction would pay; ``max_gas`` is the worst
  over 200 realistic inputs.
- ``math.bs_greeks_gas``: the same for ``bs_price_and_greeks``.
- ``math.bs_price_us`` and ``math.bs_greeks_us``: Python microseconds per call, median of
  5 runs over 2,000 realistic inputs (spot 1..1e6, strike 0.5x..2x, 1 day..2 years, vol
  5%..300%, rate 0..10%).
"""

from __future__ import annotations

import math
import random
import statistics
import time

from bench.common import emit
from bridge.evm_call import EvmRunner
from bridge.vyper_build import compile_contract
from node.stf.fixedpoint import WAD
from node.stf.optionmath import bs_price, bs_price_and_greeks

BS_TYPES = ["uint256", "uint256", "uint256", "uint256", "int256", "bool"]
BS_SIG = "bs_price(uint256,uint256,uint256,uint256,int256,bool)"
GREEKS_SIG = "bs_price_and_greeks(uint256,uint256,uint256,uint256,int256,bool)"
REFERENCE = (2000 * WAD, 2100 * WAD, 30 * WAD // 365, 65 * WAD // 100, 5 * WAD // 100, True)


def _inputs(count: int, seed: int = 7) -> list[tuple[int, int, int, int, int, bool]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        s = 10 ** rng.uniform(0, 6)
        k = s * math.exp(rng.uniform(math.log(0.5), math.log(2)))
        out.append((int(s * WAD), int(k * WAD), int(rng.uniform(1 / 365, 2) * WAD),
                    int(rng.uniform(0.05, 3) * WAD), int(rng.uniform(0, 0.1) * WAD),
                    rng.random() < 0.5))
    return out


def _gas(runner: EvmRunner, address: bytes, selector: bytes, args) -> tuple[int, int]:
    from eth_abi import encode

    data = selector + encode(BS_TYPES, list(args))
    result = runner.call(address, data)
    assert result.success, result.error
    return result.gas_used, runner.transaction_gas(data, result.gas_used)


def _us_per_call(fn, cases, repeats: int = 5) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for case in cases:
            fn(*case)
        runs.append((time.perf_counter() - start) * 1e6 / len(cases))
    return statistics.median(runs)


def run() -> None:
    build = compile_contract("test/option_math_harness.vy")
    runner = EvmRunner()
    address = runner.deploy(build.initcode)
    sample = _inputs(200, seed=8)
    for metric, sig in (("math.bs_price_gas", BS_SIG), ("math.bs_greeks_gas", GREEKS_SIG)):
        selector = build.selector(sig)
        gas, tx_gas = _gas(runner, address, selector, REFERENCE)
        worst = max(_gas(runner, address, selector, case)[0] for case in sample)
        emit("math", metric, gas, "gas", tx_gas=tx_gas, max_gas=worst)
    cases = _inputs(2000)
    emit("math", "math.bs_price_us", _us_per_call(bs_price, cases), "us")
    emit("math", "math.bs_greeks_us", _us_per_call(bs_price_and_greeks, cases), "us")


if __name__ == "__main__":
    run()
