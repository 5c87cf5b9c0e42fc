"""Every fault-verifier contract deploys on a real L1: its runtime code is at most EIP-170's
24,576 bytes, built as ``bridge/fault_contracts.py`` builds it (per-source settings), and
it deploys on a revm that enforces the limit. A family is registered in ``FAMILIES`` only
when every contract of it fits."""

from __future__ import annotations

from typing import Final

import pytest

from bridge.fault_contracts import FAMILIES, VERIFIER_SOURCE, Family
from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract

EIP170: Final = 24_576


def _sources() -> list[tuple[Family, str]]:
    seen: dict[str, Family] = {}
    for family in FAMILIES:
        for source in (*family.helpers, family.source):
            seen.setdefault(source, family)
    return [(family, source) for source, family in seen.items()]


@pytest.mark.parametrize("family,source", _sources(), ids=lambda x: x if isinstance(x, str) else "")
def test_runtime_code_fits_eip170(family: Family, source: str) -> None:
    size = len(family.build(source).runtime)
    print(f"{source:<28}{size:>8,} bytes")
    assert size <= EIP170, (source, size)


def test_verifier_fits_eip170() -> None:
    assert len(compile_contract(VERIFIER_SOURCE).runtime) <= EIP170


def test_every_family_deploys_under_the_limit() -> None:
    """``deploy_verifier`` with every registered family on a revm with the code size limit on."""
    from prover.l1.deploy import deploy_verifier

    runner = RevmRunner()
    deployment = deploy_verifier(runner)
    assert {"fault/steps_place.vy", "fault/steps_account.vy"} <= set(deployment.families)
    for source, address in deployment.families.items():
        assert runner.evm.basic("0x" + address.hex()).code, source
