"""L1 for the derivation verifier's tests, on revm: the real bridge contracts driven at
chosen L1 times, or a storage double holding any Python scenario's records and queues."""

from __future__ import annotations

from typing import Any, Sequence

from eth_abi import decode, encode

from bridge.evm_call import DEFAULT_SENDER, EvmCallError
from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract
from node.l1.batch_chunks import chunks_root
from node.l1.queue_hashes import deposit_hash, forced_hash
from node.stf.hashing import keccak256
from node.stf.l1_inputs import BatchRecord, L1Deposit, L1Forced

WINDOW_S = 600
RECORD = "(uint256,bytes32,bytes32,uint256,uint256,uint256,uint256,uint256)"


def transact(runner: RevmRunner, build, address: bytes, signature: str, args: Sequence[Any] = (),
             out: Sequence[str] = (), **kwargs: Any) -> tuple:
    """Call ``signature`` on ``address`` and keep its effects; raises on a revert."""
    types = signature[signature.index("(") + 1:-1]
    arg_types = [t for t in _split(types)] if types else []
    result = runner.call(address, build.selector(signature) + encode(arg_types, list(args)), commit=True, **kwargs)
    if not result.success:
        raise EvmCallError(f"{signature} reverted: {result.output!r}")
    return tuple(decode(list(out), result.output)) if out else ()


def _split(types: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(types):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(types[start:i])
            start = i + 1
    out.append(types[start:])
    return out


class RealL1:
    """Token, portal, forced-inclusion queue and inbox as deployed on L1, driven at set times."""

    def __init__(self, runner: RevmRunner) -> None:
        from pyrevm import BlockEnv

        self.runner, self._block_env = runner, BlockEnv
        self.builds = {name: compile_contract(path) for name, path in (
            ("token", "token/test_usd.vy"), ("portal", "bridge/portal.vy"),
            ("forced", "bridge/forced_inclusion.vy"), ("inbox", "bridge/batch_inbox.vy"))}
        self.number = 1
        self.at(1_000_000)
        self.token = runner.deploy(self.builds["token"].initcode)
        self.portal = runner.deploy(self.builds["portal"].initcode,
                                    encode(["address", "address", "uint256"], [self.token, b"\x01" * 20, WINDOW_S]))
        self.forced = runner.deploy(self.builds["forced"].initcode, encode(["uint256"], [WINDOW_S]))
        self.inbox = runner.deploy(self.builds["inbox"].initcode, encode(
            ["address", "address", "address"], [DEFAULT_SENDER, self.portal, self.forced]))
        self._call("token", "mint(address,uint256)", [DEFAULT_SENDER, 10**30])
        self._call("token", "approve(address,uint256)", [self.portal, 10**30])
        self.time = 1_000_000

    def at(self, time: int) -> None:
        """Let the next L1 block be at ``time``."""
        self.number += 1
        self.time = time
        self.runner.evm.set_block_env(self._block_env(number=self.number, timestamp=time))

    def _call(self, name: str, signature: str, args: Sequence[Any], out: Sequence[str] = ()) -> tuple:
        return transact(self.runner, self.builds[name], getattr(self, name), signature, args, out)

    def deposit(self, recipient: bytes, amount_e6: int) -> L1Deposit:
        (index,) = self._call("portal", "deposit(address,uint256)", [recipient, amount_e6], ["uint256"])
        return L1Deposit(index, recipient, amount_e6, self.time + WINDOW_S, self.number)

    def force(self, raw_tx: bytes) -> L1Forced:
        (count,) = transact(self.runner, self.builds["forced"], self.forced, "forced_count()", (), ["uint256"])
        self._call("forced", "force(bytes)", [raw_tx])
        return L1Forced(count, raw_tx, self.time + WINDOW_S, self.number)

    def append(self, data: bytes, last_l2_block: int) -> BatchRecord:
        self._call("inbox", "append_batch(bytes,uint256)", [data, last_l2_block])
        (count,) = transact(self.runner, self.builds["inbox"], self.inbox, "batch_count()", (), ["uint256"])
        (record,) = transact(self.runner, self.builds["inbox"], self.inbox, "batches(uint256)", [count - 1], [RECORD])
        length, root, _hash, _block, time, deposits_seen, forced_seen, last = record
        assert root == chunks_root(data)
        return BatchRecord(count - 1, length, time, deposits_seen, forced_seen, last)


class L1Double:
    """``contracts/test/l1_double.vy``: one contract answering as the inbox, the portal and
    the forced queue, loaded with any scenario's records and entries."""

    def __init__(self, runner: RevmRunner) -> None:
        self.runner = runner
        self.build = compile_contract("test/l1_double.vy")
        self.address = runner.deploy(self.build.initcode)

    def _set(self, signature: str, args: Sequence[Any]) -> None:
        transact(self.runner, self.build, self.address, signature, args)

    def set_batch(self, record: BatchRecord, data: bytes) -> None:
        self._set(f"set_batch(uint256,{RECORD})", [record.index, (
            record.length, chunks_root(data), keccak256(data), 0, record.time, record.deposits_seen,
            record.forced_seen, record.last_l2_block)])

    def set_deposits(self, deposits: Sequence[L1Deposit]) -> None:
        for d in deposits:
            self._set("set_deposit_hash(uint256,bytes32)", [d.index, deposit_hash(d)])

    def set_forced(self, forced: Sequence[L1Forced]) -> None:
        for f in forced:
            self._set("set_forced_hash(uint256,bytes32)", [f.index, forced_hash(f)])


def load_batch(l1: L1Double, batch: int, inputs) -> None:
    """Put batch ``batch`` (``inputs``: a ``prover.client.inputs.MemoryInputs``) and every
    queue entry it can see on ``l1``: the differential driver's ``before`` hook."""
    record = inputs.record
    l1.set_batch(record, inputs.batch_data)
    l1.set_deposits(inputs.deposits[:record.deposits_seen])
    l1.set_forced(inputs.forced_txs[:record.forced_seen])
