"""The README documents every failure code under its stable number."""

from __future__ import annotations

from pathlib import Path

from node.stf.errors import FailureCode

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_failure_code_is_documented() -> None:
    for code in FailureCode:
        assert f"| {code.value} | `{code.name}` |" in README, code


def test_no_placeholder_left() -> None:
    assert "PLACEHOLDER" not in README
