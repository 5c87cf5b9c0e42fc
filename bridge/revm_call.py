"""Run contract code on an in-memory revm (``pyrevm``): the fast EVM of the differential tests.

The same interface as :class:`bridge.evm_call.EvmRunner` (``deploy``, ``call``,
``call_abi``), for tests and soaks that run hundreds of thousands of calls: revm runs a
verifier step in well under a millisecond where py-evm takes tens. Rules are Prague's,
as the devnet's. ``pyrevm`` is a test dependency (the ``dev`` extra); the node never
imports this module.

Every call is a whole transaction: transient storage (EIP-1153) and warm sets start
empty, and ``CallResult.gas_used`` is the transaction's gas (21,000 and calldata
included, refunds applied), which is what an L1 transaction carrying the call would be
charged and what the step gas bounds are stated in. State changes are kept only with
``commit=True``.
"""

from __future__ import annotations

import re
from typing import Any, Final, Sequence

from bridge.evm_call import DEFAULT_GAS, DEFAULT_SENDER, CallResult, EvmCallError

SPEC: Final = "PRAGUE"
_REVERT = re.compile(r"gas_used: (\d+), output: 0x([0-9a-fA-F]*)")


def _hex(address: bytes) -> str:
    return "0x" + address.hex()


class RevmRunner:
    """One in-memory revm state to deploy to and call into."""

    def __init__(self, gas_limit: int = DEFAULT_GAS, code_size_limit: int | None = None) -> None:
        """``code_size_limit``: deployed code bound in bytes (None: EIP-170's 24,576). Tests of
        contracts not yet split under EIP-170 lift it to check their results; never the devnet's."""
        from pyrevm import EVM, CfgEnv, Env  # a test dependency: imported only by tests and soaks

        self.gas_limit = gas_limit
        env = None if code_size_limit is None else Env(cfg=CfgEnv(limit_contract_code_size=code_size_limit))
        self.evm = EVM(env=env, spec_id=SPEC, gas_limit=gas_limit)
        self.evm.set_balance(_hex(DEFAULT_SENDER), 10**30)

    def deploy(self, initcode: bytes, args: bytes = b"", sender: bytes = DEFAULT_SENDER) -> bytes:
        """Create a contract from ``initcode + args``; return its address."""
        try:
            address = self.evm.deploy(_hex(sender), initcode + args, gas=self.gas_limit)
        except RuntimeError as exc:
            raise EvmCallError(f"deployment failed: {exc}") from None
        return bytes.fromhex(address[2:])

    def call(self, to: bytes, data: bytes, *, sender: bytes = DEFAULT_SENDER, gas: int = DEFAULT_GAS,
             value: int = 0, commit: bool = False) -> CallResult:
        """Send one transaction's message to ``to``; keep its state changes only with ``commit``."""
        checkpoint = None if commit else self.evm.snapshot()
        self.evm.reset_transient_storage()  # revm keeps it after a committed call; an L1 transaction starts without
        try:
            output = self.evm.message_call(_hex(sender), _hex(to), data, value=value or None, gas=gas)
        except RuntimeError as exc:
            text = str(exc)
            match = _REVERT.search(text)
            if match:
                result = CallResult(False, bytes.fromhex(match.group(2)), int(match.group(1)), "Revert")
            else:  # a halt (out of gas, invalid opcode, ...): no output
                result = CallResult(False, b"", gas, text)
        else:
            result = CallResult(True, bytes(output), int(self.evm.result.gas_used))
        if checkpoint is not None:
            self.evm.revert(checkpoint)
        return result

    def call_abi(self, to: bytes, selector: bytes, arg_types: Sequence[str], args: Sequence[Any],
                 out_types: Sequence[str], **kwargs: Any) -> tuple[tuple[Any, ...], int]:
        """ABI-encode, call, decode; return ``(outputs, gas_used)``. Raises on revert."""
        from eth_abi import decode, encode

        result = self.call(to, selector + encode(list(arg_types), list(args)), **kwargs)
        if not result.success:
            raise EvmCallError(f"call reverted: {result.error} {result.output.hex()}")
        return tuple(decode(list(out_types), result.output)), result.gas_used
