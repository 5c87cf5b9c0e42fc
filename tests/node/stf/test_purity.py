"""The STF stays pure: no I/O or clock imports, no floats, no true division."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STF = Path(__file__).resolve().parents[3] / "node" / "stf"
BANNED_MODULES = {
    "time", "datetime", "random", "secrets", "os", "sys", "io", "pathlib", "socket", "asyncio",
    "threading", "multiprocessing", "subprocess", "grpc", "lmdb", "math", "decimal", "fractions",
    "logging", "shutil", "tempfile", "urllib", "http", "json", "pickle", "uuid",
}
SOURCES = sorted(STF.rglob("*.py"))


def test_there_is_an_stf_to_check() -> None:
    assert len(SOURCES) > 15


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(STF)))
def test_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] not in BANNED_MODULES, f"{path.name} imports {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.module.split(".")[0] not in BANNED_MODULES, f"{path.name} imports from {node.module}"
        elif isinstance(node, ast.Constant):
            assert not isinstance(node.value, float), f"{path.name}:{node.lineno} float constant {node.value}"
        elif isinstance(node, (ast.BinOp, ast.AugAssign)):
            assert not isinstance(node.op, ast.Div), f"{path.name}:{node.lineno} uses true division"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "float", f"{path.name}:{node.lineno} calls float()"


def test_importing_the_stf_pulls_in_no_server_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, node.stf.block; "
        "bad = [m for m in ('grpc', 'lmdb', 'asyncio', 'web3') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
