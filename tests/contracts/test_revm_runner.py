"""The fast EVM of the differential tests (``bridge.revm_call``) agrees with py-evm.

Same output and revert data for the same calls, and a gas difference of exactly the
transaction's intrinsic gas (revm reports whole-transaction gas, py-evm execution gas).
"""

from __future__ import annotations

import pytest

from bridge.evm_call import EvmRunner
from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract


@pytest.fixture(scope="module")
def runners():
    build = compile_contract("test/option_math_harness.vy")
    out = []
    for runner in (EvmRunner(), RevmRunner()):
        out.append((runner, runner.deploy(build.initcode)))
    return build, out


@pytest.mark.parametrize("value", [0, 1, 4 * 10**18, 2**200])
def test_same_output_and_gas_up_to_intrinsic(runners, value):
    build, ((py, py_addr), (rv, rv_addr)) = runners
    data = build.selector("sqrt_wad(uint256)") + value.to_bytes(32, "big")
    a, b = py.call(py_addr, data), rv.call(rv_addr, data)
    assert (a.success, a.output) == (b.success, b.output)
    assert b.gas_used - a.gas_used == EvmRunner.intrinsic_gas(data)


def test_revert_data_is_kept(runners):
    build, ((py, py_addr), (rv, rv_addr)) = runners
    data = build.selector("ln_wad(int256)") + (0).to_bytes(32, "big")
    a, b = py.call(py_addr, data), rv.call(rv_addr, data)
    assert not a.success and not b.success
    assert a.output == b.output and b"ln of non-positive" in b.output
