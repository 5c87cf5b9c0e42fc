"""A background task that calls ``step()`` every ``interval_s`` on the event loop (dev oracle, dev market maker).

A failing ``step`` is logged and retried next round (a helper's bug never takes the node
down); ``SequencerHalted`` ends the task quietly. ``start()`` / ``await stop()`` control it.
"""

from __future__ import annotations

import asyncio
import logging

from node.sequencer.sequencer import SequencerHalted


class PeriodicTask:
    """Subclasses set ``name``, ``interval_s`` and ``step_first`` and implement ``step()``."""

    name: str = "periodic task"
    step_first: bool = True  # False: wait one interval before the first step
    interval_s: float

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None
        self._log = logging.getLogger(type(self).__module__)

    def step(self) -> None:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run(self) -> None:
        if not self.step_first:
            await asyncio.sleep(self.interval_s)
        while True:
            try:
                self.step()
            except SequencerHalted:
                self._log.info("%s: the sequencer stopped; stopping", self.name)
                return
            except Exception:  # a bug here must not take the node down
                self._log.exception("%s: round failed", self.name)
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
