"""A pure test-harness contract deployed on revm, called with ABI-encoded arguments."""

from __future__ import annotations

from eth_abi import decode, encode

from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract


class PureHarness:
    """``contracts/test/<name>.vy`` on revm; calling it returns the decoded outputs and
    asserts the call did not revert. A short repr keeps hypothesis' reports readable."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.build = compile_contract(source)
        self.runner = RevmRunner()
        self.address = self.runner.deploy(self.build.initcode)

    def __repr__(self) -> str:
        return f"PureHarness({self.source})"

    def call_gas(self, signature: str, types: list[str], args: list, out_types: list[str]) -> tuple[tuple, int]:
        """``(outputs, gas of the whole transaction)``."""
        result = self.runner.call(self.address, self.build.selector(signature) + encode(types, args))
        assert result.success, (signature, args, result.output)
        return decode(out_types, result.output), result.gas_used

    def __call__(self, signature: str, types: list[str], args: list, out_types: list[str]) -> tuple:
        return self.call_gas(signature, types, args, out_types)[0]
