"""A pure test-harness contract deployed on revm (or another runner), called with ABI-encoded arguments."""

from __future__ import annotations

from eth_abi import decode, encode

from typing import Any

from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract


class PureHarness:
    """``contracts/test/<name>.vy`` on revm (or ``runner``: an ``EvmRunner`` to show py-evm
    agrees); calling it returns the decoded outputs and asserts the call did not revert
    (``try_call``: ``None`` when it reverted). A short repr keeps hypothesis' reports readable."""

    def __init__(self, source: str, runner: Any = None) -> None:
        self.source = source
        self.build = compile_contract(source)
        self.runner = runner if runner is not None else RevmRunner()
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

    def try_call(self, signature: str, types: list[str], args: list, out_types: list[str]) -> tuple | None:
        """The decoded outputs, or ``None`` if the call reverted."""
        result = self.runner.call(self.address, self.build.selector(signature) + encode(types, args))
        return decode(out_types, result.output) if result.success else None
