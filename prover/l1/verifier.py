"""Run one step proof on the deployed L1 verifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode

from prover.client.proof import StepProof
from prover.l1.calldata import step_calldata

_ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)


class StepRefused(Exception):
    """The verifier reverted on a proof; the message is its revert reason."""


def revert_reason(output: bytes) -> str:
    """The reason string of a revert's output (``Error(string)``), or its hex."""
    if output[:4] == _ERROR_SELECTOR:
        try:
            return decode(["string"], output[4:])[0]
        except Exception:  # noqa: BLE001 - a malformed reason is shown raw
            pass
    return "0x" + output.hex()


@dataclass(frozen=True)
class L1Step:
    post_claim: bytes
    gas: int  # the whole transaction's gas (21,000 and calldata included)


def run_step(runner: Any, verifier: bytes, proof: StepProof, gas: int = 30_000_000) -> L1Step:
    """``verifier.step(proof.pre_claim, proof)`` on ``runner``; raises ``StepRefused``."""
    result = runner.call(verifier, step_calldata(proof), gas=gas)
    if not result.success:
        raise StepRefused(revert_reason(result.output) if result.output else result.error or "halted")
    return L1Step(bytes(decode(["bytes32"], result.output)[0]), result.gas_used)
