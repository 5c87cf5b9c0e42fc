"""Signature recovery in worker processes: the door's stateless half, off the event loop.

``RecoveryPool(domain, workers)`` wraps a ``ProcessPoolExecutor`` (``spawn`` start
method: the node runs gRPC threads, which do not survive ``fork``). ``decode_soon(raw)``
returns an asyncio future of the door's stateless verdict on ``raw``: the ``SignedTx``
(``mempool.door_decode``: size, strict decoding, EIP-712 digest, secp256k1 recovery, the
unsigned-deposit refusal) or ``mempool.Rejected``, exactly as ``Mempool.decode`` would give
it in process (same code, same message, same tx hash).

**Micro-batching.** Submissions are not sent one by one: ``decode_soon`` buffers the raw
envelope and the first one of a loop iteration schedules a flush (``loop.call_soon``), so
everything that arrives within one tick of the event loop (a whole ``SubmitBatchStream``
message, or single submissions from several streams) goes to the workers as a few chunks
(one per worker, at most ``max_chunk`` envelopes each). Under light load (fewer than
``min_chunk`` envelopes in a tick and no chunk in flight) the flush decodes in process
instead: a round trip to a worker (two thread hand-offs and two pipes) costs more latency
than the ~80 us it saves, and measured at 1,000 single orders/s it added 3-150 ms to the
median ack on this busy 2-core machine. A worker returns only the decoded
``SignedTx`` (about 190 pickled bytes; unpickling costs ~8 us against ~80 us for decoding
and recovering in process) or ``(code, message)`` for a refusal.

**Order.** The pool resolves futures in whatever order chunks finish. It is the caller's
job to keep arrival order: ``Sequencer.admit`` records each submission in a FIFO of
admissions when it arrives and moves them to the mempool strictly from the head of that
FIFO (see ``Sequencer``).

**Failures.** If a worker dies (``BrokenProcessPool``) or a chunk fails for any other
reason, the pool is rebuilt and the affected chunk is decoded in process, so no
submission is lost or answered differently. A chunk not back within ``CHUNK_TIMEOUT_S``
(a hung or stopped worker) is decoded in process too, and the pool is replaced (its
processes killed), so a stuck worker delays admissions by at most that long. ``close()`` shuts the workers down; a worker
whose node died without closing it (SIGKILL) notices within ``PARENT_POLL_S`` and exits.

``workers=0`` is not a pool: the sequencer then runs the door in the submitting
coroutine (see ``Sequencer`` for the measured default).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Final

from node.sequencer.mempool import Rejected, door_decode
from node.stf.eip712 import Domain
from node.stf.errors import FailureCode
from node.stf.hashing import keccak256
from node.stf.txtypes import SignedTx

log = logging.getLogger(__name__)

CHUNK_TIMEOUT_S: Final = 2.0
DEFAULT_MAX_CHUNK: Final = 256
DEFAULT_MIN_CHUNK: Final = 8  # fewer, with the workers idle: decoded in process (no IPC round trip)
PARENT_POLL_S: Final = 0.5

Verdict = SignedTx | tuple[int, str]


def decode_chunk(domain: Domain, raws: list[bytes]) -> list[Verdict]:
    """Worker entry (also the in-process fallback): each envelope's ``SignedTx``, or
    ``(failure code, message)`` when the door refuses it."""
    out: list[Verdict] = []
    append = out.append
    for raw in raws:
        try:
            append(door_decode(raw, domain))
        except Rejected as exc:
            append((int(exc.code), exc.message))
    return out


def _warm_up() -> int:
    return os.getpid()


def _worker_init(parent_pid: int) -> None:
    """In each worker: exit when the node dies (a SIGKILLed node cannot stop its pool)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(0)

    threading.Thread(target=watch, name="recovery-parent-watch", daemon=True).start()


class RecoveryPool:
    """Door decoding in ``workers`` processes, micro-batched per loop tick (see module docstring)."""

    def __init__(self, domain: Domain, workers: int, *, max_chunk: int = DEFAULT_MAX_CHUNK,
                 min_chunk: int = DEFAULT_MIN_CHUNK) -> None:
        if workers < 1 or max_chunk < 1 or min_chunk < 0:
            raise ValueError("recovery: workers >= 1, max_chunk >= 1 and min_chunk >= 0")
        self.domain = domain
        self.workers = workers
        self.max_chunk = max_chunk
        self.min_chunk = min_chunk
        self._in_flight = 0  # chunks sent to the workers and not yet back
        self.rebuilds = 0  # how many times a broken pool was replaced (for tests and metrics)
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._buffer: list[tuple[bytes, asyncio.Future]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Create the workers (they start in the background; early chunks wait for them)."""
        if self._executor is None:
            self._executor = self._new_executor()

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        executor = concurrent.futures.ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init, initargs=(os.getpid(),))
        for _ in range(self.workers):
            executor.submit(_warm_up)  # spawn every worker now, not on the first submissions
        return executor

    def close(self) -> None:
        """Stop the workers; buffered and in-flight envelopes are decoded in process."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def worker_pids(self) -> list[int]:
        """The live workers' process ids (empty before the first spawn)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return list(processes)

    # -- decoding --------------------------------------------------------------------------

    def decode_soon(self, raw: bytes) -> asyncio.Future:
        """A future of ``raw``'s ``SignedTx`` (or ``Rejected``), decoded in a worker."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._buffer:
            loop.call_soon(self._flush)
        self._buffer.append((raw, future))
        return future

    def _flush(self) -> None:
        buffer, self._buffer = self._buffer, []
        if not buffer:
            return
        count = len(buffer)
        if count < self.min_chunk and not self._in_flight:  # light load: the round trip costs more
            self._resolve(buffer, decode_chunk(self.domain, [raw for raw, _ in buffer]))
            return
        size = min(self.max_chunk, -(-count // self.workers))
        for start in range(0, count, size):
            self._dispatch(buffer[start:start + size])

    def _dispatch(self, chunk: list[tuple[bytes, asyncio.Future]]) -> None:
        raws = [raw for raw, _ in chunk]
        if self._executor is None or self._closed:
            self._resolve(chunk, decode_chunk(self.domain, raws))
            return
        executor = self._executor
        try:
            done = executor.submit(decode_chunk, self.domain, raws)
        except (BrokenProcessPool, RuntimeError) as exc:  # broken, or shut down meanwhile
            self._recover(chunk, exc, executor)
            return
        self._in_flight += 1
        loop = self._loop

        def finished(f: concurrent.futures.Future) -> None:  # on the executor's thread
            try:
                loop.call_soon_threadsafe(self._finished, chunk, f, executor)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

        done.add_done_callback(finished)
        loop.call_later(CHUNK_TIMEOUT_S, self._timed_out, chunk, executor)

    def _timed_out(self, chunk: list[tuple[bytes, asyncio.Future]],
                   executor: concurrent.futures.ProcessPoolExecutor) -> None:
        if all(future.done() for _, future in chunk):
            return
        if not self._closed and executor is self._executor:
            log.warning("recovery: a chunk took more than %gs (a hung worker?); pool replaced", CHUNK_TIMEOUT_S)
            self._executor = self._new_executor()
            self.rebuilds += 1
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.kill()
            executor.shutdown(wait=False, cancel_futures=True)
        self._resolve(chunk, decode_chunk(self.domain, [raw for raw, _ in chunk]))

    def _finished(self, chunk: list[tuple[bytes, asyncio.Future]], done: concurrent.futures.Future,
                  executor: concurrent.futures.ProcessPoolExecutor) -> None:
        self._in_flight -= 1
        try:
            verdicts = done.result()
        except BaseException as exc:  # a dead worker, a cancelled chunk at shutdown, a bug
            self._recover(chunk, exc, executor)
            return
        self._resolve(chunk, verdicts)

    def _recover(self, chunk: list[tuple[bytes, asyncio.Future]], exc: BaseException,
                 executor: concurrent.futures.ProcessPoolExecutor | None) -> None:
        if not self._closed and isinstance(exc, BrokenProcessPool):
            if executor is self._executor:  # the first chunk to see it replaces the pool
                log.warning("recovery: a worker died (%r); pool rebuilt", exc)
                self._executor = self._new_executor()
                self.rebuilds += 1
                if executor is not None:
                    executor.shutdown(wait=False, cancel_futures=True)
        elif not self._closed:
            log.warning("recovery: chunk failed (%r); decoded in process", exc)
        self._resolve(chunk, decode_chunk(self.domain, [raw for raw, _ in chunk]))

    @staticmethod
    def _resolve(chunk: list[tuple[bytes, asyncio.Future]], verdicts: list[Verdict]) -> None:
        for (raw, future), verdict in zip(chunk, verdicts):
            if future.done():
                continue
            if type(verdict) is tuple:
                code, message = verdict
                future.set_exception(Rejected(FailureCode(code), message, invalid=True, tx_hash=keccak256(raw)))
            else:
                future.set_result(verdict)
