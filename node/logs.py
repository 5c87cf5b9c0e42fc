"""Logging set-up of the node: text or JSON lines (``--log-format``, ``--log-level``).

``setup_logging("json")`` writes one JSON object per line to stderr::

    {"ts": "2026-12-01T08:00:00.123Z", "level": "INFO", "logger": "node.cli.node",
     "msg": "node started", "chain_id": 901, "grpc": "127.0.0.1:50051", ...}

Fields passed with ``extra={...}`` become top-level keys (values that are not JSON types are
written with ``repr``; bytes as 0x-hex); an exception adds ``exc``. ``text`` is the usual
one-line ``time level logger: message key=value ...`` form.

``BlockLogger`` is the sequencer observer that logs each block at DEBUG (number, txs,
failed txs, milliseconds), a block slower than ``slow_block_s`` at WARNING, a halt on a
failure at ERROR and a clean stop at INFO. The dev oracle logs its updates at DEBUG.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Final, TextIO

from node.sequencer.sequencer import BlockObserver, L2Block, Sequencer

FORMATS: Final = ("text", "json")
LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_SLOW_BLOCK_S: Final = 0.25
_STANDARD: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message", "asctime"}

log = logging.getLogger("node.sequencer.blocks")


def _extra(record: logging.LogRecord) -> dict:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def _timestamp(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record (module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": _timestamp(record.created), "level": record.levelname, "logger": record.name,
               "msg": record.getMessage()}
        for key, value in _extra(record).items():
            out.setdefault(key, _jsonable(value))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """``time level logger: message key=value ...``."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={_jsonable(v)}" for k, v in _extra(record).items())
        line = f"{_timestamp(record.created)} {record.levelname:7s} {record.name}: {record.getMessage()}"
        if fields:
            line += " " + fields
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(fmt: str = "text", level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Send the ``node`` loggers' records to ``stream`` (stderr) in ``fmt``; returns the handler.

    Idempotent: a handler installed by an earlier call is replaced.
    """
    if fmt not in FORMATS:
        raise ValueError(f"logs: format must be one of {FORMATS}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler._optrollup = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_optrollup", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


class BlockLogger(BlockObserver):
    """Logs blocks (DEBUG; WARNING when slower than ``slow_block_s``) and halts (module docstring)."""

    def __init__(self, sequencer: Sequencer, slow_block_s: float = DEFAULT_SLOW_BLOCK_S) -> None:
        from node.metrics import BlockTimer  # the timer lives with the metrics

        self.timer = BlockTimer.of(sequencer)
        self.slow_block_s = slow_block_s
        sequencer.add_observer(self)

    def on_block(self, block: L2Block, txs) -> None:
        seconds = self.timer.elapsed()
        slow = seconds > self.slow_block_s
        if not slow and not log.isEnabledFor(logging.DEBUG):
            return
        failed = sum(1 for receipt in block.receipts if not receipt.ok)
        fields = {"block": block.number, "txs": len(block.txs), "failed": failed, "ms": round(seconds * 1000, 3),
                  "root": block.state_root}
        if slow:
            log.warning("slow block", extra=fields)
        else:
            log.debug("block", extra=fields)

    def on_halt(self, failure: BaseException | None) -> None:
        if failure is None:
            log.info("sequencer stopped")
        else:
            log.error("sequencer halted: %r", failure, extra={"failure": type(failure).__name__},
                      exc_info=(type(failure), failure, failure.__traceback__))
