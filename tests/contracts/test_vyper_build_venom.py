"""The Venom code generator (used for the fault verifier's contracts) gives the legacy
generator's results with less code."""

from __future__ import annotations

from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract


def test_venom_codesize_same_results_less_code():
    legacy = compile_contract("test/option_math_harness.vy")
    venom = compile_contract("test/option_math_harness.vy", venom=True, optimize="codesize")
    assert len(venom.runtime) < 0.8 * len(legacy.runtime)
    runner = RevmRunner()
    a, b = runner.deploy(legacy.initcode), runner.deploy(venom.initcode)
    for sig, arg in (("exp_wad(int256)", 10**18), ("ln_wad(int256)", 3 * 10**18), ("ln_wad(int256)", 0),
                     ("sqrt_wad(uint256)", 2 * 10**18), ("norm_cdf_wad(int256)", -(10**18))):
        data = legacy.selector(sig) + (arg % 2**256).to_bytes(32, "big")
        x, y = runner.call(a, data), runner.call(b, data)
        assert (x.success, x.output) == (y.success, y.output)
