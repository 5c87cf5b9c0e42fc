"""The ``Dev`` gRPC service (``dev.proto``): a faucet for DEVELOPMENT CHAINS ONLY.

In production collateral comes only from L1: the portal's deposit events become ``Deposit``
system transactions, in L1 order. On a dev node there is no L1, so ``Faucet`` stands in for
it: it submits a system ``Deposit(next_deposit_index, address, amount_e6)`` through the
sequencer (``Sequencer.submit_system``, the path the L1 watcher uses) and answers with the
receipt once the block is committed. ``serve(..., dev=True)`` registers it; nothing else does.

The next deposit index is the head state's ``Globals.next_deposit_index``, or one past the
last index this servicer queued if that is higher (several faucet calls may wait for the
same block). A failed deposit resets the count to the state's. Each call credits at most
``MAX_FAUCET_E6`` (one million collateral units).
"""

from __future__ import annotations

from typing import Final

import grpc

from node.rpc.generated.optrollup.v1 import dev_pb2, dev_pb2_grpc
from node.rpc.refusal import Refusal, receipt_pb
from node.sequencer.sequencer import Sequencer, SequencerHalted
from node.stf import keys
from node.stf.records import Globals
from node.stf.state import State
from node.stf.tx_codec import encode_tx
from node.stf.txtypes import Deposit

E6: Final = 10**6
MAX_FAUCET_E6: Final = 1_000_000 * E6
SERVICE_NAME: Final = dev_pb2.DESCRIPTOR.services_by_name["Dev"].full_name


class DevServicer(dev_pb2_grpc.DevServicer):
    """The faucet (development only; see the module docstring)."""

    def __init__(self, sequencer: Sequencer) -> None:
        self.sequencer = sequencer
        self._next_index = 0

    def _deposit_index(self) -> int:
        globals_: Globals = State(self.sequencer.state.backend).get(keys.GLOBALS)
        index = max(self._next_index, globals_.next_deposit_index)
        self._next_index = index + 1
        return index

    async def Faucet(self, request, context):
        if len(request.address) != 20:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "an address is 20 bytes")
        if not 0 < request.amount_e6 <= MAX_FAUCET_E6:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"faucet amount must be in (0, {MAX_FAUCET_E6 // E6}] collateral units")
        index = self._deposit_index()
        raw = encode_tx(Deposit(index, request.address, request.amount_e6), None)
        try:
            number, receipt = await self.sequencer.submit_system(raw)
        except SequencerHalted as exc:
            self._next_index = 0
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        if not receipt.ok:
            self._next_index = 0  # resync from the state on the next call
            refusal = Refusal(grpc.StatusCode.FAILED_PRECONDITION, receipt.code, receipt.detail or receipt.code.name,
                              receipt.tx_hash, number, receipt)
            await context.abort(refusal.status, refusal.message, refusal.metadata())
        return dev_pb2.FaucetResponse(tx_hash=receipt.tx_hash, block_number=number, deposit_index=index,
                                      receipt=receipt_pb(receipt, number))


def add_to_server(sequencer: Sequencer, server: grpc.aio.Server) -> str:
    """Register the ``Dev`` service on ``server``; returns its full name (for health and reflection)."""
    dev_pb2_grpc.add_DevServicer_to_server(DevServicer(sequencer), server)
    return SERVICE_NAME
