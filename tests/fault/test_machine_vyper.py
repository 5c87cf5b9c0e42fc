"""``contracts/fault/lib/machine.vy`` against the cursor helpers of ``node/stf/steps.py``: each
helper on random cursors gives the same cursor bytes."""

from __future__ import annotations

import random

import pytest
from eth_abi import decode, encode

from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract
from node.stf import steps
from node.stf.cursor import Cursor, CursorError, encode_cursor
from node.stf.errors import FailureCode, TxFailure
from node.stf.steps import StepIO
from tests.fault.test_cursor_vyper import random_cursor

SIGNATURE = "helper(uint256,bytes,uint256,uint256,bytes32,int256[],int256[])"


class _Checkpoint:
    """A state whose checkpoint is a given root (``ProvingState.checkpoint``)."""

    def __init__(self, root: bytes) -> None:
        self.root = root

    def checkpoint(self) -> bytes:
        return self.root


@pytest.fixture(scope="module")
def harness():
    build = compile_contract("test/machine_harness.vy")
    runner = RevmRunner()
    address = runner.deploy(build.initcode)

    def call(which: int, cursor: Cursor, a: int = 0, b: int = 0, root: bytes = bytes(32), regs=(), keep=()):
        result = runner.call(address, build.selector(SIGNATURE) + encode(
            ["uint256", "bytes", "uint256", "uint256", "bytes32", "int256[]", "int256[]"],
            [which, encode_cursor(cursor), a, b, root, list(regs), list(keep)]))
        return decode(["bytes"], result.output)[0] if result.success else None
    return call


def _python(which: int, c: Cursor, a: int, b: int, root: bytes, regs: tuple, keep: tuple) -> bytes | None:
    try:
        if which == 0:
            out = steps.goto(c, a, regs)
        elif which == 1:
            out = steps.end_tx(_EndState(), c, StepIO(), None)
        elif which == 2:
            out = steps.fail(c, StepIO(), TxFailure(FailureCode(a), ""))
        elif which == 3:
            out = steps.begin_body(_Checkpoint(root), c)
        elif which == 4:
            out = steps.checkpoint_push(_Checkpoint(root), c)
        elif which == 5:
            out = steps.restore_then(c, a, b, regs)
        elif which == 6:
            out = steps.call(c, a, regs, b, keep)
        else:
            out = steps.ret(c, regs)
        return encode_cursor(out)
    except (IndexError, CursorError):  # ret on an empty stack; end_tx past 2**256 - 1
        return None


class _EndState:
    def commit_transaction(self) -> None:
        pass


def test_every_helper_moves_the_cursor_as_python(harness) -> None:
    rng = random.Random(4)
    codes = [int(c) for c in FailureCode]
    moved = 0
    for i in range(160):
        which = i % 8
        c = random_cursor(rng)._replace(regs=tuple(rng.randrange(-10**9, 10**9) for _ in range(rng.randrange(20))))
        if which in (3, 4, 6) and len(c.saved) >= 7:
            c = c._replace(saved=c.saved[:6])
        if which == 6 and len(c.stack) == 4:
            c = c._replace(stack=c.stack[:3])
        a = rng.choice(codes) if which == 2 else rng.randrange(120)
        b = rng.randrange(120)
        root = rng.randbytes(32)
        regs = tuple(rng.randrange(-2**200, 2**200) for _ in range(rng.randrange(12)))
        keep = tuple(rng.randrange(-2**64, 2**64) for _ in range(rng.randrange(14)))
        expected = _python(which, c, a, b, root, regs, keep)
        got = harness(which, c, a, b, root, regs, keep)
        assert got == expected, f"helper {which} on {c}"
        moved += got is not None
    assert moved > 130
