"""Child process of the crash test: extends a stored chain block after block until killed.

``python -m tests.node.store.crash_writer STORE_DIR BLOCKS_FILE DURABILITY [KILL_AT]``:
opens the store (resuming from its head, verifying it), prints ``ready <head>``, then
applies and commits the blocks of ``BLOCKS_FILE`` (an RLP list of blocks, each a list of
raw transactions) after the head, one write transaction each; prints ``done`` at the end.

With ``KILL_AT``, the process SIGKILLs itself inside the write transaction of block
``KILL_AT``, after everything but the head pointer has been written into it: the most
"half-written" a block can be.
"""

from __future__ import annotations

import os
import signal
import sys

import rlp

from node.store import BlockStore, LmdbBackend
from tests.node.store.workload import apply_and_commit, open_chain


class _KillingTxn:
    """A write transaction that kills the process when the head pointer is written."""

    def __init__(self, txn) -> None:
        self._txn = txn

    def __enter__(self):
        self._txn.__enter__()
        return self

    def __exit__(self, *exc):
        return self._txn.__exit__(*exc)

    def put(self, key, value, **kwargs):
        if key == b"head":
            os.kill(os.getpid(), signal.SIGKILL)
        return self._txn.put(key, value, **kwargs)

    def __getattr__(self, name):
        return getattr(self._txn, name)


class _KillingEnv:
    def __init__(self, env) -> None:
        self._env = env

    def begin(self, write: bool = False, **kwargs):
        txn = self._env.begin(write=write, **kwargs)
        return _KillingTxn(txn) if write else txn

    def __getattr__(self, name):
        return getattr(self._env, name)


def main(store_dir: str, blocks_file: str, durability: str = "full", kill_at: str = "") -> None:
    with open(blocks_file, "rb") as f:
        blocks = rlp.decode(f.read())
    store = BlockStore(store_dir, durability=durability)
    backend = LmdbBackend(store)
    state = open_chain(backend)
    head = store.head().number
    print(f"ready {head}", flush=True)
    for number in range(head + 1, len(blocks) + 1):
        if kill_at and number == int(kill_at):
            store.env = _KillingEnv(store.env)
        apply_and_commit(state, backend, number, blocks[number - 1])
    print("done", flush=True)
    store.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
