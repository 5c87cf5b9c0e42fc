"""The committed generated code is exactly what ``python -m node.rpc.codegen`` produces."""

from __future__ import annotations

from pathlib import Path

from node.rpc import codegen


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_committed_code_is_current(tmp_path):
    written = codegen.generate(tmp_path / "generated")
    fresh = _tree(tmp_path / "generated")
    assert sorted(fresh) == sorted(str(p) for p in written)
    committed = _tree(codegen.GENERATED_DIR)
    assert fresh.keys() == committed.keys()
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"regenerate with `python -m node.rpc.codegen`: {stale}"


def test_imports_are_rewritten_to_the_package(tmp_path):
    codegen.generate(tmp_path / "generated")
    texts = [p.read_text() for p in (tmp_path / "generated" / "optrollup" / "v1").glob("*.py*")]
    assert not any("\nfrom optrollup.v1 import" in t or t.startswith("from optrollup.v1") for t in texts)
    assert any("from node.rpc.generated.optrollup.v1 import types_pb2" in t for t in texts)
    assert codegen.fix_imports("from optrollup.v1 import a_pb2 as b\nx = 'from optrollup.v1 import'\n") == (
        "from node.rpc.generated.optrollup.v1 import a_pb2 as b\nx = 'from optrollup.v1 import'\n")


def test_generated_package_imports():
    from node.rpc.generated.optrollup.v1 import query_pb2_grpc, trading_pb2, trading_pb2_grpc

    assert trading_pb2.DESCRIPTOR.package == "optrollup.v1"
    assert hasattr(trading_pb2_grpc, "TradingStub") and hasattr(query_pb2_grpc, "QueryServicer")
